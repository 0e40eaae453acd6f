"""The image viewer on the hostile corpus: every file is shown, or says why, at once."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Sequence

import pytest
from hostile_corpus import make_hostile_corpus
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.curation import Flag, ImageState
from explorer.core.images import audit_catalogue
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
        with unblocking(folder / "fifo.JPEG"):
            assert viewer.filmstrip.thumbnail(row) == "cannot\nshow"  # its filmstrip cell
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


# --- the loupe, on the real samples ------------------------------------------------------

TUSKER, GREYHOUND, CAN_OPENER = (
    "n01871265_tusker.JPEG",  # 75×56: the smallest sample
    "n02091032_Italian_greyhound.JPEG",  # 2400×1600: the largest
    "n02951585_can_opener.JPEG",  # EXIF with a 2,060-byte binary tag
)


@pytest.fixture(scope="module")
def samples(taxonomy, shared_data, tmp_path_factory):
    """The first 40 real samples, the smallest, the largest and one with binary EXIF, copied
    to a flat folder, indexed and audited."""
    root = tmp_path_factory.mktemp("viewer") / "flat"
    root.mkdir()
    folder = shared_data / "imagenet-samples"
    first = sorted(p.name for p in folder.glob("*.JPEG"))[:40]
    names = sorted({*first, TUSKER, GREYHOUND, CAN_OPENER})
    for name in names:
        shutil.copyfile(folder / name, root / name)
    summary = index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c.sqlite")
    audit_catalogue(summary.catalogue)
    with Catalogue.open(summary.catalogue) as catalogue:
        yield catalogue, catalogue.images_by_path(names)


def _viewer(qtbot, catalogue, rows, name, **kwargs) -> ImageViewer:
    position = next(i for i, row in enumerate(rows) if row.path == name)
    viewer = ImageViewer(catalogue, rows, position, **kwargs)
    qtbot.addWidget(viewer)
    viewer.resize(1024, 640)
    viewer.show()
    qtbot.waitExposed(viewer)
    viewer.show_row(position)
    return viewer


def _press(qtbot, viewer, key) -> None:
    qtbot.keyClick(viewer, key)


def test_a_small_image_fills_the_pane_and_z_shows_it_at_1_to_1(qtbot, samples, taxonomy):
    catalogue, rows = samples
    viewer = _viewer(qtbot, catalogue, rows, TUSKER, taxonomy=taxonomy)
    loupe = viewer.picture
    assert loupe.pixmap().size().toTuple() == (75, 56)
    shown = loupe.image_rect()
    assert loupe.scale is None and loupe.shown_scale() > 4  # scaled up, not a stamp
    # fitted: one side spans the pane, the other fits inside it, the picture centred
    assert abs(shown.width() - loupe.width()) < 1 or abs(shown.height() - loupe.height()) < 1
    assert shown.width() <= loupe.width() + 0.5 and shown.height() <= loupe.height() + 0.5
    assert abs(shown.center().x() - loupe.width() / 2) < 1
    assert viewer.zoom.text().startswith("Fit (")
    _press(qtbot, viewer, Qt.Key.Key_Z)
    assert loupe.scale == 1.0 and loupe.image_rect().size().toTuple() == (75.0, 56.0)
    assert viewer.zoom.text() == "100%"
    _press(qtbot, viewer, Qt.Key.Key_Z)
    assert loupe.scale is None
    _press(qtbot, viewer, Qt.Key.Key_1)
    assert loupe.scale == 1.0
    # the synset by name, and where it sits, not only its wnid
    assert "tusker" in viewer.title.text() and "n01871265" in viewer.title.text()
    crumbs = viewer.breadcrumb.text().split(" › ")
    assert crumbs[0] == "entity" and crumbs[-2:] == ["mammal", "tusker"]
    assert viewer.windowTitle() == f"{TUSKER} — tusker"


def test_zoom_and_pan_keep_the_picture_on_screen(qtbot, samples):
    catalogue, rows = samples
    viewer = _viewer(qtbot, catalogue, rows, GREYHOUND)
    loupe = viewer.picture
    fitted = loupe.shown_scale()
    assert fitted < 1  # 2400×1600 in a 1024×640 dialog
    _press(qtbot, viewer, Qt.Key.Key_Plus)
    assert abs(loupe.shown_scale() - fitted * 1.25) < 1e-6
    _press(qtbot, viewer, Qt.Key.Key_Z)
    assert loupe.scale == 1.0
    before = loupe.image_rect()
    # drag right and down by 50 px: the picture follows the hand
    start = loupe.rect().center()
    qtbot.mousePress(loupe, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(loupe, start + QPoint(50, 30))
    qtbot.mouseRelease(loupe, Qt.MouseButton.LeftButton, pos=start + QPoint(50, 30))
    after = loupe.image_rect()
    assert (after.x() - before.x(), after.y() - before.y()) == (50, 30)
    # a drag far beyond the edge stops with the picture's corner at the pane's corner
    qtbot.mousePress(loupe, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(loupe, start + QPoint(3000, 3000))
    qtbot.mouseRelease(loupe, Qt.MouseButton.LeftButton, pos=start + QPoint(3000, 3000))
    assert loupe.image_rect().topLeft().toTuple() == (0.0, 0.0)
    _press(qtbot, viewer, Qt.Key.Key_Minus)
    assert abs(loupe.shown_scale() - 0.8) < 1e-6
    # the wheel zooms about the pointer: the image point under it stays under it
    at = QPointF(100, 80)
    under = loupe.image_point(at)
    wheel = QWheelEvent(
        at,
        loupe.mapToGlobal(at),
        QPoint(),
        QPoint(0, 240),  # two notches up
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(loupe, wheel)
    assert abs(loupe.shown_scale() - 0.8 * 1.25**2) < 1e-6
    after = loupe.image_point(at)
    assert abs(after.x() - under.x()) < 0.5 and abs(after.y() - under.y()) < 0.5
    # zoomed or not, the arrow keys still go to the next image, shown fitted
    position = viewer.position
    _press(qtbot, viewer, Qt.Key.Key_Right)
    assert viewer.position == position + 1 and loupe.scale is None


class _Huge(Sequence):
    """14.2 million rows over the real ones, recording which positions are read."""

    def __init__(self, rows):
        self.rows, self.read = rows, set()

    def __len__(self):
        return 14_200_000

    def __getitem__(self, position):
        if not isinstance(position, int):
            raise TypeError("read by position only")
        self.read.add(position)
        return self.rows[position % len(self.rows)]


def test_the_filmstrip_reads_neighbours_by_position_and_goes_there(qtbot, samples):
    catalogue, rows = samples
    huge = _Huge(rows)
    viewer = ImageViewer(catalogue, huge, 10_000_000)
    qtbot.addWidget(viewer)
    viewer.resize(1024, 640)
    viewer.show()
    qtbot.waitExposed(viewer)
    strip = viewer.filmstrip
    strip.grab()  # paints: the thumbnails are read
    slots = strip.slots()
    positions = [position for position, _cell in slots]
    assert len(slots) >= 5 and len(slots) % 2 == 1
    assert positions[len(positions) // 2] == 10_000_000  # the current one in the middle
    assert positions == list(range(positions[0], positions[-1] + 1))
    assert all(abs(p - 10_000_000) <= len(slots) for p in huge.read)  # nothing else read
    before, cell = slots[len(slots) // 2 - 1]
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=cell.center())
    assert viewer.position == before == 9_999_999
    assert viewer.status.text().startswith("10,000,000 of 14,200,000")
    viewer.show_row(14_199_999)  # the last: no neighbours after it
    assert strip.slots()[-1][0] == 14_199_999


def test_flags_show_as_labelled_chips_and_binary_exif_is_summarised(qtbot, samples, taxonomy):
    catalogue, rows = samples
    flagged = ImageState(
        flags=(
            Flag("wrong_label", suggested_wnid="n03126707", curator="ann"),
            Flag("low_quality", note="blurred"),
        )
    )
    viewer = _viewer(
        qtbot, catalogue, rows, CAN_OPENER, state_for=lambda path: flagged, taxonomy=taxonomy
    )
    bar = viewer.curation.text()
    assert bar == "Flagged: Wrong label → crane (n03126707); Low quality “blurred” (by ann)"
    details = viewer.details.toPlainText()
    assert "Wrong label" in details and "Low quality" in details
    assert "too small, blurred, badly cropped" in details  # what the reason means
    assert "low_quality" not in details and "wrong_label" not in details
    assert "EXIF rotated" in details  # the audit's finding, named
    assert "(binary, 2,060 bytes)" in details
    assert not any(0xE000 <= ord(c) <= 0xF8FF or c == "\ufffd" for c in details)
