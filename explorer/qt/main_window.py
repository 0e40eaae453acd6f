"""The main window: panels over one Workspace, and menus made from the action registry.

Left, the search box above the synset tree (explorer.qt.tree_panel); right, the
synset's details above five tabs: its images (explorer.qt.images_panel), the
coverage of its subtree, the curation of its images, its near-duplicates and how a scored
model does on it. The session lives in
the core's Workspace (explorer.core.workspace): every panel follows its events
and asks it for changes, and none reaches into another. What the menus ask
(explorer.qt.actions) is run by the controllers of catalogues and of curation;
long jobs show on the busy bar. The window lays these out, keeps the settings,
and starts the taxonomy's load: the tree paints from the cache first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QMainWindow,
    QMessageBox,
    QTabWidget,
)

from explorer.core.duplicates import DuplicateSession
from explorer.core.evaluation import EvaluationSession
from explorer.core.workspace import Workspace
from explorer.qt.actions import build_menus
from explorer.qt.busy_bar import BusyBar
from explorer.qt.catalogue_controller import CatalogueController
from explorer.qt.coverage_view import CoverageView
from explorer.qt.curation_controller import CurationController
from explorer.qt.curation_panel import CurationPanel
from explorer.qt.detail_panel import DetailPanel
from explorer.qt.duplicates_view import DuplicatesView
from explorer.qt.evaluation_view import EvaluationView
from explorer.qt.images_panel import ImagesPanel
from explorer.qt.search_box import SearchBox
from explorer.qt.taxonomy_start import TaxonomyStart
from explorer.qt.tree_panel import TreePanel
from explorer.qt.window_layout import WindowLayout
from explorer.qt.workers import JobRunner, shut_down

if TYPE_CHECKING:
    from concurrent.futures import Future

    from explorer.core.analysis import Counts
    from explorer.core.catalogue import Catalogue, ImageRow
    from explorer.core.curation import FlagStore, UndoStack
    from explorer.core.images import ThumbnailCache
    from explorer.core.wordnet import Taxonomy
    from explorer.qt.export_dialog import ExportDialog
    from explorer.qt.image_viewer import ImageViewer
    from explorer.qt.shortcuts_dialog import ShortcutsDialog
    from explorer.qt.synset_tree_model import SynsetTreeModel

_RECENT_LIMIT = 8


class MainWindow(QMainWindow):
    """The application window. ``open_catalogue`` and ``select`` drive it from code and tests."""

    taxonomy_ready = Signal()
    images_ready = Signal()

    def __init__(
        self,
        settings: QSettings,
        thumbnail_cache_factory: Callable[[], ThumbnailCache],
        data_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """``thumbnail_cache_factory()`` makes the ThumbnailCache when the first thumbnail
        is wanted (it loads Pillow, which the first paint does not need)."""
        super().__init__()
        self.setWindowTitle("WordNet Explorer")
        self.setObjectName("MainWindow")
        self.settings, self.data_dir = settings, data_dir
        self.workspace = workspace = Workspace(data_dir)
        # the session's settings before the panels, which start from them
        workspace.set_scope("direct" if _int_setting(settings, "scope", 1) == 0 else "subtree")
        workspace.set_threshold(_int_setting(settings, "thin_threshold", 10))
        self.runner = JobRunner(self)
        # the tree first: it follows a selection (expands, scrolls, fits its columns) before
        # the images panel starts a listing, whose worker would slow that down
        self.tree_panel = TreePanel(workspace)
        self.search = SearchBox()
        self.search.chosen.connect(workspace.select)
        workspace.taxonomy_loaded.connect(self.search.set_taxonomy)
        workspace.counts_changed.connect(self.search.set_counts)
        self.detail = DetailPanel(workspace)
        self.images = ImagesPanel(workspace, thumbnail_cache_factory, self.runner, self)
        self.coverage = CoverageView(workspace)
        self.duplicate_session = DuplicateSession(workspace)
        self.duplicates = DuplicatesView(workspace, self.duplicate_session, self.runner)
        self.tree_panel.bind_duplicates(self.duplicate_session)
        self.evaluation_session = EvaluationSession(workspace)
        self.evaluation = EvaluationView(workspace, self.evaluation_session)
        self.tree_panel.bind_evaluation(self.evaluation_session)
        self.curation_panel = CurationPanel(workspace, runner=self.runner)
        self._lay_out()
        self.busy_bar = BusyBar(self, self.runner)
        self.catalogues = CatalogueController(
            workspace,
            self.busy_bar,
            self,
            settings,
            self.duplicate_session,
            self.evaluation_session,
        )
        self.curation = CurationController(workspace, self.images, self.runner, settings, self)
        self.menus = build_menus(self)
        self.tree_panel.bind_curation_columns_action(self.menus.actions["curation_columns"])
        self.panels.bind_actions(self.menus.actions["details"], self.menus.actions["legend"])
        self.images.set_image_actions(self.menus.images)
        self.curation.bind_actions(self.menus)
        self.export_dialog: ExportDialog | None = None  # the last one opened
        self.shortcuts_dialog: ShortcutsDialog | None = None
        # the parts code and tests reach for
        images = self.images
        self.tree, self.progress = self.tree_panel.view, self.busy_bar.progress
        self.grid, self.grid_model, self.loader = images.grid, images.model, images.loader
        self.scope, self.sort, self.filter = images.scope, images.sort, images.filter
        self.size_slider, self.image_count = images.size_slider, images.image_count
        self.store_note = self.curation.store_note

        workspace.catalogue_opened.connect(self._catalogue_opened)
        workspace.catalogue_closed.connect(self._update_actions)
        workspace.selection_changed.connect(self._selection_changed)
        workspace.taxonomy_loaded.connect(
            lambda _t: self._selection_changed(workspace.current_wnid or "", workspace.current_path)
        )
        self.busy_bar.busy_changed.connect(self._update_actions)
        self.images.images_ready.connect(self.images_ready)
        self.images.show_requested.connect(lambda: self.tabs.setCurrentWidget(self.images))
        self.images.open_folder_requested.connect(self.catalogues.choose_folder)
        self.images.open_manifest_requested.connect(self.catalogues.choose_file)
        self.images.open_demo_requested.connect(self.catalogues.open_demo)
        self.curation_panel.image_activated.connect(self.images.show_image)
        self.duplicates.image_activated.connect(self.images.show_image)
        self.evaluation.score_requested.connect(self.catalogues.score_predictions)
        self.duplicates.find_requested.connect(self.catalogues.find_duplicates)
        self._restore_settings()
        self._fill_recent()
        self._update_actions()

    def _lay_out(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.addTab(self.images, "Images")
        self.tabs.addTab(self.coverage, "Coverage")
        self.tabs.addTab(self.curation_panel, "Curation")
        self.tabs.addTab(self.duplicates, "Duplicates")
        self.tabs.addTab(self.evaluation, "Evaluation")
        left = (self.search, self.tree_panel)
        legend = self.tree_panel.legend
        self.panels = WindowLayout(left, legend, self.detail, self.tabs, self.images)
        self.right, self.main_split = self.panels.right, self.panels.main_split
        self.setCentralWidget(self.main_split)

    # --- the session's state, for code and tests that drive the window -------------------

    @property
    def taxonomy(self) -> Taxonomy | None:
        return self.workspace.taxonomy

    @property
    def catalogue(self) -> Catalogue | None:
        return self.workspace.catalogue

    @property
    def counts(self) -> Counts | None:
        return self.workspace.counts

    @property
    def store(self) -> FlagStore | None:
        return self.workspace.store

    @property
    def undo_stack(self) -> UndoStack | None:
        return self.workspace.undo_stack

    @property
    def current_wnid(self) -> str | None:
        return self.workspace.current_wnid

    @property
    def tree_model(self) -> SynsetTreeModel | None:
        return self.tree_panel.model

    @property
    def viewer(self) -> ImageViewer | None:
        return self.images.viewer

    @property
    def curation_dialog(self) -> QDialog | None:
        return self.curation.dialog

    # --- driving it from code -------------------------------------------------------------

    def open_catalogue(self, value: str | os.PathLike[str]) -> bool:
        """Open the catalogue ``value`` names, an error shown; a dataset not indexed yet is
        offered indexing."""
        return self.catalogues.open_catalogue(value)

    def load_catalogue(self, value: str | os.PathLike[str]) -> None:
        """Open the catalogue ``value`` names (explorer.core.catalogue.resolve_catalogue).
        Raises ExplorerError."""
        self.workspace.open_catalogue(value)

    def select(self, wnid: str) -> None:
        """Select ``wnid`` in the tree along its first (shortest) path."""
        self.workspace.select(wnid)

    def select_path(self, path: list[str]) -> None:
        """Select the appearance of a synset at the end of ``path`` (also while the
        taxonomy loads: it is shown in full when it has arrived)."""
        self.tree_panel.select_path(path)

    def selected_wnids(self) -> list[str]:
        return self.tree_panel.selected_wnids()

    def current_row(self) -> ImageRow | None:
        return self.images.current_row()

    def show_tab(self, number: int) -> None:
        self.tabs.setCurrentIndex(number)

    def focus_search(self) -> None:
        self.search.field.setFocus()
        self.search.field.selectAll()

    # --- the taxonomy ---------------------------------------------------------------------

    def load_taxonomy(
        self, wordnet: str | None = None, future: Future[Taxonomy] | None = None
    ) -> None:
        """Show the tree, then the selection, then load the graph in a worker (or wait there
        for ``future``, a load already started): explorer.qt.taxonomy_start."""
        self._taxonomy_start = TaxonomyStart(self, wordnet, future)

    def use_taxonomy(self, taxonomy: Taxonomy) -> None:
        self.busy_bar.hide()
        self.workspace.set_taxonomy(taxonomy)
        self.taxonomy_ready.emit()

    def taxonomy_failed(self, message: str) -> None:
        self.busy_bar.hide()
        self.tree_panel.failed(message)
        QMessageBox.critical(self, "WordNet 3.0", message)

    # --- following the Workspace ----------------------------------------------------------

    def _catalogue_opened(self, catalogue: Catalogue) -> None:
        path = str(catalogue.path)
        recent = [path, *[p for p in self.recent_catalogues() if p != path]]
        self.settings.setValue("recent_catalogues", recent[:_RECENT_LIMIT])
        self.settings.setValue("last_catalogue", path)
        self.setWindowTitle(f"WordNet Explorer — {catalogue.source}")
        self._fill_recent()
        self._update_actions()

    def _selection_changed(self, _wnid: str, path: tuple[str, ...]) -> None:
        """The path in the status bar; while WordNet loads, that says so (then this again)."""
        taxonomy = self.workspace.taxonomy
        if taxonomy is None or not path:
            return
        self.statusBar().showMessage(" › ".join(taxonomy.node(w)["lemmas"][0] for w in path))

    def _update_actions(self) -> None:
        ready = self.workspace.catalogue is not None and not self.busy_bar.busy
        self.menus.actions["rescan"].setEnabled(ready)
        self.menus.actions["audit"].setEnabled(ready)

    def _fill_recent(self) -> None:
        menu = self.menus.submenus["recent"]
        menu.clear()
        for path in self.recent_catalogues():
            menu.addAction(path).triggered.connect(
                lambda _checked=False, p=path: self.open_catalogue(p)
            )
        menu.setEnabled(not menu.isEmpty())

    # --- dialogs ----------------------------------------------------------------------------

    def open_export_dialog(self) -> None:
        """Export the selected synsets (explorer.qt.export_dialog)."""
        from explorer.qt.export_dialog import open_export_dialog

        self.export_dialog = open_export_dialog(self) or self.export_dialog

    def show_shortcuts(self) -> None:
        from explorer.qt.shortcuts_dialog import ShortcutsDialog

        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()  # modeless: it stays open beside the window
        self.shortcuts_dialog.activateWindow()

    def show_about(self) -> None:
        from explorer import __version__

        QMessageBox.about(
            self,
            "About WordNet Explorer",
            f"<b>WordNet Explorer</b> {__version__}<br>The WordNet 3.0 noun hierarchy behind "
            "ImageNet: browse it, count and audit image collections on it.<br>WordNet 3.0 © "
            "Princeton University.",
        )

    # --- settings ---------------------------------------------------------------------------

    def recent_catalogues(self) -> list[str]:
        """The catalogues opened last, newest first, that still exist."""
        value = self.settings.value("recent_catalogues", [])
        recent = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [str(p) for p in recent if os.path.exists(p)]

    def _restore_settings(self) -> None:
        settings = self.settings
        geometry = settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 860)
        self.panels.restore(settings)
        self.images.set_thumbnail_size(_int_setting(settings, "thumbnail_size", 128))

    def save_settings(self) -> None:
        settings, workspace = self.settings, self.workspace
        settings.setValue("geometry", self.saveGeometry())
        self.panels.save(settings)
        settings.setValue("thumbnail_size", self.images.thumbnail_size)
        settings.setValue("scope", 0 if workspace.scope == "direct" else 1)  # as the combo's
        settings.setValue("thin_threshold", workspace.threshold)
        if workspace.catalogue is not None:
            settings.setValue("last_catalogue", str(workspace.catalogue.path))
        if workspace.current_wnid:
            settings.setValue("last_synset", workspace.current_wnid)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        # Every worker asked to stop first, then each waited for, a bounded time: nothing
        # they do reaches the panels or the workspace after this (workers.shut_down).
        runners = (self.runner, self.search.runner)
        for runner in runners:
            runner.cancel_all()
        self.images.loader.shutdown()  # waits thumbnail_grid.SHUTDOWN_WAIT_S at most
        shut_down(runners)
        self.workspace.close()  # the flag store takes a snapshot when something changed
        super().closeEvent(event)


def _int_setting(settings: QSettings, key: str, default: int) -> int:
    """A number the settings keep (an INI file keeps it as text)."""
    value = settings.value(key, default)
    return int(value) if isinstance(value, int | float | str) else default
