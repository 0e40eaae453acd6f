"""The Curation tab and the small dialogs of flagging.

The tab shows the review progress of the images the grid lists for the current
node ("12 of 40 reviewed, 3 flagged") and a table of their flags: path, reason,
note, suggested synset, curator, time. A double-click on a row asks the window
to select that image in the grid (``image_activated``).

``WrongLabelDialog`` asks for the synset a wrong-labelled image should have,
with the window's search box (the curator may skip it); it works from the
keyboard alone: type, Enter takes the first result, Escape cancels.

Nothing here writes to the flag store: the window runs the commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.curation import REASONS, reason_name

if TYPE_CHECKING:
    from explorer.core.workspace import CurationSummary, FlagRow, Workspace
    from explorer.qt.search_box import SearchBox
    from explorer.qt.workers import Job, JobRunner

_FIT_ROWS = 200  # rows a column's fit to its contents reads (Qt's default: 1,000)

COLUMNS = ("Image", "Reason", "Note", "Suggested", "Curator", "Time")
_NO_INDEX = QModelIndex()


class FlagTableModel(QAbstractTableModel):
    """One row per flag: (path, reason, note, suggested wnid, curator, time).

    It sorts itself (the view calls :meth:`sort`): one Python sort of the rows by a
    key, where a QSortFilterProxyModel asked ``data`` for every comparison, 147,000
    calls and a second on the GUI thread for 10,000 flags (issue 14).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[FlagRow] = []
        self.name_of: Callable[[str], str] = lambda wnid: ""
        self._sorted_by = (0, Qt.SortOrder.AscendingOrder)
        self._path_rank: dict[str, int] = {}

    def set_rows(self, rows: list[FlagRow]) -> None:
        """Show ``rows`` (in natural path order), sorted as the view last asked."""
        self.beginResetModel()
        self.rows = rows
        # a path's natural rank, from the order they come in: the path column sorts by
        # it (by natural_path_key itself: 100 ms for 10,000 flags)
        self._path_rank = {row[0]: i for i, row in enumerate(rows)}
        column, order = self._sorted_by
        if (column, order) != (0, Qt.SortOrder.AscendingOrder):
            self._sort_rows(column, order)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sorted_by = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = list(self.rows)
        self._sort_rows(column, order)
        position = {id(row): i for i, row in enumerate(self.rows)}
        moved = self.persistentIndexList()
        self.changePersistentIndexList(
            moved,
            [self.index(position[id(before[index.row()])], index.column()) for index in moved],
        )
        self.layoutChanged.emit()

    def _sort_rows(self, column: int, order: Qt.SortOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        if column == 0:
            rank = self._path_rank
            self.rows.sort(key=lambda row: rank[row[0]], reverse=descending)
        else:  # stable: ties keep their path order
            self.rows.sort(key=itemgetter(column), reverse=descending)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 5:
                return time.strftime("%Y-%m-%d %H:%M", time.localtime(row[5])) if row[5] else ""
            if column == 1:
                return reason_name(row[1])
            if column == 3 and row[3]:
                name = self.name_of(row[3])
                return f"{row[3]} {name}" if name else row[3]
            return row[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 1:
                reason = REASONS.get(row[1])
                return f"{reason.name} ({reason.key}): {reason.meaning}" if reason else row[1]
            return row[column] if column in (0, 2, 3) else None
        if role == Qt.ItemDataRole.UserRole:  # the sort key and the path
            return row[column]
        return None


class CurationPanel(QWidget):
    """The review progress of the listed images and the table of their flags.

    Given a Workspace, it shows the Workspace's listing (the selection's images or
    the review queue) while it is in view, once per burst of changes. The sum is a
    core job (Workspace.curation_job) run on ``runner`` (without one: here, at once):
    with 10,000 flags at ImageNet-21k's root it took 1.3 s on the GUI thread.
    """

    image_activated = Signal(str)  # the path of an image to show in the grid
    shown = Signal()  # a refresh has reached the table and the progress line

    def __init__(
        self,
        workspace: Workspace | None = None,
        parent: QWidget | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.progress = QLabel("Open a catalogue and choose a synset.")
        self.progress.setWordWrap(True)
        self.table_model = FlagTableModel(self)
        self.table_model.name_of = self._lemma
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no measuring per row
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(_FIT_ROWS)  # a column's fit reads this many rows
        self.table.doubleClicked.connect(self._activated)
        self.table.activated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        self.reviewed = self.flagged = self.images = 0
        self.workspace = workspace
        self.runner = runner
        self._job: Job | None = None
        self._generation = 0  # of the refresh whose answer the panel waits for
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        if workspace is not None:
            workspace.images_listed.connect(self.refresh)
            for event in (
                workspace.catalogue_opened,
                workspace.catalogue_closed,
                workspace.curation_changed,
            ):
                event.connect(self._refresh_soon)

    @property
    def busy(self) -> bool:
        """Whether a refresh's sum is under way (its answer not shown yet)."""
        return self._job is not None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _refresh_soon(self) -> None:
        self._timer.start()

    def refresh(self) -> None:
        """Show the Workspace's listing, when in view (else when it comes into view)."""
        workspace = self.workspace
        if workspace is None or not self.isVisible():
            return
        self._cancel_job()
        if workspace.store is None:
            self.clear(
                "Open a catalogue to curate its images."
                if workspace.catalogue is None
                else "Curation is off: the flag store could not be opened."
            )
            return
        wnid = workspace.current_wnid
        if workspace.queue is None and wnid is None:
            self.clear("Choose a synset: its images' flags and review progress show here.")
            return
        if workspace.queue is not None or wnid is None:
            title = "Review queue"
        else:
            title = self._lemma(wnid) or wnid
            title += " and its subtree" if workspace.scope == "subtree" else ""
        job = workspace.curation_job()
        if job is None:  # the listing is under way: its images_listed refreshes again
            return
        if self.runner is None:
            self.show_summary(title, job.run())
            return
        self._generation += 1
        generation = self._generation
        self._job = self.runner.start(
            job.run,
            on_finished=lambda summary: self._answered(generation, title, summary),
            on_failed=self.progress.setText,
        )

    def _answered(self, generation: int, title: str, summary: CurationSummary) -> None:
        if generation == self._generation:  # else a later refresh is under way
            self.show_summary(title, summary)

    def _cancel_job(self) -> None:
        self._generation += 1
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _lemma(self, wnid: str) -> str:
        taxonomy = self.workspace.taxonomy if self.workspace is not None else None
        graph = taxonomy.graph if taxonomy is not None else None
        return graph.nodes[wnid]["lemmas"][0] if graph is not None and wnid in graph else ""

    def show_summary(self, title: str, summary: CurationSummary) -> None:
        """The flags and review progress of a listing: ``summary`` of its curation."""
        self._job = None
        images, reviewed, flagged = summary.images, summary.reviewed, summary.flagged
        self.images, self.reviewed, self.flagged = images, reviewed, flagged
        fit = not self.table_model.rows and self.table.columnWidth(0) < 120
        self.table_model.set_rows(summary.rows)
        if summary.rows and fit:
            self.table.resizeColumnsToContents()  # the first _FIT_ROWS rows
        share = f" ({100 * reviewed // images}%)" if images else ""
        self.progress.setText(
            f"<b>{title}</b>: {reviewed:,} of {images:,} reviewed{share}, "
            f"{flagged:,} flagged" + ("" if summary.rows else " — no flags here yet")
        )
        self.shown.emit()

    def clear(self, message: str) -> None:
        self.images = self.reviewed = self.flagged = 0
        self.table_model.set_rows([])
        self.progress.setText(message)
        self.shown.emit()

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.image_activated.emit(self.table_model.rows[index.row()][0])


class WrongLabelDialog(QDialog):
    """Asks for the right synset of wrong-labelled images; ``suggested`` holds the answer.

    Accepted with a synset (Enter in the search takes the first result, or a
    click on one) or without one (Skip); rejected (Escape, Cancel): no flag.
    """

    def __init__(
        self, search_box: SearchBox, count: int, text: str = "", parent: QWidget | None = None
    ) -> None:
        """``search_box``: the window's SearchBox (its taxonomy set); ``text``: typed already."""
        super().__init__(parent)
        self.setWindowTitle("Wrong label")
        self.suggested: str | None = None
        self.search = search_box
        noun = "this image" if count == 1 else f"these {count} images"
        intro = QLabel(
            f"Flag {noun} as <b>wrong label</b>. Which synset should it be? Type and press "
            "Enter for the first match, ↓ to choose another; or skip the suggestion."
        )
        intro.setWordWrap(True)
        self.skip = QPushButton("&Skip suggestion")
        self.skip.setToolTip("Flag as wrong label without suggesting a synset")
        cancel = QPushButton("Cancel")
        for button in (self.skip, cancel):
            button.setAutoDefault(False)
        self.skip.clicked.connect(self._skip)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.skip)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(search_box)
        layout.addLayout(buttons)
        search_box.chosen.connect(self._chosen)
        if text:
            search_box.field.setText(text)
            search_box.search_now()  # what Enter takes, in view
        search_box.field.setFocus()
        self.resize(520, 140)

    def _chosen(self, wnid: str) -> None:
        if self.isVisible():
            self.suggested = wnid
            self.accept()

    def _skip(self) -> None:
        if self.isVisible():
            self.suggested = None
            self.accept()
