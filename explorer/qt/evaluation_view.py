"""The Evaluation tab: how a scored model does on the selected subtree, and where it errs.

The figures of the predictions scored (Evaluation ▸ Open predictions…: the core's
:class:`~explorer.core.evaluation.EvaluationSession`) for the selected synset's subtree: its
images, top-1 and in-subtree share; its mistakes by severity (the height of the lowest
common hypernym of truth and prediction); the most confused pairs whose truth lies in it.
A pair (double-click) or all the subtree's images (Show in the grid) open in the grid,
mistakes first, each with its prediction, label and ReaL's on the cell: W there flags a
wrong label with the prediction offered as the right synset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.evaluation import LAYOUTS
from explorer.core.text import plural
from explorer.qt.palette import SECONDARY_TEXT, STATUS

if TYPE_CHECKING:
    from explorer.core.curation import QueuedImage
    from explorer.core.evaluation import ConfusedPair, EvaluationSession
    from explorer.core.workspace import Workspace

_CONFUSED_COLUMNS = ("Truth", "Predicted", "Images", "Severity", "ReaL", "Flagged")
_CONFUSED_TIPS = (
    "The images' label",
    "What the model predicted for them",
    "Images of this label predicted so",
    "Height of the lowest common hypernym of the two (1: siblings)",
    "Of those images, how many ReaL also labels with the prediction: a label problem, "
    "more than the model's",
    "Of those images, how many a curator flagged wrong_label",
)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


class SeverityBars(QWidget):
    """Mistakes by severity: a bar per height of the lowest common hypernym."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: dict[int, int] = {}
        self.setMinimumHeight(110)
        self.setToolTip(
            "Mistakes by severity: the height of the lowest common hypernym of the label "
            "and the prediction (1: siblings, 2: cousins, …)"
        )

    def set_counts(self, counts: dict[int, int]) -> None:
        self.counts = counts
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 140)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        metrics = painter.fontMetrics()
        line = metrics.height()
        # room above for the title and the tallest bar's count, below for the heights
        area = QRectF(self.rect()).adjusted(4, 2 * line + 6, -4, -line - 4)
        if not self.counts:
            painter.setPen(SECONDARY_TEXT)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No mistakes here")
            return
        painter.setPen(SECONDARY_TEXT)
        painter.drawText(4, line, "mistakes by severity")
        heights = range(1, max(self.counts) + 1)
        most = max(self.counts.values())
        width = area.width() / len(heights)
        for k, height in enumerate(heights):
            count = self.counts.get(height, 0)
            bar = QRectF(
                area.left() + k * width + 1,
                area.bottom() - area.height() * count / most,
                max(width - 2, 1),
                area.height() * count / most,
            )
            painter.fillRect(bar, STATUS["ok"].swatch)
            painter.setPen(SECONDARY_TEXT)
            label = QRectF(area.left() + k * width, area.bottom() + 2, width, line)
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, str(height))
            if count and metrics.horizontalAdvance(f"{count:,}") <= width:  # its count on top
                above = QRectF(area.left() + k * width, bar.top() - line - 1, width, line)
                painter.drawText(above, Qt.AlignmentFlag.AlignCenter, f"{count:,}")
        painter.end()


class ScoreDialog(QDialog):
    """Which predictions to score: the file, the order of its class indices, ReaL's labels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open predictions")
        self.predictions = QLineEdit()
        self.predictions.setPlaceholderText("a CSV or TSV: path,wnid or path,class…")
        self.classes = QComboBox()
        self.classes.addItem("wnids, or ILSVRC-2012 indices (detected)", None)
        for name, (_, what) in LAYOUTS.items():
            self.classes.addItem(what, name)
        self.classes.addItem("class indices in the order of a file of wnids…", "file")
        self.classes.activated.connect(self._classes_chosen)
        self.classes_file: str | None = None
        self.real = QLineEdit()
        self.real.setPlaceholderText("optional: ReaL's real.json")
        form = QFormLayout()
        form.addRow("Predictions", _with_browse(self.predictions, self._browse_predictions))
        form.addRow("Class order", self.classes)
        form.addRow("ReaL labels", _with_browse(self.real, self._browse_real))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def choice(self) -> tuple[str, str | None, str | None]:
        """(predictions file, class order or file, ReaL file)."""
        classes = self.classes.currentData()
        if classes == "file":
            classes = self.classes_file
        return self.predictions.text().strip(), classes, self.real.text().strip() or None

    def _browse_predictions(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Predictions", "", "Predictions (*.csv *.tsv *.txt);;All files (*)"
        )
        if path:
            self.predictions.setText(path)

    def _browse_real(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "ReaL labels", "", "JSON (*.json)")
        if path:
            self.real.setText(path)

    def _classes_chosen(self) -> None:
        if self.classes.currentData() == "file":
            path, _ = QFileDialog.getOpenFileName(self, "Class order", "", "Text (*.txt *.csv)")
            self.classes_file = path or None


def _with_browse(field: QLineEdit, browse: object) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    layout.addWidget(button)
    return row


class EvaluationView(QWidget):
    """The scored model's figures for the selected subtree, its severity bars and confusions."""

    score_requested = Signal()  # Open predictions… (the controller asks which)
    shown = Signal()  # the figures of the current selection are up

    def __init__(
        self, workspace: Workspace, session: EvaluationSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workspace, self.session = workspace, session
        self.score_button = QPushButton("Open predictions…")
        self.score_button.clicked.connect(self.score_requested)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.node_figures = QLabel()
        self.node_figures.setWordWrap(True)
        self.show_button = QPushButton("Show in the grid, mistakes first")
        self.show_button.setToolTip(
            "The subtree's scored images in the grid, each with its prediction and label; "
            "W flags a wrong label with the prediction offered"
        )
        self.show_button.clicked.connect(self._show_subtree)
        self.bars = SeverityBars()
        self.confused = QTableWidget(0, len(_CONFUSED_COLUMNS))
        self.confused.setHorizontalHeaderLabels(list(_CONFUSED_COLUMNS))
        for column, tip in enumerate(_CONFUSED_TIPS):
            header_item = self.confused.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.confused.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confused.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.confused.verticalHeader().hide()
        self.confused.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.confused.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.confused.horizontalHeader()
        metrics = self.fontMetrics()
        for column, title in enumerate(_CONFUSED_COLUMNS):
            if column < 2:  # the synsets share what the figures leave
                header.setSectionResizeMode(column, header.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(column, header.ResizeMode.Fixed)
                header.resizeSection(column, metrics.horizontalAdvance(title) + 18)
        self.confused.setToolTip("Double-click a pair: its images in the grid")
        self.confused.cellActivated.connect(self._pair_activated)
        self.empty_state = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.score_button)
        figures = QHBoxLayout()
        figures.addWidget(self.node_figures, 1)
        figures.addWidget(self.show_button)
        # the pairs above, with the width their names want; the bars a strip below
        self.body = QSplitter(Qt.Orientation.Vertical)
        self.body.addWidget(self.confused)
        self.body.addWidget(self.bars)
        self.body.setStretchFactor(0, 3)
        self.body.setStretchFactor(1, 1)
        self.body.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(figures)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.empty_state, 1)
        self._pairs: list[ConfusedPair] = []
        session.changed.connect(lambda _result: self.refresh())
        workspace.selection_changed.connect(lambda _w, _p: self.refresh())
        workspace.catalogue_opened.connect(lambda _c: self.refresh())
        workspace.catalogue_closed.connect(self.refresh)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        if not self.isVisible() and self.session.result is not None:
            return  # brought up to date when shown
        result, workspace = self.session.result, self.workspace
        wnid = workspace.current_wnid
        self.score_button.setEnabled(workspace.catalogue is not None)
        if workspace.catalogue is None:
            self._empty("Open a catalogue, then score a model's predictions on its labels.")
            self.summary.setText("")
            return
        if result is None:
            self._empty(
                "Open predictions… reads a CSV or TSV of a model's predictions (path,wnid; "
                "ranked path,wnid_1,…; or class indices) and scores them on this catalogue's "
                "labels: top-1 per subtree in the tree, and here the selected subtree's "
                "figures, the severity of its mistakes and its most confused pairs."
            )
            self.summary.setText("No predictions scored yet.")
            return
        name = result.source.rsplit("/", 1)[-1]
        parts = [
            f"<b>{name}</b>: {plural(result.images, 'image')} scored",
            f"top-1 {_percent(result.top1)}",
        ]
        if result.top5 is not None:
            parts.append(f"top-5 {_percent(result.top5)}")
        if result.real is not None:
            parts.append(f"ReaL top-1 {_percent(result.real['top1'])}")
        if result.unmatched:
            parts.append(f"{plural(result.unmatched, 'row')} matched no image")
        if result.bad_rows:
            parts.append(f"{plural(result.bad_rows, 'row')} unreadable")
        if result.flagged["images"]:
            flagged = result.flagged
            parts.append(
                f"{plural(flagged['images'], 'image')} flagged wrong label "
                f"(top-1 {_percent(flagged['top1'])}, scored with the rest)"
            )
        self.summary.setText(" · ".join(parts))
        if wnid is None:
            self._empty("Select a synset in the tree.")
            return
        figures = self.session.figures(wnid)
        synset = self._name(wnid)
        if not figures or not figures["images"]:
            self._empty(f"No scored image is labelled in {synset}'s subtree.")
            self.node_figures.setText("")
            return
        self.node_figures.setText(
            f"<b>{synset}</b>: {plural(figures['images'], 'image')} · top-1 "
            f"{_percent(figures['top1'])} · predicted inside the subtree "
            f"{_percent(figures['in_subtree'])}"
        )
        self.bars.set_counts(self.session.severity_histogram(wnid))
        self._pairs = self.session.confused_under(wnid)
        self.confused.setRowCount(len(self._pairs))
        for row, pair in enumerate(self._pairs):
            real = str(pair.real_agrees) if result.image_real is not None else "–"
            for column, text in enumerate(
                (self._name(pair.truth), self._name(pair.prediction), str(pair.images),
                 str(pair.severity), real, str(pair.flagged))
            ):  # fmt: skip
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.confused.setItem(row, column, item)
        self.empty_state.setVisible(False)
        self.body.setVisible(True)
        self.show_button.setVisible(True)
        self.shown.emit()

    def _empty(self, text: str) -> None:
        self.empty_state.setText(text)
        self.empty_state.setVisible(True)
        self.body.setVisible(False)
        self.show_button.setVisible(False)
        self.shown.emit()

    def _name(self, wnid: str) -> str:
        taxonomy = self.workspace.taxonomy
        if taxonomy is None or wnid not in taxonomy.graph:
            return wnid
        return str(taxonomy.node(wnid)["lemmas"][0])

    def _show_subtree(self) -> None:
        wnid = self.workspace.current_wnid
        if wnid is not None:
            self._review(self.session.review(wnid))

    def _pair_activated(self, row: int, _column: int) -> None:
        wnid = self.workspace.current_wnid
        if wnid is not None and 0 <= row < len(self._pairs):
            pair = self._pairs[row]
            self._review(self.session.review(wnid, (pair.truth, pair.prediction)))

    def _review(self, queue: dict[str, QueuedImage]) -> None:
        if queue:  # the grid comes into view with it (the images panel's queue_changed)
            self.workspace.show_review(queue)
