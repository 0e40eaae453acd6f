"""The images panel: the filter bar, the thumbnail grid and the image viewer.

It follows the Workspace: when the images to list change (the selection,
the scope, or the sort and filter chosen here) it runs the Workspace's
listing job on a worker (core ``list_images``: the ids of the images kept,
in order; 0.2 s for the 14.2 million of ImageNet-21k) and gives the listing
to the grid, whose model reads rows by position, a window at a time. The
count shows at once from the counts when no filter applies. A curation
change redraws the changed images' badges (and lists again under a curation
filter); the review queue shows its notes in the tooltips. The curation keys act on the
images it says (``targets``): the viewer's image while the viewer has the
focus, else the grid's selection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalogue import CURATION_FILTERS
from explorer.core.curation import REASON_TABLE
from explorer.qt.labels import ElidedLabel
from explorer.qt.thumbnail_grid import (
    ROW_ROLE,
    ThumbnailGridModel,
    ThumbnailLoader,
)
from explorer.qt.thumbnail_view import ThumbnailGridView
from explorer.qt.workers import Job

if TYPE_CHECKING:
    from explorer.core.catalogue import ImageRow, Listing
    from explorer.core.curation import ImageState, QueuedImage
    from explorer.core.images import ThumbnailCache
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Scope, Workspace
    from explorer.qt.image_viewer import ImageViewer
    from explorer.qt.workers import JobRunner

Where = Literal["viewer", "grid"]  # where the curation keys act: the viewer, or the grid
Target = tuple[int, "ImageRow"]  # an image the keys act on: its position in the grid, its row

THUMBNAIL_SIZES = (64, 96, 128, 192, 256)
MAX_TARGETS = 100_000  # images one curation key acts on; each is read (and its file hashed)
# the combos' labels, and the core's keys (explorer.core.catalogue.list_images)
_SORTS = (("Name", "name"), ("Path", "path"), ("File size", "size"), ("Audit status", "problems"))
_FILTERS = (
    ("All images", "all"),
    ("With problems", "problems"),
    ("Without problems", "clean"),
    ("Not audited", "not_audited"),
)
_CURATION_FILTERS = (
    ("Flagged", "flagged"),
    ("Reviewed OK", "reviewed_ok"),
    ("Not reviewed", "not_reviewed"),
)


class EmptyState(QWidget):
    """What the images panel shows instead of an empty grid: what the state is, and buttons
    for the next step."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color: palette(dark);")
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addSpacing(12)
        layout.addLayout(self.buttons)
        layout.addStretch(3)
        self._buttons: list[QPushButton] = []

    def show_state(
        self, title: str, detail: str, buttons: tuple[tuple[str, Callable[[], object]], ...] = ()
    ) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        for button in self._buttons:
            self.buttons.removeWidget(button)
            button.hide()
            button.setParent(None)
            button.deleteLater()
        self._buttons = []
        for position, (label, call) in enumerate(buttons):
            button = QPushButton(label)
            button.clicked.connect(lambda _checked=False, c=call: c())
            if position == 0:
                button.setDefault(True)
            self.buttons.insertWidget(1 + position, button)
            self._buttons.append(button)

    def button_texts(self) -> list[str]:
        return [button.text() for button in self._buttons]

    def button(self, text: str) -> QPushButton:
        """The button labelled ``text``; LookupError if there is none."""
        for button in self._buttons:
            if button.text() == text:
                return button
        raise LookupError(text)


class ImagesPanel(QWidget):
    """The grid of the Workspace's listing, filtered and sorted, and its viewer."""

    images_ready = Signal()  # the grid shows a new listing, or a new filter or sort of it
    show_requested = Signal()  # wants to be in view: the review queue, an image asked for
    # the empty state's buttons, for the window's actions
    open_folder_requested = Signal()
    open_manifest_requested = Signal()
    open_demo_requested = Signal()

    def __init__(
        self,
        workspace: Workspace,
        thumbnail_cache_factory: Callable[[], ThumbnailCache],
        runner: JobRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace, self.runner = workspace, runner
        self.loader = ThumbnailLoader(thumbnail_cache_factory, threads=2, parent=self)
        self.model = ThumbnailGridModel(self.loader, self)
        self.grid = ThumbnailGridView()
        self.grid.setModel(self.model)
        self.grid.activated.connect(self.open_viewer)
        self.viewer: ImageViewer | None = None
        self.image_actions: list[QAction] = []  # the curation keys: in the grid and the viewer
        self._job: Job | None = None  # listing
        # the image to select once listed (a path), else the position to select
        self._select_after_listing: tuple[str, int] | None = None
        self._top_after_listing: int | None = None  # the first row on screen, to keep
        self.empty_state = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.empty_state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._filter_bar())
        layout.addWidget(self.stack, 1)
        workspace.catalogue_opened.connect(self._catalogue_opened)
        workspace.catalogue_closed.connect(self._catalogue_closed)
        workspace.scope_changed.connect(self._scope_changed)
        workspace.listing_changed.connect(self._list)
        workspace.images_listed.connect(self._listed)
        workspace.queue_changed.connect(self._queue_changed)
        workspace.curation_changed.connect(self._curation_changed)
        workspace.taxonomy_loaded.connect(self._taxonomy_loaded)
        workspace.selection_changed.connect(lambda _w, _p: self._update_empty_state())
        workspace.counts_changed.connect(lambda _c: self._update_empty_state())
        self._label_synsets()
        self._update_empty_state()

    def _filter_bar(self) -> QHBoxLayout:
        self.scope = QComboBox()
        self.scope.addItem("This synset", "direct")
        self.scope.addItem("Whole subtree", "subtree")
        self._scope_changed(self.workspace.scope)
        self.scope.currentIndexChanged.connect(
            lambda _i: self.workspace.set_scope(self.scope.currentData())
        )
        self.sort = QComboBox()
        for label, key in _SORTS:
            self.sort.addItem(label, key)
        self.filter = QComboBox()
        for label, key in _FILTERS:
            self.filter.addItem(label, key)
        self.filter.insertSeparator(self.filter.count())
        for label, key in _CURATION_FILTERS:
            self.filter.addItem(label, key)
        for reason in REASON_TABLE:
            self.filter.addItem(f"Flagged: {reason.name.lower()}", f"flag:{reason.code}")
        self.sort.currentIndexChanged.connect(lambda _i: self._arrangement_changed())
        self.filter.currentIndexChanged.connect(lambda _i: self._arrangement_changed())
        # the combos as wide as their usual choices, not their longest ("Flagged: wrong
        # label"): the bar then fits beside the tree at 1024 px; the lists open wide
        for combo, letters in ((self.scope, 13), (self.sort, 10), (self.filter, 13)):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(letters)
            view = combo.view()
            view.setMinimumWidth(view.sizeHintForColumn(0) + 24)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(0, len(THUMBNAIL_SIZES) - 1)
        self.size_slider.setFixedWidth(64)
        self.size_slider.setToolTip("Thumbnail size (Ctrl++ / Ctrl+-)")
        self.size_slider.valueChanged.connect(self._size_changed)
        # a long count ("Review queue: 1,234 images") must not widen the tabs and squeeze
        # the tree at 1024 px: it takes what the bar leaves, its start elided
        self.image_count = ElidedLabel(mode=Qt.TextElideMode.ElideLeft)  # keeps the number
        self.image_count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar = QHBoxLayout()
        # no "Show" before the scope: its choice reads alone, and the bar fits at 1024 px
        for widget in (self.scope, QLabel("sorted by"), self.sort, self.filter):
            bar.addWidget(widget)
        bar.addWidget(self.image_count, 1)
        bar.addWidget(self.size_slider)
        return bar

    # --- what the View menu asks -------------------------------------------------------

    @property
    def thumbnail_size(self) -> int:
        return THUMBNAIL_SIZES[self.size_slider.value()]

    def set_thumbnail_size(self, size: int) -> None:
        """Show thumbnails of ``size`` pixels (one of THUMBNAIL_SIZES; else 128)."""
        self.size_slider.setValue(THUMBNAIL_SIZES.index(size) if size in THUMBNAIL_SIZES else 2)
        self._size_changed(self.size_slider.value())

    def zoom(self, step: int) -> None:
        self.size_slider.setValue(self.size_slider.value() + step)

    def toggle_scope(self) -> None:
        self.workspace.set_scope("direct" if self.workspace.scope == "subtree" else "subtree")

    def _size_changed(self, position: int) -> None:
        self.grid.set_thumbnail_size(THUMBNAIL_SIZES[position])

    # --- listing, filtering, sorting -------------------------------------------------------

    @property
    def listing(self) -> bool:
        """Whether images are being listed for the grid."""
        return self._job is not None

    def _arrangement_changed(self) -> None:
        """Another sort or filter: a new listing, keeping the current image selected if it
        is still in."""
        self._keep_current()
        self.workspace.set_arrangement(self.sort.currentData(), self.filter.currentData())

    def _keep_current(self) -> None:
        """Select the current image again in the next listing (or its position there), and
        keep the first row on screen where it is."""
        index = self.grid.currentIndex()
        row = self.current_row()
        if row is not None and self._select_after_listing is None:
            self._select_after_listing = (row.path, index.row())
            self._top_after_listing = self.grid.first_visible_row()

    def _list(self) -> None:
        job = self.workspace.listing_job()
        if job is None:
            self._cancel_job()
            if self.workspace.queue is None:  # the queue's listing has come already
                self.model.set_listing(self.workspace.catalogue, None)
                self._update_count()
                self._update_empty_state()
            return
        self._start_job(job.run, lambda listing: self.workspace.set_listed(job, listing))
        self._update_empty_state()
        total = self.workspace.listing_total()
        if total is not None:  # known at once: no filter
            self.image_count.setText(f"{total:,} {'image' if total == 1 else 'images'} …")

    def _listed(self, listing: Listing) -> None:
        self._job = None
        total = self.workspace.scope_total()
        self.model.set_listing(self.workspace.catalogue, listing, total)
        self._update_count()
        self._update_empty_state()
        kept, self._select_after_listing = self._select_after_listing, None
        top, self._top_after_listing = self._top_after_listing, None
        if kept is not None and self.model.rowCount():
            path, before = kept
            position = self.model.position_of(path)
            if position is None:  # filtered out (a curation filter): whatever came next
                position = min(before, self.model.rowCount() - 1)
            index = self.model.index(position)
            if top is not None:  # the rows on screen stay put, the first one whole
                self.grid.show_row_at_top(min(top, self.model.rowCount() - 1))
            self.grid.setCurrentIndex(index)
            self.grid.scrollTo(index)
        else:  # another synset, sort or filter, nothing to keep: from the first image
            self.grid.scrollToTop()
        self.images_ready.emit()

    def _start_job(
        self,
        function: Callable[[JobState], Listing],
        on_finished: Callable[[Listing], object],
    ) -> None:
        self._cancel_job()
        self.image_count.setText("Loading…")
        self._job = self.runner.start(
            function, on_finished=on_finished, on_failed=self.image_count.setText
        )

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total()
        if self.workspace.current_wnid is None and self.workspace.queue is None:
            self.image_count.setText("")  # the empty state says what there is to choose
            return
        noun = "image" if total == 1 else "images"
        self.image_count.setText(
            ("Review queue: " if self.workspace.queue is not None else "")
            + (f"{shown:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}")
        )

    # --- following the Workspace ---------------------------------------------------------

    def _scope_changed(self, scope: Scope) -> None:
        self.scope.blockSignals(True)
        self.scope.setCurrentIndex(self.scope.findData(scope))
        self.scope.blockSignals(False)
        self._label_synsets()

    def _taxonomy_loaded(self, taxonomy: Taxonomy) -> None:
        self._label_synsets()
        if self.viewer is not None:  # opened while WordNet loaded
            self.viewer.set_taxonomy(taxonomy)

    def _label_synsets(self) -> None:
        """In the subtree view each cell names its synset; in a synset's own view its size."""
        taxonomy = self.workspace.taxonomy
        if self.workspace.scope != "subtree" or taxonomy is None:
            self.model.set_synset_label(None)
            return
        lemmas: dict[str, str] = {}

        def lemma(wnid: str) -> str:
            name = lemmas.get(wnid)
            if name is None:
                name = taxonomy.node(wnid)["lemmas"][0] if wnid in taxonomy else wnid
                lemmas[wnid] = name
            return name

        self.model.set_synset_label(lemma)

    # --- the empty states --------------------------------------------------------------

    def _update_empty_state(self) -> None:
        """The grid, or what to do when there is nothing to show in it."""
        message = self._empty_message()
        if message is None:
            self.stack.setCurrentWidget(self.grid)
            return
        self.empty_state.show_state(*message)
        self.stack.setCurrentWidget(self.empty_state)

    def _empty_message(
        self,
    ) -> tuple[str, str, tuple[tuple[str, Callable[[], object]], ...]] | None:
        workspace = self.workspace
        if workspace.catalogue is None:
            return (
                "No catalogue open",
                "Open a folder of images (one sub-folder per synset, as ImageNet's train/),"
                " a manifest (CSV or TSV of paths and wnids), or try the demo catalogue.",
                (
                    ("Open folder…", self.open_folder_requested.emit),
                    ("Open manifest…", self.open_manifest_requested.emit),
                    ("Open the demo catalogue", self.open_demo_requested.emit),
                ),
            )
        if workspace.queue is not None:
            return None
        counts, taxonomy = workspace.counts, workspace.taxonomy
        if workspace.current_wnid is None:
            if counts is None:
                return None  # still counting
            indexed = int(counts.direct.sum())
            noun = "image" if indexed == 1 else "images"
            roots = taxonomy.roots() if taxonomy is not None else []
            buttons: tuple[tuple[str, Callable[[], object]], ...] = ()
            if roots:
                buttons = (("Show all images", lambda: workspace.select(roots[0])),)
            return (
                f"{indexed:,} {noun} indexed: choose a synset",
                "Pick a synset in the tree (or search for one) to see its images.",
                buttons,
            )
        if self.listing or self.model.rowCount():
            return None
        name = workspace.current_wnid
        if taxonomy is not None and name in taxonomy:
            name = taxonomy.node(name)["lemmas"][0]
        if workspace.keep != "all":
            label = self.filter.currentText()
            return (
                f"No images of {name} match “{label}”",
                "",
                (("Show all images", lambda: self.filter.setCurrentIndex(0)),),
            )
        if counts is None:
            return None
        figures = counts.of(workspace.current_wnid)
        if workspace.scope == "direct" and figures["subtree"]:
            subtree = figures["subtree"]
            noun = "image" if subtree == 1 else "images"
            return (
                f"0 images here · {subtree:,} {noun} in the subtree",
                f"No image is labelled {name} itself; its hyponyms have {subtree:,}.",
                (("Show subtree", lambda: workspace.set_scope("subtree")),),
            )
        return (
            f"No images of {name} in this catalogue",
            "Nor of anything under it. The Coverage tab shows where the images are.",
            (),
        )

    def _catalogue_opened(self) -> None:
        self.model.set_states(self.workspace.states)
        self._update_empty_state()

    def _catalogue_closed(self) -> None:
        self.close_viewer()
        self.model.set_notes({})
        self.model.set_states({})
        self._update_empty_state()

    def _queue_changed(self, queue: dict[str, QueuedImage] | None) -> None:
        if queue is None:
            self.model.set_notes({})
            return
        self._cancel_job()
        self.model.set_notes({path: queued.note for path, queued in queue.items()})
        self.show_requested.emit()

    def _curation_changed(
        self, _before: dict[str, ImageState], after: dict[str, ImageState]
    ) -> None:
        self.model.update_states(after)
        if self.viewer is not None:
            self.viewer.show_curation()
        keep = self.filter.currentData()
        if self.workspace.queue is None and (keep in CURATION_FILTERS or keep.startswith("flag:")):
            # who passes the filter has changed: list again, after the keys' auto-advance
            QTimer.singleShot(0, self._relist_curated)

    def _relist_curated(self) -> None:
        if self.workspace.queue is None:
            self._keep_current()
            self.workspace.relist()

    # --- images: the current one, the viewer, the curation keys' targets ----------------

    def set_image_actions(self, actions: list[QAction]) -> None:
        """The curation keys and undo: on the grid (its right-click menu) and the viewer."""
        self.image_actions = actions
        self.grid.addActions(actions)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def current_row(self) -> ImageRow | None:
        index = self.grid.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def show_image(self, path: str, reveal: bool = True) -> None:
        """Select the image at ``path`` in the grid (showing all images if the filter hides
        it); from the Curation tab's table. ``reveal``: bring the grid into view and give
        it the focus."""
        position = self.model.position_of(path)
        if reveal:
            self.show_requested.emit()
        if position is None:
            if self.filter.currentData() != "all" and self.workspace.queue is None:
                self._select_after_listing = (path, 0)  # in the subtree? known once listed
                self.filter.setCurrentIndex(self.filter.findData("all"))
            return
        index = self.model.index(position)
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index, self.grid.ScrollHint.PositionAtCenter)
        if reveal:
            self.grid.setFocus()

    def open_viewer(self, index: QModelIndex | QPersistentModelIndex | None = None) -> None:
        index = index if index is not None and index.isValid() else self.grid.currentIndex()
        catalogue = self.workspace.catalogue
        if not index.isValid() or catalogue is None:
            return
        from explorer.qt.image_viewer import ImageViewer  # loads Pillow: not needed at start

        self.close_viewer()
        state_for = self.model.state if self.workspace.store is not None else None
        viewer = ImageViewer(
            catalogue,
            self.model.rows(),
            index.row(),
            self.window(),
            state_for,
            taxonomy=self.workspace.taxonomy,
        )
        viewer.addActions(self.image_actions)  # the flag keys work there too
        viewer.position_changed.connect(lambda position, v=viewer: self._viewer_moved(v, position))
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.finished.connect(lambda _result, v=viewer: self._viewer_closed(v))
        viewer.show()
        self.viewer = viewer

    def _viewer_moved(self, viewer: ImageViewer, position: int) -> None:
        """The grid follows the viewer while both show the same listing."""
        if viewer.rows is self.model.rows():
            self.grid.setCurrentIndex(self.model.index(position))

    def _viewer_closed(self, viewer: ImageViewer) -> None:
        if self.viewer is viewer:
            self.viewer = None

    def close_viewer(self) -> None:
        if self.viewer is not None:
            viewer, self.viewer = self.viewer, None
            viewer.close()

    def targets(self) -> tuple[list[Target], Where]:
        """The images the curation keys act on, as (position, row) pairs, and where: the
        viewer's image when the viewer has the focus, else the grid's selection (or its
        current image)."""
        viewer = self.viewer
        focus = QApplication.focusWidget()
        if viewer is not None and focus is not None and focus.window() is viewer:
            row = viewer.current_row()
            return ([(viewer.position, row)] if row is not None else []), "viewer"
        spans = self.grid.selectionModel().selection().toList()
        selected = sum(span.bottom() - span.top() + 1 for span in spans)
        if selected > MAX_TARGETS:  # Ctrl+A at the root: 14 million rows to read and hash
            self.image_count.setText(
                f"{selected:,} images selected: curate at most {MAX_TARGETS:,} at once"
            )
            return [], "grid"
        positions: set[int] = set()
        for span in spans:
            positions.update(range(span.top(), span.bottom() + 1))
        if not positions and self.grid.currentIndex().isValid():
            positions = {self.grid.currentIndex().row()}
        targets = []
        for position in sorted(positions):  # rows read a window at a time
            row = self.model.row(position)
            if row is not None:
                targets.append((position, row))
        return targets, "grid"

    def step_after_change(self, position: int, where: Where) -> None:
        """After a change to one image, on to the next (Lightroom-style)."""
        if where == "viewer" and self.viewer is not None:
            self.viewer.step(1)
        elif position + 1 < self.model.rowCount():
            self.grid.setCurrentIndex(self.model.index(position + 1))

    def show_changed(self, path: str, where: Where) -> None:
        """After an undo or redo of one image: back to it, so the curator sees it again."""
        position = self.model.position_of(path)
        if where == "viewer" and self.viewer is not None:
            if self.viewer.rows is self.model.rows() and position is not None:
                self.viewer.show_row(position)
        elif position is not None:
            self.grid.setCurrentIndex(self.model.index(position))

    def take_keys(self, where: Where) -> None:
        """Give the keys back to where they came from (after a dialog)."""
        if where == "viewer" and self.viewer is not None:
            self.viewer.activateWindow()
            self.viewer.setFocus()
        else:
            self.window().activateWindow()
            self.grid.setFocus()
