"""Model evaluation over the hierarchy: predictions read, matched and scored per synset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.evaluation.classes import CONFUSED, LAYOUTS, class_order, guess_layout
    from explorer.core.evaluation.predictions import Predictions, read_predictions
    from explorer.core.evaluation.scoring import (
        ConfusedPair,
        Evaluation,
        evaluate,
        node_figures,
    )
    from explorer.core.evaluation.session import EvaluationJob, EvaluationSession

__all__ = [
    "CONFUSED",
    "LAYOUTS",
    "ConfusedPair",
    "Evaluation",
    "EvaluationJob",
    "EvaluationSession",
    "Predictions",
    "class_order",
    "evaluate",
    "guess_layout",
    "node_figures",
    "read_predictions",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".classes": ("CONFUSED", "LAYOUTS", "class_order", "guess_layout"),
        ".predictions": ("Predictions", "read_predictions"),
        ".session": ("EvaluationJob", "EvaluationSession"),
        ".scoring": ("ConfusedPair", "Evaluation", "evaluate", "node_figures"),
    },
)
