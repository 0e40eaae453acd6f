"""Finding and opening a catalogue file: what a path names, what a file is (checked before
SQLite touches it), read-only and damaged catalogues."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sqlite3
import urllib.parse
from pathlib import Path

import sqlite_utils

from explorer.core import paths
from explorer.core.catalogue.schema import (
    MIGRATION_NAMES,
    MIGRATIONS,
)
from explorer.core.curation import catalogue_path_for
from explorer.core.errors import CatalogueDamagedError, CatalogueError, NotIndexedError
from explorer.core.sql import add_natural_order, failure, why


def default_catalogue_path(
    source: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Where the catalogue of ``source`` lives unless ``--catalogue`` says otherwise: in the
    data directory, named after the folder or manifest and a hash of its whole path.

    >>> default_catalogue_path("/data/imagenet/train", data_dir=tmp).relative_to(tmp).as_posix()
    'catalogues/train-aab0926e0b.sqlite'
    """
    resolved = Path(source).expanduser().resolve()
    key = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:10]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", resolved.name)[:40] or "root"
    return paths.data_dir(data_dir) / "catalogues" / f"{name}-{key}.sqlite"


def resolve_catalogue(
    value: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> Path:
    """The catalogue file ``value`` names: a catalogue file, or a dataset folder or manifest
    that has been indexed. The one rule behind the CLI's ``--catalogue`` and the window.

    Raises NotIndexedError for a folder or manifest without a catalogue yet, and
    CatalogueError, saying what to run, for anything else that is not a catalogue.
    A SQLite file is returned as it is: :meth:`Catalogue.open` tells whether it is ours.

    >>> resolve_catalogue(catalogue_path) == catalogue_path  # a catalogue file: itself
    True
    >>> try:
    ...     resolve_catalogue(catalogue.source, data_dir=tmp)  # a folder not indexed (in tmp)
    ... except NotIndexedError as exc:
    ...     print(exc)
    /.../images has not been indexed yet: run `wnexplorer index /.../images`.
    """
    path = Path(value).expanduser()
    try:
        exists = path.exists()
    except OSError as exc:  # a folder on the way that cannot be searched
        raise CatalogueError(
            f"Cannot look at {path} ({why(exc)}); check the permissions of the folders on its way."
        ) from exc
    if not exists:
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
        return _with_natural_order(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S))
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
    return _with_natural_order(conn)


def _with_natural_order(conn: sqlite3.Connection) -> sqlite_utils.Database:
    add_natural_order(conn)  # ORDER BY path COLLATE natural_path
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
    newer = applied - set(MIGRATION_NAMES)
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


def _catalogue_error(path: Path, exc: Exception, source: str | None = None) -> CatalogueError:
    """A CatalogueError for a failure of SQLite or the file system on the catalogue at
    ``path`` that says what to do: damage is rebuilt (CatalogueDamagedError); a busy,
    read-only or full one is not damaged."""
    kind, reason = failure(exc, path.parent), why(exc)
    if kind == "damaged":
        return _damaged(path, exc, source)
    if kind == "busy":
        return CatalogueError(
            f"The catalogue {path} is busy ({reason}): another program (an index, an audit or "
            "the window) is writing it; try again when it has finished."
        )
    if kind == "full":
        return CatalogueError(
            f"The disk holding the catalogue {path} is full ({reason}); free some space and "
            "try again."
        )
    if kind == "read-only":
        return CatalogueError(
            f"The catalogue {path} cannot be written ({reason}); make it and its folder "
            "writable, or index or audit a copy in a writable folder (`--catalogue COPY`)."
        )
    if kind == "denied":
        return CatalogueError(
            f"The catalogue {path} cannot be opened ({reason}); check the permissions of it "
            "and its folder."
        )
    return CatalogueError(
        f"Cannot use the catalogue {path} ({reason}); check the disk and the folder it is in, "
        "or work on a copy in another folder."
    )
