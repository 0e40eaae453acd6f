"""The search box: a field and its result list; ``chosen`` gives the synset picked.

Each result is two lines that tell the senses of a word apart: its lemmas and, once a
catalogue is open, its subtree's image count; then the end of its path from the root
("… › wading bird › crane") and its gloss. The list is as tall as its rows (up to a cap).
The window's box sits above the tree; the wrong-label dialog has one of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import ExplorerError
from explorer.core.text import plural
from explorer.core.wordnet import MAX_QUERY_CHARS
from explorer.qt.workers import JobRunner

if TYPE_CHECKING:
    from explorer.core import SearchHit
    from explorer.core.analysis import Counts
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import Taxonomy

    # the text, its hits with their short paths, why there are none
    Answer = tuple[str, list[tuple[SearchHit, str]], str]

PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # "… › wading bird › crane"
GLOSS_ROLE = Qt.ItemDataRole.UserRole + 2
COUNT_ROLE = Qt.ItemDataRole.UserRole + 3  # "12 images" (None: no catalogue open)
_MAX_ROWS = 8  # the list grows with its hits up to this many rows, then scrolls
_PAD = 4  # pixels around a row's two lines


def _search_answer(taxonomy: Taxonomy, text: str, state: JobState) -> Answer:
    """(text, hits with their short paths, why there are none) for the SearchBox, on a
    worker thread."""
    try:
        hits = taxonomy.search(text, limit=50)
        return text, [(hit, taxonomy.short_path(hit.wnid)) for hit in hits], ""
    except ExplorerError as exc:
        return text, [], str(exc)


def count_text(counts: Counts | None, wnid: str) -> str | None:
    """What a result says of its subtree's images: None without a catalogue."""
    if counts is None or wnid not in counts.index:
        return None
    subtree = counts.of(wnid)["subtree"]
    return plural(subtree, "image") if subtree else "no images"


PLACEHOLDER = "Search: lemma, wnid, offset or gloss words"
# the window shows the cache's tree, details and images first; search needs the graph
LOADING_PLACEHOLDER = "Search: WordNet is loading…"  # what is typed is answered then


class _HitDelegate(QStyledItemDelegate):
    """Draws a result in two lines: lemmas (bold) and the image count on the right; then the
    short path and the gloss, dimmed, cut with "…" to the width."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        if index.data(PATH_ROLE) is None:  # "No synset matches": one line
            return super().sizeHint(option, index)
        line = QFontMetrics(option.font).height()
        return QSize(100, 2 * line + 2 * _PAD + 2)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        path = index.data(PATH_ROLE)
        if path is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        opt: QStyleOptionViewItem = option
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        text_saved = opt.text
        opt.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        opt.text = text_saved
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = opt.palette
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        ink = palette.color(role)
        dim = palette.color(role)
        dim.setAlphaF(0.62)
        rect: QRect = opt.rect.adjusted(6, _PAD, -6, -_PAD)
        font = QFont(opt.font)
        metrics = QFontMetrics(font)
        line = metrics.height()
        painter.save()
        count = index.data(COUNT_ROLE)
        count_width = 0
        if count:
            count_width = metrics.horizontalAdvance(count) + 12
            painter.setPen(dim if count == "no images" else ink)
            painter.drawText(
                QRect(rect.left(), rect.top(), rect.width(), line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                count,
            )
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(ink)
        lemmas = QFontMetrics(bold).elidedText(
            index.data(Qt.ItemDataRole.DisplayRole) or "",
            Qt.TextElideMode.ElideRight,
            max(0, rect.width() - count_width),
        )
        painter.drawText(
            QRect(rect.left(), rect.top(), rect.width() - count_width, line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            lemmas,
        )
        painter.setFont(font)
        painter.setPen(dim)
        second = metrics.elidedText(
            f"{path}  —  {index.data(GLOSS_ROLE)}", Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(
            QRect(rect.left(), rect.top() + line + 2, rect.width(), line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            second,
        )
        painter.restore()


class SearchBox(QWidget):
    """A search field with its result list; ``chosen`` gives the wnid picked.

    Searches run on a worker thread (a query takes up to a few hundred ms on the
    trigram and gloss indexes); an answer to text the user has since changed is dropped.
    """

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit(placeholderText=LOADING_PLACEHOLDER)
        self.field.setClearButtonEnabled(True)
        self.field.setMaxLength(MAX_QUERY_CHARS)  # a pasted megabyte is cut, not searched
        self.results = QListWidget()
        self.results.setVisible(False)
        self.results.setItemDelegate(_HitDelegate(self.results))
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setUniformItemSizes(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.results)
        self.taxonomy: Taxonomy | None = None
        self.counts: Counts | None = None
        self.runner = JobRunner(self)
        self._asked: str | None = None  # the text of the search under way
        self._answered: str | None = None  # the text the results are for
        self._choose_when_answered = False
        self._timer = QTimer(self, singleShot=True, interval=60)  # as you type, not per key
        self._timer.timeout.connect(self._search)
        self.field.textChanged.connect(lambda _text: self._timer.start())
        self.field.returnPressed.connect(self._choose_first)
        self.results.itemActivated.connect(self._choose)
        self.results.itemClicked.connect(self._choose)
        self.field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.field
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            if event.key() == Qt.Key.Key_Down and self.results.isVisible():
                self.results.setFocus()
                self.results.setCurrentRow(0)
                return True
            if event.key() == Qt.Key.Key_Escape and self.results.isVisible():
                self.results.setVisible(False)
                return True  # a second Escape goes on (a dialog holding the box closes)
        return super().eventFilter(watched, event)

    @property
    def answered(self) -> str | None:
        """The text the results shown are for (None: none shown)."""
        return self._answered

    def set_taxonomy(self, taxonomy: Taxonomy | None) -> None:
        self.taxonomy = taxonomy
        self.field.setPlaceholderText(PLACEHOLDER if taxonomy is not None else LOADING_PLACEHOLDER)
        if self.field.text().strip():  # typed while WordNet loaded
            self._search()

    def set_counts(self, counts: Counts | None) -> None:
        """The image counts the results show (None: no catalogue open, no counts shown)."""
        self.counts = counts
        for i in range(self.results.count()):
            item = self.results.item(i)
            wnid = item.data(Qt.ItemDataRole.UserRole)
            if wnid:
                item.setData(COUNT_ROLE, count_text(counts, wnid))
        self.results.viewport().update()

    def _search(self) -> None:
        text = self.field.text().strip()
        if not text or self.taxonomy is None:
            self._asked = self._answered = None
            self.results.clear()
            self.results.setVisible(False)
            return
        if text in (self._asked, self._answered):
            return
        self._asked = text
        # a bound method, not a lambda: Qt drops the answer if the box (a dialog's) is gone
        self.runner.start(_search_answer, self.taxonomy, text, on_finished=self._show)

    def _show(self, answer: Answer) -> None:
        text, hits, problem = answer
        if text != self.field.text().strip():
            return  # typed on since: the answer to the new text is on its way
        self._asked, self._answered = None, text
        self.results.clear()
        for hit, path in hits:
            item = QListWidgetItem(", ".join(hit.lemmas[:3]))
            item.setToolTip(f"{hit.name} ({hit.wnid}, {hit.match} match)\n{path}\n{hit.gloss}")
            item.setData(Qt.ItemDataRole.UserRole, hit.wnid)
            item.setData(PATH_ROLE, path)
            item.setData(GLOSS_ROLE, hit.gloss)
            item.setData(COUNT_ROLE, count_text(self.counts, hit.wnid))
            self.results.addItem(item)
        if not self.results.count():
            self.results.addItem(QListWidgetItem(problem or "No synset matches"))
        self.results.setVisible(True)
        self._fit_height()
        if self._choose_when_answered:
            self._choose_when_answered = False
            self._choose(self.results.item(0))

    def _fit_height(self) -> None:
        """As tall as the rows, up to ``_MAX_ROWS`` of them and to 40% of the window's height
        (3 rows at least): 1 hit takes one row's height."""
        row = max(1, self.results.sizeHintForRow(0))
        fit = max(3, int(self.window().height() * 0.4) // row)
        rows = min(self.results.count(), _MAX_ROWS, fit)
        height = sum(self.results.sizeHintForRow(i) for i in range(rows))
        self.results.setFixedHeight(height + 2 * self.results.frameWidth() + 2)

    def search_now(self) -> None:
        """Ask for the results of the text now, not after the typing pause."""
        self._timer.stop()
        self._search()

    def _choose_first(self) -> None:
        self._timer.stop()
        if self._answered == self.field.text().strip() and self.results.count():
            self._choose(self.results.item(0))
        else:  # Enter before the answer: take its first hit when it comes
            self._choose_when_answered = True
            self._search()

    def _choose(self, item: QListWidgetItem) -> None:
        wnid = item.data(Qt.ItemDataRole.UserRole)
        if wnid:
            self.results.setVisible(False)
            self.chosen.emit(wnid)
