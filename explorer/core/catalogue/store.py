"""The catalogue store: one dataset root (a folder or a manifest) and one row per image.

A catalogue is a SQLite file, kept apart from the dataset (which may be
read-only or shared, and is never written to). Its schema is versioned with
sqlite-utils migrations (:mod:`.schema`) and it runs in WAL mode. It is
rebuildable from the dataset at any time; curation flags (which are not)
live in their own store. Only this package reads or writes its tables.

>>> summary = index_catalogue("/data/imagenet/train", nouns=load_noun_wnids())  # doctest: +SKIP
>>> summary.images, summary.synsets                                    # doctest: +SKIP
(1281167, 1000)
>>> Catalogue.open(summary.catalogue).direct_counts(nouns)["n01440764"]  # doctest: +SKIP
1300
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import sqlite_utils

from explorer.core.catalogue.labels import (
    LABEL_NONE,
    LABEL_NOT_NOUN,
    LABEL_OK,
    LABEL_UNKNOWN,
    classify_label,
    label_note,
)
from explorer.core.catalogue.opening import (
    _SQLITE,
    _connect,
    _file_kind,
    _not_a_catalogue,
    _our_meta,
    _read_only,
    _upgrade,
)
from explorer.core.catalogue.schema import (
    MIGRATIONS,
)
from explorer.core.catalogue.sources import (
    _display_path,
    is_outside,
)
from explorer.core.errors import CatalogueError


@dataclass(frozen=True, slots=True)
class ImageRow:
    """One image as the GUI and exports see it, with its audit findings when it has been audited."""

    id: int
    path: str
    wnid: str | None
    size: int | None
    present: bool
    raw_path: bytes | None = None
    mtime_ns: int | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    problems: tuple[str, ...] = ()
    audited: bool = False
    outside_root: bool = False  # listed, but outside the root: see Catalogue.outside_root_paths


class Catalogue:
    """An open catalogue file. One instance per thread (SQLite connections are not shared)."""

    def __init__(self, path: Path, db: sqlite_utils.Database, meta: dict[str, str]) -> None:
        self.path = path
        self.db = db
        self.meta = meta

    @classmethod
    def open(cls, path: str | os.PathLike, *, write: bool = False) -> Catalogue:
        """Open an existing catalogue; a CatalogueError that says what the file is otherwise.

        Only a file found to be a catalogue of a known schema is written to
        (migrations, WAL): any other file is left byte for byte as it was. A
        catalogue the user cannot write (a read-only mount, someone else's file)
        opens read-only for reading; ``write=True`` (index, audit) refuses it.
        """
        path = Path(path)
        if not path.exists():
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
        db = _connect(path, read_only)
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
        except BaseException:
            db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
    def layout(self) -> str:
        return self.meta["layout"]

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

    def label_counts(self) -> dict[str | None, int]:
        """Present images per distinct label, valid or not (None: no label)."""
        return dict(self.db.execute("SELECT wnid, images FROM label_counts").fetchall())

    def direct_counts(self, nouns) -> dict[str, int]:
        """Present images per wnid, for the labels that are nouns in ``nouns``."""
        return {
            w: n for w, n in self.label_counts().items() if classify_label(w, nouns) == LABEL_OK
        }

    def images(self, wnids: Iterable[str], include_missing: bool = False) -> list[ImageRow]:
        """The images labelled with any of ``wnids``, sorted by path."""
        return self._image_rows("i.wnid", wnids, "" if include_missing else "AND i.present = 1")

    def images_by_path(self, paths: Iterable[str]) -> list[ImageRow]:
        """The images (present or not) at these paths relative to the root, sorted by path."""
        return self._image_rows("i.path", paths)

    def _image_rows(self, column: str, values: Iterable[str], where: str = "") -> list[ImageRow]:
        """Rows whose ``column`` is one of ``values`` (500 per query), sorted by path."""
        values = list(values)
        rows: list[ImageRow] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows.extend(
                _image_row(*row)
                for row in self.db.execute(
                    "SELECT i.id, i.path, i.wnid, i.size, i.present, i.raw_path, i.mtime_ns, "
                    "i.format, i.width, i.height, i.mode, a.problems, i.outside_root FROM images i "
                    f"LEFT JOIN audit a ON a.image_id = i.id WHERE {column} IN ({marks}) {where}",
                    chunk,
                )
            )
        return sorted(rows, key=lambda r: r.path)

    def summary(self, nouns) -> dict:
        """Images, synsets, odd labels and missing files, as the index command prints them."""
        by_kind = dict.fromkeys((LABEL_OK, LABEL_UNKNOWN, LABEL_NOT_NOUN, LABEL_NONE), 0)
        synsets = 0
        for label, count in self.label_counts().items():
            kind = classify_label(label, nouns)
            by_kind[kind] += count
            synsets += kind == LABEL_OK
        missing = self.db.execute("SELECT count(*) FROM images WHERE present = 0").fetchone()[0]
        return {
            "catalogue": str(self.path),
            "source": self.meta.get("source"),
            "root": self.meta.get("root"),
            "layout": self.meta.get("layout"),
            "images": sum(by_kind.values()),
            "synsets": synsets,
            "labelled": by_kind[LABEL_OK],
            "unknown": by_kind[LABEL_UNKNOWN] + by_kind[LABEL_NOT_NOUN],
            "unknown_wnid": by_kind[LABEL_UNKNOWN],
            "not_noun": by_kind[LABEL_NOT_NOUN],
            "no_label": by_kind[LABEL_NONE],
            "missing": missing,
            "outside_root": self.outside_root_count(),
        }

    def outside_root_count(self) -> int:
        return self.db.execute(f"SELECT count(*) FROM images WHERE {_OUTSIDE}").fetchone()[0]

    def outside_root_paths(self, limit: int = 5) -> list[str]:
        """The first paths, in the source's order, of images outside the root.

        Such an image is listed and counted, but left out of audits and exports
        unless asked: a manifest's path that leads out of its root (its folder, or
        ``--root``), or a link in a folder that points out of it.
        """
        rows = self.db.execute(f"SELECT path FROM images WHERE {_OUTSIDE} LIMIT ?", (limit,))
        return [path for (path,) in rows]

    def odd_labels(self, nouns, limit: int = 20) -> list[dict]:
        """Examples of images whose label is not a WordNet 3.0 noun (kept, and reported)."""
        odd = [w for w in self.label_counts() if classify_label(w, nouns) != LABEL_OK]
        examples = []
        for label in sorted(odd, key=lambda w: (w is not None, w or "")):
            where = "wnid IS NULL" if label is None else "wnid = ?"
            args = () if label is None else (label,)
            for (path,) in self.db.execute(
                f"SELECT path FROM images WHERE {where} AND present = 1 ORDER BY path LIMIT ?",
                (*args, limit - len(examples)),
            ):
                examples.append(
                    {"path": path, "label": label, "problem": classify_label(label, nouns),
                     "note": label_note(label, nouns)}
                )  # fmt: skip
            if len(examples) >= limit:
                break
        return examples


# present images outside the root, found through their partial index
_OUTSIDE = "outside_root = 1 AND present = 1"


def _image_row(image_id, path, wnid, size, present, raw, mtime, fmt, width, height, mode, problems,
               outside):  # fmt: skip
    codes = tuple(code for code in (problems or "").split(",") if code)
    return ImageRow(
        image_id, path, wnid, size, bool(present), raw, mtime, fmt, width, height, mode, codes,
        problems is not None, bool(outside),
    )  # fmt: skip
