"""The image catalogue: one dataset root (a folder or a manifest) and one row per image.

A catalogue is a SQLite file, kept apart from the dataset (which may be
read-only or shared, and is never written to). Its schema is versioned with
sqlite-utils migrations and it runs in WAL mode. It is rebuildable from the
dataset at any time; curation flags (which are not) live in their own store.

>>> from explorer.core.catalogue import index_catalogue, Catalogue
>>> summary = index_catalogue("/data/imagenet/train", taxonomy=tax)   # doctest: +SKIP
>>> summary.images, summary.synsets                                    # doctest: +SKIP
(1281167, 1000)
>>> Catalogue.open(summary.catalogue).direct_counts()["n01440764"]      # doctest: +SKIP
1300
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import re
import shlex
import sqlite3
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property, partial
from operator import itemgetter
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from explorer.core import paths
from explorer.core.catalogue.sources import (
    LAYOUTS,
    WNID,
    SourceReport,
    _display_path,
    detect_layout,
    is_outside,
    read_manifest,
    scan_flat,
    scan_folders,
    scan_ilsvrc_val,
)
from explorer.core.curation import catalogue_path_for
from explorer.core.errors import CatalogueDamagedError, CatalogueError, NotIndexedError
from explorer.core.jobs import JobState

# What an image's label is, judged per distinct label (a catalogue has at most tens of
# thousands), never stored per image (it may have 14 million).
LABEL_OK, LABEL_UNKNOWN, LABEL_NOT_NOUN, LABEL_NONE = "ok", "unknown_wnid", "not_noun", "no_label"
_OTHER_POS_ID = re.compile(r"^[vars]\d{8}$")  # a WordNet verb/adjective/adverb id
_OFFSET = re.compile(r"^\d{1,8}$")  # 2084071 or 02084071, as `wnexplorer show` takes it
_SYNSET_NAME = re.compile(r"^\S+\.n\.\d\d$")  # dog.n.01
# ids of other WordNets: "wn31-02086723-n", "oewn-02086723-n", or a bare "02086723-n"
_OTHER_WORDNET_ID = re.compile(r"^((wn31|oewn|pwn31)[-:])|^\d{8}-[nvasr]$", re.IGNORECASE)

MIGRATIONS = Migrations("wnexplorer.catalogue")

_WNID_INDEX = "CREATE INDEX IF NOT EXISTS images_wnid ON images (wnid)"
_IMAGE_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS images_path ON images (path)",
    _WNID_INDEX,
    "CREATE INDEX IF NOT EXISTS images_missing ON images (present) WHERE present = 0",
    "CREATE INDEX IF NOT EXISTS images_outside ON images (outside_root) WHERE outside_root = 1",
)


@MIGRATIONS(name="0001_initial")
def _m0001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE images (
            id INTEGER PRIMARY KEY,  -- stable: rows are never deleted, so ids are never reused
            path TEXT NOT NULL,        -- relative to the root, '/' separators
            raw_path BLOB,             -- exact bytes when the name is not valid UTF-8
            wnid TEXT,                 -- the label as the source gives it (checked on read)
            size INTEGER,              -- bytes; NULL for manifest rows
            mtime_ns INTEGER,
            format TEXT, width INTEGER, height INTEGER, mode TEXT,  -- known after an audit
            present INTEGER NOT NULL DEFAULT 1  -- 0 once a rescan no longer finds it
        );
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, layout TEXT NOT NULL,
            seen INTEGER, added INTEGER, changed INTEGER, restored INTEGER, missing INTEGER
        );
        -- present images per distinct label (NULL: no label), refreshed by every scan
        CREATE TABLE label_counts (wnid TEXT UNIQUE, images INTEGER NOT NULL);
        CREATE TABLE audit (
            image_id INTEGER PRIMARY KEY REFERENCES images (id),
            size INTEGER, mtime_ns INTEGER,  -- the file version the result is for
            hash TEXT, problems TEXT NOT NULL, detail TEXT, checked TEXT NOT NULL
        );
        CREATE INDEX audit_hash ON audit (hash);
        """
    )
    db.execute("CREATE UNIQUE INDEX images_path ON images (path)")
    db.execute("CREATE INDEX images_wnid ON images (wnid)")


@MIGRATIONS(name="0002_missing_index")
def _m0002_missing_index(db: sqlite_utils.Database) -> None:
    # holds only the missing rows: counting them costs nothing on a 14-million-row catalogue
    db.execute("CREATE INDEX images_missing ON images (present) WHERE present = 0")


@MIGRATIONS(name="0003_outside_root")
def _m0003_outside_root(db: sqlite_utils.Database) -> None:
    # Images outside the root are left out of audits and exports unless asked; the partial
    # index holds only them, so counting them costs nothing on a 14-million-row catalogue.
    db.execute("ALTER TABLE images ADD COLUMN outside_root INTEGER NOT NULL DEFAULT 0")
    # A manifest's paths that lead out are marked now, from the paths alone (a folder's
    # links out, at its next rescan); in SQL first: "/" or ".." in few paths, if any.
    root = db.execute("SELECT value FROM meta WHERE key = 'root'").fetchone()
    if root is not None:
        db.conn.executemany(
            "UPDATE images SET outside_root = 1 WHERE id = ?",
            [
                (image_id,)
                for image_id, path in db.execute(
                    "SELECT id, path FROM images WHERE path GLOB '/*' OR path GLOB '*..*'"
                )
                if is_outside(root[0], path)
            ],
        )
    db.execute("CREATE INDEX images_outside ON images (outside_root) WHERE outside_root = 1")


def default_catalogue_path(source: str | os.PathLike, data_dir: str | os.PathLike | None = None):
    """Where the catalogue of ``source`` lives unless ``--catalogue`` says otherwise."""
    resolved = Path(source).expanduser().resolve()
    key = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:10]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", resolved.name)[:40] or "root"
    return paths.data_dir(data_dir) / "catalogues" / f"{name}-{key}.sqlite"


def resolve_catalogue(value: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> Path:
    """The catalogue file ``value`` names: a catalogue file, or a dataset folder or manifest
    that has been indexed. The one rule behind the CLI's ``--catalogue`` and the window.

    Raises NotIndexedError for a folder or manifest without a catalogue yet, and
    CatalogueError, saying what to run, for anything else that is not a catalogue.
    A SQLite file is returned as it is: :meth:`Catalogue.open` tells whether it is ours.

    >>> resolve_catalogue("/data/imagenet/train")                          # doctest: +SKIP
    PosixPath('/home/me/.local/share/wordnet-explorer/catalogues/train-3f2a9c01de.sqlite')
    """
    path = Path(value).expanduser()
    if not path.exists():
        raise CatalogueError(f"No such file or folder: {path}")
    kind = None if path.is_dir() else _file_kind(path)
    if kind == _SQLITE:
        return path
    own = default_catalogue_path(path, data_dir)
    if own.is_file():
        return own
    if kind is None or (kind == _TEXT and path.suffix.lower() in _MANIFEST_SUFFIXES):
        raise NotIndexedError(
            f"{path} has not been indexed yet: run `wnexplorer index {shlex.quote(str(path))}`.",
            path,
        )
    raise CatalogueError(_not_a_catalogue(path, kind))


_SQLITE, _TEXT, _EMPTY = "a SQLite database", "a text file", "an empty file"
_MANIFEST_SUFFIXES = (".csv", ".tsv", ".txt", ".lst")
_MAGIC = (
    (b"SQLite format 3\0", _SQLITE),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\0", "a TIFF image"),
    (b"MM\0*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"%PDF", "a PDF document"),
)


def _file_kind(path: Path) -> str:
    """What a file looks like from its first bytes, read before SQLite ever touches it
    (SQLite takes an empty or foreign file for a database and would write to it)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError as exc:
        raise CatalogueError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if not head:
        return _EMPTY
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the sample
            return "a binary file"
    return "a binary file" if b"\0" in head else _TEXT


def _looks(kind: str) -> str:
    return "it is empty" if kind == _EMPTY else f"it looks like {kind}"


def _not_a_catalogue(path: Path, kind: str) -> str:
    looks = _looks(kind)
    if kind == _TEXT:
        command = f"wnexplorer index {shlex.quote(str(path))}"
        advice = f"if it lists images (path,wnid rows), index it with `{command}`"
    else:
        advice = "open a catalogue file, or the dataset folder or manifest it was indexed from"
    return f"{path} is not a catalogue ({looks}); {advice}."


def classify_label(label: str | None, nouns) -> str:
    """LABEL_OK for a WordNet 3.0 noun wnid in ``nouns``; else why not."""
    if label in nouns:  # the common case first: a set lookup, no regex
        return LABEL_OK
    if label is None:
        return LABEL_NONE
    if _OTHER_POS_ID.match(label):
        return LABEL_NOT_NOUN
    return LABEL_UNKNOWN


def label_note(label: str | None, nouns) -> str:
    """Why ``label`` is not counted, in words (for a label that is not LABEL_OK)."""
    kind = classify_label(label, nouns)
    if kind == LABEL_NONE:
        return "no label"
    if kind == LABEL_NOT_NOUN:
        return f"{label}: a WordNet verb, adjective or adverb id, not a noun"
    if WNID.match(label):
        return f"{label}: no such noun in WordNet 3.0; a WordNet 3.1 id? ImageNet uses 3.0"
    if _OTHER_WORDNET_ID.match(label):
        return (
            f"{label}: a WordNet 3.1 or Open English WordNet id? ImageNet uses WordNet 3.0 "
            "wnids like n02084071"
        )
    return f"{label}: not a WordNet 3.0 wnid, offset or synset name"


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


# How long a command waits for another writer (an index or audit commits in batches) before
# it reports the catalogue busy; sqlite3's default of 5 s is short for a 14M-row rescan's commit.
BUSY_TIMEOUT_S = 30.0


def _read_only(path: Path) -> str:
    """Why the catalogue cannot be written here ("" when it can). SQLite also writes its
    -wal and -shm files beside it, so the folder must be writable too."""
    for target, what in ((path, "the file"), (path.parent, "its folder")):
        if not os.access(target, os.W_OK):
            return f"{what} cannot be written"
    return ""


def _connect(path: Path, read_only: str) -> sqlite_utils.Database:
    """A connection to ``path``; read-only ones never write a byte, -wal and -shm included."""
    if not read_only:
        return sqlite_utils.Database(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S))
    uri = "file:" + urllib.parse.quote(os.fsdecode(path.absolute())) + "?mode=ro"
    try:
        return _readable(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S))
    except sqlite3.OperationalError:
        # A WAL database opens read-only when its -shm can be made; on a read-only mount it
        # cannot, and only an immutable open reads it (nobody can be writing it there).
        return _readable(sqlite3.connect(uri + "&immutable=1", uri=True, timeout=BUSY_TIMEOUT_S))


def _readable(conn: sqlite3.Connection) -> sqlite_utils.Database:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


_TABLES = frozenset({"meta", "images", "scans", "label_counts", "audit"})
_META_KEYS = frozenset({"source", "root", "layout"})


def _our_meta(db: sqlite_utils.Database, path: Path) -> dict[str, str]:
    """The meta table of a catalogue, once reads alone have shown the file is one we can open.

    Ours: its meta names a source and layout, or its migrations are ours. Ours but missing a
    table or a meta key is damaged (CatalogueDamagedError), not someone else's file.
    """
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:  # not even its list of tables can be read
        raise CatalogueError(
            f"{path} is a damaged SQLite database ({exc}). If it is a catalogue, move it aside, "
            f"then rebuild it with `wnexplorer index ROOT --catalogue {shlex.quote(str(path))}` "
            "(catalogues hold no curation)."
        ) from exc
    if {"flags", "reviews"} <= tables:  # a flag store's tables
        catalogue = catalogue_path_for(path) or "the catalogue it was made beside"
        raise CatalogueError(
            f"{path} is a flag store (the curation of a catalogue), not a catalogue; it was "
            f"left unchanged. Open its catalogue, {catalogue}."
        )
    meta: dict[str, str] = {}
    try:
        if "meta" in tables:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        applied = {m.name for m in MIGRATIONS.applied(db)}
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc, meta.get("source")) from exc
    if not (_META_KEYS & meta.keys() or applied):
        raise CatalogueError(
            f"{path} is a SQLite database but not a WordNet Explorer catalogue (it has no "
            "catalogue tables); it was left unchanged. Open a catalogue file, or the dataset "
            "folder or manifest it was indexed from."
        )
    newer = applied - {m.name for m in MIGRATIONS._migrations}
    if newer:
        raise CatalogueError(
            f"The catalogue {path} was written by a newer version of WordNet Explorer "
            f"(schema {', '.join(sorted(newer))}); upgrade the app to open it."
        )
    missing = sorted(_TABLES - tables) + [f"meta {key}" for key in sorted(_META_KEYS - meta.keys())]
    if missing:
        what = f"{', '.join(missing)} missing"
        raise _damaged(path, what, meta.get("source"))
    return meta


def _upgrade(db: sqlite_utils.Database, path: Path, meta: dict[str, str]) -> None:
    """Bring our catalogue to the current schema, in WAL mode (both no-ops when it is)."""
    try:
        if MIGRATIONS.pending(db):
            MIGRATIONS.apply(db)
        db.enable_wal()
    except sqlite3.OperationalError as exc:  # read-only, locked: the file itself is fine
        raise CatalogueError(
            f"Cannot open the catalogue {path} for writing ({exc}); make it and its folder "
            "writable, or close the program that holds it."
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc, meta.get("source")) from exc


def _damaged(path: Path, why: Exception | str, source: str | None) -> CatalogueDamagedError:
    """Never "delete it": the command that rebuilds it (moving the damaged file aside)."""
    return CatalogueDamagedError(
        f"The catalogue {path} is damaged ({why}). It holds no curation (flags live in their "
        f"own file beside it): rebuild it with `wnexplorer index "
        f"{shlex.quote(source) if source else 'ROOT'} --catalogue {shlex.quote(str(path))}`, "
        "which keeps the damaged file aside.",
        source,
    )


# --- indexing ---------------------------------------------------------------------


@dataclass
class IndexSummary:
    """What an index or rescan did, and what the catalogue holds afterwards."""

    catalogue: str
    source: str
    layout: str
    images: int = 0
    synsets: int = 0
    labelled: int = 0
    unknown: int = 0
    unknown_wnid: int = 0
    not_noun: int = 0
    no_label: int = 0
    missing: int = 0
    outside_root: int = 0  # images outside the root: left out of audits and exports
    outside_root_examples: list[str] = field(default_factory=list)  # the first few
    root: str | None = None  # the folder the images' paths are relative to and kept within
    seen: int = 0
    added: int = 0
    changed: int = 0
    restored: int = 0
    newly_missing: int = 0
    other_files: int = 0
    stat_failed: int = 0
    unreadable_dirs: int = 0
    unreadable_examples: list[str] = field(default_factory=list)  # a few, relative to the root
    bad_rows: int = 0
    seconds: float = 0.0
    odd_labels: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what looks wrong with the input
    labels: str | None = None  # the ilsvrc-val label file
    labels_reused: bool = False  # not given: the one the last scan used
    relabelled: int = 0  # distinct labels given as an offset or synset name, stored as wnids
    relabelled_examples: dict[str, str] = field(default_factory=dict)  # a few of them

    def as_dict(self) -> dict:
        return asdict(self)


def _entries(source: Path, layout: str, labels: Path | None, root: str, report: SourceReport):
    if layout == "folders":
        return scan_folders(source, report)
    if layout == "flat":
        return scan_flat(source, report)
    if layout == "ilsvrc-val":
        return scan_ilsvrc_val(source, labels, report)
    return read_manifest(source, report, root)


def _batches_in_background(batches: Iterator[list[tuple]], state: JobState):
    """Produce the source's batches in a thread while the caller writes them to SQLite.

    Stat calls and SQLite's own work release the GIL, so on two cores the
    scan costs about the larger of the two instead of their sum.
    """
    handoff: queue.Queue = queue.Queue(maxsize=4)
    done = object()
    stop = threading.Event()  # set when the consumer leaves early (error, cancel)

    def produce() -> None:
        try:
            for batch in batches:
                handoff.put(batch)
                if stop.is_set() or state.cancelled:
                    return
            handoff.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            handoff.put(exc)

    worker = threading.Thread(target=produce, name="catalogue-scan", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.05)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def index_catalogue(
    source: str | os.PathLike,
    *,
    nouns,
    catalogue: str | os.PathLike | None = None,
    layout: str = "auto",
    labels: str | os.PathLike | None = None,
    relayout: bool = False,
    root: str | os.PathLike | None = None,
    synset_names: Callable[[], Mapping[str, str]] | None = None,
    data_dir: str | os.PathLike | None = None,
    state: JobState | None = None,
) -> IndexSummary:
    """Index ``source`` (a dataset folder or a manifest) into a catalogue; rescan if it exists.

    A rescan is incremental: new files are added, changed ones (size, mtime
    or label) updated, vanished ones marked missing; ids never change. Runs as
    one transaction, so a cancel (``state.cancel()``) or a crash leaves the
    catalogue as it was. ``nouns`` is the set of WordNet 3.0 noun wnids
    (:func:`explorer.core.wordnet.taxonomy.load_noun_wnids`, or a taxonomy's graph);
    labels outside it are kept and reported.

    A label given as an offset (``2084071``) or a synset name (``dog.n.01``)
    is stored as its wnid. ``synset_names`` returns the names' wnids (e.g.
    :func:`explorer.core.wordnet.taxonomy.load_synset_names`) and is called only when
    a label looks like a name; by default the names of ``nouns`` when it is a
    taxonomy graph.

    The root is the folder image paths are relative to and must stay within:
    a folder is its own; a manifest's is ``root`` if given, else its own
    folder. An image outside it (a manifest's ``../`` or absolute path
    elsewhere, a folder's link that points out) is kept, marked and counted;
    audits and exports leave it out unless asked.

    A rescan keeps the catalogue's layout, ilsvrc-val label file and manifest
    root unless told otherwise; another layout is refused unless ``relayout``
    (it relabels every image). Every check is made before anything is written.
    Returns an :class:`IndexSummary`.
    """
    state = state or JobState()
    started = time.monotonic()
    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise CatalogueError(f"{source} does not exist.")
    target = Path(catalogue) if catalogue else default_catalogue_path(source, data_dir)
    stored, damaged = _stored_meta(target, source)
    layout = _choose_layout(source, layout, stored, relayout, target)
    if layout == "manifest" and not source.is_file():
        raise CatalogueError(f"The manifest layout needs a CSV/TSV file; {source} is a folder.")
    if layout != "manifest" and not source.is_dir():
        raise CatalogueError(f"The {layout} layout needs a folder; {source} is a file.")
    labels_path, labels_reused = _choose_labels(source, layout, labels, stored, target)
    root = _choose_root(source, layout, root, stored)
    meta = {"source": str(source), "root": root, "layout": layout}
    if labels_path:
        meta["labels"] = str(labels_path)

    report = SourceReport()
    # a manifest's first rows and a label file are read here: their errors come first
    batches = _entries(source, layout, labels_path, root, report)
    state.progress(0, None, f"Indexing {source}")
    if layout != "manifest":
        # a folder walk waits on its walker processes: a thread overlaps that with the writes;
        # parsing a manifest is pure Python, and a second thread only adds GIL hand-offs
        # (3M rows: 12.9 s threaded, 10.2 s in one thread)
        batches = _batches_in_background(batches, state)
    if synset_names is None and hasattr(nouns, "nodes"):  # a taxonomy graph knows its names
        synset_names = partial(_graph_names, nouns)
    as_wnids = partial(_labels_as_wnids, nouns=nouns, synset_names=synset_names)

    if stored is None:
        if damaged:
            report.warnings.append(_move_aside(target, damaged))
        figures = _first_index(target, batches, meta, state, as_wnids)
    else:
        with Catalogue.open(target, write=True) as existing:
            figures = _rescan(existing.db, batches, meta, state, as_wnids)

    with Catalogue.open(target) as done:
        summary = IndexSummary(
            **done.summary(nouns), **figures, odd_labels=done.odd_labels(nouns),
            outside_root_examples=done.outside_root_paths(),
        )  # fmt: skip
    summary.labels = meta.get("labels")
    summary.labels_reused = labels_reused
    summary.other_files = report.other_files
    summary.stat_failed = report.stat_failed
    summary.unreadable_dirs = report.unreadable_dirs
    summary.unreadable_examples = sorted(report.unreadable_examples)
    summary.bad_rows = report.bad_rows
    summary.warnings = report.warnings
    summary.seconds = round(time.monotonic() - started, 3)
    state.progress(summary.seen, summary.seen, f"Indexed {source}")
    return summary


def _stored_meta(target: Path, source: Path) -> tuple[dict | None, str]:
    """The meta of the catalogue at ``target`` (None when there is none yet, or when it is
    ours but damaged: then why, and the index rebuilds it)."""
    if not target.exists():
        return None, ""
    kind = _file_kind(target)
    if kind != _SQLITE:  # Catalogue.open's advice (index it) would be wrong here
        raise CatalogueError(
            f"{target} is not a catalogue ({_looks(kind)}); `wnexplorer index` writes only to a "
            "new file or to a catalogue of its own: choose another --catalogue file."
        )
    try:
        with Catalogue.open(target, write=True) as existing:
            meta = existing.meta
    except CatalogueDamagedError as exc:
        if exc.source not in (None, str(source)):
            raise
        return None, str(exc)
    if meta.get("source") not in (None, str(source)):
        raise CatalogueError(
            f"The catalogue {target} lists {meta['source']}, not {source}; "
            "choose another --catalogue file."
        )
    return meta, ""


def _move_aside(target: Path, why: str) -> str:
    """Rename a damaged catalogue (and its -wal, -shm) out of the way; what was done, in words."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for suffix in ("-wal", "-shm", ""):  # the database last: never a new file beside an old -wal
        part = Path(f"{target}{suffix}")
        if part.exists():
            os.replace(part, f"{target}.damaged-{stamp}{suffix}")
    return (
        f"{why.split(' It holds no curation')[0]} It was moved aside as "
        f"{target.name}.damaged-{stamp} and rebuilt from the dataset (audit results are redone "
        "by the next audit)."
    )


def _choose_layout(source: Path, layout: str, stored, relayout: bool, target: Path) -> str:
    """The layout asked for; on a rescan the catalogue's own unless ``relayout``."""
    if layout != "auto" and layout not in LAYOUTS:
        raise CatalogueError(f"Unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}.")
    before = stored.get("layout") if stored and not relayout else None
    if layout == "auto":
        return before or detect_layout(source)
    if before and layout != before:
        raise CatalogueError(
            f"The catalogue {target} lists {source} in the {before} layout; rescanning it as "
            f"{layout} would relabel its images. Leave out --layout to rescan it as {before}, "
            "or add --relayout to relabel them."
        )
    return layout


def _choose_root(source: Path, layout: str, root, stored) -> str:
    """The root of the images: a folder's is itself; a manifest's is ``root``, else the
    one the last scan used, else the manifest's folder."""
    if layout != "manifest":
        if root is not None:
            raise CatalogueError(f"--root is for a manifest; the folder {source} is its own root.")
        return str(source)
    if root is None:
        return stored["root"] if stored else str(source.parent)
    # as given, not resolved: a manifest's absolute paths are compared with it as written
    root = os.path.abspath(os.path.expanduser(root))
    if not os.path.isdir(root):
        raise CatalogueError(f"--root {root} is not a folder; give the folder the manifest's "
                             "paths are relative to.")  # fmt: skip
    return root


def _choose_labels(source: Path, layout: str, labels, stored, target: Path):
    """(the ilsvrc-val label file, whether it is the one the last scan used)."""
    if labels:
        if layout != "ilsvrc-val":
            raise CatalogueError(
                f"--labels is for the ilsvrc-val layout; {source} is indexed as {layout}."
            )
        return Path(labels).expanduser().resolve(), False
    if layout == "ilsvrc-val" and stored and stored.get("labels"):
        remembered = Path(stored["labels"])
        if not remembered.is_file():
            raise CatalogueError(
                f"The catalogue {target} was indexed with the label file {remembered}, which "
                "is gone; give the label file with --labels FILE."
            )
        return remembered, True
    return None, False


def _graph_names(graph) -> dict[str, str]:
    return {name: wnid for wnid, name in graph.nodes(data="name")}


def _labels_as_wnids(labels: Iterable[str | None], nouns, synset_names) -> dict[str, str]:
    """The labels that name a noun by offset or synset name, with its wnid.

    Asked once per distinct label, never per image: a label that already is a
    wnid in ``nouns`` costs a set lookup.
    """
    found: dict[str, str] = {}
    names = None
    for label in labels:
        if label is None or label in nouns:
            continue
        if _OFFSET.match(label):
            wnid = "n%08d" % int(label)
        elif _SYNSET_NAME.match(label.lower()) and synset_names is not None:
            names = synset_names() if names is None else names
            wnid = names.get(label) or names.get(label.lower())
        else:
            continue
        if wnid in nouns:
            found[label] = wnid
    return found


def _relabel(conn: sqlite3.Connection, table: str, found: dict[str, str]) -> None:
    """Store the labels ``found`` in ``table`` as their wnids."""
    # one statement, whatever the number of labels: the scan table has no index to find them
    conn.execute("CREATE TEMP TABLE relabel (label TEXT PRIMARY KEY, wnid TEXT NOT NULL)")
    try:
        conn.executemany("INSERT INTO temp.relabel VALUES (?, ?)", found.items())
        conn.execute(
            f"UPDATE {table} SET wnid = (SELECT wnid FROM temp.relabel WHERE label = "
            f"{table}.wnid) WHERE wnid IN (SELECT label FROM temp.relabel)"
        )
    finally:
        conn.execute("DROP TABLE temp.relabel")


def _relabelled(found: dict[str, str]) -> dict:
    return {"relabelled": len(found), "relabelled_examples": dict(sorted(found.items())[:5])}


# A source's rows: from disk (path, raw_path, label, size, mtime_ns), and outside_root too
# from a folder with an odd name or a link; from a manifest (path, label), or (path, label,
# raw_path, outside_root) in a batch with an odd name (see catalogue_sources._stored)
_ROW_COLUMNS = {
    5: ("path", "raw_path", "wnid", "size", "mtime_ns"),
    6: ("path", "raw_path", "wnid", "size", "mtime_ns", "outside_root"),
    2: ("path", "wnid"),
    4: ("path", "wnid", "raw_path", "outside_root"),
}


def _insert(conn: sqlite3.Connection, table: str, batch: list[tuple]) -> None:
    if batch:
        columns = _ROW_COLUMNS[len(batch[0])]
        marks = ",".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)


def _first_index(target: Path, batches, meta: dict, state: JobState, as_wnids) -> dict:
    """Write a new catalogue into a temporary file and rename it into place.

    Without a journal, and with the indexes built after the rows: bulk
    loading this way is several times faster than row-by-row upkeep, and
    the rename means a cancelled or crashed index leaves no half-written file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            db = sqlite_utils.Database(conn)
            MIGRATIONS.apply(db)
            conn.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA threads = 2; "
                # images_missing stays: new rows are present, so it costs them nothing;
                # images_outside is built afterwards all the same (3M rows: 0.6 s less)
                "DROP INDEX images_path; DROP INDEX images_wnid; DROP INDEX images_outside; "
                "BEGIN;"
            )
            scan = _start_scan(conn, meta)
            seen = _write_batches(conn, "images", batches, state, f"Indexing {meta['source']}")
            try:
                for statement in _IMAGE_INDEXES:
                    conn.execute(statement)
            except sqlite3.IntegrityError as exc:  # the unique path index: a path twice
                raise _repeated_paths_error(_repeated_paths(conn, "images")) from exc
            # the labels to relabel come from the counts, which cost nothing more: the
            # common case, every label a wnid, adds no pass over the images
            _count_labels(conn)
            counts = dict(conn.execute("SELECT wnid, images FROM label_counts"))
            found = as_wnids(counts)
            if found:
                # relabelling many rows, rebuilding the label index beats updating it
                # (3M rows given as offsets: 23 s updated, 13 s rebuilt; 8 s given as wnids)
                rebuild = sum(counts[label] for label in found) > seen // 10
                if rebuild:
                    conn.execute("DROP INDEX images_wnid")
                _relabel(conn, "images", found)
                if rebuild:
                    conn.execute(_WNID_INDEX)
                _count_labels(conn)
            figures = {"seen": seen, "added": seen, "changed": 0, "restored": 0, "newly_missing": 0}
            figures.update(_relabelled(found))
            _finish_scan(conn, scan, meta, figures)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return figures


def _rescan(db: sqlite_utils.Database, batches, meta: dict, state: JobState, as_wnids) -> dict:
    """Compare a fresh scan with the catalogue, in SQL, inside one transaction."""
    conn = db.conn
    conn.execute(
        "CREATE TEMP TABLE scan (path TEXT, raw_path BLOB, wnid TEXT, size INTEGER, "
        "mtime_ns INTEGER, outside_root INTEGER NOT NULL DEFAULT 0)"
    )
    try:
        with db.atomic():
            scan = _start_scan(conn, meta)
            message = f"Rescanning {meta['source']}"
            labels: set[str | None] = set()
            seen = _write_batches(conn, "temp.scan", batches, state, message, labels)
            # relabelled before the comparison, or every such image would count as changed
            found = as_wnids(labels)
            if found:
                _relabel(conn, "temp.scan", found)
            conn.execute("CREATE INDEX temp.scan_path ON scan (path)")
            repeated = _repeated_paths(conn, "temp.scan")
            if repeated:
                raise _repeated_paths_error(repeated)
            differs = (
                "(i.size IS NOT s.size OR i.mtime_ns IS NOT s.mtime_ns OR i.wnid IS NOT s.wnid "
                "OR i.raw_path IS NOT s.raw_path OR i.outside_root IS NOT s.outside_root)"
            )
            changed, restored = conn.execute(
                f"SELECT coalesce(sum(i.present = 1 AND {differs}), 0), "
                "coalesce(sum(i.present = 0), 0) FROM images i JOIN scan s ON s.path = i.path"
            ).fetchone()
            conn.execute(
                "UPDATE images AS i SET size = s.size, mtime_ns = s.mtime_ns, wnid = s.wnid, "
                "raw_path = s.raw_path, outside_root = s.outside_root, present = 1 "
                f"FROM scan s WHERE s.path = i.path AND (i.present = 0 OR {differs})"
            )
            newly_missing = conn.execute(
                "UPDATE images SET present = 0 WHERE present = 1 AND NOT EXISTS "
                "(SELECT 1 FROM scan s WHERE s.path = images.path)"
            ).rowcount
            added = conn.execute(
                "INSERT INTO images (path, raw_path, wnid, size, mtime_ns, outside_root) "
                "SELECT path, raw_path, wnid, size, mtime_ns, outside_root "
                "FROM scan s WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.path = s.path)"
            ).rowcount
            figures = {
                "seen": seen,
                "added": added,
                "changed": changed,
                "restored": restored,
                "newly_missing": newly_missing,
                **_relabelled(found),
            }
            _count_labels(conn)
            _finish_scan(conn, scan, meta, figures)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.scan")
    return figures


def _write_batches(conn, table: str, batches, state: JobState, message: str, labels=None) -> int:
    """Write every batch into ``table``, reporting progress; stop at a cancel. Returns rows.

    ``labels``, a set, collects the distinct labels: in C, a fifth of the time SQLite takes
    to find them in the table afterwards (3M rows: 0.17 s against 0.8 s).
    """
    seen = 0
    for batch in batches:
        if labels is not None and batch:
            labels.update(map(itemgetter(_ROW_COLUMNS[len(batch[0])].index("wnid")), batch))
        _insert(conn, table, batch)
        seen += len(batch)
        state.progress(seen, None, message)
        state.check()
    return seen


def _repeated_paths(conn: sqlite3.Connection, table: str) -> list[str]:
    rows = conn.execute(f"SELECT path FROM {table} GROUP BY path HAVING count(*) > 1 LIMIT 3")
    return [path for (path,) in rows]


def _repeated_paths_error(paths: list[str]) -> CatalogueError:
    return CatalogueError(
        f"The source lists the same path more than once ({', '.join(paths[:3])}); "
        "fix the manifest and index again."
    )


def _start_scan(conn: sqlite3.Connection, meta: dict) -> int:
    return conn.execute(
        "INSERT INTO scans (started, layout) VALUES (?, ?)", (_now(), meta["layout"])
    ).lastrowid


def _count_labels(conn: sqlite3.Connection) -> None:
    # All images per label from the wnid index alone, minus the missing ones from their own
    # small index: a "WHERE present = 1" would read all 14 million rows of a big catalogue.
    conn.execute("DELETE FROM label_counts")
    conn.execute(
        "INSERT INTO label_counts SELECT wnid, count(*) FROM images INDEXED BY images_wnid "
        "GROUP BY wnid"
    )
    for wnid, missing in conn.execute(
        "SELECT wnid, count(*) FROM images WHERE present = 0 GROUP BY wnid"
    ).fetchall():
        conn.execute("UPDATE label_counts SET images = images - ? WHERE wnid IS ?", (missing, wnid))
    conn.execute("DELETE FROM label_counts WHERE images = 0")


def _finish_scan(conn: sqlite3.Connection, scan: int, meta: dict, figures: dict) -> None:
    conn.execute("DELETE FROM meta WHERE key = 'labels'")  # gone after a --relayout
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
    conn.execute(
        "UPDATE scans SET finished = ?, seen = ?, added = ?, changed = ?, restored = ?, "
        "missing = ? WHERE id = ?",
        (_now(), figures["seen"], figures["added"], figures["changed"], figures["restored"],
         figures["newly_missing"], scan),
    )  # fmt: skip
