"""The Duplicates tab: near-duplicate pairs of the selected subtree, judged from the keyboard.

Left, the pairs of the last search (:class:`explorer.core.duplicates.session.DuplicateSession`)
with an image in the selected synset's subtree; right, the pair side by side, large, with
each image's synset, file and size, and the pair's relation in the hierarchy, distance and
whether the bytes are the same. Keys (``DUPLICATE_KEYS``): 1 (or ←) the left image is the
duplicate, 2 (or →) the right one; each flags that image ``duplicate`` with a note naming
its twin, so exports leave it out. K keeps both, N says they are not duplicates
(remembered: never reported again), Ctrl+Z undoes. The search runs on the busy bar
(``find_requested``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.duplicates import DEFAULT_DISTANCE
from explorer.core.text import plural
from explorer.qt.labels import ElidedLabel
from explorer.qt.palette import FLAGGED_TEXT

if TYPE_CHECKING:  # numpy: once a search has pairs, not at the window's start
    import numpy as np

    from explorer.core.curation import ImageState
    from explorer.core.duplicates import DuplicatePair, DuplicateSession
    from explorer.core.images import Thumbnail
    from explorer.core.workspace import Workspace
    from explorer.qt.workers import JobRunner

RELATION_LABELS = {
    "same_synset": "same synset",
    "ancestor": "ancestor",
    "different": "label conflict",
    "unknown_label": "unknown label",
}
RELATION_TIPS = {
    "same_synset": "Both images have the same label: a redundant copy",
    "ancestor": "One label is an ancestor of the other: redundant, or labelled too coarsely",
    "different": "Unrelated labels: the same picture under two synsets",
    "unknown_label": "An image without a label, or with one that is not a WordNet noun",
}


@dataclass(frozen=True)
class DuplicateKey:
    """A key of the tab: what its hint line, its shortcuts and the shortcuts window use."""

    keys: tuple[str, ...]  # QKeySequence texts
    label: str  # as the hint line and the shortcuts window show it
    hint: str  # a few words, on the hint line
    help: str  # a sentence, in the shortcuts window
    method: str  # DuplicatesView's method it calls


DUPLICATE_KEYS = (
    DuplicateKey(
        ("1", "Left"), "1 / ←", "left is a duplicate", "Duplicates: flag the left image a "
        "duplicate of the right one (exports leave it out)", "flag_left",
    ),
    DuplicateKey(
        ("2", "Right"), "2 / →", "right is a duplicate", "Duplicates: flag the right image "
        "a duplicate of the left one", "flag_right",
    ),
    DuplicateKey(("K",), "K", "keep both", "Duplicates: keep both, go to the next pair",
                 "keep_both"),
    DuplicateKey(
        ("N",), "N", "not a duplicate", "Duplicates: the two are not duplicates (remembered: "
        "the pair is never reported again)", "not_duplicate",
    ),
)  # fmt: skip
PREVIEW = 512  # the previews' decoded size (px): sharp at 1920 px, quick to make
_COLUMNS = ("Relation", "Bits", "Left", "Right")
_NO_INDEX = QModelIndex()


class PairsModel(QAbstractTableModel):
    """The pairs shown (indices into the session's report), made into rows a page at a time."""

    PAGE = 256

    def __init__(self, session: DuplicateSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.indices: Sequence[int] | np.ndarray = ()
        self._pages: dict[int, list[DuplicatePair]] = {}

    def set_indices(self, indices: Sequence[int] | np.ndarray) -> None:
        self.beginResetModel()
        self.indices, self._pages = indices, {}
        self.endResetModel()

    def pair(self, row: int) -> DuplicatePair | None:
        if not 0 <= row < len(self.indices):
            return None
        page = row // self.PAGE
        if page not in self._pages:
            if len(self._pages) > 8:
                self._pages.clear()
            start = page * self.PAGE
            self._pages[page] = self.session.rows(self.indices[start : start + self.PAGE])
        rows = self._pages[page]
        offset = row % self.PAGE
        return rows[offset] if offset < len(rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.indices)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return len(_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return (
                "How the two labels sit in WordNet",
                "Bits in which the two 64-bit perceptual hashes differ (0: the same picture)",
                "The first image's synset",
                "The second image's synset",
            )[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        pair = self.pair(index.row())
        if pair is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return RELATION_LABELS[pair.relation]
            if column == 1:
                return "exact" if pair.exact else str(pair.distance)
            return self._synset(pair.wnid_a if column == 2 else pair.wnid_b)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{pair.a}\n{pair.b}\n{RELATION_TIPS[pair.relation]}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 0 and pair.relation == "different":
            return FLAGGED_TEXT
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _synset(self, wnid: str | None) -> str:
        taxonomy = self.session.workspace.taxonomy
        if wnid is None:
            return "(no label)"
        if taxonomy is None or wnid not in taxonomy.graph:
            return wnid
        return str(taxonomy.node(wnid)["lemmas"][0])


class ImagePane(QFrame):
    """One image of the pair: the picture, large, and what it is."""

    activated = Signal(str)  # its path, on a double-click

    def __init__(self, side: str, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side, self.path = side, ""
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(160, 120)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.synset = ElidedLabel()
        bold = self.synset.font()
        bold.setBold(True)
        self.synset.setFont(bold)
        self.file = ElidedLabel()
        self.state = ElidedLabel()
        self.state.setStyleSheet(f"color: {FLAGGED_TEXT.name()}")
        self.hint = ElidedLabel(f"{key}: this one is the duplicate")
        self.hint.setEnabled(False)  # greyed: a hint, not a figure
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        for label in (self.synset, self.file, self.state, self.hint):
            layout.addWidget(label)
        self._image: QImage | None = None

    def show_pair_side(self, path: str, synset: str, facts: str, state: str) -> None:
        self.path = path
        self.synset.setText(synset)
        self.file.setText(facts)
        self.file.setToolTip(path)
        self.state.setText(state)

    def set_image(self, image: QImage | None, why: str = "") -> None:
        self._image = image
        if image is None:
            self.picture.setPixmap(QPixmap())
            self.picture.setText(why)
        else:
            self.picture.setText("")
            self._fit()

    def clear(self) -> None:
        self.path = ""
        self.set_image(None)
        for label in (self.synset, self.file, self.state):
            label.setText("")

    def _fit(self) -> None:
        if self._image is None:
            return
        size = self.picture.size()
        scaled = self._image.scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.picture.setPixmap(QPixmap.fromImage(scaled))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def mouseDoubleClickEvent(self, event: Any) -> None:
        if self.path:
            self.activated.emit(self.path)


class DuplicatesView(QWidget):
    """Controls and summary; the pairs of the selected subtree; the pair side by side."""

    find_requested = Signal(int, object)  # the distance in bits, the other catalogue or None
    image_activated = Signal(str)  # a path of the open catalogue, to show in the grid
    pairs_shown = Signal()  # the table holds the pairs of the current selection and filter

    def __init__(
        self,
        workspace: Workspace,
        session: DuplicateSession,
        runner: JobRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace, self.session, self.runner = workspace, session, runner
        self.find_button = QPushButton("Find duplicates")
        self.find_button.setToolTip(
            "Hash the images not hashed yet (where heavy jobs run: Catalogue menu), then find "
            "every pair whose perceptual hashes differ in at most the bits given"
        )
        self.find_button.clicked.connect(self.request_find)
        self.distance = QSpinBox(minimum=0, maximum=32, value=DEFAULT_DISTANCE, suffix=" bits")
        self.distance.setToolTip(
            "Pairs within this many bits of 64. 8 finds resized, re-encoded, grayscale, "
            "slightly cropped or brightened copies; more finds looser matches, and chance ones"
        )
        self.relation = QComboBox()
        self.relation.addItem("all relations", None)
        for code, label in RELATION_LABELS.items():
            self.relation.addItem(label, code)
            self.relation.setItemData(
                self.relation.count() - 1, RELATION_TIPS[code], Qt.ItemDataRole.ToolTipRole
            )
        self.relation.currentIndexChanged.connect(self.refresh)
        self.against_path: str | None = None
        self.against_button = QPushButton("Within this catalogue")
        self.against_button.setToolTip(
            "Compare with another catalogue (train against val): only pairs of one image "
            "here and one there"
        )
        menu = QMenu(self.against_button)
        menu.addAction("Compare with another catalogue…", self._choose_against)
        self.within = menu.addAction("Within this catalogue", lambda: self.set_against(None))
        self.against_button.setMenu(menu)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        controls = QHBoxLayout()
        for widget in (self.find_button, QLabel("within"), self.distance, self.against_button):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self.relation)

        self.model = PairsModel(session, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        metrics = self.fontMetrics()
        for column, widest in enumerate(("label conflict", "exact")):
            header.resizeSection(column, metrics.horizontalAdvance(widest) + 20)
        for column in (2, 3):  # the synsets share what is left
            header.setSectionResizeMode(column, header.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.left, self.right = ImagePane("left", "1"), ImagePane("right", "2")
        for pane in (self.left, self.right):
            pane.activated.connect(self._pane_activated)
        self.verdict = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.verdict.setWordWrap(True)
        hints = [(k.label, k.hint) for k in DUPLICATE_KEYS] + [("Ctrl+Z", "undo")]
        self.keys = QLabel("  ·  ".join(f"<b>{key}</b> {what}" for key, what in hints))
        self.keys.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keys.setWordWrap(True)
        panes = QHBoxLayout()
        panes.addWidget(self.left, 1)
        panes.addWidget(self.right, 1)
        self.comparison = QWidget()
        compare = QVBoxLayout(self.comparison)
        compare.setContentsMargins(0, 0, 0, 0)
        compare.addWidget(self.verdict)
        compare.addLayout(panes, 1)
        compare.addWidget(self.keys)
        self.empty_state = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.comparison)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setChildrenCollapsible(False)
        self.table.setMinimumWidth(300)  # relation, bits and two synset names
        self.comparison.setMinimumWidth(360)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty_state, 1)
        for entry in DUPLICATE_KEYS:
            for key in entry.keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(getattr(self, entry.method))
        self._generation = 0  # previews of an earlier pair are dropped when they arrive
        self._find_pending = False  # a search asked for before a catalogue was open
        session.changed.connect(self.refresh)
        workspace.selection_changed.connect(self._selection_changed)
        workspace.curation_changed.connect(self._curation_changed)
        workspace.catalogue_opened.connect(lambda _c: self._catalogue_opened())
        # a search asked for while WordNet loaded (the pairs are judged on its graph)
        workspace.taxonomy_loaded.connect(lambda _t: self._catalogue_opened())
        workspace.catalogue_closed.connect(self.refresh)
        self.refresh()

    # --- what is shown ---------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _selection_changed(self, _wnid: str, _path: tuple[str, ...]) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """The pairs of the selected subtree under the relation shown, the first selected."""
        session, workspace = self.session, self.workspace
        report = session.report
        wnid = workspace.current_wnid
        if report is None:
            self.model.set_indices(())
        else:
            self.model.set_indices(session.pairs_under(wnid, self.relation.currentData()))
        self._say(report is not None, wnid)
        if len(self.model.indices):
            self.table.selectRow(0)
        else:
            self._show_pair(None)
        self.pairs_shown.emit()

    def _say(self, searched: bool, wnid: str | None) -> None:
        """The summary line, and the empty state that says what to do."""
        workspace, session = self.workspace, self.session
        report = session.report
        shown = len(self.model.indices)
        name = self._name(wnid) if wnid else "everything"
        self.find_button.setEnabled(workspace.catalogue is not None)
        if workspace.catalogue is None:
            self._empty("Open a catalogue to find its near-duplicates.")
            self.summary.setText("")
            return
        if not searched or report is None:
            self._empty(
                "Find duplicates compares every image with every other by a perceptual hash: "
                "copies resized, re-encoded, cropped a little, in grayscale or brightened are "
                "found, exact copies named. Images not hashed yet are hashed first (once: a "
                "later search reads only new or changed files)."
            )
            self.summary.setText("No search yet.")
            return
        figures = report.summary
        other = session.against
        across = f" and {Path(other.path).name}" if other is not None else ""
        text = (
            f"{plural(shown, 'pair')} in {name}'s subtree · "
            f"{plural(figures.pairs, 'pair')} within {figures.max_distance} bits in all "
            f"({figures.exact:,} exact) among {plural(figures.images, 'image')}{across}"
        )
        if figures.not_hashed:
            text += f" · {plural(figures.not_hashed, 'image')} not hashed"
        if figures.unhashable:
            text += f" · {plural(figures.unhashable, 'image')} could not be hashed"
        self.summary.setText(text)
        if shown:
            self.empty_state.setVisible(False)
            self.splitter.setVisible(True)
        elif figures.pairs:
            self._empty(
                f"No near-duplicate in {name}'s subtree"
                + (" of this relation" if self.relation.currentData() else "")
                + f". Select a broader synset (entity: all {plural(figures.pairs, 'pair')})."
            )
        else:
            self._empty(f"No near-duplicates within {figures.max_distance} bits.")

    def _empty(self, text: str) -> None:
        self.empty_state.setText(text)
        self.empty_state.setVisible(True)
        self.splitter.setVisible(False)

    def _name(self, wnid: str) -> str:
        taxonomy = self.workspace.taxonomy
        if taxonomy is None or wnid not in taxonomy.graph:
            return wnid
        return str(taxonomy.node(wnid)["lemmas"][0])

    def current_pair(self) -> DuplicatePair | None:
        return self.model.pair(self.table.currentIndex().row())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_pair(self.model.pair(current.row()))

    def _show_pair(self, pair: DuplicatePair | None) -> None:
        self._generation += 1
        if pair is None:
            self.left.clear()
            self.right.clear()
            self.verdict.setText("")
            return
        across = self.session.against
        closeness = "the same bytes" if pair.exact else f"{pair.distance} bits apart"
        self.verdict.setText(
            f"<b>{RELATION_LABELS[pair.relation].capitalize()}</b>: "
            f"{RELATION_TIPS[pair.relation].split(': ', 1)[-1]} · {closeness}"
        )
        self.verdict.setToolTip(RELATION_TIPS[pair.relation])
        catalogue = self.workspace.catalogue
        for pane, path, wnid, source in (
            (self.left, pair.a, pair.wnid_a, catalogue),
            (self.right, pair.b, pair.wnid_b, across or catalogue),
        ):
            if source is None:
                continue
            location = source.absolute_path(path)
            synset = f"{self._name(wnid)} ({wnid})" if wnid else "(no label)"
            if across is not None and source is across:
                synset += f" · in {Path(across.path).name}"
            pane.show_pair_side(path, synset, _facts(path, location), self._state_of(pane, path))
            pane.hint.setVisible(source is not across)
            pane.set_image(None, "Loading…")
            self._load_preview(pane, location)

    def _load_preview(self, pane: ImagePane, location: str | bytes) -> None:
        generation = self._generation

        def ready(result: Thumbnail) -> None:
            self._preview_ready(pane, generation, result)

        self.runner.start(_preview, location, on_finished=ready)

    def _state_of(self, pane: ImagePane, path: str) -> str:
        if pane is self.right and self.session.against is not None:
            return ""
        state = self.workspace.states.get(path)
        if state is None:
            return ""
        notes = [f.note or f.reason for f in state.flags]
        return "Flagged: " + "; ".join(notes) if notes else ""

    def _preview_ready(self, pane: ImagePane, generation: int, result: Thumbnail) -> None:
        if generation != self._generation:
            return  # another pair is shown by now
        if result.data is None:
            pane.set_image(None, f"Cannot show this image: {result.error}")
            return
        pane.set_image(QImage.fromData(result.data))

    def _pane_activated(self, path: str) -> None:
        pane = self.sender()
        if pane is self.right and self.session.against is not None:
            return  # in the other catalogue: not in this grid
        self.image_activated.emit(path)

    # --- decisions ---------------------------------------------------------------------------

    def decide(self, which: str) -> None:
        """Flag ``which`` image ("a": left, "b": right) as the duplicate of the other."""
        pair = self.current_pair()
        if pair is None or not self._writable():
            return
        try:
            self.session.flag_duplicate(pair, which)
        except ValueError as exc:
            self.summary.setText(str(exc))
            return
        self._next(self.table.currentIndex().row() + 1)

    def flag_left(self) -> None:
        self.decide("a")

    def flag_right(self) -> None:
        self.decide("b")

    def keep_both(self) -> None:
        if self.current_pair() is not None:
            self._next(self.table.currentIndex().row() + 1)

    def not_duplicate(self) -> None:
        pair = self.current_pair()
        if pair is None or not self._writable():
            return
        row = self.table.currentIndex().row()
        self.session.mark_not_duplicate(pair)  # the pair leaves the list (session.changed)
        self._next(row)

    def _next(self, row: int) -> None:
        if len(self.model.indices):
            self.table.selectRow(min(row, len(self.model.indices) - 1))
            self.table.setFocus()

    def _writable(self) -> bool:
        if self.workspace.writable:
            return True
        why = self.workspace.store_problem or "the flag store is read-only"
        self.summary.setText(f"Curation is off: {why}")
        return False

    def _curation_changed(
        self, _before: dict[str, ImageState], after: dict[str, ImageState], _message: str
    ) -> None:
        pair = self.current_pair()
        if pair is not None and (pair.a in after or pair.b in after):
            for pane, path in ((self.left, pair.a), (self.right, pair.b)):
                pane.state.setText(self._state_of(pane, path))

    # --- the other catalogue --------------------------------------------------------------------

    def request_find(self) -> None:
        """Ask for a search (at once, or when a catalogue has opened)."""
        if self.workspace.catalogue is None or self.workspace.taxonomy is None:
            self._find_pending = True
            if self.workspace.catalogue is not None:
                self.summary.setText("The search starts when WordNet has loaded…")
            return
        self._find_pending = False
        self.find_requested.emit(self.distance.value(), self.against_path)

    def _catalogue_opened(self) -> None:
        self.refresh()
        if self._find_pending:
            self.request_find()

    def set_against(self, path: str | None) -> None:
        """Compare with the catalogue at ``path`` at the next search (None: within this one)."""
        self.against_path = path
        self.within.setEnabled(path is not None)
        self.against_button.setText(
            "Within this catalogue" if path is None else f"Against {Path(path).name}"
        )

    def _choose_against(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Compare with another catalogue", "", "Catalogues (*.sqlite);;All files (*)"
        )
        if path:
            self.set_against(path)

    def sizeHint(self) -> QSize:
        return QSize(900, 600)


def _preview(location: str | bytes, state: object = None) -> Thumbnail:
    """In a worker: the picture at a size that stays sharp in a large pane."""
    from explorer.core.images import make_thumbnail

    return make_thumbnail(location, PREVIEW)


def _facts(path: str, location: str | bytes) -> str:
    """The file's name and size on disk (its whole path in the tooltip)."""
    name = path.rsplit("/", 1)[-1]
    try:
        size = os.stat(location).st_size
    except (OSError, ValueError):
        return f"{name} · missing or unreadable"
    return f"{name} · {size / 1024:,.0f} KB"
