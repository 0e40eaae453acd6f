"""The tree panel readable when narrow or deep (issue 15): the name first and never scrolled
sideways, long names elided with their tooltip, the Images column when there is room, the
curation columns once curation has begun, the legend under the tree (pytest-qt, offscreen,
the real taxonomy and the demo catalogue)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle
from windows import open_window, private_copy

from explorer.core.demo import ensure_demo_catalogue
from explorer.core.workspace import Workspace
from explorer.qt.palette import BADGES
from explorer.qt.synset_tree_model import (
    DIRECT_COLUMN,
    FLAGGED_COLUMN,
    NAME_COLUMN,
    REVIEWED_COLUMN,
    SUBTREE_COLUMN,
)
from explorer.qt.tree_panel import OWN_COLUMN_WIDTH, TreePanel

CHESAPEAKE = "n02099849"  # Chesapeake Bay retriever: 12 levels down by its shortest path
GOLDEN = "n02099601"
TOOLTIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture(scope="module")
def demo_catalogue(taxonomy, tmp_path_factory):
    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=taxonomy.graph)


@pytest.fixture
def catalogue_path(demo_catalogue, tmp_path):
    """A private copy of the demo catalogue: its flag store (beside it) starts empty."""
    return private_copy(demo_catalogue, tmp_path / "catalogue" / "demo.sqlite")


@pytest.fixture
def window(qtbot, taxonomy, tmp_path, session_data_dir):
    main = open_window(qtbot, tmp_path, session_data_dir, size=(1024, 640))
    yield main
    main.close()


def _text_margin(view) -> int:
    """The room Qt's item delegate leaves on each side of a cell's text."""
    return view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1


def _fits(view, index) -> bool:
    rect = view.visualRect(index)
    text = view.fontMetrics().horizontalAdvance(index.data())
    return rect.width() >= text + 2 * _text_margin(view)


def _select(qtbot, window, catalogue_path, wnid) -> None:
    window.open_catalogue(catalogue_path)
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.select(wnid)


@pytest.mark.parametrize("tab", [1, 2])  # Coverage, Curation
def test_at_1024_px_a_deep_name_comes_first_whole_and_the_counts_stay_in_view(
    qtbot, window, catalogue_path, taxonomy, tab
):
    window.tabs.setCurrentIndex(tab)
    _select(qtbot, window, catalogue_path, CHESAPEAKE)
    view, header = window.tree, window.tree.header()
    qtbot.waitUntil(lambda: view.currentIndex().data() == "Chesapeake Bay retriever")
    index = view.currentIndex()
    assert len(taxonomy.paths_to_root(CHESAPEAKE)[0]) == 13  # deep: 12 levels below entity
    assert header.logicalIndex(0) == NAME_COLUMN  # the name first
    assert index.column() == NAME_COLUMN
    # no sideways scrolling: every shown column within the viewport
    assert view.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert header.length() <= view.viewport().width()
    rect = view.visualRect(index)
    assert rect.left() >= 0 and rect.right() < view.viewport().width()
    assert _fits(view, index), (rect.width(), view.fontMetrics().horizontalAdvance(index.data()))
    subtree = view.visualRect(index.sibling(index.row(), SUBTREE_COLUMN))
    assert rect.right() < subtree.left() and subtree.right() < view.viewport().width()
    assert index.sibling(index.row(), SUBTREE_COLUMN).data() == "0"
    # before anyone curated: no Flagged or Reviewed column
    assert view.isColumnHidden(FLAGGED_COLUMN) and view.isColumnHidden(REVIEWED_COLUMN)


def test_a_name_too_long_for_its_cell_is_elided_and_its_tooltip_says_it_whole(
    qtbot, taxonomy, tmp_path
):
    workspace = Workspace(tmp_path)
    panel = TreePanel(workspace)
    qtbot.addWidget(panel)
    panel.resize(240, 500)
    panel.show()
    workspace.set_taxonomy(taxonomy)
    panel.select_path(taxonomy.paths_to_root(CHESAPEAKE)[0])
    qtbot.waitExposed(panel.view)
    view = panel.view
    index = view.currentIndex()
    assert index.data() == "Chesapeake Bay retriever"
    assert view.textElideMode() == Qt.TextElideMode.ElideRight
    assert not _fits(view, index)  # drawn elided
    assert view.header().length() <= view.viewport().width()  # and not scrolled to
    tip = index.data(TOOLTIP)
    assert "Chesapeake Bay retriever" in tip
    assert taxonomy.node(CHESAPEAKE)["gloss"] in tip
    workspace.close()


def test_the_images_column_shows_when_the_tree_is_wide_enough_or_when_asked(
    qtbot, taxonomy, tmp_path
):
    workspace = Workspace(tmp_path)
    panel = TreePanel(workspace)
    qtbot.addWidget(panel)
    panel.resize(OWN_COLUMN_WIDTH - 100, 400)
    panel.show()
    workspace.set_taxonomy(taxonomy)
    view = panel.view
    assert view.isColumnHidden(DIRECT_COLUMN) and not panel.own_column_action.isChecked()
    panel.resize(OWN_COLUMN_WIDTH + 100, 400)
    qtbot.waitUntil(lambda: not view.isColumnHidden(DIRECT_COLUMN))
    assert panel.own_column_action.isChecked()
    panel.own_column_action.trigger()  # the user's choice holds at any width
    assert view.isColumnHidden(DIRECT_COLUMN)
    panel.resize(OWN_COLUMN_WIDTH + 300, 400)
    qtbot.wait(1)  # no timing: lets the resize event through
    assert view.isColumnHidden(DIRECT_COLUMN)
    workspace.close()


def test_the_curation_columns_appear_with_the_first_flag_and_obey_the_view_menu(
    qtbot, window, catalogue_path
):
    _select(qtbot, window, catalogue_path, GOLDEN)
    view, panel = window.tree, window.tree_panel
    action = panel.curation_columns_action
    assert action in [a for m in window.menuBar().actions() if m.menu() for a in m.menu().actions()]
    assert view.isColumnHidden(FLAGGED_COLUMN) and view.isColumnHidden(REVIEWED_COLUMN)
    assert not action.isChecked()
    assert window.grid_model.rowCount() > 0
    refs = window.workspace.image_refs([window.grid_model.row(0)])
    window.workspace.flag(refs, "duplicate")
    qtbot.waitUntil(lambda: not view.isColumnHidden(FLAGGED_COLUMN))
    assert not view.isColumnHidden(REVIEWED_COLUMN) and action.isChecked()
    golden = view.currentIndex()
    assert golden.sibling(golden.row(), FLAGGED_COLUMN).data() == "1"
    header = view.header()
    assert header.length() <= view.viewport().width()  # still no sideways scrolling
    action.trigger()  # hidden by choice, and stays so while curating
    assert view.isColumnHidden(FLAGGED_COLUMN) and view.isColumnHidden(REVIEWED_COLUMN)
    window.workspace.flag(window.workspace.image_refs([window.grid_model.row(1)]), "corrupt")
    qtbot.wait(1)
    assert view.isColumnHidden(FLAGGED_COLUMN)


def test_the_legend_names_the_statuses_the_threshold_and_every_badge(qtbot, taxonomy, tmp_path):
    workspace = Workspace(tmp_path)
    workspace.set_threshold(25)
    panel = TreePanel(workspace)
    qtbot.addWidget(panel)
    panel.resize(panel.legend.full_width() + 20, 600)  # wide enough to name the badges
    panel.show()
    text = panel.legend.text()
    assert not panel.legend.compact
    for words in ("empty", "thin (&lt;&nbsp;25)", "covered"):
        assert words in text
    for letter, colour, label in BADGES:
        assert f"&nbsp;{letter}&nbsp;" in text and colour in text
        assert label.replace(" ", "&nbsp;") in text
    workspace.set_threshold(5)
    assert "thin (&lt;&nbsp;5)" in panel.legend.text()
    workspace.close()
