"""Closing the window while workers run prints nothing, leaves no thread behind, and no
worker's result reaches a slot afterwards (issue 14: at exit a job printed
``RuntimeError: Signal source has been deleted``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest
import shiboken6
from hostile_corpus import encode, photo
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThreadPool
from windows import open_window

from explorer.core.catalogue import index_catalogue
from explorer.core.images import Thumbnail, ThumbnailCache
from explorer.core.images import thumbnail_cache as thumbnail_cache
from explorer.qt.thumbnail_grid import ThumbnailLoader
from explorer.qt.workers import JobRunner

GOLDEN = "n02099601"


def _window(qtbot, tmp_path, session_data_dir, catalogue_path):
    main = open_window(qtbot, tmp_path, session_data_dir, size=(1024, 640), owned=False)
    main.open_catalogue(catalogue_path)
    return main


@pytest.fixture(scope="module")
def catalogue_path(taxonomy, tmp_path_factory):
    root = tmp_path_factory.mktemp("shutdown") / "train"
    (root / GOLDEN).mkdir(parents=True)
    for i in range(60):
        picture = photo((160 + 4 * i, 120)).rotate(6 * i)
        (root / GOLDEN / f"{GOLDEN}_{i}.JPEG").write_bytes(encode(picture, "JPEG"))
    return index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c").catalogue


def _threads_started_since(before: set[threading.Thread]) -> list[str]:
    """Python threads alive now that were not before. A Qt pool thread that ran Python
    shows as a _DummyThread, alive for ever: QThreadPool.activeThreadCount() counts those."""
    return [
        thread.name
        for thread in threading.enumerate()
        if thread not in before
        and thread.is_alive()
        and not isinstance(thread, threading._DummyThread)
    ]


def test_closing_while_a_job_and_thumbnails_run(
    qtbot, capfd, taxonomy, tmp_path, session_data_dir, catalogue_path, monkeypatch
):
    before = set(threading.enumerate())
    real_thumbnail = thumbnail_cache.make_thumbnail
    decoding = threading.Event()

    def slow_thumbnail(path, size):  # 60 of these take 1.5 s on the loader's two threads
        decoding.set()
        time.sleep(0.05)
        return real_thumbnail(path, size)

    monkeypatch.setattr(thumbnail_cache, "make_thumbnail", slow_thumbnail)
    main = _window(qtbot, tmp_path, session_data_dir, catalogue_path)
    with qtbot.waitSignal(main.images_ready, timeout=10_000):
        main.select(GOLDEN)
    main.images.set_thumbnail_size(64)  # many tiles on screen, each asked for
    main.grid.viewport().repaint()
    working = threading.Event()

    def slow_job(state):  # a long job that looks at its cancel flag now and then
        working.set()
        while True:
            state.check()
            time.sleep(0.01)

    reached = []
    main.runner.start(
        slow_job,
        on_finished=reached.append,
        on_failed=reached.append,
        on_cancelled=lambda: reached.append("cancelled"),
    )
    assert working.wait(10) and decoding.wait(10)
    assert main.runner.running() == 1
    assert main.grid_model.loaded_count() < main.grid_model.rowCount()  # loads under way
    capfd.readouterr()  # what came before the close is not this test's
    started = time.monotonic()
    main.close()
    closed_in = time.monotonic() - started
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert _threads_started_since(before) == []
    assert closed_in < 2.0
    main.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    qtbot.wait(200)  # what the workers emitted before they stopped is delivered, or not
    assert reached == []  # their "cancelled", queued before they were detached, is dropped
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_job_that_outlives_the_wait_reaches_no_slot_and_prints_nothing(qtbot, capfd):
    runner = JobRunner()
    release = threading.Event()
    reached = []
    runner.start(lambda state: release.wait(10) and "done", on_finished=reached.append)
    assert not runner.shutdown(50)  # it ignores its cancel flag
    release.set()
    assert QThreadPool.globalInstance().waitForDone(5000)
    qtbot.wait(100)
    assert reached == []
    assert capfd.readouterr().err == ""


def test_a_job_whose_signals_were_deleted_prints_nothing(qtbot, capfd):
    """What PySide does to every QObject at exit, here without a shutdown first."""
    runner = JobRunner()
    release = threading.Event()
    job = runner.start(lambda state: release.wait(10) and "done", on_finished=print)
    shiboken6.delete(job.signals)
    release.set()
    assert QThreadPool.globalInstance().waitForDone(5000)
    assert job.done and job.detached
    assert capfd.readouterr() == ("", "")


def test_a_result_for_a_deleted_receiver_is_dropped(qtbot, capfd):
    """As when the slot, a method of a QObject, is connected itself: a panel or dialog
    deleted while its job ran is not called."""

    class Receiver(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[object] = []

        def take(self, result: object) -> None:
            self.got.append(result)

    runner = JobRunner()
    kept, deleted = Receiver(), Receiver()
    release = threading.Event()
    job = runner.start(lambda state: release.wait(10) and "done", on_finished=kept.take)
    runner.start(lambda state: release.wait(10) and "done", on_finished=deleted.take)
    shiboken6.delete(deleted)
    release.set()
    qtbot.waitUntil(lambda: kept.got == ["done"], timeout=5000)
    qtbot.wait(50)
    assert deleted.got == [] and job.done and capfd.readouterr() == ("", "")


def test_a_job_running_at_exit_prints_nothing(tmp_path):
    """The issue's case: the process ends while a job runs; PySide deletes the job's
    signals object at exit, and the job then finishes. On main this printed
    ``RuntimeError: Signal source has been deleted`` from the pool's thread."""
    script = textwrap.dedent(
        """
        import time
        from PySide6.QtWidgets import QApplication, QWidget
        from explorer.qt.workers import JobRunner

        app = QApplication([])
        window = QWidget()
        runner = JobRunner(window)

        def stubborn(state):  # never looks at its cancel flag
            time.sleep(1.0)
            state.progress(1, 1, "done")
            return 1

        runner.start(stubborn, on_finished=print, on_progress=print)
        time.sleep(0.2)
        assert not runner.shutdown(100)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_loader_waits_a_bounded_time_and_is_silent_after(qtbot, tmp_path, monkeypatch):
    """A decode in C cannot be stopped: shutdown waits up to its timeout, and what that
    decode makes afterwards is never emitted."""
    decoding, release = threading.Event(), threading.Event()

    def stuck(path, size):
        decoding.set()
        release.wait(10)
        return Thumbnail(None, 0, 0, "slow", False)

    monkeypatch.setattr(thumbnail_cache, "make_thumbnail", stuck)
    loader = ThumbnailLoader(lambda: ThumbnailCache(tmp_path / "thumbs"), threads=2)
    emitted = []
    loader.signals.loaded.connect(lambda *args: emitted.append(args))
    row = type("Row", (), {"id": 1, "size": None, "mtime_ns": None, "present": True})()
    (tmp_path / "a.JPEG").write_bytes(encode(photo(), "JPEG"))
    loader.request(row, tmp_path / "a.JPEG", 64)
    assert decoding.wait(10)
    started = time.monotonic()
    assert not loader.shutdown(0.2)  # one thread is in the decode, the other has ended
    assert 0.15 < time.monotonic() - started < 1.0
    release.set()
    assert loader.shutdown(5.0)  # now both have ended
    qtbot.wait(100)
    assert emitted == []


# A query that runs for minutes unless interrupted (counts to 10**9)
ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)
DOG = "n02084071"  # its images: the golden retrievers


@pytest.fixture
def endless_listing(monkeypatch):
    """The next listing runs one query that only a cancel ends (as the listing of
    ImageNet-21k's root runs one for a while); the event says when it is under way."""
    from explorer.core.catalogue import listing as listing_module

    running = threading.Event()
    real = listing_module._listed

    def listed(catalogue, *args):
        if not running.is_set():
            running.set()
            catalogue._db.execute(ENDLESS).fetchone()
        return real(catalogue, *args)

    monkeypatch.setattr(listing_module, "_listed", listed)
    return running


def test_closing_during_a_listing_query_interrupts_it_and_prints_nothing(
    qtbot, capfd, tmp_path, session_data_dir, catalogue_path, endless_listing
):
    before = set(threading.enumerate())
    main = _window(qtbot, tmp_path, session_data_dir, catalogue_path)
    main.select(DOG)
    assert endless_listing.wait(10)
    capfd.readouterr()
    main.close()  # without the interrupt the query outlives the close's wait, for minutes
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert _threads_started_since(before) == []
    main.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    qtbot.wait(100)
    assert capfd.readouterr() == ("", "")


def test_selecting_another_synset_during_a_listing_query_cancels_it(
    qtbot, capfd, tmp_path, session_data_dir, catalogue_path, endless_listing
):
    main = _window(qtbot, tmp_path, session_data_dir, catalogue_path)
    main.select(DOG)
    assert endless_listing.wait(10)
    listing_of_dog = main.images._job
    outcomes: list[str] = []
    listing_of_dog.signals.cancelled.connect(lambda: outcomes.append("cancelled"))
    listing_of_dog.signals.failed.connect(outcomes.append)
    with qtbot.waitSignal(main.images_ready, timeout=10_000):
        main.select(GOLDEN)
    qtbot.waitUntil(lambda: listing_of_dog.done, timeout=10_000)
    qtbot.wait(50)
    assert outcomes == ["cancelled"]
    assert main.images.image_count.text() == "60 images"
    assert main.grid_model.rowCount() == 60
    main.close()
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert capfd.readouterr() == ("", "")
