"""How the window starts on WordNet: the tree, then the selection, then the graph.

With a current cache the tree is shown at once from the cache (a CachedLookup). After the
tree's first paint the workspace selects, counts and describes from it too
(``Workspace.use_cache``: a catalogue can open, a synset show its images). The graph loads
once the selection's first thumbnails are drawn, because its load holds the GIL for most
of a second and would hold their listing and loading back by as much. The rest of the
window (search, coverage...) follows when the graph arrives. A first run builds the cache,
so it has nothing to show before the graph.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from explorer.qt.workers import AfterFirstPaint

if TYPE_CHECKING:
    from concurrent.futures import Future

    from explorer.core.jobs import JobState
    from explorer.core.wordnet import CachedLookup, Taxonomy
    from explorer.qt.main_window import MainWindow

# the longest the graph's load waits for the first thumbnails (a cold cache decodes them)
GRAPH_WAIT_MS = 1500


def _load(
    wordnet: str | None,
    data_dir: str | os.PathLike[str] | None,
    future: Future[Taxonomy] | None,
    state: JobState,
) -> Taxonomy:
    """In the worker (networkx's import too): the taxonomy, or ``future``'s."""
    if future is not None:
        return future.result()
    from explorer.core.wordnet import load_taxonomy

    taxonomy = load_taxonomy(wordnet, data_dir, state)
    from explorer.core.analysis import prepare_coverage
    from explorer.core.catalogue import Catalogue, list_images  # noqa: F401

    prepare_coverage(taxonomy)  # here, not on the GUI thread at a catalogue (0.35 s)
    return taxonomy


class TaxonomyStart(QObject):
    """Starts ``window`` on WordNet (see the module); ``future``: a load already under way,
    which the worker waits for."""

    def __init__(
        self, window: MainWindow, wordnet: str | None, future: Future[Taxonomy] | None
    ) -> None:
        from explorer.core.wordnet import open_cached_lookup

        super().__init__(window)
        self.window, self.wordnet, self.future = window, wordnet, future
        self._started = False
        self._waiting = False  # for the first thumbnails
        self._after_paint: AfterFirstPaint | None = None  # kept: it holds the callback
        lookup = open_cached_lookup(wordnet, window.data_dir)
        if lookup is None:
            self._start_load()
            return
        window.tree_panel.show_source(lookup)
        self._after_paint = AfterFirstPaint(window.tree.viewport(), lambda: self._painted(lookup))

    def _painted(self, lookup: CachedLookup) -> None:
        self.window.workspace.use_cache(lookup)  # the catalogue and the selection, if asked
        QTimer.singleShot(0, self._after_first_thumbnails)  # after those, queued alike

    def _after_first_thumbnails(self) -> None:
        """The graph once the grid has drawn the selection's first thumbnails, or after
        GRAPH_WAIT_MS; at once when nothing is being listed."""
        if not self.window.images.listing:
            self._start_load()
            return
        self._waiting = True
        self.window.grid_model.thumbnails_arrived.connect(self._thumbnails_arrived)
        QTimer.singleShot(GRAPH_WAIT_MS, self._start_load)

    def _thumbnails_arrived(self) -> None:  # once the grid has drawn them
        self._after_paint = AfterFirstPaint(self.window.grid.viewport(), self._start_load)

    def _start_load(self) -> None:
        if self._started:  # the timer's call, after the thumbnails' (or the other way)
            return
        self._started = True
        window = self.window
        if self._waiting:  # for the thumbnails: no longer
            window.grid_model.thumbnails_arrived.disconnect(self._thumbnails_arrived)
        window.busy_bar.show("Loading WordNet 3.0")
        window.runner.start(
            _load,
            self.wordnet,
            window.data_dir,
            self.future,
            on_finished=window.use_taxonomy,
            on_failed=window.taxonomy_failed,
            on_progress=window.busy_bar.show_progress,
        )
