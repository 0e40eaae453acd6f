"""The tree panel: the synset DAG as a lazy tree with count and curation columns.

It shows the cache's hierarchy at once (``show_source``), before the
Workspace has its taxonomy, so the tree paints first and can be browsed
while the graph loads; a synset chosen meanwhile is selected when it comes.
It follows the Workspace: its counts, threshold, curation (the Flagged and
Reviewed columns, once per burst of commands) and selection; a click in the
tree selects in the Workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import QLabel, QTreeView, QVBoxLayout, QWidget

from explorer.core.wordnet import CachedHierarchy  # light: sqlite3, not the graph
from explorer.qt.synset_tree_model import PATH_ROLE, WNID_ROLE, SynsetTreeModel

if TYPE_CHECKING:
    from explorer.core.analysis import Counts
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Workspace


class TreePanel(QWidget):
    """A placeholder until ``show_source``, then the tree (``view``, ``model``)."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.model: SynsetTreeModel | None = None
        self._hierarchy: CachedHierarchy | None = None  # until the taxonomy arrives
        self.view = QTreeView()
        self.view.setUniformRowHeights(True)
        self.view.setSelectionMode(QTreeView.SelectionMode.ExtendedSelection)  # for exports
        self.view.setAlternatingRowColors(True)
        self.view.setIndentation(14)
        self.view.setVisible(False)
        self.placeholder = QLabel("Loading WordNet 3.0…", alignment=Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.view, 1)
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self._fit_columns)
        self._scroll_timer = QTimer(self, singleShot=True, interval=0)
        self._scroll_timer.timeout.connect(self._scroll_to_name)
        self._curation_timer = QTimer(self, singleShot=True, interval=0)
        self._curation_timer.timeout.connect(self._show_curation)
        workspace.taxonomy_loaded.connect(self._taxonomy_loaded)
        workspace.selection_changed.connect(self._selection_changed)
        workspace.counts_changed.connect(self._counts_changed)
        workspace.threshold_changed.connect(self._threshold_changed)
        workspace.catalogue_opened.connect(self._show_curation_soon)
        workspace.catalogue_closed.connect(self._catalogue_closed)
        workspace.curation_changed.connect(self._show_curation_soon)

    def show_source(self, source: Taxonomy | CachedHierarchy) -> None:
        """Show the tree of ``source``: the Taxonomy, or the cache's CachedHierarchy while
        the taxonomy loads (closed when it has arrived)."""
        if isinstance(source, CachedHierarchy):
            self._hierarchy = source
        model = self.model = SynsetTreeModel(source, self, curation=True)
        view = self.view
        view.setModel(model)
        header = view.header()
        header.setStretchLastSection(False)
        # Names grow with depth (WordNet goes 19 levels down): columns are fitted to their
        # text (and the tree scrolls sideways) rather than squeezing deep names to nothing.
        # Fitted once per expand or new counts, not by ResizeToContents, which measures every
        # expanded row again on each change: 11,000 model calls per select.
        header.setSectionResizeMode(header.ResizeMode.Interactive)
        # what a fit measures (sizeHintForColumn): the rows in view only. Qt's default,
        # 1,000 rows around them, made 13,000 model calls per select, 70-100 ms with a
        # listing's worker contending for the GIL (issue 14, at 14.2M images)
        header.setResizeContentsPrecision(0)
        for column in range(model.columnCount()):
            header.resizeSection(column, header.sectionSizeHint(column))  # from narrow, then
        view.expanded.connect(self._fit_columns_soon)
        view.collapsed.connect(self._fit_columns_soon)
        view.verticalScrollBar().valueChanged.connect(self._fit_columns_soon)
        # counts first, where they stay in view; the tree in the names
        header.moveSection(0, model.columnCount() - 1)
        view.setTreePosition(0)
        view.selectionModel().currentChanged.connect(self._current_changed)
        view.expand(model.index(0, 0))
        self._fit_columns()  # before the first paint: four rows, quick
        self.placeholder.setVisible(False)
        view.setVisible(True)
        model.set_thin_threshold(self.workspace.threshold)

    def failed(self, message: str) -> None:
        self.placeholder.setText(f"Cannot load WordNet 3.0:\n{message}")

    def select_path(self, path: Sequence[str]) -> None:
        """Expand to the appearance at the end of ``path`` (from entity), select it."""
        index = self.model.index_for_path(path) if self.model is not None else None
        if index is None or not index.isValid():
            return
        parent = index.parent()
        while parent.isValid():
            self.view.expand(parent)
            parent = parent.parent()
        self.view.scrollTo(index, QTreeView.ScrollHint.PositionAtCenter)
        # now, before selecting starts the image listing: a worker running Python makes
        # every Python call of the fit wait for the GIL (86 ms instead of 10)
        self._fit_timer.stop()
        self._fit_columns()
        self.view.horizontalScrollBar().setValue(0)  # keep the counts in view
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def selected_wnids(self) -> list[str]:
        """The synsets selected in the tree, in tree order, each once (the current one if
        nothing is selected)."""
        if self.model is None:
            return []
        rows = sorted(self.view.selectionModel().selectedRows(0), key=_tree_order)
        wnids = list(dict.fromkeys(index.data(WNID_ROLE) for index in rows))
        current = self.workspace.current_wnid
        return wnids or ([current] if current else [])

    # --- following the Workspace ----------------------------------------------------------

    def _taxonomy_loaded(self, taxonomy: Taxonomy) -> None:
        if self.model is None:
            self.show_source(taxonomy)
            return
        self.model.set_source(taxonomy)
        if self._hierarchy is not None:
            self._hierarchy.close()
            self._hierarchy = None
        current = self.view.selectionModel().currentIndex()
        if current.isValid():  # chosen while the graph loaded: select it in full now
            self._current_changed(current, None)

    def _current_changed(
        self,
        current: QModelIndex | QPersistentModelIndex,
        _previous: QModelIndex | QPersistentModelIndex | None,
    ) -> None:
        self._scroll_timer.start()  # after the expands' layout
        wnid = current.data(WNID_ROLE)
        if wnid and self.workspace.taxonomy is not None:  # else when it arrives
            self.workspace.select(wnid, current.data(PATH_ROLE))

    def _selection_changed(self, wnid: str, path: tuple[str, ...]) -> None:
        current = self.view.currentIndex()
        if not current.isValid() or current.data(PATH_ROLE) != path:
            self.select_path(path)  # chosen elsewhere: a search, a link, the coverage table

    def _counts_changed(self, counts: Counts | None) -> None:
        if self.model is not None:
            self.model.set_counts(counts)
            self._fit_columns_soon()
            self._show_curation_soon()

    def _threshold_changed(self, threshold: int) -> None:
        if self.model is not None:
            self.model.set_thin_threshold(threshold)

    def _catalogue_closed(self) -> None:
        if self.model is not None:
            self.model.set_curation_counts(None, None)

    def _show_curation_soon(self) -> None:
        self._curation_timer.start()

    def _show_curation(self) -> None:
        """The Flagged and Reviewed columns, once per burst of changes."""
        if self.model is not None:
            self.model.set_curation_counts(*self.workspace.curation_counts())

    # --- columns and scrolling --------------------------------------------------------------

    def _fit_columns_soon(self) -> None:
        self._fit_timer.start()  # once, after a burst of expands

    def _fit_columns(self) -> None:
        """Widen columns to the rows in view (Qt measures those); never narrow them while
        browsing, which would make the tree jump sideways on every scroll."""
        if self.model is None:
            return
        header = self.view.header()
        for column in range(self.model.columnCount()):
            wanted = max(self.view.sizeHintForColumn(column), header.sectionSizeHint(column))
            if wanted > header.sectionSize(column):
                header.resizeSection(column, wanted)

    def _scroll_to_name(self) -> None:
        """Scroll sideways only as far as the current row's name needs. Qt scrolls to the
        end of the names' column (as wide as the longest name in view), which hides the
        count columns on its left for no purpose."""
        index = self.view.currentIndex()
        if not index.isValid():
            return
        bar = self.view.horizontalScrollBar()
        rect = self.view.visualRect(index)  # the name cell, after the indentation
        text = self.view.fontMetrics().horizontalAdvance(str(index.data() or ""))
        right = bar.value() + rect.x() + text + 16  # in the content's coordinates
        bar.setValue(max(0, min(bar.value(), right - self.view.viewport().width())))


def _tree_order(index: QModelIndex | QPersistentModelIndex) -> tuple[int, ...]:
    path = []
    while index.isValid():
        path.append(index.row())
        index = index.parent()
    return tuple(reversed(path))
