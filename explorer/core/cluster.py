"""Heavy per-image jobs on a Dask cluster: one on this machine, or one the user started.

The audit (and, with the issues after it, perceptual hashing and the thumbnail cache)
checks every image: 10 to 20 core-hours for ImageNet-21k. :class:`ClusterSpec` says
where that work runs besides in-process: ``workers=N``, a ``LocalCluster`` of N
processes on this machine; ``scheduler="tcp://host:8786"``, a cluster started with
``dask scheduler`` and ``dask worker`` (or ``SSHCluster``). Dask does the scheduling,
the retries of a task whose worker died, and the transport; this module only cuts the
work in shards and hands results back in the order they finish.

The rules every heavy job keeps on a cluster:

- **Shards** of a few thousand images, cut where the folder changes
  (:func:`shards_by_folder`); a task returns plain results (no catalogue, no SQLite).
- **Only the client writes**: the job records each shard's results as it arrives, in
  its own transaction, so a killed worker or a lost task never leaves half-written
  rows (Dask runs the task again elsewhere: ``retries``), and a cancel keeps every
  shard recorded so far.
- **Paths**: workers read the images by the paths the client sends, rewritten by the
  ``path_map`` (``/data/imagenet=/mnt/imagenet``) for machines that mount the data
  elsewhere; before the job a probe checks that a worker can read the catalogue's root
  folder, so a wrong map is one clear error, not a catalogue of "unreadable".

>>> spec = ClusterSpec(workers=2, path_map=parse_path_map(["/data/in=/mnt/in"]))
>>> spec.describe(), remote_location("/data/in/n01/a.JPEG", spec.path_map)
('a local Dask cluster of 2 processes', '/mnt/in/n01/a.JPEG')
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from explorer.core.errors import CatalogueError

if TYPE_CHECKING:  # distributed: imported only when a job runs on a cluster
    from distributed import Client

    from explorer.core.catalogue import Catalogue
    from explorer.core.jobs import JobState

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_S = 8  # a scheduler that does not answer in this long is an error (in < 10 s)
RETRIES = 3  # a task whose worker died runs again elsewhere, this many times at most
SHARD_IMAGES = 2048  # at most; a shard ends where its folder does, from SHARD_MIN on
SHARD_MIN = 256
_POLL_S = 0.1  # how often a waiting job looks at its cancel flag

PathMap = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ClusterSpec:
    """Where heavy jobs run: a local cluster of ``workers`` processes, or the cluster whose
    scheduler is at ``scheduler``; ``path_map`` rewrites paths for its workers."""

    workers: int | None = None
    scheduler: str | None = None
    path_map: PathMap = ()

    def __post_init__(self) -> None:
        if (self.workers is None) == (self.scheduler is None):
            raise ValueError("a ClusterSpec needs workers or a scheduler address, not both")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"a local cluster needs at least one worker, not {self.workers}")

    def describe(self) -> str:
        if self.workers is not None:
            return f"a local Dask cluster of {self.workers} process{'es' * (self.workers != 1)}"
        return f"the Dask cluster at {self.scheduler}"


def parse_path_map(values: Iterable[str]) -> PathMap:
    """``LOCAL=REMOTE`` strings as (local, remote) prefixes; ValueError for another shape.

    >>> parse_path_map(["/data=/mnt/data/"])
    (('/data/', '/mnt/data/'),)
    """
    pairs = []
    for value in values:
        local, sep, remote = value.partition("=")
        if not sep or not local or not remote:
            raise ValueError(f"--path-map takes LOCAL=REMOTE, not {value!r}")
        pairs.append((local.rstrip("/") + "/", remote.rstrip("/") + "/"))
    return tuple(pairs)


def remote_location(location: str | bytes, path_map: PathMap) -> str | bytes:
    """``location`` as the workers see it: the first matching local prefix replaced."""
    for local, remote in path_map:
        if isinstance(location, bytes):
            prefix = os.fsencode(local)
            if location.startswith(prefix):
                return os.fsencode(remote) + location[len(prefix) :]
        elif location.startswith(local):
            return remote + location[len(local) :]
    return location


@contextlib.contextmanager
def connect(spec: ClusterSpec) -> Iterator[Client]:
    """A Dask client on ``spec``'s cluster (a local one is started, and stopped after);
    a CatalogueError in one line when there is none to be had."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise CatalogueError(
            f"Running on a Dask cluster needs the 'distributed' package ({exc})."
        ) from exc
    with contextlib.ExitStack() as stack:
        try:
            if spec.workers is not None:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=spec.workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",  # this machine's alone
                        dashboard_address="127.0.0.1:0",  # any free port: two jobs at once
                        silence_logs=40,  # logging.ERROR: the job reports, not Dask
                    )
                )
                client = stack.enter_context(Client(cluster))
            else:
                client = stack.enter_context(
                    Client(spec.scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
                )
        except (OSError, TimeoutError, ValueError) as exc:
            raise CatalogueError(f"Cannot reach {spec.describe()}: {_first_line(exc)}") from exc
        yield client


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def worker_count(client: Client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def check_root(client: Client, root: str | os.PathLike[str], spec: ClusterSpec) -> None:
    """A CatalogueError unless a worker can read the catalogue's ``root`` folder where the
    path map puts it: a wrong ``--path-map``, or data not mounted there, found before any
    result is recorded (one image's own problem must not stop the job: the folder's)."""
    remote = os.fsdecode(remote_location(os.fspath(root).rstrip("/") + "/", spec.path_map))
    if not client.submit(_readable_folder, remote, pure=False).result():
        raise CatalogueError(
            f"The workers of {spec.describe()} cannot read {remote}: mount the data there, "
            "or map the catalogue's root to where they see it (--path-map LOCAL=REMOTE)."
        )


def _readable_folder(location: str) -> bool:
    return os.path.isdir(location) and os.access(location, os.R_OK | os.X_OK)


def run_job(
    spec: ClusterSpec,
    root: str | os.PathLike[str],
    task: Callable[[Any], R],
    shards: Iterable[tuple[T, Any]],
    state: JobState,
) -> Iterator[tuple[T, R]]:
    """A heavy job on ``spec``'s cluster, from start to end: connect (a local cluster is
    started, and stopped after), check that the workers see the catalogue's ``root``, run
    the shards two per worker, and yield (key, result) as they finish."""
    with connect(spec) as client:
        check_root(client, root, spec)
        yield from run_shards(client, task, shards, state, 2 * worker_count(client))


def run_shards(
    client: Client,
    task: Callable[[Any], R],
    shards: Iterable[tuple[T, Any]],
    state: JobState,
    in_flight: int,
) -> Iterator[tuple[T, R]]:
    """``task(payload)`` for each ``(key, payload)`` shard on the cluster, at most
    ``in_flight`` at once; yields (key, result) as tasks finish. Stops (cancelling what
    runs) when ``state`` is cancelled; a task that fails ``RETRIES`` times is an error."""
    from distributed import wait

    queue = iter(shards)
    running: dict[Any, T] = {}

    def submit_next() -> None:
        for key, payload in queue:
            future = client.submit(task, payload, retries=RETRIES, pure=False)
            running[future] = key
            return

    for _ in range(in_flight):
        submit_next()
    try:
        while running:
            if state.cancelled:
                return
            try:
                done, _ = wait(list(running), timeout=_POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:  # none finished yet: look at the cancel flag again
                continue
            for future in done:
                key = running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # the task itself failed, RETRIES times
                    raise CatalogueError(
                        f"A task failed on the cluster: {_first_line(exc)}"
                    ) from exc
                yield key, result
                submit_next()
    finally:
        if running:
            client.cancel(list(running))


def shards_by_folder(
    rows: Iterable[tuple[int, str, T]], most: int | None = None, least: int | None = None
) -> Iterator[list[tuple[int, str, T]]]:
    """``rows`` (id, path, …) in shards of at most ``most``, each cut where the folder
    changes once it holds ``least``: a worker reads one folder's files together.

    >>> rows = [(i, f"n0{i // 3}/x{i}.JPEG", None) for i in range(7)]
    >>> [[r[0] for r in shard] for shard in shards_by_folder(rows, most=4, least=2)]
    [[0, 1, 2], [3, 4, 5], [6]]
    """
    most, least = most or SHARD_IMAGES, least or SHARD_MIN  # read now: a test sets them
    shard: list[tuple[int, str, T]] = []
    for row in rows:
        folder = row[1].rpartition("/")[0]
        if shard and (
            len(shard) >= most
            or (len(shard) >= least and shard[-1][1].rpartition("/")[0] != folder)
        ):
            yield shard
            shard = []
        shard.append(row)
    if shard:
        yield shard


def location_shards(
    catalogue: Catalogue, rows: Iterable[tuple[int, str, bytes | None]], spec: ClusterSpec
) -> Iterator[tuple[list[int], list[str | bytes]]]:
    """(image ids, their files where the workers see them) of ``rows`` (id, path, raw_path)
    in :func:`shards_by_folder`'s shards: what a per-image job sends to a cluster."""
    for shard in shards_by_folder(rows):
        locations = [
            remote_location(catalogue.absolute_path(path, raw), spec.path_map)
            for _, path, raw in shard
        ]
        yield [image_id for image_id, _, _ in shard], locations
