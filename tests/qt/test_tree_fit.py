"""The tree's columns are fitted to the rows in view only (issue 14: Qt's default measured
1,000 rows around them, 13,000 model calls and 70-100 ms on every select at 14.2M images)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex

from explorer.core.workspace import Workspace
from explorer.qt.synset_tree_model import SynsetTreeModel
from explorer.qt.tree_panel import TreePanel


def test_a_column_fit_reads_only_the_rows_in_view(qtbot, taxonomy, monkeypatch, tmp_path):
    rows_read: set[tuple[int, object]] = set()
    real = SynsetTreeModel.data

    def data(self, index: QModelIndex, *args):  # before the model is made: PySide binds it
        rows_read.add((index.row(), index.internalPointer()))
        return real(self, index, *args)

    monkeypatch.setattr(SynsetTreeModel, "data", data)
    workspace = Workspace(tmp_path)
    panel = TreePanel(workspace)
    qtbot.addWidget(panel)
    panel.resize(500, 400)
    panel.show()
    workspace.set_taxonomy(taxonomy)
    view, model = panel.view, panel.model
    view.expandToDepth(3)  # thousands of rows below the view
    qtbot.waitExposed(view)
    shown = 0
    index = view.indexAt(view.viewport().rect().topLeft())
    while index.isValid() and view.visualRect(index).top() < view.viewport().height():
        shown += 1
        index = view.indexBelow(index)
    expanded = 0
    index = model.index(0, 0)
    while index.isValid() and expanded <= 2000:
        expanded += 1
        index = view.indexBelow(index)
    assert expanded > 2000 and 5 < shown < 60

    rows_read.clear()
    panel._fit_columns()
    assert 0 < len(rows_read) <= shown + 2
    workspace.close()
