"""Every present image of a catalogue in each sort order, so that any position is read at once.

A grid over ImageNet-21k's root shows 14.2 million images: listing them all to
draw the first hundred takes minutes and gigabytes, and SQL's ``OFFSET`` walks
every row before the one asked for. So every scan ends by writing, for each
order in :data:`ORDERS`, the ids of the present images in that order and the
label number of each, in chunks of :data:`CHUNK` rows (table ``image_order``;
label numbers in ``order_labels``). A subtree's listing
(:mod:`.listing`) is then the rows whose labels lie in it: one vectorised pass
over the chunks, about 4 bytes per image of the subtree in memory.

The orders: ``name``, the file name in natural order (:func:`natural_key`:
n01_2 before n01_10), then the path; ``path``, the path in natural order;
``size``, the file size (unknown sizes last), then the path.

>>> from explorer.core.catalogue.orders import read_order
>>> ids, labels = read_order(catalogue, "name")
>>> len(ids) == catalogue.present_count()
True
>>> [row.path for row in catalogue.rows_by_ids(ids[9:11])]  # natural order: 9 before 10
['n01440764/n01440764_9.JPEG', 'n01440764/n01440764_10.JPEG']
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal, get_args

from explorer.core.text import natural_key

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from explorer.core.catalogue.store import Catalogue
    from explorer.core.jobs import JobState

    Ids = npt.NDArray[np.int32]

Order = Literal["name", "path", "size"]
ORDERS: tuple[Order, ...] = get_args(Order)
CHUNK = 1 << 16  # rows per stored chunk: 256 KiB of ids, read whole
NO_LABEL = -1  # the label number of an image without one
_READ = 1 << 16  # rows fetched at a time while building


def write_orders(db: sqlite3.Connection, state: JobState | None = None) -> None:
    """(Re)write every order of the catalogue open on ``db``, in the caller's transaction.

    Costs one pass over the present images in Python (the natural keys) and a
    sort by integers in numpy: about 1.5 µs and 40 bytes an image at its peak.
    """
    import numpy as np

    labels = [
        wnid
        for (wnid,) in db.execute(
            "SELECT wnid FROM label_counts WHERE wnid IS NOT NULL ORDER BY wnid"
        )
    ]
    number = {wnid: i for i, wnid in enumerate(labels)}
    total = int(db.execute("SELECT count(*) FROM images WHERE present = 1").fetchone()[0])
    ids = np.empty(total, np.int32)
    label_of = np.empty(total, np.int32)
    sizes = np.empty(total, np.int64)
    # natural keys as integers: (rank of the text before the last number, the number, rank of
    # the text after it), the texts ranked once each (a few per synset, not per image)
    path_keys, name_keys = _KeyColumns(total), _KeyColumns(total)
    done = 0
    cursor = db.execute("SELECT id, wnid, size, path FROM images WHERE present = 1")
    while rows := cursor.fetchmany(_READ):
        if state is not None:
            state.check()
            state.progress(done, total, "Sorting for the grid")
        end = done + len(rows)
        ids[done:end] = [row[0] for row in rows]
        label_of[done:end] = [number.get(row[1], NO_LABEL) for row in rows]
        sizes[done:end] = [-1 if row[2] is None else row[2] for row in rows]
        paths = [row[3] for row in rows]
        path_keys.add(done, paths)
        name_keys.add(done, [path[path.rfind("/") + 1 :] for path in paths])
        done = end
    by_path = path_keys.order(np.arange(total, dtype=np.int32))
    del path_keys
    sizes = sizes[by_path]
    known = sizes >= 0  # unknown sizes last, each group in path order
    by_size = np.concatenate(
        [by_path[known][np.argsort(sizes[known], kind="stable")], by_path[~known]]
    )
    del sizes, known
    by_name = name_keys.order(by_path)
    del name_keys
    db.execute("DELETE FROM image_order")
    db.execute("DELETE FROM order_labels")
    db.executemany("INSERT INTO order_labels (number, wnid) VALUES (?, ?)", enumerate(labels))
    for order, positions in (("name", by_name), ("path", by_path), ("size", by_size)):
        for chunk, start in enumerate(range(0, total, CHUNK)):
            part = positions[start : start + CHUNK]
            db.execute(
                "INSERT INTO image_order (sort, chunk, ids, labels) VALUES (?, ?, ?, ?)",
                (order, chunk, ids[part].tobytes(), label_of[part].tobytes()),
            )


class _KeyColumns:
    """Natural keys of many names as three integer columns, ranked when the order is asked."""

    def __init__(self, total: int) -> None:
        import numpy as np

        self.before = np.empty(total, np.int32)  # the text before the last number, numbered
        self.number = np.empty(total, np.int64)  # the last number (-1: none)
        self.after = np.empty(total, np.int32)  # the text after it, numbered
        self.befores: dict[tuple[str | int, ...], int] = {}
        self.afters: dict[str, int] = {}

    def add(self, start: int, names: list[str]) -> None:
        befores, numbers, afters = [], [], []
        seen_before, seen_after = self.befores, self.afters
        for name in names:
            before, number, after = natural_key(name)
            befores.append(seen_before.setdefault(before, len(seen_before)))
            numbers.append(number)
            afters.append(seen_after.setdefault(after, len(seen_after)))
        end = start + len(names)
        self.before[start:end] = befores
        self.number[start:end] = numbers
        self.after[start:end] = afters

    def order(self, ties: Ids) -> Ids:
        """Positions in natural order; equal keys keep the order of ``ties`` (a stable sort)."""
        import numpy as np

        before_rank = _ranks(list(self.befores))
        after_rank = _ranks(list(self.afters))
        keys = (after_rank[self.after[ties]], self.number[ties], before_rank[self.before[ties]])
        return ties[np.lexsort(keys)]


def _ranks(texts: list[tuple[str | int, ...]] | list[str]) -> Ids:
    """Each text's place among ``texts`` sorted (as numbered: the i-th text is number i)."""
    import numpy as np

    rank = np.empty(len(texts), np.int32)
    rank[sorted(range(len(texts)), key=texts.__getitem__)] = np.arange(len(texts), dtype=np.int32)
    return rank


def read_order(catalogue: Catalogue, order: Order) -> tuple[Ids, Ids]:
    """The ids of every present image in ``order`` and their label numbers (two arrays)."""
    import numpy as np

    ids, labels = [], []
    for chunk_ids, chunk_labels in _chunks(catalogue, order):
        ids.append(chunk_ids)
        labels.append(chunk_labels)
    if not ids:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(ids), np.concatenate(labels)


def _chunks(catalogue: Catalogue, order: Order) -> Iterator[tuple[Ids, Ids]]:
    import numpy as np

    for ids, labels in catalogue._order_chunks(order):
        yield np.frombuffer(ids, np.int32), np.frombuffer(labels, np.int32)
