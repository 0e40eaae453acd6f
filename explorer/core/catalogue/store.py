"""The catalogue store: one dataset root (a folder or a manifest) and one row per image.

A catalogue is a SQLite file, kept apart from the dataset (which may be
read-only or shared, and is never written to). Its schema is versioned with
sqlite-utils migrations (:mod:`.schema`) and it runs in WAL mode. It is
rebuildable from the dataset at any time; curation flags (which are not)
live in their own store. Only this package reads or writes its tables.

Indexing the demo's images (``train/`` of ImageNet gives 1,281,167 images of 1,000
synsets), then asking the catalogue:

>>> from explorer.core.catalogue import index_catalogue
>>> summary = index_catalogue(catalogue.source, nouns=taxonomy.graph, catalogue=tmp / "c.sqlite")
>>> summary.images, summary.synsets
(322, 27)
>>> with Catalogue.open(summary.catalogue) as indexed:
...     indexed.direct_counts(taxonomy.graph)["n01440764"]
18
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Collection, Container, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, cast

from explorer.core.catalogue.audit_results import AuditResults
from explorer.core.catalogue.hashes import PerceptualHashes
from explorer.core.catalogue.labels import (
    LABEL_NONE,
    LABEL_NOT_NOUN,
    LABEL_OK,
    LABEL_UNKNOWN,
    LabelKind,
    classify_label,
    label_note,
)
from explorer.core.catalogue.opening import (
    _SQLITE,
    _catalogue_error,
    _connect,
    _file_kind,
    _not_a_catalogue,
    _our_meta,
    _read_only,
    _upgrade,
)
from explorer.core.catalogue.rows import (
    CatalogueSummary,
    ImageRow,
    OddLabel,
    SizedImage,
    _image_row,
)
from explorer.core.catalogue.schema import (
    MIGRATIONS,
)
from explorer.core.catalogue.sources import (
    Layout,
    _display_path,
    is_outside,
)
from explorer.core.catalogue.tables import sqlite_errors
from explorer.core.errors import Cancelled, CatalogueError
from explorer.core.sql import NATURAL, select_in
from explorer.core.text import natural_path_key

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from explorer.core.jobs import JobState

    Ids = npt.NDArray[np.int32]


# SQLite calls the progress handler every this many virtual-machine steps: about every
# 0.25 ms on a full scan of ImageNet-21k's 14.2M rows, for no measurable cost (1,000
# steps made that scan 1.7x slower).
_CANCEL_STEPS = 10_000


class Catalogue(AuditResults, PerceptualHashes):
    """An open catalogue file. One instance per thread (SQLite connections are not shared).

    Its tables are its own: every question about them is a method here, and only this
    package runs SQL on them. A failure of SQLite or of the disk in any method is a
    :class:`~explorer.core.errors.CatalogueError` that says what to do.

    >>> catalogue.layout, catalogue.present_count(), catalogue.missing_count()
    ('folders', 322, 0)
    >>> [row.path for row in catalogue.images(["n04536866"])]
    ['n04536866/n04536866_0.JPEG']
    >>> catalogue.odd_labels(taxonomy.graph)
    [{'path': 'unsorted/photo_1.JPEG', 'label': None, 'problem': 'no_label', 'note': 'no label'}]
    """

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, write: bool = False) -> Catalogue:
        """Open an existing catalogue; a CatalogueError that says what the file is otherwise.

        Only a file found to be a catalogue of a known schema is written to
        (migrations, WAL): any other file is left byte for byte as it was. A
        catalogue the user cannot write (a read-only mount, someone else's file)
        opens read-only for reading; ``write=True`` (index, audit) refuses it.
        """
        path = Path(path)
        try:
            exists = path.exists()
        except OSError as exc:  # a folder on the way that cannot be searched
            raise _catalogue_error(path, exc) from exc
        if not exists:
            raise CatalogueError(f"No such file or folder: {path}")
        kind = _file_kind(path)
        if kind != _SQLITE:
            raise CatalogueError(_not_a_catalogue(path, kind))
        read_only = _read_only(path)
        if write and read_only:
            raise CatalogueError(
                f"The catalogue {path} is read-only ({read_only}); index or audit a copy in a "
                "writable folder (`--catalogue COPY`), or make it writable."
            )
        try:
            db = _connect(path, read_only)
        except sqlite3.Error as exc:
            raise _catalogue_error(path, exc) from exc
        meta: dict[str, str] = {}
        try:
            meta = _our_meta(db, path)
            if not read_only:
                _upgrade(db, path, meta)
            elif MIGRATIONS.pending(db):
                raise CatalogueError(
                    f"The catalogue {path} needs an update to this version's schema, but it is "
                    f"read-only ({read_only}); open it once where it is writable, or copy it "
                    "to a writable folder and open the copy."
                )
            return cls(path, db, meta)
        except BaseException as exc:
            db.close()
            if isinstance(exc, sqlite3.Error):
                raise _catalogue_error(path, exc, meta.get("source")) from exc
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def cancelled_by(self, state: JobState | None) -> Iterator[Catalogue]:
        """Within the block, ``state.cancel()`` (from any thread) stops the SQL statement
        under way on this catalogue, and any that follows, within a millisecond: the block
        raises :class:`~explorer.core.errors.Cancelled`, as ``state.check()`` would. A
        job's own checks come between its units of work; this reaches the units that are
        one long query (a filter over 14 million rows, the orders written on first use).

        >>> from explorer.core.jobs import JobState
        >>> state = JobState()
        >>> with catalogue.cancelled_by(state):
        ...     catalogue.present_count()
        322
        >>> state.cancel()
        >>> with catalogue.cancelled_by(state):
        ...     catalogue.present_count()
        Traceback (most recent call last):
        explorer.core.errors.Cancelled: cancelled by the user
        """
        if state is None:
            yield self
            return
        state.check()
        conn = self._db.conn
        conn.set_progress_handler(lambda: state.cancelled, _CANCEL_STEPS)
        try:
            yield self
        except (sqlite3.Error, CatalogueError) as exc:
            if state.cancelled:  # SQLite's "interrupted", or what it became on the way
                raise Cancelled("cancelled by the user") from exc
            raise
        finally:
            conn.set_progress_handler(None, 0)

    @property
    def source(self) -> Path:
        """The dataset folder or manifest file this catalogue lists."""
        return Path(self.meta["source"])

    @property
    def root(self) -> Path:
        """The folder image paths are relative to and kept within (a manifest's own folder,
        or the one given to index it with ``root``)."""
        return Path(self.meta["root"])

    @property
    def layout(self) -> Layout:
        """How the source lists its images (one of :data:`~.sources.LAYOUTS`)."""
        return cast("Layout", self.meta["layout"])  # written by index_catalogue, from LAYOUTS

    @cached_property
    def _real_root(self) -> str:
        return os.path.realpath(self.root)

    def real_location(self, location: str | bytes) -> tuple[str | bytes, bool]:
        """The file at ``location`` (an :meth:`absolute_path`) with every link followed, and
        whether it lies outside the root: for what links or copies the file itself."""
        real = os.path.realpath(location)
        return real, is_outside(self._real_root, os.fsdecode(real))

    def path_key(self, value: str) -> str:
        """``value`` (a path relative to the root, or an absolute one under it) as the
        catalogue keys it: a name that is not UTF-8 (surrogate escapes) by its display form,
        as the index stored it. CatalogueError for a path outside the root."""
        given = Path(value).expanduser()
        if not given.is_absolute():
            relative = os.path.normpath(given)
            if relative == ".." or relative.startswith(".." + os.sep):
                raise CatalogueError(f"{value} is outside the catalogue root {self.root}.")
            return _display_path(Path(relative).as_posix())[0]
        absolute = Path(os.path.normpath(given))
        for base, target in ((self.root, absolute), (self.root.resolve(), absolute.resolve())):
            if target.is_relative_to(base) and target != base:
                return _display_path(target.relative_to(base).as_posix())[0]
        listed = _display_path(str(absolute))[0]
        if self.images_by_path([listed]):  # a manifest may list absolute paths
            return listed
        raise CatalogueError(f"{value} is outside the catalogue root {self.root}.")

    def absolute_path(self, path: str, raw_path: bytes | None = None) -> str | bytes:
        """The file on disk for a stored path; bytes when the name is not valid UTF-8."""
        if raw_path is not None:
            return os.path.join(os.fsencode(self.root), raw_path)
        return str(self.root / path) if not os.path.isabs(path) else path

    # --- images and labels -------------------------------------------------------------

    @sqlite_errors
    def label_counts(self) -> dict[str | None, int]:
        """Present images per distinct label, valid or not (None: no label)."""
        rows = self._db.execute("SELECT wnid, images FROM label_counts")
        return {wnid: images for wnid, images in rows}

    def direct_counts(self, nouns: Container[str]) -> dict[str, int]:
        """Present images per wnid, for the labels that are nouns in ``nouns`` (a set of
        wnids, or the taxonomy's graph)."""
        return {
            w: n
            for w, n in self.label_counts().items()
            if w is not None and classify_label(w, nouns) == LABEL_OK
        }

    def images(self, wnids: Iterable[str]) -> list[ImageRow]:
        """The present images labelled with any of ``wnids``, sorted by path."""
        return self._image_rows("i.wnid", wnids, "AND i.present = 1")

    def images_by_path(self, paths: Iterable[str]) -> list[ImageRow]:
        """The images (present or not) at these paths relative to the root, sorted by path."""
        return self._image_rows("i.path", paths)

    @sqlite_errors
    def images_named(self, names: Collection[str]) -> dict[str, list[tuple[int, str, str | None]]]:
        """File name -> (id, path, label) of the present images with that name (its last
        path part), for ``names`` only: one pass over the catalogue, memory bounded by what
        is asked."""
        wanted = set(names)
        found: dict[str, list[tuple[int, str, str | None]]] = {}
        rows = self._db.execute("SELECT id, path, wnid FROM images WHERE present = 1")
        while batch := rows.fetchmany(1 << 14):
            for image_id, path, wnid in batch:
                name = path.rpartition("/")[2]
                if name in wanted:
                    found.setdefault(name, []).append((image_id, path, wnid))
        return found

    @sqlite_errors
    def _image_rows(self, column: str, values: Iterable[str], where: str = "") -> list[ImageRow]:
        """Rows whose ``column`` is one of ``values``, sorted by path."""
        rows = [
            _image_row(*row)
            for row in select_in(
                self._db.conn,
                f"SELECT {_ROW_SQL} WHERE {column} IN ({{values}}) {where}",
                values,
            )
        ]
        return sorted(rows, key=lambda r: r.path)

    @sqlite_errors
    def rows_by_ids(self, ids: Iterable[int]) -> list[ImageRow]:
        """The images with these ids, in the order given (ids not in the catalogue left out).

        A grid's window of a listing (:mod:`.listing`): a few thousand ids at a time.
        """
        wanted = [int(image_id) for image_id in ids]
        found = {
            row[0]: _image_row(*row)
            for row in select_in(
                self._db.conn,
                f"SELECT {_ROW_SQL} WHERE i.id IN ({{values}})",
                wanted,
            )
        }
        return [found[image_id] for image_id in wanted if image_id in found]

    @sqlite_errors
    def has_orders(self) -> bool:
        """Whether the sort orders are written (a catalogue indexed before they existed, or
        whose last scan was interrupted by an older version, has none)."""
        row = self._db.execute(
            "SELECT EXISTS (SELECT 1 FROM image_order) "
            "OR NOT EXISTS (SELECT 1 FROM images WHERE present = 1)"
        ).fetchone()
        return bool(row[0])

    @sqlite_errors
    def _write_orders(self, state: JobState | None = None) -> None:
        from explorer.core.catalogue.orders import write_orders

        with self._db.conn:  # one transaction: a cancel or crash leaves none written
            write_orders(self._db.conn, state)

    @sqlite_errors
    def paths_by_ids(
        self, ids: Ids, raw_paths: bool = False
    ) -> tuple[list[str], list[bytes | None]]:
        """The paths of the images with these ids, in the order given, and their raw paths
        (``raw_paths``; else Nones): a window of an export read in a stored order (every id
        an image's: a KeyError else).

        Ids close together (a chunk of the path order: a few folders) are read as one
        range of rowids, which is 1.5x faster than looking each up: 14.2 million paths
        in 12 s against 18. Without raw paths, the (id, path) rows make the dict in C.
        """
        import numpy as np

        if not len(ids):
            return [], []
        wanted = np.unique(ids)
        low, high = int(wanted[0]), int(wanted[-1])
        columns = "id, path, raw_path" if raw_paths else "id, path"
        if high - low < 4 * len(wanted):
            rows = self._db.execute(
                f"SELECT {columns} FROM images WHERE id BETWEEN ? AND ?", (low, high)
            )
        else:
            rows = self._db.execute(
                f"SELECT {columns} FROM images WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(wanted.tolist()),),
            )
        order = ids.tolist()
        if not raw_paths:
            by_id: dict[int, str] = dict(rows)
            return list(map(by_id.__getitem__, order)), [None] * len(order)
        found = {image_id: (path, raw) for image_id, path, raw in rows}
        paths, raws = zip(*map(found.__getitem__, order), strict=True)
        return list(paths), list(raws)

    @sqlite_errors
    def outside_root_ids(self) -> list[int]:
        """Ids of the present images outside the root (see :meth:`outside_root_paths`)."""
        return [
            image_id for (image_id,) in self._db.execute(f"SELECT id FROM images WHERE {_OUTSIDE}")
        ]

    @sqlite_errors
    def order_chunks(self, order: str) -> Iterator[tuple[bytes, bytes]]:
        """The stored chunks of ``order`` (ids, label numbers) in order, read as iterated:
        a pass holds one chunk, not the 111 MB of ImageNet-21k's whole order. One query:
        a lookup per chunk costs three times as much (the rows are large)."""
        rows = self._db.execute(
            "SELECT ids, labels FROM image_order WHERE sort = ? ORDER BY chunk", (order,)
        )
        return ((ids, labels) for ids, labels in rows)

    @sqlite_errors
    def order_id_chunks(self, order: str) -> Iterator[bytes]:
        """:meth:`order_chunks` without the label numbers, for a pass that keeps every
        label (the root's): SQLite then reads half the bytes, 40 ms for ImageNet-21k."""
        rows = self._db.execute(
            "SELECT ids FROM image_order WHERE sort = ? ORDER BY chunk", (order,)
        )
        return (ids for (ids,) in rows)

    @sqlite_errors
    def largest_id(self) -> int:
        """The largest image id (0 in an empty catalogue): ids never exceed it."""
        return self._count("SELECT coalesce(max(id), 0) FROM images")

    @sqlite_errors
    def problem_ids(self, code: str | None = None) -> Iterator[int]:
        """Ids of the images whose audit found a problem (``code``: that one)."""
        if code is None:
            rows = self._db.execute("SELECT image_id FROM audit WHERE problems != ''")
        else:
            rows = self._db.execute(
                "SELECT image_id FROM audit WHERE ',' || problems || ',' LIKE ?",
                (f"%,{code},%",),
            )
        return (image_id for (image_id,) in rows)

    @sqlite_errors
    def audited_ids(self) -> Iterator[int]:
        """Ids of the images an audit has checked (whatever it found)."""
        return (image_id for (image_id,) in self._db.execute("SELECT image_id FROM audit"))

    @sqlite_errors
    def ids_of_paths(self, paths: Iterable[str]) -> Iterator[int]:
        """Ids of the images at these paths (relative to the root; unknown ones left out)."""
        return (
            image_id
            for (image_id,) in select_in(
                self._db.conn, "SELECT id FROM images WHERE path IN ({values})", paths
            )
        )

    @sqlite_errors
    def order_labels(self) -> list[str]:
        """The wnids the orders number their labels by (the i-th is number i)."""
        return [
            wnid for (wnid,) in self._db.execute("SELECT wnid FROM order_labels ORDER BY number")
        ]

    @sqlite_errors
    def present_paths(self, paths: Iterable[str]) -> set[str]:
        """Those of ``paths`` (relative to the root) whose images are present."""
        return {
            path
            for (path,) in select_in(
                self._db.conn,
                "SELECT path FROM images WHERE present = 1 AND path IN ({values})",
                paths,
            )
        }

    @sqlite_errors
    def labels_of(self, paths: Iterable[str]) -> dict[str, str]:
        """path -> label of those of ``paths`` that are present, labelled images."""
        found = self.ids_and_labels(paths)
        return {path: wnid for path, (_, wnid) in found.items() if wnid is not None}

    @sqlite_errors
    def ids_and_labels(self, paths: Iterable[str]) -> dict[str, tuple[int, str | None]]:
        """path -> (id, label) of those of ``paths`` that are present images: what matching
        predictions needs, without whole rows."""
        sql = "SELECT path, id, wnid FROM images WHERE present = 1 AND path IN ({values})"
        return {
            path: (image_id, wnid) for path, image_id, wnid in select_in(self._db.conn, sql, paths)
        }

    @sqlite_errors
    def images_of_sizes(self, sizes: Iterable[int]) -> list[SizedImage]:
        """The present images of these sizes in bytes (:class:`SizedImage`), with the content
        hash of an audit that is current: the candidates for a file that moved."""
        return [
            SizedImage(*row)
            for row in select_in(
                self._db.conn,
                "SELECT i.path, i.raw_path, i.size, CASE WHEN a.size = i.size AND "
                "a.mtime_ns = i.mtime_ns THEN a.hash END FROM images i LEFT JOIN audit a "
                "ON a.image_id = i.id WHERE i.present = 1 AND i.size IN ({values})",
                sizes,
            )
        ]

    @sqlite_errors
    def present_paths_containing(self, text: str) -> list[str]:
        """The paths of present images that contain ``text`` (ASCII letters in either case),
        in the order they were indexed. Reads every row: for a rare name in a whole catalogue
        (e.g. ``ILSVRC2012_val_``), not for a loop."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            "SELECT path FROM images WHERE present = 1 AND path LIKE ? ESCAPE '\\' ORDER BY id",
            (pattern,),
        )
        return [path for (path,) in rows]

    @sqlite_errors
    def present_count(self) -> int:
        """Present images (outside the root or not)."""
        return self._count("SELECT count(*) FROM images WHERE present = 1")

    @sqlite_errors
    def missing_count(self) -> int:
        """Images the last scan no longer found."""
        return self._count("SELECT count(*) FROM images WHERE present = 0")

    @sqlite_errors
    def missing_images(self) -> list[tuple[str, str | None]]:
        """(path, label) of each image the last scan no longer found, in natural path order."""
        return list(self.iter_missing_images())

    def summary(self, nouns: Container[str]) -> CatalogueSummary:
        """Images, synsets, odd labels and missing files, as the index command prints them."""
        by_kind: dict[LabelKind, int] = dict.fromkeys(
            (LABEL_OK, LABEL_UNKNOWN, LABEL_NOT_NOUN, LABEL_NONE), 0
        )
        synsets = 0
        for label, count in self.label_counts().items():
            kind = classify_label(label, nouns)
            by_kind[kind] += count
            synsets += kind == LABEL_OK
        return {
            "catalogue": str(self.path),
            "source": self.meta["source"],  # an open catalogue has all three (_our_meta)
            "root": self.meta["root"],
            "layout": self.layout,
            "images": sum(by_kind.values()),
            "synsets": synsets,
            "labelled": by_kind[LABEL_OK],
            "unknown": by_kind[LABEL_UNKNOWN] + by_kind[LABEL_NOT_NOUN],
            "unknown_wnid": by_kind[LABEL_UNKNOWN],
            "not_noun": by_kind[LABEL_NOT_NOUN],
            "no_label": by_kind[LABEL_NONE],
            "missing": self.missing_count(),
            "outside_root": self.outside_root_count(),
        }

    @sqlite_errors
    def outside_root_count(self) -> int:
        """Present images outside the root (see :meth:`outside_root_paths`)."""
        return self._count(f"SELECT count(*) FROM images WHERE {_OUTSIDE}")

    @sqlite_errors
    def outside_root_paths(self, limit: int = 5) -> list[str]:
        """The first paths, in the source's order, of images outside the root.

        Such an image is listed and counted, but left out of audits and exports
        unless asked: a manifest's path that leads out of its root (its folder, or
        ``--root``), or a link in a folder that points out of it.
        """
        rows = self._db.execute(f"SELECT path FROM images WHERE {_OUTSIDE} LIMIT ?", (limit,))
        return [path for (path,) in rows]

    @sqlite_errors
    def odd_labels(self, nouns: Container[str], limit: int = 20) -> list[OddLabel]:
        """Examples of images whose label is not a WordNet 3.0 noun (kept, and reported)."""
        odd = [w for w in self.label_counts() if classify_label(w, nouns) != LABEL_OK]
        examples: list[OddLabel] = []
        for label in sorted(odd, key=lambda w: (w is not None, w or "")):
            where = "wnid IS NULL" if label is None else "wnid = ?"
            args: tuple[str, ...] = () if label is None else (label,)
            first = self._db.execute(  # the first indexed: a label's images may be millions
                f"SELECT path FROM images WHERE {where} AND present = 1 ORDER BY id LIMIT ?",
                (*args, limit - len(examples)),
            )
            for path in sorted((path for (path,) in first), key=natural_path_key):
                examples.append(
                    {
                        "path": path,
                        "label": label,
                        "problem": classify_label(label, nouns),
                        "note": label_note(label, nouns),
                    }
                )
            if len(examples) >= limit:
                break
        return examples

    def iter_missing_images(self) -> Iterator[tuple[str, str | None]]:
        """:meth:`missing_images` one at a time, as they are read (in natural path order)."""
        yield from self._db.execute(
            f"SELECT path, wnid FROM images WHERE present = 0 ORDER BY path COLLATE {NATURAL}"
        )


# an ImageRow's columns (_image_row's arguments), from images joined with their audit
_ROW_SQL = (
    "i.id, i.path, i.wnid, i.size, i.present, i.raw_path, i.mtime_ns, i.format, i.width, "
    "i.height, i.mode, a.problems, i.outside_root FROM images i "
    "LEFT JOIN audit a ON a.image_id = i.id"
)

# present images outside the root, found through their partial index
_OUTSIDE = "outside_root = 1 AND present = 1"
