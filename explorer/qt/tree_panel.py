"""The tree panel: the synset DAG as a lazy tree with count and curation columns, and the
window's legend under it.

The synset's name comes first and takes the width the count columns leave (they are
fitted to their numbers, on the right); the tree never scrolls sideways: a name too long
for its cell is elided, and its tooltip gives the full name, gloss and figures. The
Subtree cell draws a bar behind its number: the subtree's share of its parent's images,
in its coverage status's colour. The Flagged and Reviewed columns appear once curation
has begun (a flag or a review in the store), or by ``curation_columns_action``.

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

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
)
from PySide6.QtGui import QAction, QColor, QPainter, QResizeEvent
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.wordnet import CachedHierarchy  # light: sqlite3, not the graph
from explorer.qt.palette import STATUS, LegendStrip
from explorer.qt.synset_tree_model import (
    ACCURACY_COLUMN,
    DIRECT_COLUMN,
    DUPLICATES_COLUMN,
    FLAGGED_COLUMN,
    NAME_COLUMN,
    PATH_ROLE,
    REVIEWED_COLUMN,
    SHARE_ROLE,
    STATUS_ROLE,
    SUBTREE_COLUMN,
    WNID_ROLE,
    SynsetTreeModel,
)

if TYPE_CHECKING:
    from explorer.core.analysis import Counts
    from explorer.core.duplicates import DuplicateSession
    from explorer.core.evaluation import EvaluationSession
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Workspace


OWN_COLUMN_WIDTH = 440  # the tree's width from which the Images column shows by itself


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
        # WordNet goes 18 levels down: 7 px a level leaves a deep name its room
        self.view.setIndentation(7)
        self.view.setRootIsDecorated(False)  # entity, the one root, needs no arrow
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        # never sideways: the name column takes what the counts leave, names are elided
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setItemDelegateForColumn(SUBTREE_COLUMN, ShareBarDelegate(self.view))
        self.view.setVisible(False)
        self.placeholder = QLabel("Loading WordNet 3.0…", alignment=Qt.AlignmentFlag.AlignCenter)
        self.legend = LegendStrip(workspace.threshold)
        # the curation columns: shown once curation has begun, or when asked for
        # (the window's View menu gives its own: bind_curation_columns_action)
        self.curation_columns_action = QAction("Curation columns in the tree", self)
        self.curation_columns_action.setCheckable(True)
        self.curation_columns_action.triggered.connect(self.set_curation_columns)
        self._curation_begun = False
        self._curation_choice: bool | None = None  # the user's, over the automatic one
        # the Images column (a synset's own images): shown when the tree is wide enough
        # for it beside a deep name (the tooltip and the detail panel always say), or asked
        self.own_column_action = QAction("Own images column (Images)", self)
        self.own_column_action.setCheckable(True)
        self.own_column_action.setToolTip(
            "Show the images labelled with each synset itself (shown by itself when the tree "
            f"is at least {OWN_COLUMN_WIDTH} px wide)"
        )
        self.own_column_action.toggled.connect(self._own_column_toggled)
        self._own_choice: bool | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.legend)
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self._fit_columns)
        self._curation_timer = QTimer(self, singleShot=True, interval=0)
        self._curation_timer.timeout.connect(self._show_curation)
        self.duplicates: DuplicateSession | None = None  # see bind_duplicates
        self.evaluation: EvaluationSession | None = None  # see bind_evaluation
        workspace.taxonomy_loaded.connect(self._taxonomy_loaded)
        workspace.hierarchy_ready.connect(self._select_current)
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
        # The name first, taking the width the counts leave (names are elided, never
        # scrolled to). The counts are fitted to their numbers once per expand or new
        # counts, not by ResizeToContents, which measures every expanded row again on each
        # change: 11,000 model calls per select.
        header.setSectionResizeMode(header.ResizeMode.Fixed)
        header.setSectionResizeMode(NAME_COLUMN, header.ResizeMode.Stretch)
        header.setMinimumSectionSize(24)
        # what a fit measures (sizeHintForColumn): the rows in view only. Qt's default,
        # 1,000 rows around them, made 13,000 model calls per select, 70-100 ms with a
        # listing's worker contending for the GIL (issue 14, at 14.2M images)
        header.setResizeContentsPrecision(0)
        for column in range(1, model.columnCount()):
            header.resizeSection(column, header.sectionSizeHint(column))  # from narrow, then
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self._apply_curation_columns()
        self._apply_own_column()
        view.setColumnHidden(DUPLICATES_COLUMN, True)  # until a search: _show_duplicates
        view.setColumnHidden(ACCURACY_COLUMN, True)  # until a model is scored
        self._show_duplicates()
        self._show_accuracy()
        view.expanded.connect(self._fit_columns_soon)
        view.collapsed.connect(self._fit_columns_soon)
        view.verticalScrollBar().valueChanged.connect(self._fit_columns_soon)
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
        self._select_current()

    def _select_current(self) -> None:
        """The row chosen before the workspace could select (the cache not yet in use, or
        the graph still loading): select it now."""
        current = self.view.selectionModel().currentIndex() if self.model is not None else None
        if current is not None and current.isValid():
            self._current_changed(current, None)

    def _current_changed(
        self,
        current: QModelIndex | QPersistentModelIndex,
        _previous: QModelIndex | QPersistentModelIndex | None,
    ) -> None:
        wnid = current.data(WNID_ROLE)
        if wnid and self.workspace.hierarchy is not None:  # else when it is ready
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
        self.legend.set_threshold(threshold)
        if self.model is not None:
            self.model.set_thin_threshold(threshold)

    def _catalogue_closed(self) -> None:
        if self.model is not None:
            self.model.set_curation_counts(None, None)
        self._set_curation_begun(False)

    def _show_curation_soon(self) -> None:
        self._curation_timer.start()

    def bind_duplicates(self, session: DuplicateSession) -> None:
        """Show the Dups column (images in a near-duplicate pair) while ``session`` has a
        search's report."""
        self.duplicates = session
        session.changed.connect(self._show_curation_soon)

    def bind_evaluation(self, session: EvaluationSession) -> None:
        """Show the Top-1 column while ``session`` has a scored model."""
        self.evaluation = session
        session.changed.connect(self._show_accuracy)

    def _show_accuracy(self, *_: object) -> None:
        session = self.evaluation
        if self.model is None or session is None:
            return
        accuracy = session.accuracy()
        self.model.set_accuracy(accuracy)
        hidden = accuracy is None
        if hidden != self.view.isColumnHidden(ACCURACY_COLUMN):
            self.view.setColumnHidden(ACCURACY_COLUMN, hidden)
            self._fit_columns_soon()

    def _show_duplicates(self) -> None:
        session = self.duplicates
        if self.model is None or session is None:
            return
        counts = session.counts() if session.report is not None else None
        self.model.set_duplicate_counts(counts)
        hidden = counts is None
        if hidden != self.view.isColumnHidden(DUPLICATES_COLUMN):
            self.view.setColumnHidden(DUPLICATES_COLUMN, hidden)
            self._fit_columns_soon()

    def _show_curation(self) -> None:
        """The Flagged, Reviewed and Dups columns, once per burst of changes."""
        self._show_duplicates()
        if self.model is None:
            return
        flagged, reviewed = self.workspace.curation_counts()
        self.model.set_curation_counts(flagged, reviewed)
        # reviewed counts the flagged images too; the root's subtree: any of them
        self._set_curation_begun(reviewed is not None and bool(reviewed.subtree.any()))

    # --- the curation columns ----------------------------------------------------------------

    @property
    def curation_columns_shown(self) -> bool:
        """Whether the Flagged and Reviewed columns are shown: the user's choice, if made,
        else once curation has begun."""
        choice = self._curation_choice
        return self._curation_begun if choice is None else choice

    def _set_curation_begun(self, begun: bool) -> None:
        if begun != self._curation_begun:
            self._curation_begun = begun
            self._apply_curation_columns()

    def set_curation_columns(self, shown: bool) -> None:
        """Show or hide the Flagged and Reviewed columns: the user's choice, which holds."""
        self._curation_choice = shown
        self._apply_curation_columns()

    def bind_curation_columns_action(self, action: QAction) -> None:
        """Use ``action`` (checkable, calling ``set_curation_columns``) as the toggle: the
        header's menu shows it, and it is kept checked while the columns show."""
        self.curation_columns_action = action
        self._apply_curation_columns()

    def _apply_curation_columns(self) -> None:
        shown = self.curation_columns_shown
        action = self.curation_columns_action
        if action.isChecked() != shown:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        if self.model is None:
            return
        for column in (FLAGGED_COLUMN, REVIEWED_COLUMN):
            self.view.setColumnHidden(column, not shown)
        if shown:
            self._fit_columns_soon()

    @property
    def own_column_shown(self) -> bool:
        """Whether the Images column is shown: the user's choice, if made, else when the
        tree is wide enough."""
        choice = self._own_choice
        return self.width() >= OWN_COLUMN_WIDTH if choice is None else choice

    def _own_column_toggled(self, shown: bool) -> None:
        if shown != self.own_column_shown:
            self._own_choice = shown
            self._apply_own_column()

    def _apply_own_column(self) -> None:
        shown = self.own_column_shown
        action = self.own_column_action
        if action.isChecked() != shown:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        if self.model is not None and self.view.isColumnHidden(DIRECT_COLUMN) == shown:
            self.view.setColumnHidden(DIRECT_COLUMN, not shown)
            if shown:
                self._fit_columns_soon()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_own_column()

    def _header_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.own_column_action)
        menu.addAction(self.curation_columns_action)
        menu.exec(self.view.header().mapToGlobal(position))

    # --- columns and scrolling --------------------------------------------------------------

    def _fit_columns_soon(self) -> None:
        self._fit_timer.start()  # once, after a burst of expands

    def _fit_columns(self) -> None:
        """Widen the count columns to the rows in view (Qt measures those); never narrow
        them while browsing, which would make the names jump on every scroll. The name
        column stretches: it is not measured."""
        if self.model is None:
            return
        header = self.view.header()
        for column in range(1, self.model.columnCount()):
            if header.isSectionHidden(column):
                continue
            wanted = max(self.view.sizeHintForColumn(column), header.sectionSizeHint(column))
            if wanted > header.sectionSize(column):
                header.resizeSection(column, wanted)


class ShareBarDelegate(QStyledItemDelegate):
    """The Subtree cell: a bar under the number, as long as the subtree's share of its
    parent's images, in the colour of its coverage status (a strip along the cell's foot,
    so it shows on a tinted row and never covers the number)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        share = index.data(SHARE_ROLE)
        if share:
            status = index.data(STATUS_ROLE) or "ok"
            rect: QRect = option.rect.adjusted(3, 0, -3, -1)
            width = max(2, round(rect.width() * min(1.0, float(share))))
            bar = QRect(rect.left(), rect.bottom() - 2, width, 3)
            painter.fillRect(bar, QColor(STATUS[status].swatch))


def _tree_order(index: QModelIndex | QPersistentModelIndex) -> tuple[int, ...]:
    path = []
    while index.isValid():
        path.append(index.row())
        index = index.parent()
    return tuple(reversed(path))
