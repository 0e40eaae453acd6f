"""A model's predictions, read from a CSV or TSV file with a header.

``path,wnid`` (one prediction per image), ``path,wnid_1,...,wnid_k`` (ranked, the best
first: top-k), or the same with class indices instead of wnids, whose order ``classes``
names (:func:`explorer.core.evaluation.classes.class_order`; ILSVRC-2012's when every index
is under 1,000 and none is named). Columns named like scores (``score``, ``prob``,
``confidence``, ``logit``) are ignored. The delimiter is the header's: a tab, else a comma.
A row that cannot be read (too few fields, no path, a value that is neither a wnid nor an
index, an index past the class list) is counted and shown by example, never fatal.

>>> _ = (tmp / "p.csv").write_text("path,top1,top2\\nval/a.JPEG,n02084071,n02085620\\n"
...                                "val/b.JPEG,n01440764\\nval/c.JPEG,dog\\n")
>>> predictions = read_predictions(tmp / "p.csv")
>>> predictions.paths, predictions.wnids(0), predictions.k
(['val/a.JPEG', 'val/b.JPEG'], ['n02084071', 'n02085620'], 2)
>>> predictions.bad_rows, predictions.bad_examples
(1, ["line 4: 'dog' is neither a wnid nor a class index"])
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explorer.core.errors import CatalogueError
from explorer.core.evaluation.classes import class_order, guess_layout

_WNID = re.compile(r"n\d{8}")
_INDEX = re.compile(r"\d{1,7}")
_SCORE = re.compile(r"score|prob|conf|logit", re.IGNORECASE)
_EXAMPLES = 5
csv.field_size_limit(1 << 20)  # a path is at most a few KB; a longer field is a bad row


@dataclass
class Predictions:
    """Predictions for ``paths``: ``ranked[i]`` the numbers (into ``labels``) of image i's
    predicted wnids, best first, -1 where a row ranked fewer."""

    source: str
    paths: list[str]
    ranked: np.ndarray  # int32, (images, k)
    labels: list[str]  # the wnids the numbers stand for
    layout: str | None = None  # the class order of indices, when the file held indices
    bad_rows: int = 0
    bad_examples: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        return int(self.ranked.shape[1])

    def wnids(self, row: int) -> list[str]:
        return [self.labels[n] for n in self.ranked[row] if n >= 0]


def read_predictions(
    path: str | os.PathLike[str], classes: str | os.PathLike[str] | None = None
) -> Predictions:
    """Read the predictions at ``path``; ``classes``: the class order of indices (a layout's
    name or a file). A CatalogueError when the file cannot be read as predictions at all."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as file:
            header_line = file.readline()
            delimiter = "\t" if "\t" in header_line else ","
            header = next(csv.reader([header_line], delimiter=delimiter), [])
            columns = _prediction_columns(path, header)
            rows = csv.reader(file, delimiter=delimiter)
            return _read_rows(path, rows, columns, classes)
    except OSError as exc:
        raise CatalogueError(f"Cannot read {path}: {exc.strerror or exc}") from exc


def _prediction_columns(path: Path, header: list[str]) -> list[int]:
    """The columns holding predictions, best first: every column after the path but those
    named like scores. A file whose first line is data, not a header, is an error."""
    cells = [cell.strip() for cell in header]
    if len(cells) < 2:
        raise CatalogueError(
            f"{path}: the first line must be a header naming a path column and one or more "
            "prediction columns (path,wnid or path,wnid_1,...,wnid_k)."
        )
    if _WNID.fullmatch(cells[1]) or _INDEX.fullmatch(cells[1]):
        raise CatalogueError(
            f"{path}: the first line looks like data ({cells[1]!r}); add a header line, such "
            "as path,wnid."
        )
    columns = [i for i in range(1, len(cells)) if not _SCORE.search(cells[i])]
    if not columns:
        raise CatalogueError(f"{path}: no prediction column (only scores) in its header.")
    return columns


def _read_rows(
    path: Path,
    rows: csv.Reader,  # type: ignore[name-defined]
    columns: list[int],
    classes: str | os.PathLike[str] | None,
) -> Predictions:
    paths: list[str] = []
    values: list[list[str]] = []
    bad: list[str] = []
    bad_rows = 0
    kinds: set[str] = set()
    for number, row in enumerate(rows, 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        problem = None
        image = row[0].strip()
        picked = [row[i].strip() for i in columns if i < len(row) and row[i].strip()]
        if not image:
            problem = "no path"
        elif not picked:
            problem = "no prediction"
        else:
            for value in picked:
                if _is_wnid(value):
                    kinds.add("wnid")
                elif value.isdigit() and len(value) <= 7 and value.isascii():
                    kinds.add("index")
                else:
                    problem = f"{value[:40]!r} is neither a wnid nor a class index"
                    break
        if problem is not None:
            bad_rows += 1
            if len(bad) < _EXAMPLES:
                bad.append(f"line {number}: {problem}")
            continue
        paths.append(image)
        values.append(picked)
    if kinds == {"wnid", "index"}:
        raise CatalogueError(
            f"{path} mixes wnids and class indices: use one or the other throughout."
        )
    layout = None
    if "index" in kinds:
        largest = max(int(v) for row in values for v in row)
        name = os.fspath(classes) if classes is not None else guess_layout(largest)
        if name is None:
            raise CatalogueError(
                f"{path} holds class indices up to {largest}: name their order with --classes "
                "(a file of wnids, or one of the known orders: see `wnexplorer eval --help`)."
            )
        order = class_order(name)
        layout = name
        labels = order
        kept_paths, kept_values = [], []
        for image, row in zip(paths, values, strict=True):
            indices = [int(v) for v in row]
            if max(indices) >= len(order):
                bad_rows += 1
                if len(bad) < _EXAMPLES:
                    bad.append(
                        f"{image}: class index {max(indices)} past the {len(order):,} classes"
                    )
                continue
            kept_paths.append(image)
            kept_values.append(indices)
        paths, numbers = kept_paths, kept_values
    else:
        labels, numbers = _numbered(values)
    k = max((len(row) for row in numbers), default=1)
    ranked = np.full((len(numbers), k), -1, np.int32)
    for i, row in enumerate(numbers):
        ranked[i, : len(row)] = row
    return Predictions(str(path), paths, ranked, labels, layout, bad_rows, bad)


def _is_wnid(value: str) -> bool:
    """n + 8 digits (str methods: a regex per value was half the reading time)."""
    return len(value) == 9 and value[0] == "n" and value[1:].isdigit() and value.isascii()


def _numbered(values: list[list[str]]) -> tuple[list[str], list[list[int]]]:
    """wnids as numbers into the list of the distinct ones."""
    index: dict[str, int] = {}
    numbers = [[index.setdefault(v, len(index)) for v in row] for row in values]
    return list(index), numbers
