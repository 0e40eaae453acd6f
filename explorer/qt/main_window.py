"""The main window: synset tree and search on the left; details, images and coverage on the right.

Everything slow runs in workers (explorer.qt.workers): loading the taxonomy,
indexing, auditing, listing a big subtree's images, decoding thumbnails. The
window keeps no domain logic: it calls the core and shows what comes back.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
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

from explorer.qt.coverage_view import CoverageView
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
    ("Ctrl+1 / Ctrl+2", "Images tab / Coverage tab"),
    ("Ctrl++ / Ctrl+-", "Larger / smaller thumbnails"),
    ("Ctrl+T", "Images of this synset only / of its whole subtree"),
    ("Enter or double-click", "Open the image viewer on the current thumbnail"),
    ("← / → in the viewer", "Previous / next image"),
    ("F1", "This list"),
)


def _list_images(catalogue_path: str, wnids: list[str], state) -> list:
    """Runs in a worker: its own connection, as SQLite wants one per thread."""
    from explorer.core.catalogue import Catalogue

    state.check()
    with Catalogue.open(catalogue_path) as catalogue:
        return catalogue.images(wnids)


class SearchBox(QWidget):
    """A search field with its result list; ``chosen`` gives the wnid picked."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit(placeholderText="Search: lemma, wnid, offset or gloss words")
        self.field.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setVisible(False)
        self.results.setMaximumHeight(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.results)
        self.taxonomy = None
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
            if event.key() == Qt.Key.Key_Escape:
                self.results.setVisible(False)
                return True
        return super().eventFilter(watched, event)

    def set_taxonomy(self, taxonomy) -> None:
        self.taxonomy = taxonomy
        if self.field.text().strip():  # typed while WordNet loaded
            self._search()

    def _search(self) -> None:
        text = self.field.text().strip()
        self.results.clear()
        if not text or self.taxonomy is None:
            self.results.setVisible(False)
            return
        for hit in self.taxonomy.search(text, limit=50):
            item = QListWidgetItem(f"{', '.join(hit.lemmas[:3])}  —  {hit.wnid}")
            item.setToolTip(f"{hit.name} ({hit.match} match)\n{hit.gloss}")
            item.setData(Qt.ItemDataRole.UserRole, hit.wnid)
            self.results.addItem(item)
        if not self.results.count():
            self.results.addItem(QListWidgetItem("No synset matches"))
        self.results.setVisible(True)

    def _choose_first(self) -> None:
        self._timer.stop()
        self._search()
        if self.results.count():
            self._choose(self.results.item(0))

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
        self._busy_job = None
        self._fit_columns_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_columns_timer.timeout.connect(self._fit_tree_columns)

        self.search = SearchBox()
        self.search.chosen.connect(self.select)
        self.tree = QTreeView()
        self.tree.setUniformRowHeights(True)
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
        self.tabs.currentChanged.connect(lambda _i: self._refresh_coverage())

        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(self.detail)
        self.right.addWidget(self.tabs)
        self.right.setSizes([260, 520])
        self.main_split = QSplitter()
        self.main_split.addWidget(left)
        self.main_split.addWidget(self.right)
        self.main_split.setSizes([440, 920])
        self.setCentralWidget(self.main_split)

        self.progress = QProgressBar(maximumWidth=240)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self._cancel_busy)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)

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
        self._action(menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        view = self.menuBar().addMenu("&View")
        self._action(view, "&Search", "Ctrl+F", self._focus_search)
        self._action(view, "&Images", "Ctrl+1", lambda: self.tabs.setCurrentIndex(0))
        self._action(view, "&Coverage", "Ctrl+2", lambda: self.tabs.setCurrentIndex(1))
        self._action(view, "Toggle synset / sub&tree images", "Ctrl+T",
                     lambda: self.scope.setCurrentIndex(1 - self.scope.currentIndex()))  # fmt: skip
        self._action(view, "&Larger thumbnails", QKeySequence.StandardKey.ZoomIn,
                     lambda: self.size_slider.setValue(self.size_slider.value() + 1))  # fmt: skip
        self._action(view, "S&maller thumbnails", QKeySequence.StandardKey.ZoomOut,
                     lambda: self.size_slider.setValue(self.size_slider.value() - 1))  # fmt: skip
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
        from explorer.core.taxonomy_cache import open_cached_hierarchy

        def load(wordnet, data_dir, state):  # in the worker: networkx's import too
            if future is not None:
                return future.result()
            from explorer.core.taxonomy import load_taxonomy

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
        self.tree_model = SynsetTreeModel(source, self)
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
        header.moveSection(0, 2)  # counts first, where they stay in view; the tree in the names
        self.tree.setTreePosition(0)
        self.tree.selectionModel().currentChanged.connect(self._tree_current_changed)
        self.tree.expand(self.tree_model.index(0, 0))
        self._fit_tree_columns()  # before the first paint: four rows, quick
        self.tree_placeholder.setVisible(False)
        self.tree.setVisible(True)
        self.tree_model.set_thin_threshold(self.coverage.threshold.value())

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
        from explorer.core.catalogue import index_catalogue
        from explorer.core.catalogue_sources import detect_layout
        from explorer.core.errors import CatalogueError
        from explorer.core.taxonomy import load_noun_wnids

        if layout == "auto":
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
            nouns = self.taxonomy.graph if self.taxonomy else load_noun_wnids(None, self.data_dir)
            return index_catalogue(
                source, nouns=nouns, layout=layout, labels=labels, data_dir=self.data_dir,
                catalogue=self.catalogue.path if self._is_current_source(source) else None,
                state=state,
            )  # fmt: skip

        self._start_busy(f"Indexing {source}", index, self._indexed)

    def _is_current_source(self, source: str) -> bool:
        return self.catalogue is not None and str(self.catalogue.source) == str(
            Path(source).resolve()
        )

    def _indexed(self, summary) -> None:
        self._hide_busy()
        self.open_catalogue(summary.catalogue)
        self.statusBar().showMessage(
            f"Indexed {summary.images:,} images on {summary.synsets:,} synsets "
            f"({summary.added:,} new, {summary.changed:,} changed, {summary.newly_missing:,} gone, "
            f"{summary.unknown + summary.no_label:,} without a noun label)",
            15000,
        )

    def rescan(self) -> None:
        if self.catalogue is not None:
            self.index_source(str(self.catalogue.source), self.catalogue.layout,
                              self.catalogue.meta.get("labels"))  # fmt: skip

    def audit(self) -> None:
        from explorer.core.audit import audit_catalogue

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
                f"Audited {summary.audited:,} of {summary.images:,} images; problems: {problems}",
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

    def open_catalogue(self, path) -> bool:
        from explorer.core.catalogue import Catalogue
        from explorer.core.errors import CatalogueError

        try:
            catalogue = Catalogue.open(path)
        except CatalogueError as exc:
            QMessageBox.warning(self, "Open a catalogue", str(exc))
            return False
        if self.catalogue is not None:
            self.catalogue.close()
        self.catalogue = catalogue
        recent = [str(catalogue.path), *[p for p in self._recent() if p != str(catalogue.path)]]
        self.settings.setValue("recent_catalogues", recent[:_RECENT_LIMIT])
        self.settings.setValue("last_catalogue", str(catalogue.path))
        self.setWindowTitle(f"WordNet Explorer — {catalogue.source}")
        self._recount()
        self._update_actions()
        return True

    def _recount(self) -> None:
        if self.taxonomy is None or self.catalogue is None:
            return
        if self.propagate is None:  # built when first needed, not before the first paint
            from explorer.core.counts import CountPropagator

            self.propagate = CountPropagator(self.taxonomy)
        self.counts = self.propagate(self.catalogue.direct_counts(self.taxonomy.graph))
        self.tree_model.set_counts(self.counts)
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

    def _arrange_images(self) -> None:
        """Filter and sort the listed images in a worker (a subtree can hold 250,000)."""
        from explorer.core.image_list import arrange

        listed, wnid = self._listed, self.current_wnid
        self._start_images_job(
            lambda state: arrange(listed, self.sort.currentData(), self.filter.currentData()),
            on_finished=lambda rows: self._images_arranged(wnid, listed, rows),
        )  # fmt: skip

    def _images_arranged(self, wnid: str, listed: list, rows: list) -> None:
        if wnid != self.current_wnid or listed is not self._listed:
            return  # superseded by another node, scope, sort or filter
        self._images_job = None
        self.grid_model.set_rows(self.catalogue, rows, total=len(listed))
        self._update_image_count()
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
            f"{shown:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        )

    def _size_changed(self, position: int) -> None:
        self.grid.set_thumbnail_size(THUMBNAIL_SIZES[position])

    def open_viewer(self, index=None) -> None:
        index = index if index is not None and index.isValid() else self.grid.currentIndex()
        if not index.isValid() or self.catalogue is None:
            return
        from explorer.qt.image_viewer import ImageViewer  # loads Pillow: not needed at start

        rows = self.grid_model.rows()
        viewer = ImageViewer(self.catalogue, rows, index.row(), self)
        viewer.position_changed.connect(
            lambda row: self.grid.setCurrentIndex(self.grid_model.index(row))
        )
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.show()
        self.viewer = viewer

    def current_row(self):
        index = self.grid.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

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
