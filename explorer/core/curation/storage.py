"""The flag store's files: the one opener and its checks, recovery from damage, the journal
and the writers' lock. Used by :class:`~explorer.core.curation.store.FlagStore` only."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import reprlib
import shutil
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from explorer.core.curation.states import (
    _LARGEST_INTEGER,
    ImageState,
    check_state,
)
from explorer.core.errors import StoreError
from explorer.core.files import UMASK, atomic_path
from explorer.core.sql import add_natural_order, failure, why
from explorer.core.text import plural

SCHEMA_VERSION = 1
KEEP_SNAPSHOTS = 5
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another (the window, CLI commands)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flags (
    path TEXT NOT NULL,          -- relative to the catalogue root, '/' separators
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    suggested_wnid TEXT,         -- the right synset, for wrong_label
    curator TEXT NOT NULL,
    time REAL NOT NULL,          -- seconds since the epoch
    content_hash TEXT,           -- BLAKE2b-16 of the file when flagged (None: unreadable)
    size INTEGER,                -- its size in bytes: relinking hashes only files this size
    wnid TEXT,                   -- the image's label when flagged
    PRIMARY KEY (path, reason)
);
CREATE TABLE IF NOT EXISTS reviews (
    path TEXT PRIMARY KEY, curator TEXT NOT NULL, time REAL NOT NULL,
    content_hash TEXT, size INTEGER, wnid TEXT
);
-- pairs a curator judged not duplicates: kept on the image of the pair listed first
CREATE TABLE IF NOT EXISTS distinct_pairs (
    path TEXT NOT NULL, twin TEXT NOT NULL, PRIMARY KEY (path, twin)
) WITHOUT ROWID;
-- review queues (imported candidates, e.g. published label errors): not journaled, since
-- they can be imported again
CREATE TABLE IF NOT EXISTS queue (
    path TEXT NOT NULL, source TEXT NOT NULL, note TEXT NOT NULL, suggested_wnid TEXT,
    PRIMARY KEY (path, source)
);
CREATE INDEX IF NOT EXISTS flags_hash ON flags (content_hash);
CREATE INDEX IF NOT EXISTS reviews_hash ON reviews (content_hash);
"""


def flags_path_for(catalogue_path: str | os.PathLike[str]) -> Path:
    """``c.sqlite`` -> ``c.flags.sqlite``: the store beside its catalogue."""
    path = Path(catalogue_path)
    return path.with_name(path.stem + ".flags.sqlite")


def catalogue_path_for(store_path: str | os.PathLike[str]) -> Path | None:
    """``c.flags.sqlite`` -> ``c.sqlite``: the catalogue a store is named after, or None."""
    path = Path(store_path)
    if not path.name.endswith(".flags.sqlite"):
        return None
    return path.with_name(path.name.removesuffix(".flags.sqlite") + ".sqlite")


def journal_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name.removesuffix(".sqlite") + ".journal")


def rejected_path(store_path: Path) -> Path:
    """Where journal lines that cannot be replayed are kept, with their byte offsets."""
    return journal_path(store_path).with_suffix(".journal.rejected")


def snapshots_dir(store_path: Path) -> Path:
    return store_path.with_name(store_path.name.removesuffix(".sqlite") + "-snapshots")


def _snapshots(store_path: Path) -> list[Path]:
    """Newest first (the name starts with the journal sequence number)."""
    folder = snapshots_dir(store_path)
    return sorted(folder.glob("flags-*.sqlite"), reverse=True) if folder.is_dir() else []


# --- files: the one opener, checks, recovery ------------------------------------------------

_TABLES = {"meta", "flags", "reviews", "queue", "distinct_pairs"}  # a flag store's, and no other
_BUSY = "Another program is writing the flag store {path} ({why}); try again when it is done."


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """The one way the store's files are opened.

    Read-only: nothing is written, not even the -wal and -shm files a WAL
    database wants (immutable when there is no -wal, as in a read-only folder).
    Else: WAL, synchronous FULL and our schema, waiting up to BUSY_TIMEOUT
    for another writer.
    """
    db = None
    try:
        if read_only:
            uri = path.absolute().as_uri() + "?mode=ro"
            if not Path(f"{path}-wal").exists():
                uri += "&immutable=1"
            db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, check_same_thread=True)
        else:
            db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=True
            )
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            if _TABLES - _tables(db):  # new: made whole or not at all (on a full disk)
                with _transaction(db):
                    for statement in _SCHEMA.split(";"):
                        db.execute(statement)
                    _set_meta(db, schema=SCHEMA_VERSION)
        tables = _tables(db)
        version = None
        if "meta" in tables:  # another file's meta (a catalogue's) holds no schema number
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        raise _store_error(path, exc) from exc
    if version is not None and str(version[0]).isdecimal() and int(version[0]) > SCHEMA_VERSION:
        db.close()
        raise StoreError(
            f"The flag store {path} was written by a newer version of WordNet Explorer "
            f"(schema {version[0]}); update the program. The file was not changed."
        )
    add_natural_order(db)  # ORDER BY path COLLATE natural_path
    return db


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _refuse_other_files(path: Path) -> None:
    """A StoreError, before anything is written, for a file that is not a flag store.

    SQLite takes any file for a database and would add our tables to it. A file
    that is not SQLite at all counts as a damaged store (moved aside and rebuilt)
    only when a journal or snapshots beside it show it was one.
    """
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a flag store.")
    try:
        with open(path, "rb") as file:
            head = file.read(16)
    except OSError as exc:
        raise _store_error(path, exc) from exc
    ours = _journal_has_entries(path) or bool(_snapshots(path))
    left = "it was left unchanged"
    if not head or ours:
        return
    if head != b"SQLite format 3\0":
        raise StoreError(
            f"{path} is not a flag store (not a SQLite database, and no journal or snapshots "
            f"of a flag store beside it); {left}."
        )
    try:
        with contextlib.closing(_connect(path, read_only=True)) as db:
            tables = _tables(db)
    except StoreError as exc:
        if not _is_damage(exc.__cause__):
            raise
        raise StoreError(
            f"{path} is not a flag store (a SQLite database that cannot be read: "
            f"{exc.__cause__}; and no journal or snapshots of a flag store beside it); {left}."
        ) from exc
    if {"meta", "images"} <= tables:
        raise StoreError(
            f"{path} is a catalogue, not a flag store; {left}. Its flags are in "
            f"{flags_path_for(path)}."
        )
    if not tables <= _TABLES:
        raise StoreError(
            f"{path} is a SQLite database but not a flag store (its tables: "
            f"{reprlib.repr(', '.join(sorted(tables)))}); {left}."
        )


def _why_read_only(path: Path) -> str | None:
    """Why the store cannot be written (its folder or one of its files), or None."""
    for part in (path.parent, path, journal_path(path), Path(f"{path}-wal"), Path(f"{path}-shm")):
        # exists() again after the refusal: another writer closing its connection deletes
        # the -wal and -shm files, and access() says no for a file that is gone
        if part.exists() and not os.access(part, os.W_OK) and part.exists():
            return f"{'the folder' if part == path.parent else 'the file'} {part} cannot be written"
    return None


def _problem(path: Path) -> str | None:
    """What is wrong with the store file (None: nothing, or no store yet and nothing to
    recover); a StoreError when it cannot be read for another reason (busy, permissions)."""
    if not path.exists():
        return "the store file is gone" if _journal_has_entries(path) or _snapshots(path) else None
    if path.stat().st_size == 0:
        return None  # created, never written: the journal, if any, is replayed into it
    return _damage(path)


def _damage(path: Path) -> str | None:
    """What SQLite finds wrong with a store or snapshot file, or None."""
    try:
        with contextlib.closing(_connect(path, read_only=True)) as db:
            tables = _tables(db)
            result = [row[0] for row in db.execute("PRAGMA integrity_check")]
    except StoreError as exc:  # from _connect: its cause is SQLite's error
        if _is_damage(exc.__cause__):
            return str(exc.__cause__)
        raise
    except sqlite3.DatabaseError as exc:
        if _is_damage(exc):
            return str(exc)
        raise _store_error(path, exc) from exc
    if result != ["ok"]:
        return "; ".join(result[:3])
    if tables and _TABLES - tables:  # none at all: made, never written (a full disk)
        return "tables missing"
    return None


def _is_damage(exc: BaseException | None) -> bool:
    """A damaged file, as opposed to a busy, read-only or unreachable one."""
    return exc is not None and failure(exc) == "damaged"


def _recover(path: Path, problem: str) -> str:
    """Move the damaged file aside, restore the newest good snapshot (the journal after it
    is replayed by FlagStore._settle: its offset is in the snapshot's meta)."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    kept = []
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            aside = Path(f"{path}.damaged-{stamp}{suffix}")
            os.replace(part, aside)
            kept.append(aside.name)
    base = "an empty store"  # offset 0: the whole journal
    for snapshot in _snapshots(path):
        try:
            if _damage(snapshot) is not None:
                continue
        except StoreError:  # unreadable: the next one
            continue
        with atomic_path(path, mode=UMASK) as tmp:  # a new file's mode, as it always had
            shutil.copyfile(snapshot, tmp)
        base = f"snapshot {snapshot.name}"
        break
    moved = f" (the damaged file is kept as {', '.join(kept)})" if kept else ""
    return f"The flag store was damaged ({problem}); rebuilt from {base} and the journal{moved}."


def _store_error(path: Path, exc: Exception, after: str = "") -> StoreError:
    """A StoreError for a failure of SQLite or the file system that says what to do
    (a busy or read-only store, or a full disk, is no damage); ``after``: what it meant."""
    kind, reason = failure(exc, path.parent), why(exc)
    if kind == "busy":
        message = _BUSY.format(path=path, why=reason)
    elif kind == "full":
        message = f"The disk holding the flag store {path} is full ({reason}); free some space."
    elif kind == "read-only":
        message = f"The flag store {path} cannot be written ({reason}); make it and its folder "
        message += "writable."
    elif kind == "denied":
        message = f"The flag store {path} cannot be opened ({reason}); check the permissions "
        message += "of it and its folder."
    else:
        message = f"Cannot use the flag store {path}: {reason}."
    return StoreError(f"{message} {after}".rstrip())


def _write_states(db: sqlite3.Connection, changes: Mapping[str, ImageState]) -> None:
    for path, state in changes.items():
        db.execute("DELETE FROM flags WHERE path = ?", (path,))
        db.execute("DELETE FROM reviews WHERE path = ?", (path,))
        db.execute("DELETE FROM distinct_pairs WHERE path = ?", (path,))
        db.executemany(
            "INSERT INTO distinct_pairs VALUES (?, ?)", [(path, twin) for twin in state.distinct]
        )
        db.executemany(
            "INSERT INTO flags VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    path,
                    f.reason,
                    f.note,
                    f.suggested_wnid,
                    f.curator,
                    f.time,
                    f.content_hash,
                    f.size,
                    f.wnid,
                )
                for f in state.flags
            ],
        )
        if state.review is not None:
            r = state.review
            db.execute(
                "INSERT INTO reviews VALUES (?,?,?,?,?,?)",
                (path, r.curator, r.time, r.content_hash, r.size, r.wnid),
            )


def _set_meta(db: sqlite3.Connection, **values: int) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in values.items()]
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (a failed COMMIT included)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # a COMMIT that failed on a full disk has rolled back already
            db.execute("ROLLBACK")
        raise


# --- the journal -----------------------------------------------------------------------------


def _open_journal(path: Path) -> int:
    """The journal, for appending (created empty when there is none)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(journal_path(path), flags, 0o644)
    except OSError as exc:
        raise _store_error(path, exc) from exc


@contextlib.contextmanager
def _writers_lock(journal: int, path: Path, wait: bool = True) -> Iterator[bool]:
    """Writers (the window, each CLI command) take turns: opening, writing and snapshotting
    a store happen under an exclusive lock on its journal, waited for up to BUSY_TIMEOUT.
    Yields whether it holds the lock (``wait=False``: it does not when another writer does)."""
    deadline = time.monotonic() + (BUSY_TIMEOUT if wait else 0)
    while True:
        try:
            fcntl.flock(journal, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                if not wait:
                    yield False
                    return
                why = f"still busy after {BUSY_TIMEOUT:.0f} s"
                raise StoreError(_BUSY.format(path=path, why=why)) from None
            time.sleep(0.005)
    try:
        yield True
    finally:
        fcntl.flock(journal, fcntl.LOCK_UN)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _journal_lines(store_path: Path, offset: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """(start offset, end offset, line) of each complete line from ``offset``."""
    path = journal_path(store_path)
    if not path.exists():
        return
    with open(path, "rb") as journal:
        journal.seek(offset)
        start = offset
        for line in journal:
            if not line.endswith(b"\n"):
                return  # a torn last line: its write never returned
            yield start, start + len(line), line
            start += len(line)


def _parse_line(line: bytes) -> tuple[int, dict[str, ImageState]]:
    """(seq, changes) of a journal line; a ValueError saying why it cannot be replayed."""
    try:
        entry = json.loads(line)
    except RecursionError as exc:
        raise ValueError("JSON nested too deep") from exc
    except ValueError as exc:  # not JSON, not UTF-8
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(entry, dict) or set(entry) != {"seq", "time", "changes"}:
        keys = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise ValueError(f"not a journal entry (seq, time, changes): {reprlib.repr(keys)}")
    seq, changes = entry["seq"], entry["changes"]
    if type(seq) is not int or not 0 < seq <= _LARGEST_INTEGER:
        raise ValueError(f"seq {reprlib.repr(seq)} is not a sequence number")
    if not isinstance(changes, dict):
        raise ValueError(f"changes {reprlib.repr(changes)} is not an object")
    states = {path: ImageState.from_json(state) for path, state in changes.items()}
    for path, state in states.items():
        check_state(path, state)
    return seq, states


def _set_aside(store_path: Path, offset: int, line: bytes, why: str) -> int:
    """Keep a journal line that cannot be replayed in the rejected file, under a header
    with its byte offset; 1, or 0 when it was set aside before (it is said once)."""
    rejected = rejected_path(store_path)
    header = f"# offset {offset}: {why}\n".encode()
    if rejected.exists() and f"# offset {offset}: ".encode() in rejected.read_bytes():
        return 0
    with open(rejected, "ab") as file:
        file.write(header + line + (b"" if line.endswith(b"\n") else b"\n"))
        file.flush()
        os.fsync(file.fileno())
    return 1


def _set_aside_note(path: Path, count: int) -> str:
    return (
        f"Set aside {plural(count, 'journal line')} that could not be replayed (kept in "
        f"{rejected_path(path).name}, with {'its' if count == 1 else 'their'} byte offset)."
    )


def _journal_has_entries(path: Path) -> bool:
    journal = journal_path(path)
    return journal.exists() and journal.stat().st_size > 0


def _cut_torn_tail(store_path: Path) -> int:
    """Cut a torn last line (a crash mid-append) of any length, so the next entry starts on
    its own line; the cut bytes are set aside. 1 when a line was cut, else 0."""
    path = journal_path(store_path)
    size = path.stat().st_size if path.exists() else 0
    if size == 0:
        return 0
    with open(path, "r+b") as journal:
        journal.seek(size - 1)
        if journal.read(1) == b"\n":
            return 0
        start = size
        while start > 0:  # back to the last newline, a MiB at a time
            chunk_start = max(0, start - (1 << 20))
            journal.seek(chunk_start)
            newline = journal.read(start - chunk_start).rfind(b"\n")
            if newline >= 0:
                start = chunk_start + newline + 1
                break
            start = chunk_start
        journal.seek(start)
        _set_aside(store_path, start, journal.read(), "a torn last line: its write never returned")
        journal.truncate(start)
        journal.flush()
        os.fsync(journal.fileno())
    return 1


def _content_key(state: ImageState) -> tuple[str | None, int | None]:
    """(content hash, size) the state recorded for its image."""
    for mark in (*state.flags, state.review):
        if mark is not None and mark.content_hash:
            return mark.content_hash, mark.size
    return None, None
