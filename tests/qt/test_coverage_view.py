"""The Coverage tab (issue 15): the icicle of the selected subtree (click to go there, the top
bar to go up, hover for figures), the histogram with its axes, and the gap table opened on
the gaps that matter first, with a leaves filter (pytest-qt, offscreen, the real taxonomy
and the demo catalogue: dog holds 80 images, toy dog 37, Chihuahua 18)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from windows import open_window

from explorer.core.analysis import priority
from explorer.core.demo import ensure_demo_catalogue
from explorer.qt.coverage_map import ROW_HEIGHT
from explorer.qt.coverage_view import STATUS_COLUMN

DOG, TOY_DOG, CHIHUAHUA = "n02084071", "n02085374", "n02085620"


@pytest.fixture(scope="module")
def demo_catalogue(taxonomy, tmp_path_factory):
    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=taxonomy.graph)


@pytest.fixture(params=[(1024, 640), (1920, 1080)], ids=["1024x640", "1920x1080"])
def window(request, qtbot, taxonomy, tmp_path, session_data_dir, demo_catalogue):
    main = open_window(qtbot, tmp_path, session_data_dir, size=request.param)
    main.open_catalogue(demo_catalogue)
    with qtbot.waitSignal(main.images_ready, timeout=10_000):
        main.select(DOG)
    with qtbot.waitSignal(main.coverage.rows_shown, timeout=10_000):
        main.show_tab(1)
    yield main
    main.close()


def _cell(view, wnid):
    view.map.lay_out()
    position = next(i for i, c in enumerate(view.map.cells) if c.wnid == wnid)
    return position, view.map.rects[position]


def test_the_picture_fits_the_tab_and_every_cell_is_inside_its_parent(window):
    picture = window.coverage.map
    picture.lay_out()
    assert picture.cells[0].wnid == DOG and picture.cells[0].images == 80
    assert picture.levels() >= 3 and picture.height() >= 3 * ROW_HEIGHT
    bounds = picture.rect().toRectF().adjusted(-0.5, -0.5, 0.5, 0.5)
    for cell, rect in zip(picture.cells, picture.rects, strict=True):
        assert bounds.contains(rect), (cell, rect)
        if cell.parent >= 0:
            parent = picture.rects[cell.parent]
            assert parent.left() - 0.5 <= rect.left() and rect.right() <= parent.right() + 0.5
            assert rect.top() == pytest.approx(parent.bottom())
    toy = picture.rects[_cell(window.coverage, TOY_DOG)[0]]
    assert toy.width() == pytest.approx(picture.width() * 0.8 * 37 / 80, abs=1)


def test_click_goes_to_a_synset_and_the_top_bar_back_up(qtbot, window):
    view, workspace = window.coverage, window.workspace
    path = workspace.current_path
    _, toy = _cell(view, TOY_DOG)
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        qtbot.mouseClick(view.map, Qt.MouseButton.LeftButton, pos=toy.center().toPoint())
    assert workspace.current_wnid == TOY_DOG
    assert workspace.current_path == (*path, TOY_DOG)  # the way the picture drew it
    assert window.tree.currentIndex().data(Qt.ItemDataRole.ToolTipRole)  # the tree followed
    view.map.lay_out()  # as its next paint does
    assert view.map.cells[0].wnid == TOY_DOG
    _, chihuahua = _cell(view, CHIHUAHUA)
    assert chihuahua.top() == pytest.approx(view.map.rects[0].bottom())
    top_bar = view.map.rects[0].center().toPoint()
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        qtbot.mouseClick(view.map, Qt.MouseButton.LeftButton, pos=top_bar)
    assert workspace.current_path == path
    view.map.setFocus()
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        qtbot.keyClick(view.map, Qt.Key.Key_Backspace)
    assert workspace.current_path == path[:-1]


def test_a_grandchild_is_reached_through_the_cells_between(qtbot, window):
    view, workspace = window.coverage, window.workspace
    path = workspace.current_path
    _, chihuahua = _cell(view, CHIHUAHUA)
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        qtbot.mouseClick(view.map, Qt.MouseButton.LeftButton, pos=chihuahua.center().toPoint())
    assert workspace.current_path == (*path, TOY_DOG, CHIHUAHUA)


def test_hover_names_the_synset_and_its_figures(window):
    picture = window.coverage.map
    position, _ = _cell(window.coverage, TOY_DOG)
    text = picture.describe(picture.cells[position])
    assert "toy dog" in text and TOY_DOG in text
    assert "37 images in its subtree" in text and "46.2% of its parent's images" in text
    assert "Click to go there" in text
    empty = next(c for c in picture.cells if c.wnid is None and c.status == "empty")
    assert f"{len(empty.members)} synsets" in picture.describe(empty)
    assert "empty synsets" in picture.describe(empty)
    own = next(c for c in picture.cells if c.status == "own" and c.parent == 0)
    assert "own images: 6" in picture.describe(own)
    assert "Click to go up to domestic animal" in picture.describe(picture.cells[0])


def test_the_histogram_has_its_axes_and_the_threshold(window):
    histogram = window.coverage.histogram
    bins = histogram.bins
    assert sum(b.synsets for b in bins) == 190  # dog's subtree, itself included
    assert bins[0].low == 0 and bins[0].synsets == 181
    assert histogram.threshold == window.coverage.threshold.value()
    plot = histogram.plot_rect()
    assert plot.left() >= 40 and plot.bottom() <= histogram.height() - 30  # room for ticks
    x = histogram.x_of(histogram.threshold, plot)
    assert plot.left() < x < plot.right()
    assert (
        histogram.describe_at(QPointF(plot.left() + 5, plot.bottom() - 5))
        == "181 synsets with 0 images in the subtree"
    )


def test_the_table_opens_on_the_gaps_that_matter_with_a_leaves_filter(qtbot, window):
    view = window.coverage
    rows = view.table_model.rows
    assert [priority(r) for r in rows] == sorted(priority(r) for r in rows)
    assert rows[0].status == "empty" and rows[0].siblings_with_images > 0
    header = view.table.horizontalHeader()
    assert header.sortIndicatorSection() == STATUS_COLUMN
    first = view.table_model.index(0, STATUS_COLUMN)
    assert "have images" in first.data(Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        view.leaves_only.setChecked(True)
    leaves = view.table_model.rows
    assert leaves and all(r.leaf for r in leaves) and len(leaves) < len(rows)
    view.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # Subtree, by the header
    counts = [r.subtree for r in view.table_model.rows]
    assert counts == sorted(counts, reverse=True)


def test_double_click_on_a_gap_selects_it(qtbot, window):
    view = window.coverage
    row = view.table_model.rows[0]
    index = view.table_model.index(0, 0)
    rect = view.table.visualRect(index)
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):  # Qt's double-click: press first
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.workspace.current_wnid == row.wnid


def test_no_catalogue_says_what_to_do(qtbot, taxonomy, tmp_path, session_data_dir):
    main = open_window(qtbot, tmp_path, session_data_dir, size=(1024, 640))
    main.select(DOG)
    main.show_tab(1)
    qtbot.waitUntil(lambda: "Open a catalogue" in main.coverage.summary.text(), timeout=5000)
    assert main.coverage.map.cells == []
    image = main.coverage.map.grab().toImage()
    assert image.pixelColor(QPoint(5, 5)) == main.coverage.map.palette().base().color()
    main.close()


def test_a_target_list_judges_only_its_synsets_missing_ones_first(qtbot, window, tmp_path):
    view = window.coverage
    targets = tmp_path / "targets.txt"
    targets.write_text(f"{CHIHUAHUA}\n{TOY_DOG}\nn99999999\nn02085782\n")  # + Japanese spaniel
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        assert view.load_targets(str(targets))
    rows = view.table_model.rows
    assert [r.wnid for r in rows][:2] == ["n99999999", "n02085782"]  # missing, then empty
    assert rows[0].status == "not_in_wordnet" and rows[1].status == "empty"
    assert {r.wnid for r in rows} <= {CHIHUAHUA, TOY_DOG, "n99999999", "n02085782"}
    assert view.summary.text().startswith("4 targets (1 not in WordNet 3.0)")
    assert view.targets_button.text() == "Targets: targets.txt (4)"
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        view.set_targets(None)
    assert len(view.table_model.rows) > 4 and view.summary.text().startswith("190 synsets")


def test_an_unreadable_target_list_is_said_and_changes_nothing(
    qtbot, window, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: said.append(args[2]))
    empty = tmp_path / "empty.txt"
    empty.write_text("# no wnids here\n")
    assert not window.coverage.load_targets(str(empty))
    assert not window.coverage.load_targets(str(tmp_path / "absent.txt"))
    assert "names no synsets" in said[0] and "Cannot read the target list" in said[1]
    assert window.coverage.targets is None


def test_new_counts_redraw_the_open_tab(qtbot, window, demo_catalogue, tmp_path):
    """Another catalogue (new counts, equal in value) while the tab shows: a redraw, no error
    (comparing two Counts compared their numpy arrays: ValueError in the slot)."""
    from windows import private_copy

    view = window.coverage
    before = view.map.counts
    with qtbot.waitSignal(view.rows_shown, timeout=10_000):
        window.open_catalogue(private_copy(demo_catalogue, tmp_path / "other" / "demo.sqlite"))
    assert view.map.counts is window.workspace.counts and view.map.counts is not before
    assert view.summary.text().startswith("190 synsets")
