"""The open session: one Qt-free object holding what the window shows, with events.

A ``Workspace`` holds the taxonomy, the open catalogue with its flag store and
undo stack, the image counts and the curation tally, the selected synset, the
scope of the image listing, the thin threshold and the review queue. When one
of them changes it emits a psygnal event (napari's ``ViewerModel`` does the
same for its layers); the window's panels subscribe, and none reaches into
another. Tests drive a Workspace without Qt.

Long work stays with the caller. Loading the taxonomy, indexing, auditing and
listing a subtree's images are plain core jobs, which the window runs on its
workers: for the listing the Workspace hands out the job (:meth:`listing_job`:
the images' ids in the chosen sort and filter, a ``Listing``) and takes its
answer (:meth:`set_listed`). A listing of the root of ImageNet-21k is 14.2
million ids (57 MB), never rows: views read the rows of a window of positions
(:meth:`rows_at`). On the caller's thread it does
only what the window always did there, all quick: opening a catalogue and
its flag store (an SQLite connection belongs to the thread that made it),
counting (one vectorised pass, milliseconds), a curation command.

>>> workspace = Workspace()                       # the default data folder
>>> @workspace.selection_changed.connect
... def show(wnid, path):
...     print("selected", wnid, "under", path[-2])
>>> workspace.set_taxonomy(taxonomy)              # loaded in the background
>>> catalogue = workspace.open_catalogue(catalogue_path)
>>> workspace.counts.of("n02084071")              # the demo's dogs
{'direct': 6, 'subtree': 80, 'synsets_with_images': 6}
>>> workspace.select("n02084071")                 # its first path: under domestic animal
selected n02084071 under n01317541
True
>>> workspace.listing_total()                     # at once, from the counts
80
>>> job = workspace.listing_job()                 # a worker would run it
>>> workspace.set_listed(job, job.run())
True
>>> len(workspace.listed), workspace.row_at(0).path
(80, 'n02084071/n02084071_0.JPEG')
>>> workspace.curation_job().run()               # the Curation tab's, on a worker too
CurationSummary(images=80, reviewed=0, flagged=0, rows=[])
>>> workspace.close()
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from psygnal import Signal

from explorer.core.errors import CatalogueError, ExplorerError, StoreError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from explorer.core.analysis import CountPropagator, Counts
    from explorer.core.catalogue import Catalogue, ImageRow, Listing, Sort
    from explorer.core.curation import (
        Command,
        CurationTally,
        FlagStore,
        ImageRef,
        ImageState,
        QueuedImage,
        ReasonCode,
        UndoStack,
    )
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import Taxonomy, TaxonomyView

log = logging.getLogger(__name__)

Scope = Literal["direct", "subtree"]  # the synset's own images, or its whole subtree's
SCOPES: tuple[Scope, ...] = get_args(Scope)


@dataclass(frozen=True)
class ListingJob:
    """The images of the selection in its scope, sorted and filtered, listed by ``run`` on
    any thread (it opens its own connection: SQLite wants one per thread)."""

    catalogue_path: str
    wnids: list[str]
    generation: int  # which listing this is: a later one makes it stale
    sort: Sort = "name"
    keep: str = "all"
    curated: tuple[str, ...] = ()  # the paths a curation filter names (from the flag store)

    def run(self, state: JobState | None = None) -> Listing:
        from explorer.core.catalogue import Catalogue, list_images

        if state is not None:
            state.check()
        with Catalogue.open(self.catalogue_path) as catalogue:
            return list_images(catalogue, self.wnids, self.sort, self.keep, self.curated, state)


MemberCache = list[tuple["Listing", "npt.NDArray[np.bool_]"]]
"""Empty, or the last listing and its bitmap over image ids (True: listed)."""


FlagRow = tuple[str, str, str, str, str, float]
"""One flag as the Curation tab lists it: path, reason, note, suggested wnid, curator, time."""


@dataclass(frozen=True)
class CurationSummary:
    """The review progress of a listing and its flags (rows in natural path order)."""

    images: int
    reviewed: int
    flagged: int
    rows: list[FlagRow]


@dataclass(frozen=True, eq=False)
class CurationJob:
    """The curation of the listed images (:class:`CurationSummary`), made by ``run`` on any
    thread: the curated paths looked up in the catalogue (its own connection) and kept if
    the listing holds them. Tens of thousands of flags take a fraction of a second, never
    a walk of the listing."""

    catalogue_path: str
    listing: Listing
    states: dict[str, ImageState]  # a snapshot: the window's own dict changes meanwhile
    member_cache: MemberCache  # the workspace's: the listing's bitmap, made once

    def run(self, state: JobState | None = None) -> CurationSummary:
        from explorer.core.catalogue import Catalogue
        from explorer.core.text import natural_path_key

        with Catalogue.open(self.catalogue_path) as catalogue, catalogue.cancelled_by(state):
            listed = _listed_among(catalogue, self.listing, self.states, self.member_cache)
        rows: list[FlagRow] = []
        flagged = 0
        for path in sorted(listed, key=natural_path_key):
            flags = self.states[path].flags
            flagged += bool(flags)
            rows.extend(
                (path, f.reason, f.note, f.suggested_wnid or "", f.curator, f.time) for f in flags
            )
        return CurationSummary(len(self.listing), len(listed), flagged, rows)


def _listed_among(
    catalogue: Catalogue, listing: Listing, paths: Iterable[str], cache: MemberCache
) -> set[str]:
    """Those of ``paths`` (a few thousand: the curated ones) that ``listing`` holds."""
    import numpy as np

    rows = catalogue.images_by_path(paths)
    cached = next(iter(list(cache)), None)  # one read: another thread may set it
    if cached is None or cached[0] is not listing:
        # one byte per image id, made once per listing: 0.12 s for ImageNet-21k's
        # root, then a lookup per path (np.isin took as long for each call)
        member = np.zeros(max(int(listing.ids.max(initial=0)), 0) + 1, np.bool_)
        member[listing.ids] = True
        cached = (listing, member)
        cache[:] = [cached]
    member = cached[1]
    return {row.path for row in rows if row.id < len(member) and member[row.id]}


class Workspace:
    """The open session: taxonomy, catalogue, flags, counts, selection; see the module."""

    taxonomy_loaded = Signal(object)
    """The Taxonomy has arrived (:meth:`set_taxonomy`)."""
    hierarchy_ready = Signal()
    """Selecting, counting and listing work (:meth:`use_cache` or :meth:`set_taxonomy`)."""
    catalogue_opened = Signal(object)
    """A catalogue is open, with its flag store (``store`` None: curation is off, and
    ``store_problem`` says why). Its counts follow (``counts_changed``)."""
    catalogue_closed = Signal()
    counts_changed = Signal(object)
    """The image counts (a catalogue opened, rescanned, or the taxonomy arrived); None
    without a catalogue."""
    curation_changed = Signal(dict, dict, str)
    """Some images' curation before and after (path -> ImageState), and what was done: a
    command, or its undo or redo."""
    selection_changed = Signal(str, tuple)
    """The selected synset and the path to it from entity."""
    scope_changed = Signal(str)
    threshold_changed = Signal(int)
    queue_changed = Signal(object)
    """The review queue shown instead of the selection's images ({path: QueuedImage}), or
    None when it is left."""
    listing_changed = Signal()
    """The images to list are others (selection, scope, counts, an audit): take
    :meth:`listing_job` and run it."""
    images_listed = Signal(object)
    """The listed images (a ``Listing`` of ids, sorted and filtered): the selection's, or
    the review queue's."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = data_dir
        self.taxonomy: Taxonomy | None = None  # the graph: search, coverage, duplicates...
        # what selects, counts and describes: the taxonomy cache (SQL) while the graph
        # loads, then the taxonomy itself; from this thread only
        self.hierarchy: TaxonomyView | None = None
        self.catalogue: Catalogue | None = None
        self.store: FlagStore | None = None  # the catalogue's: this thread only (SQLite)
        self.store_problem: str | None = None  # why the store could not be opened
        self.undo_stack: UndoStack | None = None
        self.states: dict[str, ImageState] = {}  # every curated image: path -> its state
        self.counts: Counts | None = None
        self.current_wnid: str | None = None
        self.current_path: tuple[str, ...] = ()
        self.scope: Scope = "subtree"
        self.threshold = 10
        self.queue: dict[str, QueuedImage] | None = None
        self.sort: Sort = "name"
        self.keep = "all"  # the filter: see catalogue.list_images
        self.listed: Listing | None = None
        self._propagate: CountPropagator | None = None  # built when first needed
        self._tally: CurationTally | None = None  # likewise
        self._generation = 0
        self._member: MemberCache = []  # listed_among's

    # --- taxonomy and catalogue ---------------------------------------------------------

    def use_cache(self, lookup: TaxonomyView) -> None:
        """Select, count and describe with ``lookup`` (the taxonomy cache, read by SQL on
        this thread) until :meth:`set_taxonomy`: the window shows a synset's details and
        images while the graph loads."""
        if self.taxonomy is not None:
            return
        self.hierarchy = lookup
        self.hierarchy_ready.emit()
        if self.catalogue is not None:
            self.recount()

    def set_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Use ``taxonomy`` (loaded by the caller, in the background); count the open
        catalogue, if any, on it (unless the cache has counted it: the same figures)."""
        early = self.hierarchy is not None
        self.taxonomy = self.hierarchy = taxonomy
        if not early:
            self.hierarchy_ready.emit()
        self.taxonomy_loaded.emit(taxonomy)
        if self.catalogue is not None and self.counts is None:
            self.recount()

    def open_catalogue(self, value: str | os.PathLike[str]) -> Catalogue:
        """Open the catalogue ``value`` names (a catalogue file, or an indexed dataset folder
        or manifest: ``resolve_catalogue``) with its flag store, in place of the open one, and
        count it. Raises ExplorerError, and then nothing has changed."""
        from explorer.core.catalogue import Catalogue, resolve_catalogue

        catalogue = Catalogue.open(resolve_catalogue(value, self.data_dir))
        self._close_catalogue()
        self.catalogue = catalogue
        self._open_store(catalogue)
        self.catalogue_opened.emit(catalogue)
        self.recount()
        return catalogue

    def close_catalogue(self) -> None:
        if self.catalogue is None:
            return
        self._close_catalogue()
        self.counts_changed.emit(None)
        self._relist()

    def close(self) -> None:
        """Close the catalogue and its flag store (which takes a snapshot if it changed)."""
        self.close_catalogue()

    def _close_catalogue(self) -> None:
        """Close without telling the counts: an open catalogue's come next."""
        catalogue = self.catalogue
        if catalogue is None:
            return
        self.leave_queue(relist=False)
        self._close_store()
        self.catalogue, self.counts, self.listed = None, None, None
        self._member.clear()
        catalogue.close()
        self.catalogue_closed.emit()

    def _open_store(self, catalogue: Catalogue) -> None:
        from explorer.core.curation import FlagStore, UndoStack

        try:
            store = FlagStore.open_for(catalogue.path)
        except (ExplorerError, sqlite3.Error, OSError) as exc:
            self.store, self.store_problem = None, str(exc)
            return
        self.store, self.store_problem = store, None
        self.undo_stack = UndoStack(store)
        self.states = {path: state for path, state in store.states().items() if not state.empty}

    def _close_store(self) -> None:
        store = self.store
        self.store, self.store_problem, self.undo_stack = None, None, None
        self.states, self._tally = {}, None
        if store is not None:
            try:
                store.close()  # takes a snapshot when something changed
            except (ExplorerError, sqlite3.Error, OSError):
                log.exception("closing the flag store %s", store.path)

    def count_propagator(self) -> CountPropagator | None:
        """What sums per-synset figures up the hierarchy (once counting has begun)."""
        return self._propagate

    def recount(self) -> None:
        """Count the catalogue's images on the taxonomy (again, after a rescan)."""
        hierarchy = self.hierarchy
        if hierarchy is None or self.catalogue is None:
            return
        if self._propagate is None:  # numpy and the ancestor pairs: not before the first paint
            from explorer.core.analysis import CountPropagator

            self._propagate = CountPropagator(hierarchy)  # its arrays: the same either way
        self.counts = self._propagate(self.catalogue.direct_counts(hierarchy))
        self._tally = None  # a rescan may have changed which images are present
        self.counts_changed.emit(self.counts)
        self._relist()

    # --- selection, scope, threshold ------------------------------------------------------

    def select(self, wnid: str, path: Sequence[str] | None = None) -> bool:
        """Select ``wnid`` along ``path`` from entity (default: its first, shortest path);
        False, and nothing changes, for a wnid the taxonomy lacks (or none loaded yet)."""
        hierarchy = self.hierarchy
        if hierarchy is None or wnid not in hierarchy:
            return False
        path = tuple(path) if path else tuple(hierarchy.paths_to_root(wnid)[0])
        if (wnid, path) == (self.current_wnid, self.current_path):
            return True
        self.current_wnid, self.current_path = wnid, path
        self.selection_changed.emit(wnid, path)
        self._relist()
        return True

    def set_scope(self, scope: Scope) -> None:
        """List the selected synset's own images ("direct") or its whole subtree's."""
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
        if scope != self.scope:
            self.scope = scope
            self.scope_changed.emit(scope)
            self._relist()

    def set_threshold(self, threshold: int) -> None:
        """Call a synset with fewer images than this thin (analysis.coverage_status)."""
        if threshold != self.threshold:
            self.threshold = threshold
            self.threshold_changed.emit(threshold)

    def set_arrangement(self, sort: Sort, keep: str) -> None:
        """List the images in ``sort`` order, keeping those ``keep`` lets through (see
        ``catalogue.list_images``); a new listing when either changes (the review queue,
        if shown, stays as it is: in the queue's order)."""
        from explorer.core.catalogue import SORTS

        if sort not in SORTS:
            raise ValueError(f"Unknown sort {sort!r}; choose one of {', '.join(SORTS)}.")
        if (sort, keep) != (self.sort, self.keep):
            self.sort, self.keep = sort, keep
            if self.queue is None:  # the review queue keeps its own order
                self._relist()

    # --- the listing ----------------------------------------------------------------------

    def listing_job(self) -> ListingJob | None:
        """The job that lists the images of the selection in its scope, in the sort and
        filter chosen, to run where the caller likes; None when there is nothing to list
        (no catalogue, no selection) or the review queue is shown."""
        if self.catalogue is None or self.current_wnid is None or self.queue is not None:
            return None
        wnids = [self.current_wnid]
        if self.scope == "subtree" and self.counts is not None:
            wnids = self.counts.image_synsets_under(self.current_wnid)
        return ListingJob(
            str(self.catalogue.path),
            wnids,
            self._generation,
            self.sort,
            self.keep,
            tuple(self._curated_paths(self.keep)),
        )

    def _curated_paths(self, keep: str) -> list[str]:
        """The paths a curation filter names, from the curated images' states (in memory:
        a few thousand); [] for the other filters."""
        states = self.states
        if keep == "flagged":
            return [path for path, state in states.items() if state.flags]
        if keep == "reviewed_ok":
            return [path for path, state in states.items() if state.review is not None]
        if keep == "not_reviewed":  # list_images keeps the images these do not name
            return list(states)
        if keep.startswith("flag:"):
            reason = keep.removeprefix("flag:")
            return [path for path, state in states.items() if reason in state.reasons]
        return []

    def scope_total(self) -> int | None:
        """How many images the selection has in its scope, before any filter, from the
        counts (None without counts, or while the review queue is shown)."""
        if self.queue is not None or self.current_wnid is None or self.counts is None:
            return None
        return int(self.counts.of(self.current_wnid)[self.scope])

    def listing_total(self) -> int | None:
        """How many images the listing under way will hold, known at once from the counts
        when no filter applies (None otherwise, or without counts)."""
        return self.scope_total() if self.keep == "all" else None

    def set_listed(self, job: ListingJob, listing: Listing) -> bool:
        """The answer of ``job``; False (and dropped) when another listing has been asked
        for since."""
        if job.generation != self._generation:
            return False
        self.listed = listing
        self.images_listed.emit(listing)
        return True

    def rows_at(self, start: int, stop: int) -> list[ImageRow]:
        """The rows of the listing at positions ``start`` up to ``stop`` (clipped), read from
        the catalogue on this thread: a few thousand take milliseconds."""
        if self.listed is None or self.catalogue is None:
            return []
        return self.catalogue.rows_by_ids(self.listed.window(start, stop))

    def row_at(self, position: int) -> ImageRow | None:
        """The listing's row at ``position`` (None: out of range)."""
        rows = self.rows_at(position, position + 1) if position >= 0 else []
        return rows[0] if rows else None

    def position_of(self, path: str) -> int | None:
        """Where the image at ``path`` is in the listing (None: not in it)."""
        if self.listed is None or self.catalogue is None:
            return None
        for image_id in self.catalogue.ids_of_paths([path]):
            return self.listed.position_of(image_id)
        return None

    def listed_among(self, paths: Iterable[str]) -> set[str]:
        """Those of ``paths`` (a few thousand: the curated ones) that the listing holds."""
        if self.listed is None or self.catalogue is None:
            return set()
        return _listed_among(self.catalogue, self.listed, paths, self._member)

    def curation_job(self) -> CurationJob | None:
        """The job that sums up the curation of the listed images, to run where the caller
        likes (the Curation tab: on a worker); None without a listing."""
        if self.listed is None or self.catalogue is None or self.store is None:
            return None
        return CurationJob(str(self.catalogue.path), self.listed, dict(self.states), self._member)

    def relist(self) -> None:
        """List the images again (an audit changed their problems)."""
        self._relist()

    def _relist(self) -> None:
        self._generation += 1
        self.listed = None
        self._member.clear()
        self.leave_queue(relist=False)
        self.listing_changed.emit()

    def show_queue(self) -> tuple[int, int] | None:
        """Show the store's review queue instead of the selection's images: (images listed,
        queued images the catalogue lacks); None, and nothing changes, when the queue is
        empty or no flag store is open."""
        from explorer.core.curation import review_queue

        if self.store is None or self.catalogue is None:
            return None
        queue = review_queue(self.store)
        return self.show_review(queue) if queue else None

    def show_review(self, queue: dict[str, QueuedImage]) -> tuple[int, int] | None:
        """Show these images, in this order, each with its note and suggested synset, instead
        of the selection's (a review queue, a model's mistakes): (images listed, paths the
        catalogue lacks); None without a catalogue."""
        if self.catalogue is None:
            return None
        import numpy as np

        from explorer.core.catalogue import Listing

        # ids in the queue's order (a few thousand paths at most)
        found = {row.path: row.id for row in self.catalogue.images_by_path(queue)}
        ids = np.array([found[path] for path in queue if path in found], np.int32)
        listing = Listing(ids, "path")
        self._generation += 1  # a listing under way is stale
        self.queue, self.listed = queue, listing
        self.queue_changed.emit(queue)
        self.images_listed.emit(listing)
        return len(listing), len(queue) - len(listing)

    def leave_queue(self, relist: bool = True) -> None:
        """Back from the review queue to the selection's images."""
        if self.queue is None:
            return
        self.queue = None
        self.queue_changed.emit(None)
        if relist:
            self._relist()

    # --- curation -------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        """Whether curation commands can be saved (a flag store is open, and not read-only)."""
        return self.store is not None and self.store.read_only is None

    def image_refs(self, rows: Sequence[ImageRow]) -> list[ImageRef]:
        """The curation keys of some of the open catalogue's rows."""
        from explorer.core.curation import ImageRef

        catalogue = self.catalogue
        if catalogue is None:  # rows come from a listing: the catalogue closed since
            if rows:
                raise CatalogueError("No catalogue is open: its images cannot be curated.")
            return []
        return [ImageRef.from_row(catalogue, row) for row in rows]

    def apply(
        self,
        make_command: Callable[[FlagStore, Sequence[ImageRef]], Command],
        refs: Sequence[ImageRef],
    ) -> Command:
        """Make ``make_command(store, refs)`` (a core curation command) and apply it, under
        the store's lock: a CLI's change in between is not overwritten. Returns the
        command. Raises what the store raises (StoreError, sqlite3.Error, OSError)."""
        store = self.store
        if store is None or self.undo_stack is None:
            raise StoreError("Curation is off: no flag store is open.")
        with store.writing():
            command = make_command(store, refs)
            self.undo_stack.push(command)
        self._curation_changed(command.before, command.after, command.done)
        return command

    def flag(
        self,
        refs: Sequence[ImageRef],
        reason: ReasonCode,
        note: str = "",
        suggested: str | None = None,
        curator: str | None = None,
    ) -> Command:
        from explorer.core.curation import flag_images

        return self.apply(lambda s, r: flag_images(s, r, reason, note, suggested, curator), refs)

    def mark_reviewed(self, refs: Sequence[ImageRef], curator: str | None = None) -> Command:
        from explorer.core.curation import mark_reviewed

        return self.apply(lambda s, r: mark_reviewed(s, r, curator), refs)

    def clear(self, refs: Sequence[ImageRef], reason: ReasonCode | None = None) -> Command:
        from explorer.core.curation import clear_images

        return self.apply(lambda s, r: clear_images(s, r, reason), refs)

    def undo(self) -> Command | None:
        """Undo the last curation command; the command, or None when there is none."""
        command = self.undo_stack.undo() if self.undo_stack is not None else None
        if command is not None:
            self._curation_changed(command.after, command.before, f"Undone: {command.label}")
        return command

    def redo(self) -> Command | None:
        """Redo the last undone command; the command, or None when there is none."""
        command = self.undo_stack.redo() if self.undo_stack is not None else None
        if command is not None:
            self._curation_changed(command.before, command.after, f"Redone: {command.label}")
        return command

    def _curation_changed(
        self, before: dict[str, ImageState], after: dict[str, ImageState], message: str
    ) -> None:
        if self._tally is not None:
            self._tally.update(before, after)
        for path, state in after.items():
            if state.empty:
                self.states.pop(path, None)
            else:
                self.states[path] = state
        self.curation_changed.emit(before, after, message)

    def curation_counts(self) -> tuple[Counts | None, Counts | None]:
        """Flagged and reviewed (flagged or OK) images per synset and subtree; (None, None)
        without a flag store or counts. The first call reads the store; later ones follow
        its changes."""
        from explorer.core.curation import CurationTally

        store, catalogue, propagate = self.store, self.catalogue, self._propagate
        if store is None or catalogue is None or propagate is None or self.counts is None:
            return None, None
        if self._tally is None:
            self._tally = CurationTally(store, catalogue)
        known = propagate.index  # labels that are not WordNet nouns are not counted
        flagged, reviewed = (
            {wnid: n for wnid, n in counts.items() if n and wnid in known}
            for counts in (self._tally.flagged, self._tally.reviewed)
        )
        return propagate(flagged), propagate(reviewed)
