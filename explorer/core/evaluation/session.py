"""The window's evaluation: the last predictions scored on the open catalogue, Qt-free, with
events.

Scoring is a job for a worker (:meth:`EvaluationSession.job`: it opens its own catalogue
connection); its result comes back here (:meth:`set_result`), and the tree's Top-1 column
and the Evaluation tab follow :attr:`changed`. The mistakes of a subtree, or of one confused
pair, open in the grid as a review list (:meth:`review`): each image noted with its
prediction, its label and ReaL's, and the prediction as the synset W suggests, so that one
key turns a mistake the label caused into a ``wrong_label`` flag.

>>> from explorer.core.workspace import Workspace
>>> workspace = Workspace()
>>> session = EvaluationSession(workspace)
>>> workspace.set_taxonomy(taxonomy)
>>> _ = workspace.open_catalogue(catalogue_path)
>>> _ = (tmp / "p.csv").write_text("path,wnid\\nn02085620/n02085620_0.JPEG,n02085620\\n"
...                                "n02085620/n02085620_1.JPEG,n02086079\\n")
>>> job = session.job(tmp / "p.csv")
>>> session.set_result(job, job.run())
True
>>> session.figures("n02084071")["top1"]
0.5
>>> queue = session.review("n02084071")      # the mistakes first
>>> list(queue)[0], queue["n02085620/n02085620_1.JPEG"].suggested_wnid
('n02085620/n02085620_1.JPEG', 'n02086079')
>>> workspace.close()
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psygnal import Signal

if TYPE_CHECKING:  # numpy and the scoring: when a file is scored, not when the window starts
    import numpy as np

    from explorer.core.curation import QueuedImage
    from explorer.core.evaluation.scoring import ConfusedPair, Evaluation
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Workspace


@dataclass(frozen=True)
class EvaluationJob:
    """Read the predictions and score them: for a worker (its own catalogue connection)."""

    catalogue: Path
    predictions: Path
    classes: str | None
    real: Path | None
    wrong_label: frozenset[str]
    taxonomy: Taxonomy

    def run(self, state: JobState | None = None) -> Evaluation:
        from explorer.core.catalogue import Catalogue
        from explorer.core.evaluation.predictions import read_predictions
        from explorer.core.evaluation.scoring import evaluate

        predictions = read_predictions(self.predictions, self.classes)
        with Catalogue.open(self.catalogue) as catalogue:
            return evaluate(
                catalogue,
                self.taxonomy,
                predictions,
                real=self.real,
                wrong_label=self.wrong_label,
                state=state,
            )


class EvaluationSession:
    changed = Signal(object)
    """The evaluation shown changed (predictions scored, the catalogue closed: None)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.result: Evaluation | None = None
        self._job: EvaluationJob | None = None
        workspace.catalogue_opened.connect(lambda _catalogue: self.clear())
        workspace.catalogue_closed.connect(self.clear)

    def job(
        self,
        predictions: str | os.PathLike[str],
        classes: str | None = None,
        real: str | os.PathLike[str] | None = None,
    ) -> EvaluationJob:
        workspace = self.workspace
        catalogue, taxonomy = workspace.catalogue, workspace.taxonomy
        if catalogue is None or taxonomy is None:
            raise ValueError("Open a catalogue (and let WordNet load) before scoring predictions.")
        wrong = frozenset(p for p, s in workspace.states.items() if "wrong_label" in s.reasons)
        job = EvaluationJob(
            Path(catalogue.path),
            Path(predictions),
            classes,
            Path(real) if real is not None else None,
            wrong,
            taxonomy,
        )
        self._job = job
        return job

    def set_result(self, job: EvaluationJob, result: Evaluation) -> bool:
        """Show ``result`` of ``job``; False (ignored) when another job was handed out since
        or the catalogue changed."""
        catalogue = self.workspace.catalogue
        if job is not self._job or catalogue is None or Path(catalogue.path) != job.catalogue:
            return False
        self.result = result
        self.changed.emit(result)
        return True

    def clear(self) -> None:
        self._job = None
        if self.result is not None:
            self.result = None
            self.changed.emit(None)

    # --- what is shown ---------------------------------------------------------------------

    def figures(self, wnid: str) -> dict[str, Any] | None:
        """The subtree's images, top1 and in_subtree (None: nothing scored)."""
        return self.result.node(wnid) if self.result is not None else None

    def accuracy(self) -> np.ndarray | None:
        """Top-1 per node (taxonomy index order; NaN where no image was scored)."""
        result = self.result
        if result is None:  # the tree asks before its first paint: no numpy for that
            return None
        import numpy as np

        with np.errstate(invalid="ignore", divide="ignore"):
            return result.node_correct / np.where(result.node_images, result.node_images, np.nan)

    def _under(self, wnid: str) -> np.ndarray:
        """Which scored images have their truth in the subtree of ``wnid``."""
        import numpy as np

        result, taxonomy = self.result, self.workspace.taxonomy
        assert result is not None and taxonomy is not None
        members = np.zeros(len(result.index), bool)
        members[[result.index[w] for w in taxonomy.descendants(wnid) | {wnid}]] = True
        under: np.ndarray = members[result.truth]
        return under

    def severity_histogram(self, wnid: str) -> dict[int, int]:
        """Mistakes of the subtree's images by severity."""
        import numpy as np

        result = self.result
        if result is None:
            return {}
        chosen = self._under(wnid) & (result.truth != result.predicted) & (result.predicted >= 0)
        values, counts = np.unique(result.image_severity[chosen], return_counts=True)
        return {int(v): int(n) for v, n in zip(values, counts, strict=True)}

    def confused_under(self, wnid: str, limit: int = 50) -> list[ConfusedPair]:
        """The most confused pairs whose truth lies in the subtree of ``wnid``, with how many
        of their images ReaL lists the prediction for, and how many are flagged wrong_label."""
        import numpy as np

        from explorer.core.curation import EMPTY
        from explorer.core.evaluation.scoring import confused_pairs

        result, catalogue, taxonomy = self.result, self.workspace.catalogue, self.workspace.taxonomy
        if result is None or catalogue is None or taxonomy is None:
            return []
        chosen = self._under(wnid) & (result.truth != result.predicted) & (result.predicted >= 0)
        flagged = np.zeros(len(chosen), bool)  # only the chosen images' flags are read
        where = np.flatnonzero(chosen)
        rows = catalogue.rows_by_ids(result.image_ids[where].tolist())
        paths = {row.id: row.path for row in rows}
        states = self.workspace.states
        for i in where.tolist():
            path = paths.get(int(result.image_ids[i]))
            flagged[i] = "wrong_label" in states.get(path or "", EMPTY).reasons
        return confused_pairs(
            result.truth,
            result.predicted,
            chosen,
            result.image_severity,
            result.image_real,
            flagged,
            taxonomy.wnids,
            limit,
        )

    def review(self, wnid: str, pair: tuple[str, str] | None = None) -> dict[str, QueuedImage]:
        """The subtree's scored images (or one confused pair's), mistakes first, each noted
        with its prediction and label, and the prediction suggested: for the grid."""
        import numpy as np

        from explorer.core.curation import QueuedImage

        result, catalogue = self.result, self.workspace.catalogue
        taxonomy = self.workspace.taxonomy
        if result is None or catalogue is None or taxonomy is None:
            return {}
        chosen = self._under(wnid)
        if pair is not None:
            truth, predicted = (result.index[w] for w in pair)
            chosen &= (result.truth == truth) & (result.predicted == predicted)
        positions = np.flatnonzero(chosen)
        wrong = result.truth[positions] != result.predicted[positions]
        positions = positions[np.argsort(~wrong, kind="stable")]  # mistakes first
        wnids = taxonomy.wnids
        rows = {
            row.id: row.path for row in catalogue.rows_by_ids(result.image_ids[positions].tolist())
        }
        queue: dict[str, QueuedImage] = {}
        for i in positions.tolist():
            path = rows.get(int(result.image_ids[i]))
            if path is None:
                continue
            truth = wnids[result.truth[i]]
            guess = wnids[result.predicted[i]] if result.predicted[i] >= 0 else None
            real = ""
            if result.image_real is not None:
                labels = result.image_real[i]
                names = sorted(_name(taxonomy, wnids[n]) for n in labels or () if n >= 0)
                real = f" · ReaL: {', '.join(names) or 'none'}"
            # short enough for a grid cell's first line: the prediction first
            if guess == truth:
                queue[path] = QueuedImage(f"✓ {_name(taxonomy, truth)}{real}", None)
            else:
                said = _name(taxonomy, guess) if guess else "(no WordNet noun)"
                note = f"→ {said} · label: {_name(taxonomy, truth)}{real}"
                queue[path] = QueuedImage(note, guess)
        return queue


def _name(taxonomy: Taxonomy, wnid: str) -> str:
    return str(taxonomy.node(wnid)["lemmas"][0])
