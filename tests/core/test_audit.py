"""The catalogue audit: hostile files all get a reason, duplicates found, runs resume."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
import time

import pytest
from hostile_corpus import encode, make_hostile_corpus, many_scans_jpeg, photo

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.errors import CatalogueError
from explorer.core.images import (
    AUDIT_CODES,
    MAX_SCANS,
    TIME_LIMIT,
    Checkers,
    audit_catalogue,
    audit_report,
)
from explorer.core.jobs import JobState

TENCH = "n01440764"


@pytest.fixture
def hostile(taxonomy, tmp_path):
    folder = tmp_path / "data" / TENCH
    expected = make_hostile_corpus(folder)
    shutil.copy(folder / "clean.JPEG", folder / "clean_copy.JPEG")  # a duplicate
    expected["clean_copy.JPEG"] = set()
    summary = index_catalogue(tmp_path / "data", nouns=taxonomy.graph, catalogue=tmp_path / "c")
    return summary.catalogue, expected


def test_every_hostile_file_gets_its_reason_codes(hostile):
    path, expected = hostile
    summary = audit_catalogue(path)
    # the links to /dev/zero and /dev/urandom lead out of the dataset: never read
    outside = {name for name in expected if name.endswith("_link.JPEG")}
    assert summary.outside_root == len(outside) and not summary.cancelled
    assert summary.checked == summary.images - len(outside)
    with Catalogue.open(path) as catalogue:
        report = audit_report(catalogue)
    found = {image["path"].split("/", 1)[1]: set(image["problems"]) for image in report["images"]}
    for name, codes in expected.items():
        if name == "directory.JPEG" or name.endswith(".bin") or name in outside:
            continue  # a folder, and a file that is not an image by its name: never listed
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        want = codes | ({"duplicate"} if name.startswith("clean") else set())
        assert want <= found.get(shown, set()), name
        assert found.get(shown, set()) <= want | {"duplicate"}, name
    assert all(set(image["problems"]) <= set(AUDIT_CODES) for image in report["images"])
    clean = next(i for i in report["images"] if i["path"].endswith("/clean.JPEG"))
    assert f"{TENCH}/clean_copy.JPEG" in clean["same_as"]  # the corpus reuses these bytes too
    assert all("duplicate" in found[p.split("/", 1)[1]] for p in clean["same_as"])
    assert report["summary"]["duplicate_groups"] >= 1


def test_audit_resumes_after_cancel_and_rechecks_changed_files(hostile):
    path, _expected = hostile

    class CancelAfterFirstBatch(JobState):
        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if done:
                self.cancel()

    import explorer.core.images.audit as audit_module

    batch, audit_module._BATCH = audit_module._BATCH, 5
    try:
        first = audit_catalogue(path, state=CancelAfterFirstBatch())
    finally:
        audit_module._BATCH = batch
    assert first.cancelled and first.checked == 5
    second = audit_catalogue(path)
    assert second.already_current == 5
    assert second.checked == second.images - 5 - second.outside_root  # the /dev links
    third = audit_catalogue(path)
    assert third.checked == 0
    with Catalogue.open(path) as catalogue:
        (relative,) = catalogue.present_paths_containing("/clean.png")
        target = catalogue.root / relative
    target.write_bytes(b"")  # the file changes; a rescan records it, the audit rechecks it
    index_catalogue(path.rsplit("/", 1)[0] + "/data", nouns=_nouns(), catalogue=path)
    fourth = audit_catalogue(path)
    assert fourth.checked == 1 and fourth.by_code.get("zero_byte") == 2


def _nouns():
    from explorer.core.wordnet import load_noun_wnids

    return load_noun_wnids()


def test_real_samples_audit(shared_data, taxonomy, tmp_path):
    summary = index_catalogue(
        shared_data / "imagenet-samples", nouns=taxonomy.graph, catalogue=tmp_path / "c"
    )
    audited = audit_catalogue(summary.catalogue)
    assert audited.checked == 1000
    assert audited.by_code == {"grayscale": 23, "exif_rotated": 1, "exif_invalid": 2}
    assert audited.duplicate_groups == 0
    with Catalogue.open(summary.catalogue) as catalogue:
        report = audit_report(catalogue)
        (image,) = catalogue.images_by_path(["n02951585_can_opener.JPEG"])
        row = (image.format, image.width, image.height, image.mode)
    problems = {i["path"]: i["problems"] for i in report["images"]}
    assert problems["n02951585_can_opener.JPEG"] == ["exif_rotated"]
    assert problems["n02096051_Airedale.JPEG"] == ["grayscale"]
    assert row[0] == "JPEG" and row[1] > 0 and row[3] in ("RGB", "L")


def test_missing_images_are_reported(taxonomy, tmp_path):
    folder = tmp_path / "data" / TENCH
    folder.mkdir(parents=True)
    for i in range(3):
        (folder / f"{i}.JPEG").write_bytes(encode(photo(), "JPEG", quality=50 + i))
    catalogue_path = tmp_path / "c"
    index_catalogue(tmp_path / "data", nouns=taxonomy.graph, catalogue=catalogue_path)
    (folder / "0.JPEG").unlink()
    index_catalogue(tmp_path / "data", nouns=taxonomy.graph, catalogue=catalogue_path)
    summary = audit_catalogue(catalogue_path)
    assert summary.missing == 1 and summary.checked == 2
    with Catalogue.open(catalogue_path) as catalogue:
        report = audit_report(catalogue)
    assert report["images"] == [{"path": f"{TENCH}/0.JPEG", "wnid": TENCH, "problems": ["missing"]}]


def test_no_worker_is_the_callers_mistake_not_an_endless_audit(taxonomy, tmp_path):
    with pytest.raises(ValueError, match="at least one worker process, not 0"):
        audit_catalogue(tmp_path / "never-opened", workers=0)


def test_workers_that_cannot_start_are_a_catalogue_error_that_keeps_the_results(
    taxonomy, tmp_path, monkeypatch
):
    import errno
    import multiprocessing.context

    folder = tmp_path / "data" / TENCH
    folder.mkdir(parents=True)
    (folder / "a.JPEG").write_bytes(encode(photo(), "JPEG"))
    path = index_catalogue(tmp_path / "data", nouns=taxonomy.graph, catalogue=tmp_path / "c")

    def no_process(_process):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", no_process)
    with pytest.raises(CatalogueError, match=r"cannot start its worker processes \(Resource"):
        audit_catalogue(path.catalogue)


# --- the time limit: what the bounds miss cannot hold an audit -------------------------------


def slow_catalogue(taxonomy, tmp_path, side: int) -> str:
    """A catalogue of one JPEG within every bound (MAX_SCANS scans) that is slow to check:
    about 1 s at 4096², 4 s at 8192² (with 200 MB of coefficients) on the dev-vm."""
    folder = tmp_path / "data" / TENCH
    folder.mkdir(parents=True)
    (folder / "slow.JPEG").write_bytes(many_scans_jpeg(side=side, scans=MAX_SCANS))
    summary = index_catalogue(tmp_path / "data", nouns=taxonomy.graph, catalogue=tmp_path / "c")
    return summary.catalogue


def test_a_check_over_the_time_limit_is_stopped_and_its_result_kept(taxonomy, tmp_path):
    path = slow_catalogue(taxonomy, tmp_path, 4096)
    started = time.monotonic()
    summary = audit_catalogue(path, time_limit=0.1)
    assert time.monotonic() - started < 5  # the workers' start, 0.1 s, a new worker
    assert summary.by_code == {"too_slow": 1}
    with Catalogue.open(path) as catalogue:
        (image,) = audit_report(catalogue)["images"]
    assert image["detail"] == "checking took more than 0.1 s; stopped"
    assert audit_catalogue(path).checked == 0  # kept until the file changes
    assert audit_catalogue(path, recheck=True).by_code == {}  # in time: nothing wrong


def test_a_cancel_stops_the_check_at_once(taxonomy, tmp_path):
    path = slow_catalogue(taxonomy, tmp_path, 8192)
    state = JobState()
    done = {}
    runner = threading.Thread(
        target=lambda: done.update(summary=audit_catalogue(path, state=state))
    )
    runner.start()
    time.sleep(1.5)  # the workers have started (0.35 s) and are checking
    cancelled = time.monotonic()
    state.cancel()
    runner.join(timeout=30)
    assert time.monotonic() - cancelled < 1.0  # not the 3 s the decode has left
    assert done["summary"].cancelled and done["summary"].checked == 0
    assert not [c for c in multiprocessing.active_children() if c.name == "explorer-check"]


def test_a_crashed_check_is_reported_and_its_worker_replaced(tmp_path):
    slow, clean = tmp_path / "slow.JPEG", tmp_path / "clean.JPEG"
    slow.write_bytes(many_scans_jpeg(side=4096, scans=MAX_SCANS))
    clean.write_bytes(encode(photo(), "JPEG"))
    with Checkers(1) as checkers:
        killer = threading.Timer(0.3, _kill_the_worker)
        killer.start()
        (check, size, _), (fine, _, _) = checkers.check([str(slow), str(clean)], JobState())
        killer.join()
    assert check.problems == ("truncated",)
    assert check.detail == f"the check crashed (exit code {-signal.SIGKILL})"
    assert size == slow.stat().st_size
    assert fine.problems == ()  # checked by the worker that replaced it


def _kill_the_worker() -> None:
    (worker,) = [c for c in multiprocessing.active_children() if c.name == "explorer-check"]
    os.kill(worker.pid, signal.SIGKILL)


def test_the_command_lines_time_limit_is_the_audits():
    from explorer.cli.catalogue import audit

    option = next(p for p in audit.params if p.name == "time_limit")
    assert option.default == TIME_LIMIT
