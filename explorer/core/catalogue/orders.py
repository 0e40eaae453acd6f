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
from concurrent.futures import Future, ThreadPoolExecutor
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
_READ = 1 << 16  # rows read at a time while building


def write_orders(db: sqlite3.Connection, state: JobState | None = None) -> None:
    """(Re)write every order of the catalogue open on ``db``, in the caller's transaction.

    The paths are read a chunk at a time as one text (SQLite's ``group_concat``) and
    split into natural keys by numpy over their bytes: Python sees only the few distinct
    folders and texts around the numbers, and the odd names. Each order is then one sort
    of 64-bit integers, written before the next is made. ImageNet-21k's 14.2 million
    images: about 12 s of CPU and 265 MB at the peak for a whole process, where a key per
    name in Python and lexsort took 32 s of CPU and 792 MB.
    """

    labels = [
        wnid
        for (wnid,) in db.execute(
            "SELECT wnid FROM label_counts WHERE wnid IS NOT NULL ORDER BY wnid"
        )
    ]
    db.execute("DELETE FROM image_order")
    db.execute("DELETE FROM order_labels")  # written first: the reads below join it
    db.executemany("INSERT INTO order_labels (number, wnid) VALUES (?, ?)", enumerate(labels))
    largest = db.execute("SELECT coalesce(max(id), 0) FROM images").fetchone()[0]
    total = 0
    keys = _NaturalKeys(largest, labels)
    # labels read as text, unless one could not be told apart from none ("") or spans lines
    query = _READ_CHUNK if not any(not w or "\n" in w for w in labels) else _READ_CHUNK_JOINED
    # numpy splits a chunk on a thread while SQLite reads the next on this one (both let go
    # of the GIL): 14.2M images, 5 s of reading and 4 s of splitting overlap
    with ThreadPoolExecutor(1) as splitter:
        split: Future[None] | None = None
        for low in range(0, largest, _READ):
            if state is not None:
                state.check()
                state.progress(low, largest, "Sorting for the grid")
            found = db.execute(query, (low, low + _READ)).fetchone()
            count, ids, wnids, known, sizes, paths = found
            if not count:
                continue
            total += count
            ids = _integers(ids)
            if known == count:  # every size known: in the order of the ids
                sizes = ids, _integers(sizes)
            elif known:  # some: (id, size) pairs; none (a manifest's rows): nothing to read
                sized = db.execute(_READ_SIZES, (low, low + _READ)).fetchone()
                sizes = _integers(sized[0]), _integers(sized[1])
            if split is not None:
                split.result()
            if paths and paths.count(b"\n") == count - 1:
                labels_here = wnids if query is _READ_CHUNK else _integers(wnids)
                split = splitter.submit(keys.add, ids, labels_here, sizes if known else None, paths)
            else:  # a path with a line break in it, or an empty one: these rows one by one
                split = None
                for row in db.execute(_READ_ROWS, (low, low + _READ)):
                    keys.add_row(*row)
        if split is not None:
            split.result()
    if not total:
        return
    for order, ids_at in keys.orders(total):
        if state is not None:  # between the sorts, a second or two each at 14.2M
            state.check()
        for chunk, start in enumerate(range(0, total, CHUNK)):
            part = ids_at(start, min(start + CHUNK, total))
            db.execute(
                "INSERT INTO image_order (sort, chunk, ids, labels) VALUES (?, ?, ?, ?)",
                (order, chunk, part.tobytes(), keys.labels_of(part).tobytes()),
            )
        del ids_at, part  # before the next order is made


# the present images of an id range as texts: ids, wnids ("": none), the number of known
# sizes and those sizes (NULLs left out: they cost nothing), paths; each aggregate visits
# the rows in the same order, whatever it is
_READ_CHUNK = """
    SELECT count(*), group_concat(id), CAST(group_concat(coalesce(wnid, ''), char(10)) AS BLOB),
        count(size), group_concat(size), CAST(group_concat(path, char(10)) AS BLOB)
    FROM images WHERE present = 1 AND id > ? AND id <= ?
"""
# the same with label numbers (-1: none) for wnids, looked up in SQL (40% slower)
_READ_CHUNK_JOINED = """
    SELECT count(*), group_concat(i.id), group_concat(coalesce(l.number, -1)),
        count(i.size), group_concat(i.size), CAST(group_concat(i.path, char(10)) AS BLOB)
    FROM images i LEFT JOIN order_labels l ON l.wnid = i.wnid
    WHERE i.present = 1 AND i.id > ? AND i.id <= ?
"""
# the known sizes of an id range where some are not
_READ_SIZES = """
    SELECT group_concat(id), group_concat(size) FROM images
    WHERE present = 1 AND size IS NOT NULL AND id > ? AND id <= ?
"""
_READ_ROWS = """
    SELECT i.id, coalesce(l.number, -1), coalesce(i.size, -1), i.path
    FROM images i LEFT JOIN order_labels l ON l.wnid = i.wnid
    WHERE i.present = 1 AND i.id > ? AND i.id <= ?
"""
_LONGEST_NUMBER = 18  # digits an int64 holds whatever they are; longer ones go the slow way
_LONGEST_EXTENSION = 16  # letters after the dot read by numpy; longer ones go the slow way
_HUGE = 1 << 62  # numbers from here on are ranked among themselves, above all the others
_KEY_BITS = 63  # what one sort key holds; wider keys are sorted column by column (lexsort)
_BLOCK = 1 << 18  # elements per step when building a key: temporaries of a few MB


def _integers(text: str) -> Any:
    import numpy as np

    return np.fromstring(text, np.int64, sep=",")


class _Column:
    """An integer per image id, in the narrowest type its values have needed so far."""

    def __init__(self, size: int, dtype: Any, fill: int = 0) -> None:
        import numpy as np

        self.values = np.full(size, fill, dtype)

    def put(self, ids: Any, values: Any) -> None:
        import numpy as np

        if len(values):
            low, high = int(values.min()), int(values.max())
            limits = np.iinfo(self.values.dtype)
            if low < limits.min or high > limits.max:
                wide = np.int32 if low >= -(1 << 31) and high < 1 << 31 else np.int64
                self.values = self.values.astype(wide)
        self.values[ids] = values


class _NaturalKeys:
    """The natural keys of the present images' paths (:func:`natural_path_key`), by id.

    A path's key is its *head* (its folder and its name's text before the last number,
    numbered as they come and ranked once at the end: a folder of a thousand images costs
    one ranking), that number, and the text after it (numbered likewise). The common name,
    ASCII digits then a letters-only extension (``n01440764_10026.JPEG``), is split by numpy
    over the bytes of a whole chunk; any other goes through :func:`natural_key`. Columns are
    as narrow as their values: 13 bytes an image id for ImageNet-21k (184 MB).
    """

    def __init__(self, largest: int, labels: list[str]) -> None:
        import numpy as np

        self.largest = largest
        size = largest + 1
        self.label = _Column(size, np.int16 if len(labels) < 1 << 15 else np.int32)
        self.head = _Column(size, np.uint16)
        # the name's last number (-1: none; -2: no present image), int64: the path keys
        # are written over it
        self.number = _Column(size, np.int64, -2)
        self.after = _Column(size, np.uint8)
        self.size: _Column | None = None  # made at the first known size
        self.label_numbers = {wnid: i for i, wnid in enumerate(labels)}
        self.heads: dict[tuple[str, str | tuple[str | int, ...]], int] = {}
        self.afters: dict[str, int] = {}
        self.huge: dict[int, int] = {}  # image id: its number, if _HUGE or more

    def labels_of(self, ids: Ids) -> Ids:
        import numpy as np

        return self.label.values[ids].astype(np.int32)

    def _put_sizes(self, ids: Any, sizes: Any) -> None:
        import numpy as np

        if self.size is None:
            if not (sizes >= 0).any():
                return
            self.size = _Column(self.largest + 1, np.int32, -1)
        self.size.put(ids, sizes)

    def add_row(self, image: int, label: int, size: int, path: str) -> None:
        """One image, the slow way."""
        import numpy as np

        self.label.put([image], np.array([label]))
        self._put_sizes([image], np.array([size]))
        self._add_odd(image, path)

    def _add_odd(self, image: int, path: str) -> None:
        import numpy as np

        cut = path.rfind("/") + 1
        before, number, after = natural_key(path[cut:])
        if number >= _HUGE:
            self.huge[image], number = number, 0
        head = self.heads.setdefault((path[:cut], before), len(self.heads))
        self.head.put([image], np.array([head]))
        self.number.put([image], np.array([number]))
        self.after.put([image], np.array([self.afters.setdefault(after, len(self.afters))]))

    def add(self, ids: Any, labels: Any, sizes: tuple[Any, Any] | None, paths: bytes) -> None:
        """A chunk: ids, labels (wnids joined by line breaks, or label numbers), the known
        sizes (their ids, their sizes) and the paths joined by line breaks (UTF-8)."""
        import numpy as np

        if sizes is not None:
            self._put_sizes(*sizes)
        if isinstance(labels, bytes):
            wnids = _Lines(labels)
            known = np.ones(len(ids), np.bool_)
            labels = wnids.numbered(wnids.start, wnids.start, wnids.end, known, self._label_number)
        self.label.put(ids, labels)
        lines = _Lines(paths)
        text, start, end = lines.text, lines.start, lines.end
        cut = np.maximum(lines.last(47, start) + 1, start)  # after the last "/"
        dot = lines.last(46, cut)  # the name's last "."
        has_dot = dot >= cut
        dot = np.where(has_dot, dot, end)
        # the digits just before the dot (an int64 holds 18 of any kind)
        digits = np.zeros(len(start), np.int64)
        going = dot > cut
        for back in range(1, _LONGEST_NUMBER + 2):
            at = dot - back
            byte = text[np.maximum(at, 0)]
            going &= (at >= cut) & (byte >= 48) & (byte <= 57)
            if not going.any():
                break
            digits += going
        stem_end = dot - digits
        # an extension of ASCII letters only, one at least (and a few: longer ones are odd)
        length = end - dot - 1
        fast = has_dot & (digits > 0) & (digits <= _LONGEST_NUMBER) & (length > 0)
        fast &= length <= _LONGEST_EXTENSION
        for k in range(int(length[fast].max(initial=0))):
            byte = text[np.minimum(dot + 1 + k, len(text) - 1)] | 32
            fast &= (length <= k) | ((byte >= 97) & (byte <= 122))
        # a stem that ends in a non-ASCII character might end in a digit (regex \d)
        fast &= ~((stem_end > cut) & (text[np.maximum(stem_end - 1, 0)] >= 128))
        number = np.zeros(len(start), np.int64)
        for k in range(int(digits[fast].max(initial=0))):
            digit = text[np.minimum(stem_end + k, len(text) - 1)].astype(np.int64) - 48
            number = np.where(fast & (digits > k), number * 10 + digit, number)
        head = lines.numbered(start, cut, stem_end, fast, self._head_number)
        after = lines.numbered(dot, dot, end, fast, self._after_number)
        quick = np.flatnonzero(fast)
        self.head.put(ids[quick], head[quick])
        self.number.put(ids[quick], number[quick])
        self.after.put(ids[quick], after[quick])
        for row in np.flatnonzero(~fast).tolist():
            self._add_odd(int(ids[row]), paths[start[row] : end[row]].decode())

    def _label_number(self, _: bytes, wnid: bytes) -> int:
        return self.label_numbers.get(wnid.decode(), NO_LABEL)

    def _head_number(self, folder: bytes, stem: bytes) -> int:
        head = (folder.decode(), stem.decode())
        return self.heads.setdefault(head, len(self.heads))

    def _after_number(self, _: bytes, after: bytes) -> int:
        return self.afters.setdefault(after.decode(), len(self.afters))

    def orders(self, total: int) -> Iterator[tuple[Order, Callable[[int, int], Ids]]]:
        """Each order, one after the other (the next is made once the last is written), as
        a function of a range of positions that gives their ids.

        A path's key is one integer, (head, number + 1, after, id) ranks packed, sorted in
        place of the numbers (which it replaces); a name's, (before, number + 1, after,
        position in path order), made from it in place. ImageNet-21k: 200 MB at the peak,
        against 830 MB for lexsort over int32 columns.
        """
        import numpy as np

        heads = list(self.heads)
        head_rank = _dense_ranks(heads, _head_key).astype(np.int64)
        befores: dict[Any, int] = {}
        head_before = [befores.setdefault(before, len(befores)) for _, before in heads]
        before_rank = _dense_ranks(list(befores), _before_key).astype(np.int64)[head_before]
        after_rank = _dense_ranks(list(self.afters), str.casefold).astype(np.int64)
        del heads, befores, head_before
        number = self.number.values
        if self.huge:
            ranks = {value: i for i, value in enumerate(sorted(set(self.huge.values())))}
            for image, value in self.huge.items():
                number[image] = _HUGE + ranks[value]
        after_bits = _bits(after_rank)
        tail_bits = (int(number.max()) + 1).bit_length() + after_bits
        ids_bits = self.largest.bit_length()
        position_bits = (total - 1).bit_length()
        if (
            _bits(head_rank) + tail_bits + ids_bits > _KEY_BITS
            or _bits(before_rank) + tail_bits + position_bits > _KEY_BITS
        ):
            yield from self._lexsorted(head_rank, before_rank, after_rank)
            return
        key = self._path_keys(head_rank, after_rank, tail_bits - after_bits, after_bits)
        key.sort(kind="stable")  # timsort: keys come nearly sorted, folder by folder
        by_path = np.empty(total, np.int32)
        for lo in range(0, total, _BLOCK):
            by_path[lo : lo + _BLOCK] = key[lo : lo + _BLOCK] & ((1 << ids_bits) - 1)
        yield "path", lambda start, stop: by_path[start:stop]
        # the name's key from the path's: a head's before rank, the same number and after
        before_of = np.zeros((_bits(head_rank) and int(head_rank.max()) + 1) or 1, np.int64)
        before_of[head_rank] = before_rank
        for lo in range(0, total, _BLOCK):
            part = key[lo : lo + _BLOCK]
            tail = (part >> ids_bits) & ((1 << tail_bits) - 1)
            name = (before_of[part >> (tail_bits + ids_bits)] << tail_bits) | tail
            part[:] = (name << position_bits) | np.arange(lo, lo + len(part))
        key.sort(kind="stable")
        yield "name", lambda start, stop: by_path[key[start:stop] & ((1 << position_bits) - 1)]
        yield "size", self._size_order(by_path, key, position_bits)

    def _path_keys(self, head_rank: Any, after_rank: Any, number_bits: int, after_bits: int) -> Any:
        """The present images' path keys, written over the number column (which ends)."""
        import numpy as np

        number, heads, afters = self.number.values, self.head.values, self.after.values
        ids_bits = self.largest.bit_length()
        done = 0
        for lo in range(0, len(number), _BLOCK):
            ids = np.flatnonzero(number[lo : lo + _BLOCK] >= -1) + lo
            key = (head_rank[heads[ids]] << number_bits) | (number[ids] + 1)
            key = (((key << after_bits) | after_rank[afters[ids]]) << ids_bits) | ids
            number[done : done + len(ids)] = key  # done <= lo: only read numbers are written
            done += len(ids)
        self.number = self.head = self.after = None  # type: ignore[assignment]
        return number[:done]

    def _size_order(self, by_path: Ids, key: Any, position_bits: int) -> Callable[[int, int], Ids]:
        """By size, unknown sizes last, equal sizes in path order (``key`` reused)."""
        import numpy as np

        if self.size is None:
            return lambda start, stop: by_path[start:stop]
        sizes, self.size = self.size.values, None
        unknown = int(sizes.max()) + 1
        if unknown.bit_length() + position_bits > _KEY_BITS:
            known = sizes[by_path].astype(np.int64)
            known[known < 0] = unknown
            by_size = by_path[np.argsort(known, kind="stable")]
            return lambda start, stop: by_size[start:stop]
        for lo in range(0, len(by_path), _BLOCK):
            part = sizes[by_path[lo : lo + _BLOCK]].astype(np.int64)
            part[part < 0] = unknown
            key[lo : lo + len(part)] = (part << position_bits) | np.arange(lo, lo + len(part))
        del sizes
        key.sort()
        return lambda start, stop: by_path[key[start:stop] & ((1 << position_bits) - 1)]

    def _lexsorted(
        self, head_rank: Any, before_rank: Any, after_rank: Any
    ) -> Iterator[tuple[Order, Callable[[int, int], Ids]]]:
        """The orders when a key does not fit one integer: column by column (stable)."""
        import numpy as np

        number, heads, afters = self.number.values, self.head.values, self.after.values
        present = np.flatnonzero(number >= -1)
        path_keys = (after_rank[afters[present]], number[present], head_rank[heads[present]])
        by_path = present[np.lexsort(path_keys)].astype(np.int32)
        del present, path_keys
        yield "path", lambda start, stop: by_path[start:stop]
        name_keys = (after_rank[afters[by_path]], number[by_path], before_rank[heads[by_path]])
        by_name = by_path[np.lexsort(name_keys)]
        del name_keys
        yield "name", lambda start, stop: by_name[start:stop]
        key = np.empty(len(by_path), np.int64)
        yield "size", self._size_order(by_path, key, _KEY_BITS)


def _head_key(head: tuple[str, str | tuple[str | int, ...]]) -> tuple[Any, ...]:
    return _before_key(head[0]), _before_key(head[1])


def _bits(ranks: Any) -> int:
    return int(ranks.max(initial=0)).bit_length()


class _Lines:
    """Lines of UTF-8 text as numpy bytes, with each line's start and end."""

    def __init__(self, joined: bytes) -> None:
        import numpy as np

        self.text = np.frombuffer(joined, np.uint8)
        breaks = np.flatnonzero(self.text == 10)
        self.start = np.concatenate(([0], breaks + 1))
        self.end = np.concatenate((breaks, [len(self.text)]))
        # the 8 bytes from each position as one integer (unaligned reads of a padded copy)
        padded = np.concatenate((self.text, np.zeros(8, np.uint8)))
        self.words = np.ndarray((len(self.text) + 1,), "<u8", padded, 0, (1,))

    def last(self, byte: int, start: Any) -> Any:
        """Per line, the position of its last ``byte`` from ``start`` on (-1: none there)."""
        import numpy as np

        where = np.flatnonzero(self.text == byte)
        if not len(where):
            return np.full(len(start), -1)
        found = np.searchsorted(where, self.end) - 1
        position = np.where(found >= 0, where[np.maximum(found, 0)], -1)
        return np.where(position >= start, position, -1)

    def _same_line_as_previous(self) -> Any:
        """Per line, whether it is the previous one; lines of one length (wnids) as rows."""
        import numpy as np

        width = int(self.end[0] - self.start[0])
        if not (self.end - self.start == width).all():
            return _same_as_previous(self.words, self.start, self.end)
        text = np.concatenate((self.text, [10]))  # the last line's break
        rows = text.reshape(len(self.start), width + 1)
        return np.concatenate(([False], (rows[1:] == rows[:-1]).all(axis=1)))

    def numbered(
        self,
        start: Any,
        middle: Any,
        end: Any,
        rows: Any,
        number: Callable[[bytes, bytes], int],
    ) -> Any:
        """``number(text[start:middle], text[middle:end])`` for each line of ``rows``, called
        once per run of lines alike there: lines come folder by folder."""
        import numpy as np

        if start is self.start and end is self.end:
            same = self._same_line_as_previous()
        else:
            same = _same_as_previous(self.words, start, end)
        same &= np.concatenate(([False], rows[:-1]))
        first = rows & ~same
        numbers = np.zeros(len(start), np.int64)
        text = self.text
        for row in np.flatnonzero(first).tolist():
            begin, cut, stop = int(start[row]), int(middle[row]), int(end[row])
            numbers[row] = number(text[begin:cut].tobytes(), text[cut:stop].tobytes())
        return numbers[np.maximum.accumulate(np.where(first, np.arange(len(start)), 0))]


def _same_as_previous(words: Any, start: Any, end: Any) -> Any:
    """Per line, whether its bytes start:end are the previous line's: 8 bytes at a time,
    the last 8 compared whole (overlapping the one before), a short line's under a mask."""
    import numpy as np

    length = end - start
    same = np.concatenate(([False], length[1:] == length[:-1]))
    rows = np.flatnonzero(same)
    here, there, length = start[rows], start[rows - 1], length[rows]
    short = length < 8
    if short.any():
        mask = (np.uint64(1) << (length[short].astype(np.uint64) * np.uint64(8))) - np.uint64(1)
        same[rows[short]] = ((words[here[short]] ^ words[there[short]]) & mask) == 0
        rows, here, there, length = rows[~short], here[~short], there[~short], length[~short]
    last = length - 8
    alike = words[here + last] == words[there + last]
    for offset in range(0, int(last.max(initial=0)), 8):
        at = np.minimum(offset, last)  # past the line's last word: that word again
        alike &= words[here + at] == words[there + at]
    same[rows] = alike
    return same


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
    """Write the orders of a catalogue indexed before they existed: once, about 1 s per
    million images, on its own connection (``catalogue`` may be read-only)."""
    if catalogue.has_orders():
        return
    from explorer.core.catalogue.store import Catalogue

    with Catalogue.open(catalogue.path, write=True) as writable, writable.cancelled_by(state):
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


def order_id_chunks(catalogue: Catalogue, order: Order) -> Iterator[Ids]:
    """:func:`order_chunks`' ids alone (a pass that keeps every label reads half as much)."""
    import numpy as np

    for ids in catalogue.order_id_chunks(order):
        yield np.frombuffer(ids, np.int32)
