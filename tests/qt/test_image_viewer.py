"""The image viewer on the hostile corpus: every file is shown, or says why, at once."""

from __future__ import annotations

import contextlib
import os
import threading
import time

import pytest
from hostile_corpus import make_hostile_corpus

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.qt.image_viewer import ImageViewer

TENCH = "n01440764"
SPECIAL = {
    "fifo.JPEG": "not a regular file: a FIFO",
    "zero_link.JPEG": "not a regular file: a character device",
    "urandom_link.JPEG": "not a regular file: a character device",
    "socket.JPEG": "not a regular file: a socket",
}


@pytest.fixture
def hostile(taxonomy, tmp_path):
    folder = tmp_path / "train" / TENCH
    expected = make_hostile_corpus(folder)
    summary = index_catalogue(folder.parent, nouns=taxonomy.graph, catalogue=tmp_path / "c")
    with Catalogue.open(summary.catalogue) as catalogue:
        yield catalogue, folder, expected


@contextlib.contextmanager
def unblocking(fifo, after: float = 5.0):
    """Should a regression block opening ``fifo`` for reading, a writer opens it after
    ``after`` seconds: the test then fails on its time instead of hanging."""
    done = threading.Event()

    def release() -> None:
        if not done.wait(after):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def test_special_files_say_what_they_are_at_once(qtbot, hostile):
    catalogue, folder, expected = hostile
    names = [name for name in SPECIAL if name in expected]
    if len(names) < len(SPECIAL):
        pytest.skip("this platform cannot make every special file")
    rows = catalogue.images_by_path([f"{TENCH}/{name}" for name in ["clean.JPEG", *names]])
    viewer = ImageViewer(catalogue, rows, 0)
    qtbot.addWidget(viewer)
    assert not viewer.picture.pixmap().isNull()  # the clean JPEG
    for position, row in enumerate(rows[1:], 1):
        with unblocking(folder / "fifo.JPEG"):
            started = time.monotonic()
            viewer.show_row(position)
            elapsed = time.monotonic() - started
        assert elapsed < 2.0, row.path
        assert viewer.picture.text() == "Cannot show this file:\n" + SPECIAL[row.path[10:]]
        assert "Cannot read:" in viewer.details.toHtml()
    viewer.close()


def test_costly_files_are_not_decoded_on_the_gui_thread(qtbot, hostile):
    """Qt decoding these would hold the GUI for 7 s (3,000 scans) or allocate 353 MB."""
    catalogue, _folder, _expected = hostile
    costly = {
        "many_scans.JPEG": "too many JPEG scans to decode: more than 100",
        "big_rgba.png": "too large to decode: 9400×9400 RGBA needs 337 MiB, over 256 MiB",
        "bomb.png": "too many pixels to decode (100000×100000)",
    }
    rows = catalogue.images_by_path([f"{TENCH}/{name}" for name in costly])
    viewer = ImageViewer(catalogue, rows, 0)
    qtbot.addWidget(viewer)
    for position, row in enumerate(rows):
        started = time.monotonic()
        viewer.show_row(position)
        assert time.monotonic() - started < 1.0, row.path
        assert viewer.picture.text() == "Cannot show this file:\n" + costly[row.path[10:]]
    viewer.close()
