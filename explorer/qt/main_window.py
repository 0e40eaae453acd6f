"""The main window: synset tree and search on the left; details, images and coverage on the right.

Everything slow runs in workers (explorer.qt.workers): loading the taxonomy,
indexing, auditing, listing a big subtree's images, decoding thumbnails. The
window keeps no domain logic: it calls the core and shows what comes back.

Curation: the catalogue's flag store (explorer.core.curation.store) is opened with it,
on the GUI thread (small and quick), with an undo stack (explorer.core.curation.commands).
The Curation menu's actions are the one implementation of the flag keys: their
shortcuts work in the grid (on the selected thumbnails) and in the viewer (on
its image); after each command the grid's states, the tree's Flagged and
Reviewed columns and the Curation tab follow.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalogue import CURATION_FILTERS
from explorer.core.curation import REASON_TABLE, REASONS, default_curator
from explorer.core.errors import ExplorerError
from explorer.core.text import plural
from explorer.core.wordnet import MAX_QUERY_CHARS
from explorer.qt.coverage_view import CoverageView
from explorer.qt.curation_panel import CurationPanel, WrongLabelDialog
from explorer.qt.detail_panel import DetailPanel
from explorer.qt.synset_tree_model import PATH_ROLE, WNID_ROLE, SynsetTreeModel
from explorer.qt.thumbnail_grid import (
    ROW_ROLE,
    ThumbnailGridModel,
    ThumbnailGridView,
    ThumbnailLoader,
)
from explorer.qt.workers import AfterFirstPaint, JobRunner

log = logging.getLogger(__name__)

THUMBNAIL_SIZES = (64, 96, 128, 192, 256)
_RECENT_LIMIT = 8

SHORTCUTS = (
    ("Ctrl+F", "Search synsets (lemma, wnid, offset, gloss words)"),
    ("Enter / ↓ in search", "Go to the first result / move into the results"),
    ("Ctrl+O", "Open a dataset folder"),
    ("Ctrl+Shift+O", "Open a manifest (CSV/TSV) or catalogue file"),
    ("F5", "Rescan the catalogue's dataset"),
    ("Ctrl+Shift+A", "Audit the catalogue's images"),
    ("Ctrl+1 / Ctrl+2 / Ctrl+3", "Images tab / Coverage tab / Curation tab"),
    ("Ctrl++ / Ctrl+-", "Larger / smaller thumbnails"),
    ("Ctrl+T", "Images of this synset only / of its whole subtree"),
    ("Enter or double-click", "Open the image viewer on the current thumbnail"),
    ("← / → in the viewer", "Previous / next image"),
    ("W", "Flag the selected images (grid) or the image (viewer): wrong label; asks for "
          "the right synset (Enter: first match, Skip: none)"),
    ("D / C / Q", "Flag: duplicate / corrupt / low quality"),
    ("N / O / X", "Flag: not a photo / offensive / other (asks for a note)"),
    ("Space or A", "Mark reviewed OK (removes flags)"),
    ("", "After flagging or OK on one image, the next image is selected"),
    ("Backspace / Delete", "Clear the flags and the OK mark"),
    ("Ctrl+Z", "Undo the last curation change"),
    ("Ctrl+Shift+Z or Ctrl+Y", "Redo it"),
    ("Ctrl+click / Shift+click in the tree", "Select several synsets (for an export)"),
    ("Ctrl+E", "Export the selected synsets: subtree, images, class map, superclasses, folders"),
    ("F1", "This list"),
)  # fmt: skip


def _list_images(catalogue_path: str, wnids: list[str], state) -> list:
    """Runs in a worker: its own connection, as SQLite wants one per thread."""
    from explorer.core.catalogue import Catalogue

    state.check()
    with Catalogue.open(catalogue_path) as catalogue:
        return catalogue.images(wnids)


def _search_answer(taxonomy, text: str, state) -> tuple[str, list, str]:
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
        self.taxonomy = None
        self.runner = JobRunner(self)
        self._asked = None  # the text of the search under way
        self._answered = None  # the text the results are for
        self._choose_when_answered = False
        self._timer = QTimer(self, singleShot=True, interval=60)  # as you type, not per key
        self._timer.timeout.connect(self._search)
        self.field.textChanged.connect(lambda _text: self._timer.start())
        self.field.returnPressed.connect(self._choose_first)
        self.results.itemActivated.connect(self._choose)
        self.results.itemClicked.connect(self._choose)
        self.field.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.field and event.type() == event.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down and self.results.isVisible():
                self.results.setFocus()
                self.results.setCurrentRow(0)
                return True
            if event.key() == Qt.Key.Key_Escape and self.results.isVisible():
                self.results.setVisible(False)
                return True  # a second Escape goes on (a dialog holding the box closes)
        return super().eventFilter(watched, event)

    def set_taxonomy(self, taxonomy) -> None:
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

    def _show(self, answer: tuple[str, list, str]) -> None:
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


class MainWindow(QMainWindow):
    """The application window. ``open_catalogue`` and ``select`` drive it from code and tests."""

    taxonomy_ready = Signal()
    images_ready = Signal()

    def __init__(self, settings: QSettings, thumbnail_cache_factory, data_dir=None) -> None:
        """``thumbnail_cache_factory()`` makes the ThumbnailCache when the first thumbnail
        is wanted (it loads Pillow, which the first paint does not need)."""
        super().__init__()
        self.setWindowTitle("WordNet Explorer")
        self.setObjectName("MainWindow")
        self.settings = settings
        self.data_dir = data_dir
        self.runner = JobRunner(self)
        self.taxonomy = None
        self._hierarchy = None  # the cache's CachedHierarchy, while the taxonomy loads
        self.tree_model: SynsetTreeModel | None = None
        self.catalogue = None  # an open explorer.core.catalogue.Catalogue
        self.counts = None
        self.propagate = None
        self.current_wnid: str | None = None
        self._images_job = None
        self._listed: list = []  # the current node's images, as listed, before arrange
        self._listed_paths: tuple[list | None, frozenset] = (None, frozenset())
        self._busy_job = None
        self.store = None  # the catalogue's FlagStore: GUI thread only (SQLite)
        self.undo_stack = None
        self.viewer = None
        self.curation_dialog = None  # the open wrong-label or note dialog
        self._queue: dict[str, tuple[str, str | None]] | None = None  # path -> note, suggested
        self._select_after_arrange: str | None = None
        self._tally = None  # core CurationTally: what the tree's curation columns propagate
        self._curation_timer = QTimer(self, singleShot=True, interval=0)
        self._curation_timer.timeout.connect(self._refresh_curation)
        self._fit_columns_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_columns_timer.timeout.connect(self._fit_tree_columns)
        self._scroll_timer = QTimer(self, singleShot=True, interval=0)
        self._scroll_timer.timeout.connect(self._scroll_to_name)

        self.search = SearchBox()
        self.search.chosen.connect(self.select)
        self.tree = QTreeView()
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QTreeView.SelectionMode.ExtendedSelection)  # for exports
        self.tree.setAlternatingRowColors(True)
        self.tree.setIndentation(14)
        self.tree_placeholder = QLabel(
            "Loading WordNet 3.0…", alignment=Qt.AlignmentFlag.AlignCenter
        )
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.tree_placeholder)
        left_layout.addWidget(self.tree, 1)
        self.tree.setVisible(False)

        self.detail = DetailPanel()
        self.detail.wnid_clicked.connect(self.select)
        self.detail.path_clicked.connect(self.select_path)

        self.loader = ThumbnailLoader(thumbnail_cache_factory, threads=2, parent=self)
        self.grid_model = ThumbnailGridModel(self.loader, self)
        self.grid = ThumbnailGridView()
        self.grid.setModel(self.grid_model)
        self.grid.activated.connect(self.open_viewer)
        self.scope = QComboBox()
        self.scope.addItem("This synset", "direct")
        self.scope.addItem("Whole subtree", "subtree")
        self.sort = QComboBox()
        for label, key in (("Name", "name"), ("Path", "path"), ("File size", "size"),
                           ("Audit status", "problems")):  # fmt: skip
            self.sort.addItem(label, key)
        self.filter = QComboBox()
        filters = (
            ("All images", "all"), ("With problems", "problems"),
            ("Without problems", "clean"), ("Not audited", "not_audited"),
        )  # fmt: skip
        for label, key in filters:
            self.filter.addItem(label, key)
        self.filter.insertSeparator(self.filter.count())
        curation_filters = (("Flagged", "flagged"), ("Reviewed OK", "reviewed_ok"),
                            ("Not reviewed", "not_reviewed"))  # fmt: skip
        for label, key in curation_filters:
            self.filter.addItem(label, key)
        for reason in REASONS:
            self.filter.addItem(f"Flag: {reason.replace('_', ' ')}", f"flag:{reason}")
        self.size_slider = QSlider(
            Qt.Orientation.Horizontal, minimum=0, maximum=len(THUMBNAIL_SIZES) - 1
        )
        self.size_slider.setFixedWidth(110)
        self.size_slider.setToolTip("Thumbnail size (Ctrl++ / Ctrl+-)")
        self.image_count = QLabel()
        grid_bar = QHBoxLayout()
        for widget in (QLabel("Show"), self.scope, QLabel("sorted by"), self.sort, self.filter):
            grid_bar.addWidget(widget)
        grid_bar.addStretch(1)
        grid_bar.addWidget(self.image_count)
        grid_bar.addWidget(self.size_slider)
        images_tab = QWidget()
        images_layout = QVBoxLayout(images_tab)
        images_layout.setContentsMargins(4, 4, 4, 4)
        images_layout.addLayout(grid_bar)
        images_layout.addWidget(self.grid, 1)
        self.coverage = CoverageView()
        self.coverage.wnid_activated.connect(self.select)
        self.coverage.threshold_changed.connect(self._threshold_changed)
        self.tabs = QTabWidget()
        self.tabs.addTab(images_tab, "Images")
        self.tabs.addTab(self.coverage, "Coverage")
        self.curation_panel = CurationPanel()
        self.curation_panel.image_activated.connect(self.show_image)
        self.tabs.addTab(self.curation_panel, "Curation")
        self.tabs.currentChanged.connect(lambda _i: self._refresh_coverage())
        self.tabs.currentChanged.connect(lambda _i: self._refresh_curation_panel())

        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(self.detail)
        self.right.addWidget(self.tabs)
        self.right.setSizes([260, 520])
        self.main_split = QSplitter()
        self.main_split.addWidget(left)
        self.main_split.addWidget(self.right)
        self.main_split.setSizes([520, 840])  # four count columns before the names
        self.setCentralWidget(self.main_split)

        self.progress = QProgressBar(maximumWidth=240)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self._cancel_busy)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.store_note = QLabel()  # stays while the flag store cannot be written
        self.store_note.setVisible(False)
        self.statusBar().addPermanentWidget(self.store_note)

        self._build_menus()
        self._restore_settings()
        self.scope.currentIndexChanged.connect(lambda _i: self._load_images())
        self.sort.currentIndexChanged.connect(lambda _i: self._arrange_images())
        self.filter.currentIndexChanged.connect(lambda _i: self._arrange_images())
        self.size_slider.valueChanged.connect(self._size_changed)

    # --- menus and settings -------------------------------------------------------

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&Catalogue")
        self._action(menu, "Open &folder…", "Ctrl+O", self.choose_folder)
        self._action(menu, "Open &manifest or catalogue file…", "Ctrl+Shift+O", self.choose_file)
        self.recent_menu = menu.addMenu("&Recent catalogues")
        self._action(menu, "Open the &demo catalogue", None, self.open_demo)
        menu.addSeparator()
        self.rescan_action = self._action(menu, "&Rescan", "F5", self.rescan)
        self.audit_action = self._action(menu, "&Audit images", "Ctrl+Shift+A", self.audit)
        menu.addSeparator()
        self._action(menu, "&Export the selected synsets…", "Ctrl+E", self.open_export_dialog)
        menu.addSeparator()
        self._action(menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        view = self.menuBar().addMenu("&View")
        self._action(view, "&Search", "Ctrl+F", self._focus_search)
        self._action(view, "&Images", "Ctrl+1", lambda: self.tabs.setCurrentIndex(0))
        self._action(view, "&Coverage", "Ctrl+2", lambda: self.tabs.setCurrentIndex(1))
        self._action(view, "C&uration", "Ctrl+3", lambda: self.tabs.setCurrentIndex(2))
        self._action(view, "Toggle synset / sub&tree images", "Ctrl+T",
                     lambda: self.scope.setCurrentIndex(1 - self.scope.currentIndex()))  # fmt: skip
        self._action(view, "&Larger thumbnails", QKeySequence.StandardKey.ZoomIn,
                     lambda: self.size_slider.setValue(self.size_slider.value() + 1))  # fmt: skip
        self._action(view, "S&maller thumbnails", QKeySequence.StandardKey.ZoomOut,
                     lambda: self.size_slider.setValue(self.size_slider.value() - 1))  # fmt: skip
        self._build_curation_menu()
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", "F1", self.show_shortcuts)
        self._action(help_menu, "&About", None, self.show_about)
        self._update_actions()

    def _action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_curation_menu(self) -> None:
        """The flag keys: actions whose shortcuts work in the grid and the viewer only (the
        tree and the search field keep their keys); undo and redo in the whole window."""
        menu = self.menuBar().addMenu("C&uration")
        menu.setToolTipsVisible(True)
        self.flag_actions: dict[str, QAction] = {}
        for reason in REASON_TABLE:
            action = self._action(menu, reason.label, reason.key,
                                  lambda _c=False, r=reason.code: self.flag(r))  # fmt: skip
            action.setToolTip(f"Flag the selected images ({reason.key}): {reason.meaning}")
            self.flag_actions[reason.code] = action
        menu.addSeparator()
        self.ok_action = self._action(menu, "Reviewed &OK", "Space", self.mark_ok)
        self.ok_action.setShortcuts([QKeySequence("Space"), QKeySequence("A")])
        self.ok_action.setToolTip("Mark the selected images reviewed, OK (Space or A); "
                                  "removes their flags")  # fmt: skip
        self.clear_action = self._action(menu, "&Clear flags", "Backspace", self.clear_flags)
        self.clear_action.setShortcuts([QKeySequence("Backspace"), QKeySequence("Delete")])
        self.clear_action.setToolTip("Remove the flags and OK marks of the selected images "
                                     "(Backspace or Delete)")  # fmt: skip
        self.key_actions = [*self.flag_actions.values(), self.ok_action, self.clear_action]
        for action in self.key_actions:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.grid.addAction(action)
        menu.addSeparator()
        self.undo_action = self._action(menu, "&Undo", "Ctrl+Z", self.undo)
        self.redo_action = self._action(menu, "&Redo", "Ctrl+Shift+Z", self.redo)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (self.undo_action, self.redo_action):
            self.grid.addAction(action)  # the grid's right-click menu has them too
        self.key_actions += [self.undo_action, self.redo_action]
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        menu.addSeparator()
        self.queue_action = self._action(menu, "Review &queue", None, self._toggle_queue)
        self.queue_action.setCheckable(True)
        self.queue_action.setToolTip("Show the images queued for review (e.g. published "
                                     "label errors) in the grid; again: back to the "
                                     "synset's images")  # fmt: skip
        self._action(menu, "Set curator &name…", None, self.ask_curator)
        self._update_curation_actions()

    def _update_curation_actions(self) -> None:
        on = self.store is not None
        writable = on and self.store.read_only is None
        for action in [*self.flag_actions.values(), self.ok_action, self.clear_action]:
            action.setEnabled(writable)
        self.queue_action.setEnabled(on)
        stack = self.undo_stack
        undo = stack.undo_label if stack is not None else None
        redo = stack.redo_label if stack is not None else None
        self.undo_action.setText(f"&Undo {undo}" if undo else "&Undo")
        self.redo_action.setText(f"&Redo {redo}" if redo else "&Redo")
        self.undo_action.setEnabled(undo is not None)
        self.redo_action.setEnabled(redo is not None)

    def _update_actions(self) -> None:
        has = self.catalogue is not None
        self.rescan_action.setEnabled(has and self._busy_job is None)
        self.audit_action.setEnabled(has and self._busy_job is None)
        self.recent_menu.clear()
        for path in self._recent():
            self._action(
                self.recent_menu, path, None, lambda _c=False, p=path: self.open_catalogue(p)
            )
        self.recent_menu.setEnabled(bool(self._recent()))

    def _recent(self) -> list[str]:
        value = self.settings.value("recent_catalogues", [])
        recent = [value] if isinstance(value, str) else list(value or [])
        return [p for p in recent if os.path.exists(p)]

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 860)
        for key, splitter in (("main_split", self.main_split), ("right_split", self.right)):
            state = self.settings.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        size = int(self.settings.value("thumbnail_size", 128))
        self.size_slider.setValue(THUMBNAIL_SIZES.index(size) if size in THUMBNAIL_SIZES else 2)
        self._size_changed(self.size_slider.value())
        self.scope.setCurrentIndex(int(self.settings.value("scope", 1)))
        self.coverage.threshold.setValue(int(self.settings.value("thin_threshold", 10)))

    def save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("main_split", self.main_split.saveState())
        self.settings.setValue("right_split", self.right.saveState())
        self.settings.setValue("thumbnail_size", THUMBNAIL_SIZES[self.size_slider.value()])
        self.settings.setValue("scope", self.scope.currentIndex())
        self.settings.setValue("thin_threshold", self.coverage.threshold.value())
        if self.catalogue is not None:
            self.settings.setValue("last_catalogue", str(self.catalogue.path))
        if self.current_wnid:
            self.settings.setValue("last_synset", self.current_wnid)

    def closeEvent(self, event) -> None:
        self.save_settings()
        self.loader.shutdown()
        self.runner.shutdown()
        self.search.runner.shutdown()
        self._close_store()
        if self.catalogue is not None:
            self.catalogue.close()
        super().closeEvent(event)

    # --- taxonomy ------------------------------------------------------------------

    def load_taxonomy(self, wordnet=None, future=None) -> None:
        """Show the tree and load the taxonomy in a worker (or wait there for ``future``,
        a load already started).

        With a current cache the tree is shown at once from the cache's CachedHierarchy,
        and the graph loads after the tree's first paint (a worker competing for the
        GIL would hold that paint back); the rest of the window follows when it arrives.
        """
        from explorer.core.wordnet import open_cached_hierarchy

        def load(wordnet, data_dir, state):  # in the worker: networkx's import too
            if future is not None:
                return future.result()
            from explorer.core.wordnet import load_taxonomy

            return load_taxonomy(wordnet, data_dir, state)

        def start_load() -> None:
            self._show_busy("Loading WordNet 3.0")
            self.runner.start(
                load, wordnet, self.data_dir,
                on_finished=self._taxonomy_loaded, on_failed=self._taxonomy_failed,
                on_progress=self._progress,
            )  # fmt: skip

        self._hierarchy = open_cached_hierarchy(wordnet, self.data_dir)
        if self._hierarchy is None:  # a first run builds the cache: nothing to show before
            start_load()
            return
        self._show_tree(self._hierarchy)
        self._after_paint = AfterFirstPaint(self.tree.viewport(), start_load)

    def _show_tree(self, source) -> None:
        self.tree_model = SynsetTreeModel(source, self, curation=True)
        self.tree.setModel(self.tree_model)
        header = self.tree.header()
        header.setStretchLastSection(False)
        # Names grow with depth (WordNet goes 19 levels down): columns are fitted to their
        # text (and the tree scrolls sideways) rather than squeezing deep names to nothing.
        # Fitted once per expand or new counts, not by ResizeToContents, which measures every
        # expanded row again on each change: 11,000 model calls per select.
        header.setSectionResizeMode(header.ResizeMode.Interactive)
        for column in range(self.tree_model.columnCount()):
            header.resizeSection(column, header.sectionSizeHint(column))  # from narrow, then
        self.tree.expanded.connect(self._fit_tree_columns_soon)
        self.tree.collapsed.connect(self._fit_tree_columns_soon)
        self.tree.verticalScrollBar().valueChanged.connect(self._fit_tree_columns_soon)
        # counts first, where they stay in view; the tree in the names
        header.moveSection(0, self.tree_model.columnCount() - 1)
        self.tree.setTreePosition(0)
        self.tree.selectionModel().currentChanged.connect(self._tree_current_changed)
        self.tree.expand(self.tree_model.index(0, 0))
        self._fit_tree_columns()  # before the first paint: four rows, quick
        self.tree_placeholder.setVisible(False)
        self.tree.setVisible(True)
        self.tree_model.set_thin_threshold(self.coverage.threshold.value())

    def _scroll_to_name(self) -> None:
        """Scroll sideways only as far as the current row's name needs. Qt scrolls to the
        end of the names' column (as wide as the longest name in view), which hides the
        count columns on its left for no purpose."""
        index = self.tree.currentIndex()
        if not index.isValid():
            return
        bar = self.tree.horizontalScrollBar()
        rect = self.tree.visualRect(index)  # the name cell, after the indentation
        text = self.tree.fontMetrics().horizontalAdvance(str(index.data() or ""))
        right = bar.value() + rect.x() + text + 16  # in the content's coordinates
        bar.setValue(max(0, min(bar.value(), right - self.tree.viewport().width())))

    def selected_wnids(self) -> list[str]:
        """The synsets selected in the tree, in tree order, each once (the current one if
        nothing is selected)."""
        if self.tree_model is None:
            return []
        rows = sorted(self.tree.selectionModel().selectedRows(0), key=self._tree_order)
        wnids = list(dict.fromkeys(index.data(WNID_ROLE) for index in rows))
        return wnids or ([self.current_wnid] if self.current_wnid else [])

    def _tree_order(self, index) -> tuple:
        path = []
        while index.isValid():
            path.append(index.row())
            index = index.parent()
        return tuple(reversed(path))

    def open_export_dialog(self) -> None:
        from explorer.core.exports import run_export
        from explorer.qt.export_dialog import ExportDialog

        wnids = self.selected_wnids()
        if self.taxonomy is None or not wnids:
            QMessageBox.information(self, "Export", "Select one or more synsets in the tree.")
            return
        taxonomy = self.taxonomy
        catalogue = str(self.catalogue.path) if self.catalogue is not None else None
        names = [taxonomy.node(w)["lemmas"][0] for w in wnids]
        dialog = ExportDialog(
            wnids, names, lambda request, state: run_export(request, taxonomy, catalogue),
            self.runner, catalogue is not None, self,
        )  # fmt: skip
        dialog.exported.connect(
            lambda report: self.statusBar().showMessage(
                f"Exported {plural(report.rows, 'row')} to {', '.join(report.outputs)}", 15000
            )
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.export_dialog = dialog
        dialog.show()

    def _fit_tree_columns_soon(self) -> None:
        self._fit_columns_timer.start()  # once, after a burst of expands

    def _fit_tree_columns(self) -> None:
        """Widen columns to the rows in view (Qt measures those); never narrow them while
        browsing, which would make the tree jump sideways on every scroll."""
        header = self.tree.header()
        for column in range(self.tree_model.columnCount()):
            wanted = max(self.tree.sizeHintForColumn(column), header.sectionSizeHint(column))
            if wanted > header.sectionSize(column):
                header.resizeSection(column, wanted)

    def _taxonomy_loaded(self, taxonomy) -> None:
        self._hide_busy()
        self.taxonomy = taxonomy
        self.search.set_taxonomy(taxonomy)
        if self.tree_model is None:
            self._show_tree(taxonomy)
        else:
            self.tree_model.set_source(taxonomy)
            self._hierarchy.close()
            self._hierarchy = None
            current = self.tree.selectionModel().currentIndex()
            if current.isValid():  # chosen while the graph loaded: show it in full now
                self._tree_current_changed(current, None)
        if self.catalogue is not None:
            self._recount()
        self.taxonomy_ready.emit()

    def _taxonomy_failed(self, message: str) -> None:
        self._hide_busy()
        self.tree_placeholder.setText(f"Cannot load WordNet 3.0:\n{message}")
        QMessageBox.critical(self, "WordNet 3.0", message)

    # --- selection -----------------------------------------------------------------

    def select(self, wnid: str) -> None:
        """Select ``wnid`` in the tree along its first (shortest) path."""
        if self.taxonomy is None or wnid not in self.taxonomy:
            return
        self.select_path(self.taxonomy.paths_to_root(wnid)[0])

    def select_path(self, path: list[str]) -> None:
        index = self.tree_model.index_for_path(path)
        if not index.isValid():
            return
        parent = index.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.scrollTo(index, QTreeView.ScrollHint.PositionAtCenter)
        # now, before selecting starts the image listing: a worker running Python makes
        # every Python call of the fit wait for the GIL (86 ms instead of 10)
        self._fit_columns_timer.stop()
        self._fit_tree_columns()
        self.tree.horizontalScrollBar().setValue(0)  # keep the counts in view
        self.tree.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def _tree_current_changed(self, current, _previous) -> None:
        self._scroll_timer.start()  # after the expands' layout
        wnid = current.data(WNID_ROLE)
        if not wnid or self.taxonomy is None:  # _taxonomy_loaded comes back here
            return
        self.current_wnid = wnid
        self.detail.show_synset(self.taxonomy, wnid, self.counts, self.coverage.threshold.value())
        path = current.data(PATH_ROLE)
        self.statusBar().showMessage(
            " › ".join(self.taxonomy.graph.nodes[w]["lemmas"][0] for w in path)
        )
        self._load_images()
        self._refresh_coverage()

    # --- catalogue -----------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a dataset folder")
        if folder:
            self.index_source(folder)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a manifest or a catalogue", "",
            "Manifests and catalogues (*.csv *.tsv *.txt *.sqlite *.db);;All files (*)",
        )  # fmt: skip
        if not path:
            return
        if path.lower().endswith((".sqlite", ".db")):
            self.open_catalogue(path)
        else:
            self.index_source(path, layout="manifest")

    def index_source(self, source: str, layout: str = "auto", labels: str | None = None) -> None:
        """Index (or rescan) a dataset in the background, then open its catalogue."""
        from explorer.core.catalogue import default_catalogue_path, detect_layout, index_catalogue
        from explorer.core.errors import CatalogueError
        from explorer.core.wordnet import load_noun_wnids

        target = self.catalogue.path if self._is_current_source(source) else None
        indexed = (target or default_catalogue_path(source, self.data_dir)).is_file()
        # a rescan keeps the catalogue's layout and label file (the core remembers them)
        if layout == "auto" and not indexed:
            try:
                layout = detect_layout(Path(source))
            except CatalogueError as exc:
                QMessageBox.warning(self, "Open a dataset", str(exc))
                return
        if layout == "ilsvrc-val" and labels is None:
            labels, _ = QFileDialog.getOpenFileName(
                self, "ILSVRC validation labels (one wnid per line)", str(Path(source).parent)
            )
            if not labels:
                return

        def index(state):
            from explorer.core.curation import relink_after_scan

            nouns = self.taxonomy.graph if self.taxonomy else load_noun_wnids(None, self.data_dir)
            summary = index_catalogue(
                source, nouns=nouns, layout=layout, labels=labels, data_dir=self.data_dir,
                catalogue=target, state=state,
            )  # fmt: skip
            return summary, relink_after_scan(summary.catalogue, summary)

        self._start_busy(f"Indexing {source}", index, self._indexed)

    def _is_current_source(self, source: str) -> bool:
        return self.catalogue is not None and str(self.catalogue.source) == str(
            Path(source).resolve()
        )

    def _indexed(self, result) -> None:
        summary, relinked = result
        self._hide_busy()
        self.open_catalogue(summary.catalogue)
        followed = ""
        if relinked is not None and (relinked.relinked or relinked.ambiguous):
            followed = (
                f"; flags followed {len(relinked.relinked):,} moved files"
                + (f", {len(relinked.ambiguous):,} left (same bytes in several places)"
                   if relinked.ambiguous else "")
            )  # fmt: skip
        outside = f", {summary.outside_root:,} outside the root" if summary.outside_root else ""
        self.statusBar().showMessage(
            f"Indexed {plural(summary.images, 'image')} on {plural(summary.synsets, 'synset')} "
            f"({summary.added:,} new, {summary.changed:,} changed, {summary.newly_missing:,} gone, "
            f"{summary.unknown + summary.no_label:,} without a noun label{outside}){followed}",
            15000,
        )
        if summary.warnings:  # what looked wrong with the input: too important for the status bar
            QMessageBox.warning(self, "Indexed, with warnings", "\n\n".join(summary.warnings))

    def rescan(self) -> None:
        if self.catalogue is not None:
            self.index_source(str(self.catalogue.source), self.catalogue.layout,
                              self.catalogue.meta.get("labels"))  # fmt: skip

    def audit(self) -> None:
        from explorer.core.images import audit_catalogue

        if self.catalogue is None:
            return
        path = self.catalogue.path

        def run(state):
            return audit_catalogue(path, state=state)

        self._start_busy("Auditing images", run, self._audited, on_cancelled=self._audited)

    def _audited(self, summary=None) -> None:
        self._hide_busy()
        if summary is not None:
            problems = ", ".join(f"{code} {n:,}" for code, n in summary.by_code.items()) or "none"
            self.statusBar().showMessage(
                f"Audited {summary.audited:,} of {plural(summary.images, 'image')}; "
                f"problems: {problems}",
                20000,
            )
        self._load_images()

    def open_demo(self) -> None:
        from explorer.core.demo import ensure_demo_catalogue

        def make(state):
            return ensure_demo_catalogue(self.data_dir, state=state)

        self._start_busy("Preparing the demo catalogue", make, self._demo_ready)

    def _demo_ready(self, path) -> None:
        self._hide_busy()
        self.open_catalogue(path)

    def load_catalogue(self, value) -> None:
        """Open the catalogue ``value`` names: a catalogue file, or an indexed dataset folder
        or manifest (explorer.core.catalogue.resolve_catalogue). Raises ExplorerError."""
        from explorer.core.catalogue import Catalogue, resolve_catalogue

        catalogue = Catalogue.open(resolve_catalogue(value, self.data_dir))
        self._close_viewer()
        self._close_store()
        if self.catalogue is not None:
            self.catalogue.close()
        self.catalogue = catalogue
        self._open_store()
        recent = [str(catalogue.path), *[p for p in self._recent() if p != str(catalogue.path)]]
        self.settings.setValue("recent_catalogues", recent[:_RECENT_LIMIT])
        self.settings.setValue("last_catalogue", str(catalogue.path))
        self.setWindowTitle(f"WordNet Explorer — {catalogue.source}")
        self._recount()
        self._update_actions()

    def open_catalogue(self, value) -> bool:
        """``load_catalogue``, its error shown; a dataset not indexed yet is offered indexing."""
        from explorer.core.errors import NotIndexedError

        try:
            self.load_catalogue(value)
        except NotIndexedError as exc:
            answer = QMessageBox.question(
                self, "Open a dataset", f"{exc.source} has not been indexed yet.\n\nIndex it now?"
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.index_source(str(exc.source))
            return False
        except ExplorerError as exc:
            QMessageBox.warning(self, "Open a catalogue", str(exc))
            return False
        return True

    def _recount(self) -> None:
        if self.taxonomy is None or self.catalogue is None:
            return
        if self.propagate is None:  # built when first needed, not before the first paint
            from explorer.core.analysis import CountPropagator

            self.propagate = CountPropagator(self.taxonomy)
        self.counts = self.propagate(self.catalogue.direct_counts(self.taxonomy.graph))
        self.tree_model.set_counts(self.counts)
        self._tally = None  # a rescan may have changed which images are present
        self._curation_timer.start()
        self._fit_tree_columns_soon()
        if self.current_wnid:
            self.detail.show_synset(
                self.taxonomy, self.current_wnid, self.counts, self.coverage.threshold.value()
            )
        self._load_images()
        self._refresh_coverage()

    def _threshold_changed(self, value: int) -> None:
        if self.tree_model is not None:
            self.tree_model.set_thin_threshold(value)
        if self.current_wnid and self.taxonomy is not None:
            self.detail.show_synset(self.taxonomy, self.current_wnid, self.counts, value)

    def _refresh_coverage(self) -> None:
        if self.tabs.currentWidget() is self.coverage and self.taxonomy is not None:
            self.coverage.show_subtree(self.taxonomy, self.counts, self.current_wnid)

    # --- images --------------------------------------------------------------------

    def _load_images(self) -> None:
        """List the current node's images in a worker, then arrange them (_arrange_images)."""
        self._listed = []
        if self._queue is not None:  # leave the review queue
            self._queue = None
            self.grid_model.set_notes({})
            self.queue_action.setChecked(False)
        if self.catalogue is None or self.current_wnid is None or self.taxonomy is None:
            self._cancel_images_job()
            self.grid_model.set_rows(self.catalogue, [])
            self._update_image_count()
            return
        wnid = self.current_wnid
        wnids = [wnid]
        if self.scope.currentData() == "subtree" and self.counts is not None:
            wnids = self.counts.image_synsets_under(wnid)
        self._start_images_job(
            _list_images, str(self.catalogue.path), wnids,
            on_finished=lambda rows, wnid=wnid: self._images_listed(wnid, rows),
        )  # fmt: skip

    def _images_listed(self, wnid: str, rows: list) -> None:
        if wnid != self.current_wnid:
            return  # the user moved on meanwhile
        self._listed = rows
        self._arrange_images()
        self._refresh_curation_panel()

    def _arrange_images(self) -> None:
        """Filter and sort the listed images in a worker (a subtree can hold 250,000)."""
        from explorer.core.catalogue import arrange

        listed, wnid = self._listed, self.current_wnid
        sort, keep = self.sort.currentData(), self.filter.currentData()
        # a snapshot for the worker (the store's connection stays on this thread)
        curation = keep in CURATION_FILTERS or keep.startswith("flag:")
        states = dict(self.grid_model.states) if curation else None
        self._start_images_job(
            lambda state: arrange(listed, sort, keep, states),
            on_finished=lambda rows: self._images_arranged(wnid, listed, rows),
        )  # fmt: skip

    def _images_arranged(self, wnid: str, listed: list, rows: list) -> None:
        if wnid != self.current_wnid or listed is not self._listed:
            return  # superseded by another node, scope, sort or filter
        self._images_job = None
        self.grid_model.set_rows(self.catalogue, rows, total=len(listed))
        self._update_image_count()
        path, self._select_after_arrange = self._select_after_arrange, None
        if path is not None:
            self.show_image(path)
        self.images_ready.emit()

    def _start_images_job(self, function, *args, on_finished) -> None:
        self._cancel_images_job()
        self.image_count.setText("Loading…")
        self._images_job = self.runner.start(
            function, *args, on_finished=on_finished,
            on_failed=lambda message: self.image_count.setText(message),
        )  # fmt: skip

    def _cancel_images_job(self) -> None:
        if self._images_job is not None:
            self._images_job.cancel()
            self._images_job = None

    def _update_image_count(self) -> None:
        shown, total = self.grid_model.rowCount(), self.grid_model.total()
        noun = "image" if total == 1 else "images"
        self.image_count.setText(
            ("Review queue: " if self._queue is not None else "")
            + (f"{shown:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}")
        )

    def _size_changed(self, position: int) -> None:
        self.grid.set_thumbnail_size(THUMBNAIL_SIZES[position])

    def open_viewer(self, index=None) -> None:
        index = index if index is not None and index.isValid() else self.grid.currentIndex()
        if not index.isValid() or self.catalogue is None:
            return
        from explorer.qt.image_viewer import ImageViewer  # loads Pillow: not needed at start

        self._close_viewer()
        rows = self.grid_model.rows()
        state_for = self.grid_model.state if self.store is not None else None
        viewer = ImageViewer(self.catalogue, rows, index.row(), self, state_for)
        viewer.addActions(self.key_actions)  # the flag keys work there too: one implementation
        viewer.position_changed.connect(
            lambda row: self.grid.setCurrentIndex(self.grid_model.index(row))
        )
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.finished.connect(lambda _result, v=viewer: self._viewer_closed(v))
        viewer.show()
        self.viewer = viewer

    def _viewer_closed(self, viewer) -> None:
        if self.viewer is viewer:
            self.viewer = None

    def _close_viewer(self) -> None:
        if self.viewer is not None:
            viewer, self.viewer = self.viewer, None
            viewer.close()

    def show_image(self, path: str) -> None:
        """Select the image at ``path`` in the grid (showing all images if the filter hides
        it); from the Curation tab's table."""
        position = self.grid_model.position_of(path)
        self.tabs.setCurrentIndex(0)
        if position is None:
            if self.filter.currentData() != "all" and any(r.path == path for r in self._listed):
                self._select_after_arrange = path
                self.filter.setCurrentIndex(self.filter.findData("all"))
            return
        index = self.grid_model.index(position)
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index)
        self.grid.setFocus()

    def current_row(self):
        index = self.grid.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    # --- curation ----------------------------------------------------------------------

    def _open_store(self) -> None:
        """Open the catalogue's flag store; say so when it had to be recovered."""
        from explorer.core.curation import FlagStore, UndoStack

        try:
            store = FlagStore.open_for(self.catalogue.path)
        except (ExplorerError, sqlite3.Error, OSError) as exc:
            QMessageBox.warning(
                self, "Flags",
                f"Cannot open the flag store of this catalogue, so curation is off:\n{exc}",
            )  # fmt: skip
            store = None
        self.store = store
        self.undo_stack = UndoStack(store) if store is not None else None
        self._tally = None
        self.grid_model.set_states(store.states() if store is not None else {})
        self._update_curation_actions()
        self._curation_timer.start()
        read_only = store is not None and store.read_only is not None
        # shown in the status bar, not a dialog: browsing a shared, read-only dataset is normal
        self.store_note.setVisible(read_only)
        if read_only:
            self.store_note.setText("Flags read-only")
            self.store_note.setToolTip(
                f"Flags are read-only here ({store.read_only}): the curation keys are off."
                + (f"\n{store.recovered}" if store.recovered else "")
            )
        elif store is not None and store.recovered:
            QMessageBox.warning(self, "Flags recovered", store.recovered)

    def _close_store(self) -> None:
        store, self.store, self.undo_stack = self.store, None, None
        self.store_note.setVisible(False)
        if store is not None:
            try:
                store.close()  # takes a snapshot when something changed
            except (ExplorerError, sqlite3.Error, OSError):
                log.exception("closing the flag store %s", store.path)
        self._queue = None
        self.queue_action.setChecked(False)
        self.grid_model.set_notes({})
        self.grid_model.set_states({})
        self._update_curation_actions()
        if self.tree_model is not None:
            self.tree_model.set_curation_counts(None, None)

    def curator(self) -> str:
        """Who flags: the "curator" preference, else the login name."""
        return str(self.settings.value("curator", "") or "") or default_curator()

    def ask_curator(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Curator", "Your name, recorded with each flag and OK mark:", text=self.curator()
        )
        if ok and name.strip():
            self.settings.setValue("curator", name.strip())

    def _targets(self) -> tuple[list, str]:
        """The images a curation key acts on, as (position, row) pairs, and where: the
        viewer's image when the viewer has the focus, else the grid's selection (or its
        current image)."""
        viewer = self.viewer
        focus = QApplication.focusWidget()
        if viewer is not None and focus is not None and focus.window() is viewer:
            row = viewer.current_row()
            return ([(viewer.position, row)] if row is not None else []), "viewer"
        positions = []
        for span in self.grid.selectionModel().selection():
            positions.extend(range(span.top(), span.bottom() + 1))
        if not positions and self.grid.currentIndex().isValid():
            positions = [self.grid.currentIndex().row()]
        rows = self.grid_model.rows()
        return [(p, rows[p]) for p in sorted(set(positions)) if p < len(rows)], "grid"

    def flag(self, reason: str) -> None:
        """Flag the target images with ``reason`` (wrong label and other ask first)."""
        targets, where = self._targets()
        if not targets or self.store is None:
            return
        if reason == "wrong_label":
            self._ask_wrong_label(targets, where)
        elif reason == "other":
            self._ask_note(targets, where)
        else:
            self._flag(targets, where, reason)

    def _flag(self, targets, where, reason, note="", suggested=None) -> None:
        from explorer.core.curation import flag_images

        curator = self.curator()
        self._run(
            lambda refs: flag_images(self.store, refs, reason, note, suggested, curator),
            targets, where, advance=True,
        )  # fmt: skip

    def _ask_wrong_label(self, targets, where) -> None:
        box = SearchBox()
        box.set_taxonomy(self.taxonomy)
        text = ""  # a queued image's suggestion: Enter accepts it
        if self._queue is not None and len(targets) == 1:
            text = (self._queue.get(targets[0][1].path) or ("", None))[1] or ""
        parent = self.viewer if where == "viewer" else self
        dialog = WrongLabelDialog(box, len(targets), text, parent)
        dialog.accepted.connect(
            lambda: self._flag(targets, where, "wrong_label", suggested=dialog.suggested)
        )
        self._open_curation_dialog(dialog, where)

    def _open_curation_dialog(self, dialog, where: str) -> None:
        """Open ``dialog`` (window-modal, not blocking); afterwards the keys go back where
        they came from, so culling goes on without the mouse."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._curation_dialog_done(where))
        self.curation_dialog = dialog
        dialog.open()

    def _curation_dialog_done(self, where: str) -> None:
        self.curation_dialog = None
        if where == "viewer" and self.viewer is not None:
            self.viewer.activateWindow()
            self.viewer.setFocus()
        else:
            self.activateWindow()
            self.grid.setFocus()

    def _ask_note(self, targets, where) -> None:
        parent = self.viewer if where == "viewer" else self
        dialog = QInputDialog(parent)
        dialog.setWindowTitle("Other")
        noun = "this image" if len(targets) == 1 else f"these {len(targets)} images"
        dialog.setLabelText(f"What is wrong with {noun}?")
        dialog.textValueSelected.connect(
            lambda text: self._flag(targets, where, "other", note=text.strip())
        )
        self._open_curation_dialog(dialog, where)

    def mark_ok(self) -> None:
        from explorer.core.curation import mark_reviewed

        targets, where = self._targets()
        if targets and self.store is not None:
            curator = self.curator()
            self._run(lambda refs: mark_reviewed(self.store, refs, curator), targets, where,
                      advance=True)  # fmt: skip

    def clear_flags(self) -> None:
        from explorer.core.curation import clear_images

        targets, where = self._targets()
        if targets and self.store is not None:
            self._run(lambda refs: clear_images(self.store, refs), targets, where)

    def _run(self, make_command, targets, where, advance=False) -> None:
        """Make the command for the targets' images, apply it, show the change; after one
        image, move on to the next (Lightroom-style)."""
        from explorer.core.curation import ImageRef

        if self.store is None or self.catalogue is None:
            return
        refs = [ImageRef.from_row(self.catalogue, row) for _position, row in targets]
        if len(refs) > 20:  # a big selection: its files are read (hashed) in a worker first
            from explorer.core.curation import hash_files

            self.statusBar().showMessage(f"Reading {len(refs):,} files…")
            self.runner.start(
                hash_files, refs,
                on_finished=lambda hashed: self._apply(make_command, hashed, targets, where,
                                                       advance),
                on_failed=lambda message: QMessageBox.warning(
                    self, "Flags", f"The change was not saved:\n{message}"),
            )  # fmt: skip
            return
        self._apply(make_command, refs, targets, where, advance)

    def _apply(self, make_command, refs, targets, where, advance) -> None:
        if self.store is None:
            return  # the catalogue was closed while the files were read
        try:
            with self.store.writing():  # a CLI command's change in between is not overwritten
                command = make_command(refs)
                self.undo_stack.push(command)
        except (ExplorerError, sqlite3.Error, OSError) as exc:
            QMessageBox.warning(self, "Flags", f"The change was not saved:\n{exc}")
            return
        self._curation_changed(command.before, command.after, command.label)
        if advance and len(targets) == 1:
            position = targets[0][0]
            if where == "viewer" and self.viewer is not None:
                self.viewer.step(1)
            elif position + 1 < self.grid_model.rowCount():
                self.grid.setCurrentIndex(self.grid_model.index(position + 1))

    def undo(self) -> None:
        self._walk(self.undo_stack.undo if self.undo_stack else None, "Undone", "before")

    def redo(self) -> None:
        self._walk(self.undo_stack.redo if self.undo_stack else None, "Redone", "after")

    def _walk(self, step, verb: str, side: str) -> None:
        """Undo or redo; with one image, go back to it so the curator sees it again."""
        _targets, where = self._targets()
        try:
            command = step() if step is not None else None
        except (ExplorerError, sqlite3.Error, OSError) as exc:
            QMessageBox.warning(self, "Flags", f"The change was not saved:\n{exc}")
            return
        if command is None:
            return
        before, after = (
            (command.after, command.before) if side == "before" else (command.before, command.after)
        )
        self._curation_changed(before, after, f"{verb}: {command.label}")
        if len(command.after) == 1:
            (path,) = command.after
            position = self.grid_model.position_of(path)
            if where == "viewer" and self.viewer is not None:
                if self.viewer.rows is self.grid_model.rows() and position is not None:
                    self.viewer.show_row(position)
            elif position is not None:
                self.grid.setCurrentIndex(self.grid_model.index(position))

    def _curation_changed(self, before: dict, after: dict, message: str) -> None:
        if self._tally is not None:
            self._tally.update(before, after)
        self.grid_model.update_states(after)
        if self.viewer is not None:
            self.viewer.show_curation()
        self._update_curation_actions()
        self.statusBar().showMessage(message, 5000)
        self._curation_timer.start()  # the tree's columns and the tab, once per burst

    def _refresh_curation(self) -> None:
        """The tree's Flagged and Reviewed columns and the Curation tab."""
        from explorer.core.curation import CurationTally

        if self.tree_model is not None:
            if self.store is None or self.catalogue is None or self.propagate is None:
                self.tree_model.set_curation_counts(None, None)
            else:
                if self._tally is None:
                    self._tally = CurationTally(self.store, self.catalogue)
                known = self.propagate.index  # labels that are not WordNet nouns: not counted
                flagged, reviewed = (
                    {w: n for w, n in counts.items() if n and w in known}
                    for counts in (self._tally.flagged, self._tally.reviewed)
                )
                self.tree_model.set_curation_counts(
                    self.propagate(flagged), self.propagate(reviewed)
                )
        self._refresh_curation_panel()

    def _refresh_curation_panel(self) -> None:
        panel = self.curation_panel
        if self.tabs.currentWidget() is not panel:
            return  # done when the tab is shown
        if self.store is None:
            panel.clear("Open a catalogue to curate its images." if self.catalogue is None
                        else "Curation is off: the flag store could not be opened.")  # fmt: skip
            return
        if self._queue is None and self.current_wnid is None:
            panel.clear("Choose a synset: its images' flags and review progress show here.")
            return
        if self._listed_paths[0] is not self._listed:
            self._listed_paths = (self._listed, frozenset(r.path for r in self._listed))
        if self._queue is not None:
            title = "Review queue"
        else:
            name = self.current_wnid
            if self.taxonomy is not None:
                name = self.taxonomy.graph.nodes[self.current_wnid]["lemmas"][0]
            title = name + (" and its subtree" if self.scope.currentData() == "subtree" else "")
        panel.show_curation(title, self._listed_paths[1], self.grid_model.states, self._lemma)

    def _lemma(self, wnid: str) -> str:
        graph = self.taxonomy.graph if self.taxonomy is not None else None
        return graph.nodes[wnid]["lemmas"][0] if graph is not None and wnid in graph else ""

    def _toggle_queue(self, checked: bool) -> None:
        if checked:
            self.review_queue()
        elif self._queue is not None:
            self._load_images()  # back to the synset's images

    def review_queue(self) -> None:
        """Show the store's review queue in the grid, its notes in the tooltips."""
        self.queue_action.setChecked(False)
        if self.store is None or self.catalogue is None:
            return
        items = self.store.queue()
        if not items:
            QMessageBox.information(
                self, "Review queue",
                "The review queue is empty. Queue candidates with "
                "`wnexplorer flags import-label-errors FILE` (cleanlab's ImageNet label errors).",
            )  # fmt: skip
            return
        queue: dict[str, tuple[str, str | None]] = {}
        for path, source, note, suggested in items:
            earlier = queue.get(path)
            text = f"[{source}] {note}"
            queue[path] = (f"{earlier[0]}\n{text}", earlier[1] or suggested) if earlier else (
                text, suggested
            )  # fmt: skip
        rows = self.catalogue.images_by_path(queue)
        self._cancel_images_job()
        self._queue = queue
        self.queue_action.setChecked(True)
        self.grid_model.set_notes({path: note for path, (note, _s) in queue.items()})
        self._listed = rows
        self.tabs.setCurrentIndex(0)
        self._arrange_images()
        missing = len(queue) - len(rows)
        self.statusBar().showMessage(
            f"Review queue: {plural(len(rows), 'image')}"
            + (f" ({missing:,} not in the catalogue)" if missing else ""),
            10000,
        )

    # --- busy state ------------------------------------------------------------------

    def _start_busy(self, message: str, function, on_finished, on_cancelled=None) -> None:
        if self._busy_job is not None:
            QMessageBox.information(self, "Busy", "Another job is running; cancel it first.")
            return
        self._show_busy(message)
        self._busy_job = self.runner.start(
            function, on_finished=on_finished, on_failed=self._job_failed,
            on_progress=self._progress, on_cancelled=on_cancelled or self._job_cancelled,
        )  # fmt: skip
        self.cancel_button.setVisible(True)
        self._update_actions()

    def _show_busy(self, message: str) -> None:
        self.statusBar().showMessage(message)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)

    def _hide_busy(self) -> None:
        self._busy_job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.statusBar().clearMessage()
        self._update_actions()

    def _progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.statusBar().showMessage(f"{message}: {done:,} of {total:,}")
        else:
            self.progress.setRange(0, 0)
            self.statusBar().showMessage(f"{message}: {done:,}")

    def _cancel_busy(self) -> None:
        if self._busy_job is not None:
            self._busy_job.cancel()
            self.statusBar().showMessage("Cancelling…")

    def _job_failed(self, message: str) -> None:
        self._hide_busy()
        QMessageBox.warning(self, "WordNet Explorer", message)

    def _job_cancelled(self) -> None:
        self._hide_busy()
        self.statusBar().showMessage("Cancelled", 5000)

    # --- help --------------------------------------------------------------------------

    def _focus_search(self) -> None:
        self.search.field.setFocus()
        self.search.field.selectAll()

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in SHORTCUTS
        )
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        from explorer import __version__

        QMessageBox.about(
            self, "About WordNet Explorer",
            f"<b>WordNet Explorer</b> {__version__}<br>The WordNet 3.0 noun hierarchy behind "
            "ImageNet: browse it, count and audit image collections on it.<br>WordNet 3.0 © "
            "Princeton University.",
        )  # fmt: skip
