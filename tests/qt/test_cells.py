"""The grid's cells and the images panel's empty states (issue 15): each cell's parts in their
places under every filter and thumbnail size, the first row kept whole after a size change or
a relist, and empty states that say what is wrong and offer the next step (pytest-qt,
offscreen, on the real taxonomy and the demo catalogue, whose images include problem files
and portraits)."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QMetaMethod, QPoint, QRect
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage
from windows import open_window

from explorer.core.demo import ensure_demo_catalogue
from explorer.core.images import AUDIT_CODES
from explorer.qt.badges import problem_chip_text
from explorer.qt.images_panel import THUMBNAIL_SIZES
from explorer.qt.thumbnail_grid import ROW_ROLE
from explorer.qt.thumbnail_view import ThumbnailDelegate, short_name

ENTITY, DOG = "n00001740", "n02084071"


@pytest.fixture(scope="module")
def demo_catalogue(taxonomy, tmp_path_factory):
    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=set(taxonomy.wnids))


@pytest.fixture
def bare_window(qtbot, tmp_path, session_data_dir):
    """The window with its taxonomy and no catalogue."""
    main = open_window(qtbot, tmp_path, session_data_dir, size=(1024, 640), curator="tester")
    yield main
    main.close()


@pytest.fixture
def window(qtbot, bare_window, demo_catalogue, tmp_path):
    """The window on a private copy of the demo catalogue (its flag store starts empty), at
    entity's whole subtree."""
    copy = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_catalogue, copy)
    bare_window.open_catalogue(copy)
    qtbot.waitUntil(lambda: bare_window.workspace.counts is not None, timeout=10_000)
    with qtbot.waitSignal(bare_window.images_ready, timeout=10_000):
        bare_window.select(ENTITY)
    return bare_window


def _filter(qtbot, window, key: str) -> None:
    if window.filter.currentData() == key:
        return
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.filter.setCurrentIndex(window.filter.findData(key))


def _thumbnails_in(qtbot, window) -> None:
    model, grid = window.grid_model, window.grid
    rows = [model.row(position) for position in grid.visible_range()]
    qtbot.waitUntil(
        lambda: all(row is None or model.is_loaded(row.id) for row in rows), timeout=10_000
    )


def _small(grid) -> QFont:
    """The font of the chips and the first label line (as the delegate makes it)."""
    small = QFont(grid.font())
    small.setPixelSize(max(9, grid.fontMetrics().height() - 5))
    return small


def _check_cells(window) -> int:
    """Every visible cell's parts inside it, in their places, and nothing painted outside
    them; returns how many cells were checked."""
    grid = window.grid
    grid.clearSelection()
    grid.setCurrentIndex(grid.model().index(-1, 0))
    window.search.setFocus()
    picture: QImage = grid.viewport().grab().toImage()
    layout = grid.cell_layout
    background = picture.pixelColor(1, 1)
    assert background == QColor(grid.viewport().palette().base().color())
    model = grid.model()
    viewport = grid.viewport().rect()
    # the rows are centred: the space left of them is the space right of them
    left = grid.left_margin()
    right = viewport.width() - left - grid.columns() * grid.gridSize().width()
    assert 0 <= right - left <= 1
    lines: dict[int, int] = {}
    checked = 0
    for position in grid.visible_range():
        index = model.index(position, 0)
        slot = grid.visualRect(index)
        cell = grid.cell_rect(slot)
        box = layout.image_box(cell)
        first, second = layout.label_lines(cell)
        assert cell.contains(box) and cell.contains(first) and cell.contains(second)
        assert first.top() > box.bottom() and second.top() > first.bottom()
        assert second.bottom() <= cell.bottom()  # the labels end at the cell's foot
        # labels aligned across a line of cells
        assert lines.setdefault(slot.top(), second.top()) == second.top()
        row = index.data(ROW_ROLE)
        if row is not None and row.problems:
            chip_text = problem_chip_text(row.problems, layout.size)
            assert box.contains(layout.problem_chip(cell, chip_text, QFontMetrics(_small(grid))))
        # nothing painted between the cell and its slot, nor in the cell beside its parts
        shown = slot.intersected(viewport)
        for y in range(shown.top(), shown.bottom() + 1, 2):
            for x in range(shown.left(), shown.right() + 1, 2):
                point = QPoint(x, y)
                if box.contains(point) or first.contains(point) or second.contains(point):
                    continue
                assert picture.pixelColor(x, y) == background, (position, x, y, cell, box)
        checked += 1
    return checked


@pytest.mark.parametrize("keep", ["all", "problems", "flagged"])
def test_every_cell_keeps_its_parts_in_place_under_every_filter_and_size(qtbot, window, keep):
    workspace = window.workspace
    if keep == "flagged":  # portraits, problem files and placeholders among the flagged
        rows = [window.grid_model.row(position) for position in range(0, 60, 3)]
        workspace.flag(workspace.image_refs(rows), "low_quality", curator="tester")
    _filter(qtbot, window, keep)
    assert window.grid_model.rowCount() > 0
    if keep == "problems":
        assert all(window.grid_model.row(p).problems for p in range(window.grid_model.rowCount()))
    for size in THUMBNAIL_SIZES:
        window.images.set_thumbnail_size(size)
        _thumbnails_in(qtbot, window)
        assert _check_cells(window) > 0, size


def test_the_audit_problem_is_named_on_its_chip_and_explained_in_its_tooltip(qtbot, window):
    _filter(qtbot, window, "problems")
    grid, model = window.grid, window.grid_model
    index = model.index(0)
    row = model.row(0)
    assert row.problems
    delegate = grid.itemDelegate()
    assert isinstance(delegate, ThumbnailDelegate)
    cell = grid.cell_rect(grid.visualRect(index))
    text = problem_chip_text(row.problems, grid.cell_layout.size)
    assert "⚠" in text and text != "⚠" and "_" not in text  # words, not a bare mark or code
    chip = grid.cell_layout.problem_chip(cell, text, QFontMetrics(_small(grid)))
    tip = delegate.chip_tooltip(cell, index, chip.center())
    assert tip is not None and AUDIT_CODES[row.problems[0]] in tip
    assert (
        delegate.chip_tooltip(cell, index, grid.cell_layout.label_lines(cell)[1].center()) is None
    )


def test_the_subtree_view_names_each_cells_synset(qtbot, window):
    model = window.grid_model
    lemmas = {model.first_label(model.row(p)) for p in range(model.rowCount())}
    assert "goldfish" in lemmas and "tench" in lemmas
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.workspace.set_scope("direct")
        window.select("n01443537")  # goldfish: its own images, the first line gives sizes
    row = model.row(0)
    assert model.first_label(row) in ("", f"{row.width}×{row.height}")


def test_short_names_keep_their_distinctive_end_at_every_size(qtbot, window):
    metrics = window.grid.fontMetrics()
    for size in THUMBNAIL_SIZES:
        window.images.set_thumbnail_size(size)
        slot = QRect(QPoint(0, 0), window.grid.gridSize())
        width = window.grid.cell_layout.label_lines(window.grid.cell_rect(slot))[1].width()
        shown = short_name(
            "n02085620_1152.JPEG",
            "n02085620",
            lambda t, width=width: metrics.horizontalAdvance(t) <= width,
        )
        assert metrics.horizontalAdvance(shown) <= width
        assert metrics.horizontalAdvance("n02085620_1152.JPEG") <= width or shown.startswith("…")
        assert shown.endswith(("_1152.JPEG", "_1152"))


def test_a_size_change_keeps_the_first_row_on_screen_whole(qtbot, window):
    grid = window.grid
    window.images.set_thumbnail_size(64)
    grid.show_row_at_top(100)
    first = grid.first_visible_row()
    assert first > 0 and grid.verticalOffset() % grid.gridSize().height() == 0
    for size in (192, 96, 256):
        window.images.set_thumbnail_size(size)
        assert grid.first_visible_row() == first // grid.columns() * grid.columns()
        assert grid.verticalOffset() % grid.gridSize().height() == 0  # not half scrolled off
        first = grid.first_visible_row()


def test_a_flag_under_a_curation_filter_keeps_the_first_row_on_screen_whole(qtbot, window):
    workspace, grid, model = window.workspace, window.grid, window.grid_model
    rows = [model.row(position) for position in range(120)]
    workspace.flag(workspace.image_refs(rows), "low_quality", curator="tester")
    _filter(qtbot, window, "flagged")
    assert model.rowCount() == 120
    grid.show_row_at_top(3 * grid.columns())
    first = grid.first_visible_row()
    current = model.index(first + 1)  # in the top line: no scrolling needed to show it
    grid.setCurrentIndex(current)
    grid.setFocus()
    with qtbot.waitSignal(window.images_ready, timeout=10_000):  # unflagged: relisted
        workspace.clear(workspace.image_refs([model.row(current.row())]))
    assert model.rowCount() == 119
    assert grid.first_visible_row() == first
    assert grid.verticalOffset() % grid.gridSize().height() == 0
    assert grid.currentIndex().row() == current.row()  # what came next, in the same place


# --- empty states -----------------------------------------------------------------------


def test_without_a_catalogue_the_panel_offers_to_open_one(qtbot, bare_window):
    images = bare_window.images
    assert images.stack.currentWidget() is images.empty_state
    state = images.empty_state
    assert state.title.text() == "No catalogue open"
    assert state.button_texts() == ["Open folder…", "Open manifest…", "Open the demo catalogue"]
    for text, signal in (
        ("Open folder…", images.open_folder_requested),
        ("Open manifest…", images.open_manifest_requested),
        ("Open the demo catalogue", images.open_demo_requested),
    ):
        # the window connects each to its Catalogue menu's action
        assert images.isSignalConnected(QMetaMethod.fromSignal(signal))
        signal.disconnect()  # here: the window's handlers open modal file dialogs
        with qtbot.waitSignal(signal, timeout=1000):
            state.button(text).click()


def test_after_opening_nothing_selected_says_how_many_and_shows_all(
    qtbot, bare_window, demo_catalogue, tmp_path
):
    copy = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_catalogue, copy)
    bare_window.open_catalogue(copy)
    workspace, images = bare_window.workspace, bare_window.images
    qtbot.waitUntil(lambda: workspace.counts is not None, timeout=10_000)
    assert workspace.current_wnid is None
    indexed = int(workspace.counts.direct.sum())
    assert indexed > 0
    assert images.stack.currentWidget() is images.empty_state
    assert images.empty_state.title.text() == f"{indexed:,} images indexed: choose a synset"
    assert images.image_count.text() == ""  # not "0 images" beside it
    reasons = [images.filter.itemText(i) for i in range(images.filter.count())]
    assert "Flagged: low quality" in reasons and not any("_" in text for text in reasons)
    with qtbot.waitSignal(bare_window.images_ready, timeout=10_000):
        images.empty_state.button("Show all images").click()
    assert workspace.current_wnid == ENTITY
    assert images.stack.currentWidget() is images.grid
    assert bare_window.grid_model.rowCount() == workspace.counts.of(ENTITY)["subtree"]


def test_a_synset_without_images_of_its_own_offers_its_subtree(qtbot, window):
    workspace, images = window.workspace, window.images
    subtree = workspace.counts.of(ENTITY)["subtree"]
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        workspace.set_scope("direct")
    assert images.stack.currentWidget() is images.empty_state
    assert images.empty_state.title.text() == f"0 images here · {subtree:,} images in the subtree"
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        images.empty_state.button("Show subtree").click()
    assert workspace.scope == "subtree"
    assert images.stack.currentWidget() is images.grid
    assert window.grid_model.rowCount() == subtree


def test_a_filter_that_keeps_nothing_says_so_and_offers_all_images(qtbot, window):
    images = window.images
    _filter(qtbot, window, "flagged")  # nothing is flagged yet
    assert images.stack.currentWidget() is images.empty_state
    assert images.empty_state.title.text() == "No images of entity match “Flagged”"
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        images.empty_state.button("Show all images").click()
    assert window.filter.currentData() == "all"
    assert images.stack.currentWidget() is images.grid
