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
from collections.abc import Callable, Collection, Iterator, Mapping
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
    QVBoxLayout,
    QWidget,
)

from explorer.core.curation import REASONS, ImageState
from explorer.qt.tables import sortable_table

if TYPE_CHECKING:
    from explorer.core.workspace import Workspace
    from explorer.qt.search_box import SearchBox

COLUMNS = ("Image", "Reason", "Note", "Suggested", "Curator", "Time")
FlagRow = tuple[str, str, str, str, str, float]  # path, reason, note, suggested, curator, time
_NO_INDEX = QModelIndex()


class FlagTableModel(QAbstractTableModel):
    """One row per flag: (path, reason, note, suggested, curator, time)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[FlagRow] = []

    def set_rows(self, rows: list[FlagRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

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
            return row[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 1:
                reason = REASONS.get(row[1])
                return reason.meaning if reason else ""
            return row[column] if column in (0, 2, 3) else None
        if role == Qt.ItemDataRole.UserRole:  # the sort key and the path
            return row[column]
        return None


class _Listed(Collection[str]):
    """A listing's paths as far as the progress needs them: how many, and which of the
    curated ones are in it."""

    def __init__(self, size: int, curated: set[str]) -> None:
        self._size, self._curated = size, curated

    def __len__(self) -> int:
        return self._size

    def __contains__(self, path: object) -> bool:
        return path in self._curated

    def __iter__(self) -> Iterator[str]:  # the curated ones: all that show_curation reads
        return iter(self._curated)


class CurationPanel(QWidget):
    """The review progress of the listed images and the table of their flags.

    Given a Workspace, it shows the Workspace's listing (the selection's images or
    the review queue) while it is in view, once per burst of changes.
    """

    image_activated = Signal(str)  # the path of an image to show in the grid

    def __init__(self, workspace: Workspace | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = QLabel("Open a catalogue and choose a synset.")
        self.progress.setWordWrap(True)
        self.table_model = FlagTableModel(self)
        self.proxy, self.table = sortable_table(self.table_model, self, sort_column=0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no measuring per row
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._activated)
        self.table.activated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        self.reviewed = self.flagged = self.images = 0
        self.workspace = workspace
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
        # the curated images of the listing: a few thousand paths looked up, never the
        # listing's own (14.2 million at ImageNet-21k's root)
        listed = _Listed(
            len(workspace.listed) if workspace.listed is not None else 0,
            workspace.listed_among(workspace.states),
        )
        if workspace.queue is not None or wnid is None:
            title = "Review queue"
        else:
            title = self._lemma(wnid) or wnid
            title += " and its subtree" if workspace.scope == "subtree" else ""
        self.show_curation(title, listed, workspace.states, self._lemma)

    def _lemma(self, wnid: str) -> str:
        taxonomy = self.workspace.taxonomy if self.workspace is not None else None
        graph = taxonomy.graph if taxonomy is not None else None
        return graph.nodes[wnid]["lemmas"][0] if graph is not None and wnid in graph else ""

    def show_curation(
        self,
        title: str,
        paths: Collection[str],
        states: Mapping[str, ImageState],
        name_of: Callable[[str], str] | None = None,
    ) -> None:
        """The flags and progress of the images at ``paths`` (the grid's listing)."""
        rows: list[FlagRow] = []
        reviewed = flagged = 0
        small, large = (states, paths) if len(states) <= len(paths) else (paths, states)
        for path in small:
            if path not in large:
                continue
            state = states[path]
            reviewed += 1
            if state.flags:
                flagged += 1
            for flag in state.flags:
                suggested = flag.suggested_wnid or ""
                if suggested and name_of is not None:
                    suggested = f"{suggested} {name_of(suggested)}"
                rows.append((path, flag.reason, flag.note, suggested, flag.curator, flag.time))
        rows.sort()
        self.images, self.reviewed, self.flagged = len(paths), reviewed, flagged
        self.table_model.set_rows(rows)
        if len(rows) and self.table.columnWidth(0) < 120:
            self.table.resizeColumnsToContents()
        share = f" ({100 * reviewed // len(paths)}%)" if paths else ""
        self.progress.setText(
            f"<b>{title}</b>: {reviewed:,} of {len(paths):,} reviewed{share}, "
            f"{flagged:,} flagged" + ("" if rows else " — no flags here yet")
        )

    def clear(self, message: str) -> None:
        self.images = self.reviewed = self.flagged = 0
        self.table_model.set_rows([])
        self.progress.setText(message)

    def _activated(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        if source.isValid():
            self.image_activated.emit(self.table_model.rows[source.row()][0])


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
