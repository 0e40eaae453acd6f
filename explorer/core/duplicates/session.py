"""The window's near-duplicates: the last search over the open catalogue, Qt-free, with events.

The search itself (hashing what is new, then the pair search) is a job for a worker
(:meth:`DuplicateSession.job`); its report comes back here (:meth:`set_report`) and the
Duplicates tab and the tree's column follow :attr:`changed`. What a curator decides is a
curation command on the workspace's store (undoable like any flag): a pair judged not a
duplicate disappears at once, and comes back on undo, because the pairs shown are
filtered by the images' live curation states, not by the search.

>>> from explorer.core.workspace import Workspace
>>> workspace = Workspace()
>>> session = DuplicateSession(workspace)
>>> workspace.set_taxonomy(taxonomy)
>>> _ = workspace.open_catalogue(catalogue_path)
>>> job = session.job()                       # a worker runs it: hashes, then pairs
>>> session.set_report(job, job.run())
True
>>> shown = session.pairs_under("n02084071")  # the demo's dogs
>>> [(p.relation, p.exact) for p in session.rows(shown)]
[('different', True)]
>>> command = session.mark_not_duplicate(session.rows(shown)[0])
>>> len(session.pairs_under("n02084071")), session.counts().of("n02084071")["subtree"]
(0, 0)
>>> _ = workspace.undo()
>>> len(session.pairs_under("n02084071"))
1
>>> workspace.close()
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psygnal import Signal

from explorer.core.duplicates.choices import DEFAULT_DISTANCE, RELATIONS

if TYPE_CHECKING:  # numpy and the pairs' module (the catalogue's): when a search is made,
    # not when the window that holds this session starts
    import numpy as np

    from explorer.core.analysis import Counts
    from explorer.core.catalogue import Catalogue
    from explorer.core.cluster import ClusterSpec
    from explorer.core.curation import Command, ImageState
    from explorer.core.duplicates.pairs import DuplicatePair, DuplicateReport
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Workspace


# the order the relations are shown in: what most needs a curator first
_PRIORITY = [("different", "ancestor", "same_synset", "unknown_label").index(r) for r in RELATIONS]


@dataclass(frozen=True)
class DuplicateJob:
    """Hash what is new in the catalogue (and ``against``), then find the pairs: for a
    worker. It opens its own connections (SQLite's belong to the thread that made them)."""

    catalogue: Path
    against: Path | None
    max_distance: int
    cluster: ClusterSpec | None
    taxonomy: Taxonomy  # read only

    def run(self, state: JobState | None = None) -> DuplicateReport:
        from explorer.core.catalogue import Catalogue
        from explorer.core.duplicates.hashing import hash_catalogue
        from explorer.core.duplicates.pairs import find_duplicates
        from explorer.core.jobs import JobState

        state = state or JobState()
        for path in (self.catalogue, self.against):
            if path is not None:
                hash_catalogue(path, state=state, cluster=self.cluster)
                state.check()
        with Catalogue.open(self.catalogue) as catalogue:
            other = Catalogue.open(self.against) if self.against is not None else None
            try:
                return find_duplicates(
                    catalogue,
                    self.taxonomy,
                    against=other,
                    max_distance=self.max_distance,
                    state=state,
                )
            finally:
                if other is not None:
                    other.close()


class DuplicateSession:
    changed = Signal(object)
    """The report shown changed (a search ended, a decision was made, the catalogue
    closed: then None)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.report: DuplicateReport | None = None
        self.against: Catalogue | None = None  # the other catalogue of a report across two
        self._dismissed: np.ndarray | None = None  # pairs judged not duplicates (mask)
        self._job: DuplicateJob | None = None
        workspace.catalogue_opened.connect(lambda _catalogue: self.clear())
        workspace.catalogue_closed.connect(self.clear)
        workspace.curation_changed.connect(self._curation_changed)

    def job(
        self,
        max_distance: int = DEFAULT_DISTANCE,
        against: str | os.PathLike[str] | None = None,
        cluster: ClusterSpec | None = None,
    ) -> DuplicateJob:
        catalogue, taxonomy = self.workspace.catalogue, self.workspace.taxonomy
        if catalogue is None or taxonomy is None:
            raise ValueError("Open a catalogue (and let WordNet load) before finding duplicates.")
        other = Path(against) if against is not None else None
        job = DuplicateJob(Path(catalogue.path), other, max_distance, cluster, taxonomy)
        self._job = job
        return job

    def set_report(self, job: DuplicateJob, report: DuplicateReport) -> bool:
        """Show ``report``, the answer of ``job``; False (ignored) when another job has been
        handed out since, or the catalogue changed."""
        from explorer.core.catalogue import Catalogue

        catalogue = self.workspace.catalogue
        if job is not self._job or catalogue is None or Path(catalogue.path) != job.catalogue:
            return False
        self._close_against()
        if job.against is not None:
            self.against = Catalogue.open(job.against)
        self.report, self._dismissed = report, None
        self.changed.emit(report)
        return True

    def clear(self) -> None:
        self._job = None
        self._close_against()
        if self.report is not None:
            self.report, self._dismissed = None, None
            self.changed.emit(None)

    def _close_against(self) -> None:
        if self.against is not None:
            self.against.close()
            self.against = None

    # --- what is shown ---------------------------------------------------------------------

    def pairs_under(self, wnid: str | None, relation: str | None = None) -> np.ndarray:
        """Indices of the pairs shown for the subtree of ``wnid`` (None: all), of one
        ``relation`` (None: any): those with an image labelled in the subtree, not judged
        not duplicates. Label conflicts first, then ancestors, then copies in one synset;
        the closest first within each."""
        import numpy as np

        report, taxonomy = self.report, self.workspace.taxonomy
        if report is None or taxonomy is None:
            return np.zeros(0, np.int64)
        keep = ~self._dismissed_mask()
        if relation is not None:
            keep &= report.relation == RELATIONS.index(relation)
        if wnid is not None:
            under = np.zeros(len(report), bool)
            under[report.pairs_of_label(taxonomy.descendants(wnid) | {wnid})] = True
            keep &= under
        shown = np.flatnonzero(keep)
        order = np.lexsort(
            (shown, report.distance[shown], np.asarray(_PRIORITY)[report.relation[shown]])
        )
        return shown[order]

    def rows(self, indices: Sequence[int] | np.ndarray) -> list[DuplicatePair]:
        """The pairs at these indices, with paths (read on this thread)."""
        import numpy as np

        report, catalogue = self.report, self.workspace.catalogue
        if report is None or catalogue is None or not len(indices):
            return []
        part = report.subset(np.asarray(indices, np.int64))
        return list(part.rows(catalogue, self.against))

    def counts(self) -> Counts | None:
        """Images in a pair shown, per synset and subtree (for the tree's column)."""
        import numpy as np

        report, workspace = self.report, self.workspace
        propagate = workspace.count_propagator()
        if report is None or propagate is None:
            return None
        shown = report.subset(np.flatnonzero(~self._dismissed_mask()))
        known = propagate.index
        return propagate({w: n for w, n in shown.counts_by_label().items() if w in known})

    def twin_name(self, pair: DuplicatePair) -> str:
        """How image ``a``'s curation names ``b``: its path, or where it lies in another
        catalogue."""
        if self.against is None:
            return pair.b
        return os.fsdecode(self.against.absolute_path(pair.b))

    # --- what a curator decides --------------------------------------------------------------

    def flag_duplicate(self, pair: DuplicatePair, which: str) -> Command:
        """Flag ``which`` image of the pair ("a" or "b") as a duplicate of the other. An
        image of the other catalogue cannot be flagged here."""
        from explorer.core.duplicates.decisions import flag_duplicate

        workspace, catalogue = self.workspace, self.workspace.catalogue
        if which == "b" and self.against is not None:
            raise ValueError(
                "That image is in the other catalogue: open it to flag its images there."
            )
        if catalogue is None:
            raise ValueError("No catalogue is open.")
        path, twin = (pair.a, self.twin_name(pair)) if which == "a" else (pair.b, pair.a)
        rows = catalogue.images_by_path([path])
        refs = workspace.image_refs(rows)
        return workspace.apply(lambda store, r: flag_duplicate(store, r[0], twin), refs)

    def mark_not_duplicate(self, pair: DuplicatePair) -> Command:
        from explorer.core.duplicates.decisions import mark_not_duplicate

        twin = self.twin_name(pair)
        return self.workspace.apply(lambda store, _r: mark_not_duplicate(store, pair.a, twin), [])

    # --- internals ---------------------------------------------------------------------------

    def _dismissed_mask(self) -> np.ndarray:
        """Which pairs a curator judged not duplicates, from the live curation states."""
        import numpy as np

        from explorer.core.duplicates.pairs import dismissed_pairs

        report, catalogue = self.report, self.workspace.catalogue
        if report is None or catalogue is None:
            return np.zeros(0, bool)
        if self._dismissed is None:
            marked = [
                (path, twin)
                for path, state in self.workspace.states.items()
                for twin in state.distinct
            ]
            other = self.against or catalogue
            self._dismissed = dismissed_pairs(report.first, report.second, catalogue, other, marked)
        return self._dismissed

    def _curation_changed(
        self, before: dict[str, ImageState], after: dict[str, ImageState], _message: str
    ) -> None:
        if self.report is None:
            return
        if any(before[path].distinct != after[path].distinct for path in after if path in before):
            self._dismissed = None
            self.changed.emit(self.report)
