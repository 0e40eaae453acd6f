"""The coverage tab: where the selected subtree's images are, and its gaps, gaps that
matter first.

Three views of one subtree, all laid out by the core (``explorer.core.analysis``):
a picture (an icicle sized by images: :mod:`explorer.qt.coverage_map`), a histogram
of its synsets by image count, and the table of its gaps, opened in the core's
``priority`` order (targets WordNet lacks, then empty synsets whose siblings have
images). Clicking a synset in the picture, or double-clicking a row, selects it.
All three come from numpy arrays in the core, on the GUI thread: entity's at 14.2M
images in about 15 ms (a worker was tried first: a Python job beside the GUI thread
stalled it for the job's whole 260 ms, the GIL handed back and forth).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QSpinBox,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.text import plural
from explorer.qt.coverage_map import CountHistogram, CoverageMap
from explorer.qt.palette import STATUS, STATUS_LABELS

if TYPE_CHECKING:
    from explorer.core.analysis import Counts, CoverageRow, GapTable, TableKey
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Workspace

# the CoverageRow field each column shows
Field = Literal[
    "name",
    "wnid",
    "depth",
    "direct",
    "subtree",
    "synsets_with_images",
    "siblings_with_images",
    "status",
]
_COLUMNS: tuple[tuple[str, Field], ...] = (  # what to judge first on the left: name, status
    ("Synset", "name"),
    ("Status", "status"),
    ("Subtree", "subtree"),
    ("Own", "direct"),
    ("With images", "synsets_with_images"),
    ("Siblings", "siblings_with_images"),
    ("Depth", "depth"),
    ("wnid", "wnid"),
)
STATUS_COLUMN = 1
_HEADER_TIPS: dict[Field, str] = {  # what each column counts, in its header's tooltip
    "depth": "Steps from entity along the shortest path",
    "direct": "Images labelled with this synset itself",
    "subtree": "Images of this synset and every synset below it",
    "synsets_with_images": "Synsets of its subtree (itself included) that have images of their own",
    "siblings_with_images": "Siblings with images: its siblings (the other hyponyms of its "
    "hypernyms) whose subtree has images. An empty synset among covered siblings is a gap "
    "that matters",
    "status": "empty: no image; thin: fewer than Thin below; covered: at least that many "
    "(images counted as the counting box says). Sorted by this column, the gaps that matter "
    "come first: missing targets, then empty and thin synsets whose siblings have images",
}
# the palette's colours of each coverage status, as the tree shows them: an empty row's
# text greyed, a thin row's background tinted
_BACKGROUNDS = {s: style.background for s, style in STATUS.items() if style.background}
_EMPTY_TEXT = STATUS["empty"].text
_STATUS_TEXT = {**STATUS_LABELS, "not_in_wordnet": "not in WordNet 3.0"}
_SORT_KEYS: dict[Field, TableKey] = {
    "name": "name",
    "wnid": "wnid",
    "depth": "depth",
    "direct": "direct",
    "subtree": "subtree",
    "synsets_with_images": "synsets_with_images",
    "siblings_with_images": "siblings_with_images",
    "status": "priority",
}
_WIDEST: dict[Field, str] = {  # what a column's width is made for (default: 14,197,122)
    "name": "Chesapeake Bay retriever",
    "status": "covered",
    "depth": "18",
    "wnid": "n00000000",
}


def why_listed(row: CoverageRow) -> str:
    """A row's status in a sentence: what makes it a gap, and whether it matters."""
    if row.status == "not_in_wordnet":
        return f"{row.wnid} is a target, but not a noun synset of WordNet 3.0"
    status = _STATUS_TEXT.get(row.status, row.status)
    siblings = row.siblings_with_images
    reason = f"{status}: {plural(row.subtree, 'image')} in its subtree, {row.direct:,} its own"
    if siblings and row.status != "ok":
        reason += f"; {plural(siblings, 'sibling')} {'has' if siblings == 1 else 'have'} images"
    if row.target:
        reason += "; a target"
    return reason


_NO_INDEX = QModelIndex()


class CoverageTableModel(QAbstractTableModel):
    """The rows of a core GapTable: entity's 59,748 gaps are arrays, and a row becomes a
    CoverageRow only when the view asks for it (kept while it is in view)."""

    CACHED_ROWS = 512

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table: GapTable | None = None
        self._cache: dict[int, CoverageRow] = {}

    def set_table(self, table: GapTable | None) -> None:
        self.beginResetModel()
        self.table, self._cache = table, {}
        self.endResetModel()

    @property
    def rows(self) -> list[CoverageRow]:
        """Every row, in the order shown (what a test or a small subtree reads)."""
        return self.table.rows() if self.table is not None else []

    def row(self, position: int) -> CoverageRow:
        row = self._cache.get(position)
        if row is None:
            assert self.table is not None
            if len(self._cache) >= self.CACHED_ROWS:
                self._cache.clear()
            row = self._cache[position] = self.table.row(position)
        return row

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() or self.table is None else len(self.table)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The core sorts the arrays (a proxy asking data() n log n times took seconds);
        the Status column in the core's priority order."""
        if self.table is not None:
            key: TableKey = _SORT_KEYS[_COLUMNS[column][1]]
            descending = order == Qt.SortOrder.DescendingOrder
            self.set_table(self.table.sorted(key, descending))

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
        row = self.row(index.row())
        field = _COLUMNS[index.column()][1]
        value = getattr(row, field)
        if role == Qt.ItemDataRole.DisplayRole:
            if field == "name":
                return row.lemmas.split(", ")[0] if row.lemmas else row.wnid
            if field == "status":  # the legend's words: "covered", not "ok"
                return _STATUS_TEXT.get(row.status, row.status)
            return f"{value:,}" if isinstance(value, int) and field != "depth" else str(value)
        if role == Qt.ItemDataRole.BackgroundRole:
            return _BACKGROUNDS.get(row.status)
        if role == Qt.ItemDataRole.ForegroundRole:
            return _EMPTY_TEXT if row.status == "empty" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.lemmas} ({row.name})\n{why_listed(row)}"
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class CoverageView(QWidget):
    """Threshold, basis and filters; the picture; the gap table and the histogram.

    Given a Workspace, it shows the selection's subtree while it is in view, its
    threshold is the Workspace's, and the picture and the table select there. Given a
    """

    path_activated = Signal(tuple)
    threshold_changed = Signal(int)
    rows_shown = Signal()  # the table holds the rows of the current settings

    def __init__(self, workspace: Workspace | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.threshold = QSpinBox(minimum=1, maximum=1_000_000, value=10)
        self.threshold.setToolTip("A synset with fewer images than this is thin")
        self.basis = QComboBox()
        self.basis.addItem("subtree images", "subtree")
        self.basis.addItem("own images", "direct")
        self.basis.setToolTip("Count each synset's images with its subtree's, or its own only")
        self.show_all = QComboBox()
        self.show_all.addItem("gaps only", False)
        self.show_all.addItem("all synsets", True)
        self.leaves_only = QCheckBox("leaves only")
        self.leaves_only.setToolTip("List only synsets with no hyponym")
        self.targets: list[str] | None = None
        self.targets_button = QToolButton()
        self.targets_button.setText("Targets…")
        self.targets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.targets_button.setToolTip(
            "Judge only the synsets of a target list (a file with a wnid first on each line: "
            "ILSVRC's imagenet_synsets.txt, a LOC_synset_mapping.txt…) within the selected "
            "subtree (select entity for all of them); targets missing from WordNet 3.0 first"
        )
        menu = QMenu(self.targets_button)
        menu.addAction("Load a target list…", self._choose_targets)
        self.clear_targets = menu.addAction("Judge every synset", lambda: self.set_targets(None))
        self.clear_targets.setEnabled(False)
        self.targets_button.setMenu(menu)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.size_by = QComboBox()
        self.size_by.addItem("sized by images", "images")
        self.size_by.addItem("sized by synsets", "synsets")
        self.size_by.setToolTip(
            "Images: each synset as wide as its share of its parent's images (the empty ones "
            "together in one grey block). Synsets: as wide as its part of WordNet"
        )
        controls = QHBoxLayout()  # what the table judges and lists; narrow enough for 1024 px
        for widget in (
            QLabel("Thin below"),
            self.threshold,
            self.basis,
            self.show_all,
            self.leaves_only,
            self.targets_button,
        ):
            controls.addWidget(widget)
        controls.addStretch(1)
        figures = QHBoxLayout()  # what was found; how the picture is drawn
        figures.addWidget(self.summary, 1)
        figures.addWidget(self.size_by)
        self.map = CoverageMap()
        self.table_model = CoverageTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            STATUS_COLUMN, Qt.SortOrder.AscendingOrder
        )  # the core's priority order: how the rows come
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        # widths from the font, not ResizeToContents: that measured 1,000 rows per column
        # on each new listing (48,637 data() calls, a 445 ms stall on entity at 14.2M)
        metrics = self.fontMetrics()
        for column, (title, field) in enumerate(_COLUMNS):
            widest = _WIDEST.get(field, "14,197,122")
            text = max(metrics.horizontalAdvance(widest), metrics.horizontalAdvance(title) + 20)
            header.resizeSection(column, text + 16)
        header.setStretchLastSection(True)
        self.table.activated.connect(self._activated)
        self.histogram = CountHistogram()
        self.table_split = lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.table)
        lower.addWidget(self.histogram)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.map)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(figures)
        layout.addWidget(self.splitter, 1)
        self._source: tuple[Taxonomy, Counts | None, tuple[str, ...]] | None = None
        self._split = False
        self.threshold.valueChanged.connect(self._threshold_changed)
        for box in (self.basis, self.show_all, self.size_by):
            box.currentIndexChanged.connect(self.refresh)
        self.leaves_only.toggled.connect(self.refresh)
        self.map.path_activated.connect(self.path_activated)
        self.workspace = workspace
        if workspace is not None:
            self.threshold.setValue(workspace.threshold)
            self.threshold_changed.connect(workspace.set_threshold)
            self.path_activated.connect(lambda path: workspace.select(path[-1], path))
            workspace.threshold_changed.connect(self._set_threshold)
            workspace.selection_changed.connect(self._show_current)
            workspace.counts_changed.connect(self._show_current)
            # selected and counted from the cache before the graph: drawn when it is in
            workspace.taxonomy_loaded.connect(lambda _taxonomy: self._show_current())

    def _threshold_changed(self, value: int) -> None:
        self.threshold_changed.emit(value)
        self.refresh()

    def _set_threshold(self, value: int) -> None:
        if value != self.threshold.value():
            self.threshold.setValue(value)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._split:  # the first time shown: half picture, half table and histogram;
            self._split = True  # the table wants the width, the histogram is a glance
            height, width = self.splitter.height(), self.table_split.width()
            self.splitter.setSizes([height // 2, height - height // 2])
            histogram = max(self.histogram.minimumWidth(), width * 3 // 8)
            self.table_split.setSizes([width - histogram, histogram])
        self._show_current()

    def _show_current(self) -> None:
        """The Workspace's selection, while in view (a tab not shown is brought up to date
        when it is)."""
        workspace = self.workspace
        if workspace is not None and self.isVisible() and workspace.taxonomy is not None:
            self.show_subtree(workspace.taxonomy, workspace.counts, workspace.current_path)

    def show_subtree(
        self, taxonomy: Taxonomy, counts: Counts | None, path: tuple[str, ...]
    ) -> None:
        """Show the subtree of ``path``'s last synset (``path``: from entity to it)."""
        if self._source == (taxonomy, counts, path):
            return
        self._source = (taxonomy, counts, path)
        self.refresh()

    def refresh(self) -> None:
        """The picture, the histogram and the table for the current subtree and settings:
        all three from numpy arrays (about 15 ms for entity at 14.2M images)."""
        from explorer.core.analysis import count_histogram, gap_table

        if self._source is None:
            return
        taxonomy, counts, path = self._source
        threshold, basis = self.threshold.value(), self.basis.currentData()
        self.map.show_subtree(taxonomy, counts, path, threshold, self.size_by.currentData())
        if counts is None or not path:
            self.table_model.set_table(None)
            self.histogram.set_bins([], threshold, "")
            self.summary.setText("Open a catalogue to see coverage.")
            self.rows_shown.emit()
            return
        nodes = counts.subtree_nodes(path[-1])
        values = (counts.subtree if basis == "subtree" else counts.direct)[nodes]
        counting = "images in the subtree" if basis == "subtree" else "images of its own"
        self.histogram.set_bins(count_histogram(values.tolist(), threshold), threshold, counting)
        table = gap_table(
            taxonomy,
            counts,
            under=path[-1],
            min_images=threshold,
            basis=basis,
            targets=self.targets,
            include_ok=self.show_all.currentData(),
            leaves_only=self.leaves_only.isChecked(),
        )
        header = self.table.horizontalHeader()
        key = _SORT_KEYS[_COLUMNS[header.sortIndicatorSection()][1]]
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        self.table_model.set_table(table.sorted(key, descending))
        figures = table.summary
        judged = plural(figures["judged"], "target" if self.targets else "synset")
        missing = figures["not_in_wordnet"]
        self.summary.setText(
            f"{judged}{f' ({missing:,} not in WordNet 3.0)' if missing else ''}"
            f" · {figures['empty']:,} empty "
            f"({plural(figures['empty_leaves'], 'leaf', 'leaves')}) · {figures['thin']:,} thin"
            f" · {figures['ok']:,} covered"
        )
        self.rows_shown.emit()

    def set_targets(self, targets: list[str] | None, name: str = "") -> None:
        """Judge only ``targets`` (None: every synset of the subtree)."""
        self.targets = targets
        self.clear_targets.setEnabled(targets is not None)
        if targets is None:
            self.targets_button.setText("Targets…")
        else:
            self.targets_button.setText(f"Targets: {name} ({len(targets):,})")
        self.refresh()

    def load_targets(self, path: str) -> bool:
        """Read a target list and judge it; False (and said) when it cannot be read."""
        from explorer.core.analysis import read_targets
        from explorer.core.errors import CatalogueError

        try:
            targets = read_targets(path)
        except CatalogueError as error:
            QMessageBox.warning(self, "Target list", str(error))
            return False
        self.set_targets(targets, Path(path).name)
        return True

    def _choose_targets(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load a target list", "", "Target lists (*.txt *.csv *.tsv);;All files (*)"
        )
        if path:
            self.load_targets(path)

    def _activated(self, index: QModelIndex) -> None:
        row = self.table_model.row(index.row())
        if self.workspace is not None and row.status != "not_in_wordnet":
            self.workspace.select(row.wnid)
