"""Files the catalogue lists but the disk lacks: "missing" (with the path), in the grid and
the viewer, apart from files that are there but cannot be shown ("cannot show", why)."""

from __future__ import annotations

import os

import pytest
from hostile_corpus import encode, photo
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from windows import open_window

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.images import ThumbnailCache
from explorer.qt.image_viewer import ImageViewer
from explorer.qt.thumbnail_grid import ThumbnailLoader

GOLDEN = "n02099601"
DELETED = ("gone_1.JPEG", "gone_2.JPEG")  # removed after indexing: listed, not on disk
RESCANNED = "rescanned_away.JPEG"  # removed, then a rescan marked it not present


@pytest.fixture(scope="module")
def gaps(taxonomy, tmp_path_factory):
    """A folders dataset of golden retrievers: photos, a truncated one, two deleted since
    the index, one a rescan found gone (its thumbnail still in the cache). Returns the
    catalogue's path and the cache folder."""
    base = tmp_path_factory.mktemp("gaps")
    folder = base / "train" / GOLDEN
    folder.mkdir(parents=True)
    for i in range(3):
        (folder / f"photo_{i}.JPEG").write_bytes(encode(photo((160, 120 + 8 * i)), "JPEG"))
    whole = encode(photo((200, 150)), "JPEG")
    (folder / "broken.JPEG").write_bytes(whole[: len(whole) // 2])
    for name in (*DELETED, RESCANNED):
        (folder / name).write_bytes(encode(photo((120, 90)), "JPEG"))
    path = index_catalogue(folder.parent, nouns=taxonomy.graph, catalogue=base / "c").catalogue
    cache = ThumbnailCache(base / "thumbnails")
    with Catalogue.open(path) as catalogue:
        (row,) = catalogue.images_by_path([f"{GOLDEN}/{RESCANNED}"])
        absolute = catalogue.absolute_path(row.path, row.raw_path)
        assert cache.get_or_make(absolute, row.size, row.mtime_ns, 64).data  # cached
    (folder / RESCANNED).unlink()
    index_catalogue(folder.parent, nouns=taxonomy.graph, catalogue=path)  # present = 0
    for name in DELETED:
        (folder / name).unlink()  # no rescan: the rows are present, the files are not
    return path, cache.folder


@pytest.fixture
def window(qtbot, taxonomy, tmp_path, session_data_dir, gaps):
    path, _cache = gaps
    main = open_window(qtbot, tmp_path, session_data_dir)
    main.open_catalogue(path)
    with qtbot.waitSignal(main.images_ready, timeout=10_000):
        main.select(GOLDEN)
    yield main
    main.close()


def _load(qtbot, window, positions):
    """Scroll to each row in turn and wait until its thumbnail, or why there is none, came."""
    model = window.grid_model
    for position in positions:
        window.grid.scrollTo(model.index(position))

        def loaded(position=position) -> bool:
            window.grid.viewport().repaint()  # the view asks for what it shows
            return model.is_loaded(model.row(position).id)

        qtbot.waitUntil(loaded, timeout=15_000)


def test_the_grid_tells_missing_files_from_files_it_cannot_show(qtbot, window):
    model = window.grid_model
    window.images.set_thumbnail_size(64)
    _load(qtbot, window, range(model.rowCount()))
    by_name = {model.row(i).path.rsplit("/", 1)[1]: i for i in range(model.rowCount())}
    assert set(by_name) == {"photo_0.JPEG", "photo_1.JPEG", "photo_2.JPEG", "broken.JPEG"} | set(
        DELETED
    )  # the row a rescan found gone is not listed

    def tile(name: str):
        return model.data(model.index(by_name[name]), Qt.ItemDataRole.DecorationRole)

    def tooltip(name: str) -> str:
        return model.data(model.index(by_name[name]), Qt.ItemDataRole.ToolTipRole)

    broken = model.row(by_name["broken.JPEG"])
    assert not model.thumbnail_missing(broken.id)
    assert "truncated" in (model.thumbnail_error(broken.id) or "")
    assert "Cannot show: image file is truncated" in tooltip("broken.JPEG")
    assert "Missing" not in tooltip("broken.JPEG")
    for name in DELETED:
        row = model.row(by_name[name])
        assert model.thumbnail_missing(row.id) and model.thumbnail(row.id) is None
        where = os.fsdecode(window.catalogue.absolute_path(row.path, row.raw_path))
        assert f"Missing: no file at {where}" in tooltip(name).splitlines()
        assert "Cannot show" not in tooltip(name)
    assert not model.thumbnail_missing(model.row(by_name["photo_0.JPEG"]).id)
    # one tile per kind and size, shared by every row of that kind; the kinds look different
    missing, other_missing, failed = tile(DELETED[0]), tile(DELETED[1]), tile("broken.JPEG")
    assert missing.cacheKey() == other_missing.cacheKey() != failed.cacheKey()
    assert missing.toImage() != failed.toImage()
    assert missing.width() == failed.width() == 64
    window.images.set_thumbnail_size(256)
    _load(qtbot, window, [by_name[DELETED[0]], by_name["broken.JPEG"]])
    assert tile(DELETED[0]).width() == 256 and tile("broken.JPEG").width() == 256
    assert model.thumbnail_missing(model.row(by_name[DELETED[0]]).id)


def test_a_file_a_rescan_found_gone_is_missing_not_its_cached_thumbnail(qtbot, gaps):
    """Its recorded size and mtime key a thumbnail made before it went: the loader does not
    trust them for a row that is not present, so the core looks at the disk."""
    path, cache_folder = gaps
    with Catalogue.open(path) as catalogue:
        (row,) = catalogue.images_by_path([f"{GOLDEN}/{RESCANNED}"])
        absolute = catalogue.absolute_path(row.path, row.raw_path)
    assert not row.present
    loader = ThumbnailLoader(lambda: ThumbnailCache(cache_folder), threads=1)
    try:
        with qtbot.waitSignal(loader.signals.loaded, timeout=10_000) as loaded:
            loader.request(row, absolute, 64)
        _generation, image_id, image, error, missing = loaded.args
        assert (image_id, error, missing) == (row.id, "file not found", True)
        assert isinstance(image, QImage) and image.isNull()
    finally:
        loader.shutdown()


def test_the_viewer_says_missing_with_the_path_or_why_it_cannot_show(qtbot, gaps):
    path, _cache = gaps
    names = ["photo_0.JPEG", DELETED[0], RESCANNED]
    with Catalogue.open(path) as catalogue:
        rows = catalogue.images_by_path([f"{GOLDEN}/{name}" for name in names])
        by_name = {row.path.rsplit("/", 1)[1]: row for row in rows}
        viewer = ImageViewer(catalogue, rows, 0)
        qtbot.addWidget(viewer)
        for name in (DELETED[0], RESCANNED):
            row = by_name[name]
            viewer.show_row(rows.index(row))
            where = os.fsdecode(catalogue.absolute_path(row.path, row.raw_path))
            assert viewer.picture.text() == f"Missing: no file at\n{where}"
            assert viewer.picture.pixmap().isNull()
            details = viewer.details.toPlainText()
            assert "Missing: the catalogue lists this file, but it is not on disk." in details
            assert "Cannot read" not in details
        viewer.show_row(rows.index(by_name["photo_0.JPEG"]))
        assert not viewer.picture.pixmap().isNull()
        viewer.close()


def test_the_viewer_still_says_why_a_file_cannot_be_shown(qtbot, tmp_path, taxonomy):
    folder = tmp_path / "train" / GOLDEN
    folder.mkdir(parents=True)
    (folder / "empty.JPEG").write_bytes(b"")
    (folder / "notes.JPEG").write_text("not a picture")
    path = index_catalogue(folder.parent, nouns=taxonomy.graph, catalogue=tmp_path / "c").catalogue
    with Catalogue.open(path) as catalogue:
        rows = catalogue.images_by_path([f"{GOLDEN}/empty.JPEG", f"{GOLDEN}/notes.JPEG"])
        viewer = ImageViewer(catalogue, rows, 0)
        qtbot.addWidget(viewer)
        for position in range(len(rows)):
            viewer.show_row(position)
            assert viewer.picture.text().startswith("Cannot show this file:\n")
            assert "Missing" not in viewer.details.toPlainText()
        viewer.close()
