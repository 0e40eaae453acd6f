"""The real ILSVRC-2012 validation predictions of ../shared/data/known-issues as files the
evaluation reads: a manifest of the val paths with their original labels (``val.csv``, to
index: the images need not exist) and the cross-validated model's predictions as
``path,class_index`` (``pred.csv``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from explorer.core.evaluation import class_order


def write_val_files(known: Path, folder: Path, rows: slice = slice(None)) -> dict:
    """Write ``val.csv`` and ``pred.csv`` of the chosen ``rows`` (in the files' order) into
    ``folder``; return the paths, truth and predicted class indices written."""
    paths = json.loads((known / "imagenet_val_set_index_to_filepath.json").read_text())[rows]
    truth = np.load(known / "imagenet_val_set_original_labels.npy").astype(int)[rows]
    predicted = np.load(known / "imagenet_val_set_pyx_argmax_predicted_labels.npy").astype(int)[
        rows
    ]
    order = class_order("ilsvrc2012")
    folder.mkdir(parents=True, exist_ok=True)
    labels = zip(paths, truth, strict=True)
    (folder / "val.csv").write_text("path,wnid\n" + "".join(f"{p},{order[t]}\n" for p, t in labels))
    guesses = zip(paths, predicted, strict=True)
    (folder / "pred.csv").write_text("path,class\n" + "".join(f"{p},{c}\n" for p, c in guesses))
    return {"paths": paths, "truth": truth, "predicted": predicted}
