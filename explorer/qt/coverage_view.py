"""The coverage view: the gaps of the selected subtree as a sortable table, and a histogram.

The rows come from the core (``explorer.core.analysis.gaps.coverage``); this file
only shows them. The histogram counts the subtree's synsets by how many
images each holds itself, in power-of-two bins, so empty and thin synsets
stand out against the covered ones.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis import coverage_status
from explorer.core.text import plural
from explorer.qt.palette import STATUS, STATUS_LABELS
from explorer.qt.tables import sortable_table

if TYPE_CHECKING:
    from explorer.core.analysis import Counts, CoverageRow
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Workspace

# the CoverageRow field each column shows
Field = Literal["name", "wnid", "depth", "direct", "subtree", "synsets_with_images", "status"]
_COLUMNS: tuple[tuple[str, Field], ...] = (
    ("Synset", "name"),
    ("wnid", "wnid"),
    ("Depth", "depth"),
    ("Images", "direct"),
    ("Subtree", "subtree"),
    ("With images", "synsets_with_images"),
    ("Status", "status"),
)
_HEADER_TIPS: dict[Field, str] = {  # what each column counts, in its header's tooltip
    "depth": "Steps from entity along the shortest path",
    "direct": "Images labelled with this synset itself",
    "subtree": "Images of this synset and every synset below it",
    "synsets_with_images": "Synsets of its subtree (itself included) that have images of their own",
    "status": "empty: no image; thin: fewer than Thin below; covered: at least that many "
    "(images counted as the counting box says)",
}
# the palette's colours of each coverage status, as the tree shows them: an empty row's
# text greyed, a thin row's background tinted; a histogram bar in the status's swatch
_BACKGROUNDS = {s: style.background for s, style in STATUS.items() if style.background}
_EMPTY_TEXT = STATUS["empty"].text
_BARS = {status: style.swatch for status, style in STATUS.items()}


_NO_INDEX = QModelIndex()


class CoverageTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[CoverageRow] = []

    def set_rows(self, rows: list[CoverageRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return len(_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section][0]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(_COLUMNS[section][1])
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        row = self.rows[index.row()]
        field = _COLUMNS[index.column()][1]
        value = getattr(row, field)
        if role == Qt.ItemDataRole.DisplayRole:
            if field == "name":
                return row.lemmas.split(", ")[0] if row.lemmas else row.wnid
            if field == "status":  # the legend's words: "covered", not "ok"
                return STATUS_LABELS.get(row.status, row.status.replace("_", " "))
            return f"{value:,}" if isinstance(value, int) and field != "depth" else str(value)
        if role == Qt.ItemDataRole.UserRole:  # the sort key
            return value
        if role == Qt.ItemDataRole.BackgroundRole:
            return _BACKGROUNDS.get(row.status)
        if role == Qt.ItemDataRole.ForegroundRole:
            return _EMPTY_TEXT if row.status == "empty" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.name}\n{row.lemmas}"
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ImagesPerSynsetHistogram(QWidget):
    """Synsets of the subtree binned by their own image count (0, 1, 2–3, 4–7, …), log scale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bins: list[tuple[str, int]] = []
        self.threshold = 1
        self.setMinimumHeight(140)

    def set_counts(self, direct_counts: list[int], threshold: int) -> None:
        self.threshold = threshold
        bins: dict[int, int] = {}
        for count in direct_counts:
            bins[count.bit_length()] = bins.get(count.bit_length(), 0) + 1
        top = max(bins, default=0)
        labels = ["0", "1"] + [f"{2 ** (b - 1)}–{2**b - 1}" for b in range(2, top + 1)]
        self.bins = [(labels[b], bins.get(b, 0)) for b in range(top + 1)]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(40, 20, -10, -34)
        if not self.bins:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No synsets")
            return
        # log scale: a subtree has hundreds of empty synsets and a handful of covered ones
        tallest = math.log1p(max(n for _, n in self.bins)) or 1
        width = rect.width() / len(self.bins)
        for i, (label, number) in enumerate(self.bins):
            height = rect.height() * math.log1p(number) / tallest
            x = rect.left() + i * width
            low = 0 if label == "0" else int(label.split("–")[0])
            colour = _BARS[coverage_status(low, self.threshold)]
            painter.fillRect(QRectF(x + 2, rect.bottom() - height, width - 4, height), colour)
            painter.drawText(
                QRectF(x, rect.bottom() - height - 16, width, 14),
                Qt.AlignmentFlag.AlignCenter,
                f"{number:,}",
            )
            painter.drawText(
                QRectF(x, rect.bottom() + 2, width, 14), Qt.AlignmentFlag.AlignCenter, label
            )
        painter.drawText(
            QRectF(rect.left(), rect.bottom() + 16, rect.width(), 16),
            Qt.AlignmentFlag.AlignCenter,
            "synsets by images of their own (log scale)",
        )
        painter.end()


class CoverageView(QWidget):
    """Threshold and basis controls, the gap table, and the histogram, for one subtree.

    Given a Workspace, it shows the selection's subtree while it is in view, its
    threshold is the Workspace's, and a double-click selects there.
    """

    wnid_activated = Signal(str)
    threshold_changed = Signal(int)

    def __init__(self, workspace: Workspace | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.threshold = QSpinBox(minimum=1, maximum=1_000_000, value=10)
        self.threshold.setToolTip("A synset with fewer images than this is thin")
        self.basis = QComboBox()
        self.basis.addItem("subtree images", "subtree")
        self.basis.addItem("own images", "direct")
        self.show_all = QComboBox()
        self.show_all.addItem("gaps only", False)
        self.show_all.addItem("all synsets", True)
        self.summary = QLabel()
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Thin below"))
        controls.addWidget(self.threshold)
        controls.addWidget(QLabel("counting"))
        controls.addWidget(self.basis)
        controls.addWidget(self.show_all)
        controls.addStretch(1)
        controls.addWidget(self.summary)
        self.table_model = CoverageTableModel(self)
        self.proxy, self.table = sortable_table(self.table_model, self, sort_column=4)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._activated)
        self.histogram = ImagesPerSynsetHistogram()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.histogram)
        splitter.setSizes([400, 160])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(splitter, 1)
        self._source: tuple[Taxonomy, Counts | None, str | None] | None = None
        self.threshold.valueChanged.connect(self._threshold_changed)
        self.basis.currentIndexChanged.connect(self.refresh)
        self.show_all.currentIndexChanged.connect(self.refresh)
        self.workspace = workspace
        if workspace is not None:
            self.threshold.setValue(workspace.threshold)
            self.threshold_changed.connect(workspace.set_threshold)
            self.wnid_activated.connect(workspace.select)
            workspace.threshold_changed.connect(self._set_threshold)
            workspace.selection_changed.connect(self._show_current)
            workspace.counts_changed.connect(self._show_current)

    def _threshold_changed(self, value: int) -> None:
        self.threshold_changed.emit(value)
        self.refresh()

    def _set_threshold(self, value: int) -> None:
        if value != self.threshold.value():
            self.threshold.setValue(value)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._show_current()

    def _show_current(self) -> None:
        """The Workspace's selection, while in view (a tab not shown is brought up to date
        when it is)."""
        workspace = self.workspace
        if workspace is not None and self.isVisible() and workspace.taxonomy is not None:
            self.show_subtree(workspace.taxonomy, workspace.counts, workspace.current_wnid)

    def show_subtree(self, taxonomy: Taxonomy, counts: Counts | None, wnid: str | None) -> None:
        self._source = (taxonomy, counts, wnid)
        self.refresh()

    def refresh(self) -> None:
        from explorer.core.analysis import coverage

        if self._source is None:
            return
        taxonomy, counts, wnid = self._source
        if counts is None or wnid is None:
            self.table_model.set_rows([])
            self.histogram.set_counts([], self.threshold.value())
            self.summary.setText("Open a catalogue to see coverage.")
            return
        result = coverage(
            taxonomy,
            counts,
            under=wnid,
            min_images=self.threshold.value(),
            basis=self.basis.currentData(),
            include_ok=self.show_all.currentData(),
        )
        self.table_model.set_rows(result.rows)
        below = taxonomy.descendants(wnid) | {wnid}
        self.histogram.set_counts([counts.of(w)["direct"] for w in below], self.threshold.value())
        figures = result.summary
        self.summary.setText(
            f"{plural(len(below), 'synset')} · {figures['empty']:,} empty "
            f"({plural(figures['empty_leaves'], 'leaf', 'leaves')}) · {figures['thin']:,} thin"
        )

    def _activated(self, index: QModelIndex) -> None:
        row = self.table_model.rows[self.proxy.mapToSource(index).row()]
        self.wnid_activated.emit(row.wnid)
