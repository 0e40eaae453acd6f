"""The audit on a Dask cluster (issue 16): a LocalCluster of 2 processes, and a cluster
started as users start one (`dask scheduler`, `dask worker`), give the in-process audit's
results image by image, on the 1,000 real ILSVRC samples and on the hostile corpus; a killed
worker, a cancel, a path map that points nowhere and a scheduler that does not answer."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_corpus import make_hostile_corpus

from explorer.core import cluster as cluster_module
from explorer.core.catalogue import index_catalogue
from explorer.core.cluster import ClusterSpec, parse_path_map
from explorer.core.errors import CatalogueError
from explorer.core.images import audit_catalogue
from explorer.core.jobs import JobState

pytest.importorskip("distributed", reason="the Dask distributed package is not installed")

TENCH = "n01440764"
REPO = Path(__file__).resolve().parents[2]
# what an audit records of each image: compared between backends
_RESULT_SQL = (
    "SELECT i.path, a.size, a.mtime_ns, a.hash, a.problems, a.detail, i.format, "
    "i.width, i.height, i.mode FROM images i JOIN audit a ON a.image_id = i.id ORDER BY i.path"
)


def _results(path: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute(_RESULT_SQL).fetchall()


def _copy(source: Path, target: Path) -> Path:
    shutil.copy(source, target)
    return target


@pytest.fixture(scope="module")
def samples(taxonomy, shared_data, tmp_path_factory):
    """The 1,000 real samples indexed, not audited."""
    target = tmp_path_factory.mktemp("samples") / "samples.sqlite"
    index_catalogue(shared_data / "imagenet-samples", nouns=taxonomy.graph, catalogue=target)
    return target


@pytest.fixture(scope="module")
def in_process(samples, tmp_path_factory):
    """The in-process audit of the samples: what every cluster must give."""
    path = _copy(samples, tmp_path_factory.mktemp("in-process") / "audited.sqlite")
    summary = audit_catalogue(path, workers=2)
    assert summary.checked == 1000
    return _results(path)


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of 100 (the samples are one folder: 2,048 would make one task)."""
    monkeypatch.setattr(cluster_module, "SHARD_IMAGES", 100)
    monkeypatch.setattr(cluster_module, "SHARD_MIN", 50)


def test_a_local_cluster_audits_as_in_process(samples, in_process, tmp_path, small_shards):
    path = _copy(samples, tmp_path / "local.sqlite")
    summary = audit_catalogue(path, cluster=ClusterSpec(workers=2))
    assert (summary.checked, summary.cancelled) == (1000, False)
    assert _results(path) == in_process
    again = audit_catalogue(path, cluster=ClusterSpec(workers=2))  # all current: nothing to do
    assert (again.checked, again.already_current) == (0, 1000)


def test_hostile_files_are_each_files_problem_on_a_cluster(taxonomy, tmp_path):
    folder = tmp_path / "data" / TENCH
    make_hostile_corpus(folder)
    catalogue = index_catalogue(tmp_path / "data", nouns=taxonomy.graph, catalogue=tmp_path / "a")
    here = _copy(catalogue.catalogue, tmp_path / "here.sqlite")
    there = _copy(catalogue.catalogue, tmp_path / "there.sqlite")
    audit_catalogue(here, workers=1)
    summary = audit_catalogue(there, cluster=ClusterSpec(workers=1))
    assert summary.checked > 10 and not summary.cancelled
    assert _results(there) == _results(here)  # FIFOs, bombs, lies: codes, not crashes


def test_cancel_midway_then_rerun_loses_and_repeats_nothing(
    samples, in_process, tmp_path, small_shards
):
    path = _copy(samples, tmp_path / "cancelled.sqlite")

    class CancelAfterTwoShards(JobState):
        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if done >= 200:
                self.cancel()

    first = audit_catalogue(path, cluster=ClusterSpec(workers=2), state=CancelAfterTwoShards())
    assert first.cancelled and 200 <= first.checked < 1000
    recorded = _results(path)
    assert len(recorded) == first.checked  # every recorded shard whole, none half-written
    second = audit_catalogue(path, cluster=ClusterSpec(workers=2))
    assert second.checked == 1000 - first.checked  # nothing audited twice
    assert second.already_current == first.checked
    assert _results(path) == in_process


def test_a_path_map_that_points_nowhere_is_one_clear_error(samples, tmp_path):
    path = _copy(samples, tmp_path / "mapped.sqlite")
    root = os.fsdecode(Path(samples).parent)  # any prefix: the samples' real root below
    from explorer.core.catalogue import Catalogue

    with Catalogue.open(path) as catalogue:
        root = str(catalogue.root)
    spec = ClusterSpec(workers=1, path_map=parse_path_map([f"{root}=/nowhere/at/all"]))
    with pytest.raises(CatalogueError, match=r"cannot read /nowhere/at/all/: .*--path-map"):
        audit_catalogue(path, cluster=spec)
    assert _results(path) == []  # nothing recorded


def test_a_scheduler_that_does_not_answer_is_an_error_within_ten_seconds(samples, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(
        CatalogueError, match=f"Cannot reach the Dask cluster at tcp://127.0.0.1:{port}"
    ):
        audit_catalogue(
            _copy(samples, tmp_path / "c.sqlite"),
            cluster=ClusterSpec(scheduler=f"tcp://127.0.0.1:{port}"),
        )
    assert time.monotonic() - started < 10


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """`dask scheduler` and two `dask worker` processes, as a user starts them."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    started = [
        subprocess.Popen(
            [*dask, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
    ]
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", address]
    for name in ("one", "two"):
        started.append(
            subprocess.Popen(
                [*worker, "--nthreads", "1", "--name", name, "--no-dashboard"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=tmp_path,
            )
        )
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=60)
    yield address
    for process in reversed(started):
        process.terminate()
    for process in started:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_cluster_started_by_hand_audits_as_in_process_even_when_a_worker_is_killed(
    samples, in_process, tmp_path, small_shards, dask_cluster
):
    from distributed import Client

    path = _copy(samples, tmp_path / "remote.sqlite")
    with Client(dask_cluster) as client:
        pids = client.run(os.getpid)  # each worker process (its nanny starts another)

    class KillAWorker(JobState):
        killed = False

        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if done >= 100 and not self.killed:
                self.killed = True
                os.kill(next(iter(pids.values())), signal.SIGKILL)

    state = KillAWorker()
    summary = audit_catalogue(path, cluster=ClusterSpec(scheduler=dask_cluster), state=state)
    assert state.killed and summary.checked == 1000 and not summary.cancelled
    assert _results(path) == in_process


def _entries(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_thumbnails_made_on_a_cluster_equal_those_made_here(samples, tmp_path, small_shards):
    from explorer.core.images import ThumbnailCache, precompute_thumbnails

    dogs = ["n02085620", "n02099601", "n02110958"]  # a few synsets of the samples
    here = precompute_thumbnails(samples, ThumbnailCache(tmp_path / "here"), 96, wnids=dogs)
    there_cache = ThumbnailCache(tmp_path / "there")
    there = precompute_thumbnails(
        samples, there_cache, 96, wnids=dogs, cluster=ClusterSpec(workers=2)
    )
    assert here.images == there.images == here.made == there.made >= 3
    assert _entries(tmp_path / "there") == _entries(tmp_path / "here")  # the same bytes
    again = precompute_thumbnails(samples, there_cache, 96, cluster=ClusterSpec(workers=1))
    assert again.already_cached == here.made and again.made == again.images - here.made


def test_a_path_map_sends_the_workers_where_they_see_the_data(taxonomy, tmp_path):
    """The data mounted elsewhere on the workers (here: a link to the same folder, the
    catalogue's own root moved away): results recorded for the catalogue's paths."""
    folder = tmp_path / "data" / TENCH
    make_hostile_corpus(folder)
    summary = index_catalogue(tmp_path / "data", nouns=taxonomy.graph, catalogue=tmp_path / "c")
    here = _copy(summary.catalogue, tmp_path / "here.sqlite")
    audit_catalogue(here, workers=1)
    (tmp_path / "data").rename(tmp_path / "mounted")  # where "the workers" see it
    with pytest.raises(CatalogueError, match="cannot read"):  # without the map: said at once
        audit_catalogue(summary.catalogue, cluster=ClusterSpec(workers=1))
    mapped = ClusterSpec(
        workers=1, path_map=parse_path_map([f"{tmp_path / 'data'}={tmp_path / 'mounted'}"])
    )
    audit_catalogue(summary.catalogue, cluster=mapped)
    (tmp_path / "mounted").rename(tmp_path / "data")  # back: the stat of each file the same
    assert _results(summary.catalogue) == _results(here)
