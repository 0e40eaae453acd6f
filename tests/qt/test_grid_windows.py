"""The grid reads rows by position, a window at a time (issue 14): on a catalogue stored in
several chunks and shown in several windows (both made small here), the rows, sorting,
filtering, curation with auto-advance and undo, and the viewer across window boundaries
(pytest-qt, offscreen, on the real taxonomy and generated photos)."""

from __future__ import annotations

import pytest
from hostile_corpus import encode, photo
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from windows import open_window, private_copy

from explorer.core.catalogue import Catalogue, index_catalogue, list_images
from explorer.core.catalogue import orders as orders_module
from explorer.qt import thumbnail_grid
from explorer.qt.thumbnail_grid import STATE_ROLE

GOLDEN, LABRADOR, RETRIEVER = "n02099601", "n02099712", "n02099029"
WINDOW = 16  # rows per window in these tests: 150 images make 10 windows
CTRL = Qt.KeyboardModifier.ControlModifier
NO_KEYS = Qt.KeyboardModifier.NoModifier


@pytest.fixture(scope="module")
def chunked_catalogue(taxonomy, tmp_path_factory):
    """100 golden retrievers and 50 Labradors of varied sizes, stored in chunks of 32."""
    root = tmp_path_factory.mktemp("grid") / "train"
    for wnid, count in ((GOLDEN, 100), (LABRADOR, 50)):
        (root / wnid).mkdir(parents=True)
        for i in range(count):
            picture = photo((24 + (7 * i) % 40, 20 + (3 * i) % 30))
            (root / wnid / f"{wnid}_{i}.JPEG").write_bytes(encode(picture, "JPEG", quality=60))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(orders_module, "CHUNK", 32)
        summary = index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c.sqlite")
    return summary.catalogue


@pytest.fixture
def window(qtbot, taxonomy, tmp_path, session_data_dir, chunked_catalogue, monkeypatch):
    monkeypatch.setattr(thumbnail_grid, "WINDOW_ROWS", WINDOW)
    monkeypatch.setattr(thumbnail_grid, "WINDOWS_KEPT", 2)
    target = private_copy(chunked_catalogue, tmp_path / "c.sqlite")  # its flags start empty
    main = open_window(qtbot, tmp_path, session_data_dir, size=(900, 700), curator="tester")
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow, timeout=5000)
    main.open_catalogue(target)
    with qtbot.waitSignal(main.images_ready, timeout=10_000):
        main.select(RETRIEVER)  # the subtree: both breeds
    yield main
    main.close()


def _names(rows) -> list[str]:
    return [row.path.rsplit("/", 1)[-1] for row in rows]


def _rearranged(qtbot, window, combo, key: str) -> None:
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        combo.setCurrentIndex(combo.findData(key))


def _focus_grid(qtbot, window, row: int) -> None:
    window.tabs.setCurrentIndex(0)
    window.grid.setFocus()
    qtbot.waitUntil(window.grid.hasFocus, timeout=3000)
    window.grid.setCurrentIndex(window.grid_model.index(row))


def test_rows_are_read_by_window_and_only_a_few_windows_are_kept(window, chunked_catalogue):
    model = window.grid_model
    assert model.rowCount() == model.total() == 150
    with Catalogue.open(chunked_catalogue) as catalogue:
        listing = list_images(catalogue, [GOLDEN, LABRADOR], "name")
        expected = [row.path for row in catalogue.rows_by_ids(listing.ids)]
    assert [model.row(p).path for p in (0, 15, 16, 149)] == [expected[p] for p in (0, 15, 16, 149)]
    assert [row.path for row in model.rows()] == expected  # reads window after window
    assert model.rows()[140:143] == [model.row(p) for p in (140, 141, 142)]
    assert model.row(150) is None and model.row(-1) is None
    assert model.windows_kept() <= 2  # memory bounded whatever the listing's size
    assert model.position_of(expected[77]) == 77
    assert model.position_of("nowhere.JPEG") is None
    assert window.images.image_count.text() == "150 images"


def test_dragging_to_the_end_shows_the_last_tiles(qtbot, window):
    grid, model = window.grid, window.grid_model
    bar = grid.verticalScrollBar()
    assert bar.maximum() > 0  # sized from the total
    bar.setValue(bar.maximum())
    shown = grid.visible_range()
    assert shown.stop == 150 and shown.start > 0
    last = grid.indexAt(grid.visualRect(model.index(149)).center())
    assert last.row() == 149
    qtbot.waitUntil(lambda: model.is_loaded(model.row(149).id), timeout=10_000)
    assert model.thumbnail(model.row(149).id) is not None


def test_a_new_listing_without_a_current_image_starts_at_the_top(qtbot, window):
    grid, bar = window.grid, window.grid.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert grid.visible_range().start > 0 and not grid.currentIndex().isValid()
    _rearranged(qtbot, window, window.images.sort, "size")
    assert bar.value() == 0 and grid.visible_range().start == 0


def test_sorting_and_filtering_list_again_keeping_the_current_image(qtbot, window):
    model, grid = window.grid_model, window.grid
    grid.setCurrentIndex(model.index(40))
    current = model.row(40).path
    _rearranged(qtbot, window, window.images.sort, "size")
    sizes = [row.size for row in model.rows()]
    assert sizes == sorted(sizes) and len(sizes) == 150
    assert grid.currentIndex().data(thumbnail_grid.ROW_ROLE).path == current  # still selected
    _rearranged(qtbot, window, window.images.filter, "flagged")
    assert model.rowCount() == 0 and model.total() == 150
    assert window.images.image_count.text() == "0 of 150 images"


def test_keys_advance_and_undo_across_a_window_boundary(qtbot, window):
    model, grid = window.grid_model, window.grid
    _focus_grid(qtbot, window, WINDOW - 1)  # the last row of the first window
    before, after = model.row(WINDOW - 1).path, model.row(WINDOW).path
    qtbot.keyClick(grid, Qt.Key.Key_D)
    assert window.store.state(before).reasons == ("duplicate",)
    assert grid.currentIndex().row() == WINDOW  # on into the second window
    assert model.index(WINDOW - 1).data(STATE_ROLE).reasons == ("duplicate",)  # its badge
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert window.store.state(after).review is not None
    grid.setCurrentIndex(model.index(140))  # far away: the first windows are dropped
    assert model.row(140) is not None and model.windows_kept() <= 2
    qtbot.keyClick(grid, Qt.Key.Key_Z, CTRL)
    assert window.store.state(after).empty and grid.currentIndex().row() == WINDOW
    qtbot.keyClick(grid, Qt.Key.Key_Z, CTRL)
    assert window.store.state(before).empty and grid.currentIndex().row() == WINDOW - 1
    assert model.index(WINDOW - 1).data(STATE_ROLE) is None  # the badge is gone


def test_a_curation_filter_lists_again_after_a_change(qtbot, window):
    model, grid = window.grid_model, window.grid
    _rearranged(qtbot, window, window.images.filter, "not_reviewed")
    _focus_grid(qtbot, window, WINDOW - 1)
    reviewed, following = model.row(WINDOW - 1).path, model.row(WINDOW).path
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        qtbot.keyClick(grid, Qt.Key.Key_Space)  # OK: it leaves the filter's listing
    assert model.rowCount() == 149 and model.position_of(reviewed) is None
    assert grid.currentIndex().data(thumbnail_grid.ROW_ROLE).path == following  # advanced
    window.images.show_image(reviewed)  # from the Curation tab: all images again
    qtbot.waitUntil(lambda: model.rowCount() == 150, timeout=10_000)
    qtbot.waitUntil(
        lambda: grid.currentIndex().data(thumbnail_grid.ROW_ROLE).path == reviewed, timeout=5000
    )


def test_the_viewer_steps_across_a_window_boundary(qtbot, window):
    model = window.grid_model
    _focus_grid(qtbot, window, WINDOW - 1)
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    viewer = window.viewer
    qtbot.waitExposed(viewer)
    viewer.activateWindow()
    viewer.setFocus()
    qtbot.waitUntil(lambda: viewer.isActiveWindow() and viewer.hasFocus(), timeout=3000)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.position == WINDOW and viewer.current_row() == model.row(WINDOW)
    assert window.grid.currentIndex().row() == WINDOW
    qtbot.keyClick(viewer, Qt.Key.Key_End)
    assert viewer.position == 149 and viewer.current_row().path == model.row(149).path
    qtbot.keyClick(viewer, Qt.Key.Key_D)  # flags the last; no next to go to
    assert window.store.state(model.row(149).path).reasons == ("duplicate",)
    qtbot.keyClick(viewer, Qt.Key.Key_Home)
    assert viewer.status.text().startswith("1 of 150")
    viewer.close()


def test_the_viewer_keeps_its_order_when_a_curation_filter_lists_again(qtbot, window):
    model = window.grid_model
    _rearranged(qtbot, window, window.images.filter, "not_reviewed")
    _focus_grid(qtbot, window, WINDOW - 1)
    first, second, third = (model.row(p).path for p in (WINDOW - 1, WINDOW, WINDOW + 1))
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    viewer = window.viewer
    qtbot.waitExposed(viewer)
    viewer.activateWindow()
    viewer.setFocus()
    qtbot.waitUntil(lambda: viewer.isActiveWindow() and viewer.hasFocus(), timeout=3000)
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        qtbot.keyClick(viewer, Qt.Key.Key_Space)  # OK: the grid lists again without it
    assert window.store.state(first).review is not None
    assert model.rowCount() == 149 and viewer.current_row().path == second
    qtbot.keyClick(viewer, Qt.Key.Key_Right)  # on in the viewer's own order: none skipped
    assert viewer.current_row().path == third
    viewer.close()


def test_a_selection_too_big_to_curate_at_once_is_refused(qtbot, window, monkeypatch):
    from explorer.qt import images_panel

    monkeypatch.setattr(images_panel, "MAX_TARGETS", 100)
    _focus_grid(qtbot, window, 0)
    window.grid.selectAll()
    assert window.images.targets() == ([], "grid")
    assert "150 images selected: curate at most 100 at once" in window.images.image_count.text()
    qtbot.keyClick(window.grid, Qt.Key.Key_D)
    assert not window.store.states()  # nothing flagged


def _mouse(grid, kind, point, buttons=Qt.MouseButton.LeftButton, modifiers=NO_KEYS):
    """A mouse event on the grid's viewport (QTest's mouseMove carries no buttons)."""
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    viewport = grid.viewport()
    event = QMouseEvent(
        kind, QPointF(point), QPointF(viewport.mapToGlobal(point)), button, buttons, modifiers
    )
    QApplication.sendEvent(viewport, event)


def test_a_rubber_band_selects_the_cells_it_touches_across_windows(qtbot, window):
    """As QListView's icon mode: a drag selects a rectangle of cells, drawn as a band;
    scrolling under the band extends it past a window of rows; Ctrl adds another."""
    grid, model = window.grid, window.grid_model
    window.tabs.setCurrentIndex(0)
    qtbot.waitExposed(grid)
    columns = grid.columns()
    assert columns >= 3
    start = grid.visualRect(model.index(1)).center()
    end = grid.visualRect(model.index(columns + 2)).center()
    _mouse(grid, QEvent.Type.MouseButtonPress, start)
    _mouse(grid, QEvent.Type.MouseMove, end)
    assert grid.rubber_band() == QRect(start, end).normalized()
    with_band = grid.viewport().grab().toImage()
    _mouse(grid, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    assert grid.rubber_band().isEmpty()
    without = grid.viewport().grab().toImage()  # the same cells selected, no band
    edge = QPoint(start.x(), (start.y() + end.y()) // 2)  # on the band's left side
    assert with_band.pixelColor(edge) != without.pixelColor(edge)
    chosen = sorted(index.row() for index in grid.selectionModel().selectedIndexes())
    assert chosen == [1, 2, columns + 1, columns + 2]

    # the view scrolls under a band held at the top-left cell: it reaches lines below
    origin = grid.visualRect(model.index(0)).center()
    _mouse(grid, QEvent.Type.MouseButtonPress, origin)
    lines = 3 * WINDOW // columns + 2  # past three windows of rows
    grid.verticalScrollBar().setValue(lines * grid.gridSize().height())
    below = grid.visualRect(model.index(0)).center()  # column 0, now far above the view
    point = QPoint(origin.x(), below.y() + lines * grid.gridSize().height())
    _mouse(grid, QEvent.Type.MouseMove, point)
    _mouse(grid, QEvent.Type.MouseButtonRelease, point, Qt.MouseButton.NoButton)
    chosen = sorted(index.row() for index in grid.selectionModel().selectedIndexes())
    assert chosen == [line * columns for line in range(lines + 1)]
    assert chosen[-1] > 3 * WINDOW
    window.grid.setFocus()
    targets, where = window.images.targets()  # what a curation key would act on
    assert where == "grid" and [position for position, _row in targets] == chosen

    # Ctrl: another band adds its cells
    grid.scrollToTop()
    first, second = (grid.visualRect(model.index(p)).center() for p in (1, 2))
    _mouse(grid, QEvent.Type.MouseButtonPress, first, modifiers=CTRL)
    _mouse(grid, QEvent.Type.MouseMove, second, modifiers=CTRL)
    _mouse(grid, QEvent.Type.MouseButtonRelease, second, Qt.MouseButton.NoButton, CTRL)
    chosen = sorted(index.row() for index in grid.selectionModel().selectedIndexes())
    assert chosen[:3] == [0, 1, 2] and len(chosen) == lines + 3

    # a band across every column selects whole lines: one range, however many lines
    first, last = (grid.visualRect(model.index(p)).center() for p in (0, 3 * columns - 1))
    _mouse(grid, QEvent.Type.MouseButtonPress, first)
    _mouse(grid, QEvent.Type.MouseMove, last)
    _mouse(grid, QEvent.Type.MouseButtonRelease, last, Qt.MouseButton.NoButton)
    spans = grid.selectionModel().selection().toList()
    assert [(span.top(), span.bottom()) for span in spans] == [(0, 3 * columns - 1)]
