"""``wordnet-explorer --smoke-test``: does this install (above all, a frozen bundle) work?

Offscreen, in a scratch data directory: loads the taxonomy, makes and indexes
a small catalogue (a JPEG and a PNG), decodes both with Pillow and with Qt's
image plugins, audits them in worker processes (a frozen app must start its own
workers), then on a local Dask cluster (the same), writes a flag and reads it back,
then opens the window on the catalogue and waits for its thumbnails. Prints one line
per step and exits 0, or prints what failed and exits 1. Qt's known offscreen notices are dropped;
any other Qt warning is printed and fails the test.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QMessageLogContext, QtMsgType

GOLDEN, TENCH = "n02099601", "n01440764"
_KNOWN_QT_NOISE = ("propagateSizeHints",)


def run_smoke_test(deadline_s: float = 60.0) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    start = time.monotonic()
    qt_problems: list[str] = []

    def step(name: str) -> None:
        print(f"{time.monotonic() - start:6.2f} s  {name}", flush=True)

    try:
        with tempfile.TemporaryDirectory(prefix="wnexplorer-smoke-") as scratch:
            _run(Path(scratch), step, qt_problems, deadline_s, start)
    except Exception:
        traceback.print_exc()
        print("smoke test FAILED", file=sys.stderr)
        return 1
    if qt_problems:
        print("smoke test FAILED: Qt warned:\n" + "\n".join(qt_problems), file=sys.stderr)
        return 1
    step("smoke test passed")
    return 0


def _run(
    scratch: Path,
    step: Callable[[str], None],
    qt_problems: list[str],
    deadline_s: float,
    start: float,
) -> None:
    from PIL import Image
    from PySide6.QtCore import QSettings, QtMsgType, qInstallMessageHandler
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    from explorer.core.catalogue import index_catalogue
    from explorer.core.curation import FlagStore, ImageRef, flag_images
    from explorer.core.images import ThumbnailCache, make_thumbnail
    from explorer.core.wordnet import load_taxonomy

    def on_qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg and not any(n in message for n in _KNOWN_QT_NOISE):
            qt_problems.append(message)

    qInstallMessageHandler(on_qt_message)
    data_dir = scratch / "data"
    taxonomy = load_taxonomy(data_dir=data_dir)
    assert len(taxonomy) == 82_115, f"{len(taxonomy)} noun synsets, not WordNet 3.0's 82,115"
    assert taxonomy.resolve("dog.n.01") == "n02084071"
    step(f"taxonomy loaded ({taxonomy.source})")

    root = scratch / "train"
    for wnid, suffix, fmt, colour in (
        (GOLDEN, "JPEG", "JPEG", (200, 160, 60)),
        (TENCH, "png", "PNG", (60, 120, 90)),
    ):
        (root / wnid).mkdir(parents=True)
        picture = Image.new("RGB", (320, 240), colour)
        picture.paste((250, 250, 250), (40, 40, 160, 120))
        picture.save(root / wnid / f"{wnid}_1.{suffix}", fmt)
    summary = index_catalogue(root, nouns=taxonomy.graph, catalogue=scratch / "c.sqlite")
    assert summary.images == 2, f"indexed {summary.images} images, not 2"
    step("catalogue indexed: a JPEG and a PNG")

    from explorer.core.images import fast_jpeg_available

    fast = fast_jpeg_available()  # False only where simplejpeg has no wheel (macOS x86-64)
    for path in sorted(root.rglob("*_1.*")):
        thumbnail = make_thumbnail(path, 128)
        made = (thumbnail.width, thumbnail.height)
        assert thumbnail.data and max(made) == 128, f"Pillow made {made} from {path.name}"
        # The JPEG takes the fast path wherever simplejpeg installs: it was bundled, imports.
        decoder = "simplejpeg" if fast and path.suffix == ".JPEG" else "pillow"
        assert thumbnail.decoder == decoder, f"{path.name} decoded by {thumbnail.decoder!r}"
        image = QImageReader(str(path)).read()
        assert not image.isNull(), f"Qt cannot decode {path.name}: its image plugins are missing"
    step(f"decoded with {'simplejpeg, ' if fast else ''}Pillow and Qt's image plugins")

    from explorer.core.images import audit_catalogue

    audited = audit_catalogue(summary.catalogue, workers=2)  # in worker processes: this program
    assert (audited.checked, audited.with_problems) == (2, 0), f"audit: {audited}"
    step("audited in worker processes")

    from explorer.core.cluster import ClusterSpec

    on_cluster = audit_catalogue(summary.catalogue, recheck=True, cluster=ClusterSpec(workers=1))
    assert (on_cluster.checked, on_cluster.with_problems) == (2, 0), f"on Dask: {on_cluster}"
    step("audited again on a local Dask cluster (this program as its worker)")

    from explorer.core.catalogue import Catalogue
    from explorer.core.duplicates import find_duplicates, hash_catalogue

    hashed = hash_catalogue(summary.catalogue)
    assert (hashed.hashed, hashed.unhashable) == (2, 0), f"hashing: {hashed}"
    with Catalogue.open(summary.catalogue) as opened:  # at 64 bits every pair is near
        pairs = find_duplicates(opened, taxonomy, max_distance=64)
    assert len(pairs) == 1 and pairs.summary.by_relation["different"] == 1, pairs.summary
    step("hashed, and the pair found and judged")

    flagged = f"{GOLDEN}/{GOLDEN}_1.JPEG"
    with FlagStore.open_for(summary.catalogue) as store:
        ref = ImageRef(flagged, str(root / flagged))
        store.apply(flag_images(store, [ref], "duplicate").after)
    with FlagStore.open_for(summary.catalogue) as store:
        assert store.state(flagged).reasons == ("duplicate",), "the flag did not come back"
    step("flag written and read back")

    from explorer.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, lambda: ThumbnailCache(scratch / "thumbnails"), data_dir)
    window.show()
    window.load_taxonomy()
    _wait(app, lambda: window.taxonomy is not None, start, deadline_s, "the window's taxonomy")
    window.open_catalogue(summary.catalogue)
    window.select(GOLDEN)
    _wait(app, lambda: window.grid_model.loaded_count() >= 1, start, deadline_s, "thumbnails")
    window.close()
    step("window opened the catalogue and showed its thumbnail")


def _wait(
    app: QCoreApplication, ready: Callable[[], bool], start: float, deadline_s: float, what: str
) -> None:
    while not ready():
        if time.monotonic() - start > deadline_s:
            raise TimeoutError(f"no {what} after {deadline_s:.0f} s")
        app.processEvents()
        time.sleep(0.01)
