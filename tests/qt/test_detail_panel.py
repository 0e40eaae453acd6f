"""The detail panel (issue 15): a root's path is its name alone, the children are in view
at 1280x800 without scrolling, and the counts say what they count."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextDocument
from windows import open_window

from explorer.core.demo import ensure_demo_catalogue
from explorer.qt.coverage_view import STATUS_COLUMN
from explorer.qt.detail_panel import DetailPanel

ENTITY, DOG, CHIHUAHUA, TENCH = "n00001740", "n02084071", "n02085620", "n01440764"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, taxonomy):
    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=set(taxonomy.wnids))


@pytest.fixture
def window(qtbot, tmp_path, session_data_dir, demo):
    main = open_window(qtbot, tmp_path, session_data_dir, size=(1280, 800))
    main.open_catalogue(demo)
    yield main
    main.close()


def test_the_roots_path_is_its_name(qtbot, taxonomy):
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_synset(taxonomy, ENTITY)
    text = panel.toPlainText()
    assert "Path: entity (the root)" in text
    assert "› entity" not in text and "1." not in text


def test_one_path_reads_as_breadcrumbs_several_as_numbered_lines(qtbot, taxonomy):
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_synset(taxonomy, TENCH)  # one path
    text = panel.toPlainText()
    assert "Path: entity › physical entity ›" in text and "› tench" in text
    assert "[show]" not in text  # the tree already shows the one path
    panel.show_synset(taxonomy, DOG)  # two paths: each can be shown in the tree
    assert "2 paths:" in panel.toPlainText() and panel.toPlainText().count("[show]") == 2


@pytest.mark.parametrize(
    ("wnid", "last"), [(DOG, "Children ("), (ENTITY, "Children ("), (CHIHUAHUA, "A leaf")]
)
def test_children_are_in_view_at_1280x800(qtbot, window, wnid, last):
    """dog and Chihuahua have two paths of 10 and more steps: still the children show."""
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.select(wnid)
    detail = window.detail
    found = detail.document().find(last, 0, QTextDocument.FindFlag.FindCaseSensitively)
    assert not found.isNull(), detail.toPlainText()
    assert detail.verticalScrollBar().value() == 0
    bottom = detail.cursorRect(found).bottom()
    assert 0 < bottom < detail.viewport().height(), f"{bottom} px: below the fold"


def test_the_counts_say_what_they_count(qtbot, window):
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.select(DOG)
    text = window.detail.toPlainText()
    assert "6 images of this synset · 80 in its subtree, in 6 synsets that have images" in text
    threshold = window.workspace.threshold
    assert f"covered: {threshold:,} or more images in its subtree" in text
    assert "Children (18) (images in each subtree):" in text


def test_the_coverage_tables_headers_say_what_they_count(qtbot, window):
    from PySide6.QtCore import Qt

    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.select(DOG)
    with qtbot.waitSignal(window.coverage.rows_shown, timeout=10_000):
        window.show_tab(1)
    model = window.coverage.table.model()
    headers = {
        model.headerData(c, Qt.Orientation.Horizontal): model.headerData(
            c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
        )
        for c in range(model.columnCount())
    }
    assert "have images of their own" in headers["With images"]
    assert headers["Status"].startswith("empty: no image; thin: fewer than Thin below")
    with qtbot.waitSignal(window.coverage.rows_shown, timeout=10_000):
        window.coverage.show_all.setCurrentIndex(1)  # all synsets: the covered ones too
    statuses = {model.index(r, STATUS_COLUMN).data() for r in range(model.rowCount())}
    assert statuses == {"empty", "covered"}  # dog's subtree has no thin synset at 10
