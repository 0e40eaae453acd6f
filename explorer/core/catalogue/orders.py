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
n01_2 before n01_10), then the path; ``path``, the path in natural order
(:func:`natural_path_key`: by folder, then by name);
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
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, get_args

from explorer.core.text import natural_key, number_runs

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

    One pass over the present images' paths in Python (their natural keys as
    integers), then sorts by integers in numpy.
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
    keys = _NaturalKeys(total)
    done = 0
    cursor = db.execute("SELECT id, wnid, path FROM images WHERE present = 1")
    while rows := cursor.fetchmany(_READ):
        if state is not None:
            state.check()
            state.progress(done, total, "Sorting for the grid")
        end = done + len(rows)
        ids[done:end] = [row[0] for row in rows]
        label_of[done:end] = [number.get(row[1], NO_LABEL) for row in rows]
        keys.add(done, [row[2] for row in rows])
        done = end
    by_path = keys.path_order()
    by_name = keys.name_order(by_path)
    del keys
    sizes = np.fromiter(  # in the first query's order: both read the table by rowid
        (
            -1 if size is None else size
            for (size,) in db.execute("SELECT size FROM images WHERE present = 1")
        ),
        np.int64,
        total,
    )[by_path]
    known = sizes >= 0  # unknown sizes last, each group in path order
    by_size = np.concatenate(
        [by_path[known][np.argsort(sizes[known], kind="stable")], by_path[~known]]
    )
    del sizes, known
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


_DIGITS = "0123456789"
_INT32_MAX = 2**31 - 1
_LONGEST_NUMBER = 18  # digits an int64 holds whatever they are; longer ones go the slow way


class _NaturalKeys:
    """The natural keys of many paths (:func:`natural_path_key`) as integer columns.

    A path's key is (its folder, its file name's :func:`natural_key`): the
    folder, and the text before the name's last number and after it, are
    numbered as they come and ranked once at the end, so a folder of a
    thousand images costs one ranking, not a thousand. The common name, digits
    then a letters-only extension (``n01440764_10026.JPEG``), is split with
    string methods; any other goes through :func:`natural_key`.
    """

    def __init__(self, total: int) -> None:
        import numpy as np

        self.folder = np.empty(total, np.int32)  # the path up to its last "/", numbered
        self.before = np.empty(total, np.int32)  # the name's text before its last number
        self.number = np.empty(total, np.int32)  # that number (-1: none); int64 if need be
        self.after = np.empty(total, np.int32)  # the text after it
        self.folders: dict[str, int] = {}
        self.befores: dict[str | tuple[str | int, ...], int] = {}
        self.afters: dict[str, int] = {}

    def add(self, start: int, paths: list[str]) -> None:
        import numpy as np

        folders, befores, numbers, afters = [], [], [], []
        seen_folder, seen_before, seen_after = self.folders, self.befores, self.afters
        for path in paths:
            cut = path.rfind("/") + 1
            name = path[cut:]
            head, dot, extension = name.rpartition(".")
            stem = head.rstrip(_DIGITS)
            digits = len(head) - len(stem)
            if dot and extension.isalpha() and 0 < digits <= _LONGEST_NUMBER:
                before: str | tuple[str | int, ...] = stem
                number, after = int(head[len(stem) :]), dot + extension
            else:
                before, number, after = natural_key(name)
            folders.append(seen_folder.setdefault(path[:cut], len(seen_folder)))
            befores.append(seen_before.setdefault(before, len(seen_before)))
            numbers.append(number)
            afters.append(seen_after.setdefault(after, len(seen_after)))
        end = start + len(paths)
        if self.number.dtype != np.int64 and max(numbers, default=0) > _INT32_MAX:
            self.number = self.number.astype(np.int64)  # once, for the rare huge number
        self.folder[start:end] = folders
        self.before[start:end] = befores
        self.number[start:end] = numbers
        self.after[start:end] = afters

    def path_order(self) -> Ids:
        """Positions in natural path order: by folder, then by name (equal keys as added)."""
        import numpy as np

        folder_rank = _dense_ranks(list(self.folders), _before_key)
        before_rank, after_rank = self._name_ranks()
        keys = (
            after_rank[self.after],
            self.number,
            before_rank[self.before],
            folder_rank[self.folder],
        )
        return np.lexsort(keys).astype(np.int32)

    def name_order(self, ties: Ids) -> Ids:
        """Positions in natural file-name order; equal names keep the order of ``ties``."""
        import numpy as np

        before_rank, after_rank = self._name_ranks()
        keys = (after_rank[self.after[ties]], self.number[ties], before_rank[self.before[ties]])
        return ties[np.lexsort(keys)]

    def _name_ranks(self) -> tuple[Ids, Ids]:
        return _dense_ranks(list(self.befores), _before_key), _dense_ranks(
            list(self.afters), str.casefold
        )


def _before_key(text: str | tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A text before a number as natural_key gives it (raw texts from the fast path folded)."""
    return number_runs(text.casefold()) if isinstance(text, str) else text


def _dense_ranks(texts: list[Any], key: Callable[[Any], Any]) -> Ids:
    """The rank of each text's key among all (equal keys, equal ranks); texts[i] is number i."""
    import numpy as np

    keyed = [key(text) for text in texts]
    rank = np.empty(len(texts), np.int32)
    previous, current = None, -1
    for i in sorted(range(len(texts)), key=keyed.__getitem__):
        if current < 0 or keyed[i] != previous:
            current, previous = current + 1, keyed[i]
        rank[i] = current
    return rank


def ensure_orders(catalogue: Catalogue, state: JobState | None = None) -> None:
    """Write the orders of a catalogue indexed before they existed: once, about 2 s per
    million images, on its own connection (``catalogue`` may be read-only)."""
    if catalogue.has_orders():
        return
    from explorer.core.catalogue.store import Catalogue

    with Catalogue.open(catalogue.path, write=True) as writable:
        writable._write_orders(state)


def read_order(catalogue: Catalogue, order: Order) -> tuple[Ids, Ids]:
    """The ids of every present image in ``order`` and their label numbers (two arrays)."""
    import numpy as np

    ids, labels = [], []
    for chunk_ids, chunk_labels in order_chunks(catalogue, order):
        ids.append(chunk_ids)
        labels.append(chunk_labels)
    if not ids:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(ids), np.concatenate(labels)


def order_chunks(catalogue: Catalogue, order: Order) -> Iterator[tuple[Ids, Ids]]:
    """The stored chunks of ``order`` (ids, label numbers), read one at a time: a pass
    holds one chunk, not the 111 MB of ImageNet-21k's whole order."""
    import numpy as np

    for ids, labels in catalogue.order_chunks(order):
        yield np.frombuffer(ids, np.int32), np.frombuffer(labels, np.int32)
