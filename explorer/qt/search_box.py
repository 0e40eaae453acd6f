"""The search box: a field and its result list; ``chosen`` gives the synset picked.

The window's box sits above the tree; the wrong-label dialog has one of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from explorer.core.errors import ExplorerError
from explorer.core.wordnet import MAX_QUERY_CHARS
from explorer.qt.workers import JobRunner

if TYPE_CHECKING:
    from explorer.core import SearchHit
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import Taxonomy

    Answer = tuple[str, list[SearchHit], str]  # the text, its hits, why there are none


def _search_answer(taxonomy: Taxonomy, text: str, state: JobState) -> Answer:
    """(text, hits, why there are none) for the SearchBox, on a worker thread."""
    try:
        return text, taxonomy.search(text, limit=50), ""
    except ExplorerError as exc:
        return text, [], str(exc)


class SearchBox(QWidget):
    """A search field with its result list; ``chosen`` gives the wnid picked.

    Searches run on a worker thread (a query takes up to a few hundred ms on the
    trigram and gloss indexes); an answer to text the user has since changed is dropped.
    """

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit(placeholderText="Search: lemma, wnid, offset or gloss words")
        self.field.setClearButtonEnabled(True)
        self.field.setMaxLength(MAX_QUERY_CHARS)  # a pasted megabyte is cut, not searched
        self.results = QListWidget()
        self.results.setVisible(False)
        self.results.setMaximumHeight(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.results)
        self.taxonomy: Taxonomy | None = None
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
        if self.field.text().strip():  # typed while WordNet loaded
            self._search()

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
        for hit in hits:
            item = QListWidgetItem(f"{', '.join(hit.lemmas[:3])}  —  {hit.wnid}")
            item.setToolTip(f"{hit.name} ({hit.match} match)\n{hit.gloss}")
            item.setData(Qt.ItemDataRole.UserRole, hit.wnid)
            self.results.addItem(item)
        if not self.results.count():
            self.results.addItem(QListWidgetItem(problem or "No synset matches"))
        self.results.setVisible(True)
        if self._choose_when_answered:
            self._choose_when_answered = False
            self._choose(self.results.item(0))

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
