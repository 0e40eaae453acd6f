"""The curation store: flags and "reviewed, OK" marks on images, kept so they are never lost.

A catalogue is rebuildable; flags are not. So they live in their own SQLite
file beside the catalogue (``c.sqlite`` -> ``c.flags.sqlite``), with:

- WAL and ``synchronous = FULL``: a write that returned is on disk;
- an append-only journal (``c.flags.journal``, one JSON line per image
  changed, fsync'd before the database commit) from which the store can be
  rebuilt; a line the replay cannot read is set aside, with its byte offset,
  in ``c.flags.journal.rejected``, and the rest is replayed;
- snapshots with SQLite's backup API (``c.flags-snapshots/``, the newest
  ``KEEP_SNAPSHOTS``), taken when a store is opened after changes and closed;
- a check on open: a damaged file is moved aside (never overwritten) and the
  store is recovered from the newest good snapshot plus the journal after it,
  with a message in ``FlagStore.recovered``.

What a write may hold is checked before it is journaled (:func:`check_state`);
a write that fails (a full disk) leaves nothing in the journal. Writers (the
window, each CLI command) take turns on a lock on the journal, waiting up to
``BUSY_TIMEOUT``. A store that cannot be written opens read-only, and a file
that is not a flag store is refused, byte for byte unchanged.

An image is keyed by its path relative to the catalogue root; each flag and
mark also records the file's content hash, so :meth:`FlagStore.relink` can
follow a moved or renamed file (identical content in two places is reported,
never merged). Flags of images that disappear are kept.

The one write is :meth:`FlagStore.apply`: it sets the whole curation state of
some images. Commands and undo (``explorer.core.curation.commands``) are built on it.

>>> store = FlagStore.open_for(catalogue)                 # doctest: +SKIP
>>> store.apply({"n01440764/x.JPEG": ImageState((Flag("wrong_label"),), None)})  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import reprlib
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from explorer.core.errors import StoreError
from explorer.core.text import plural

log = logging.getLogger(__name__)

REASONS: dict[str, str] = {
    "wrong_label": "the image shows something else than its synset",
    "duplicate": "the same picture as another image",
    "corrupt": "broken, truncated or unreadable",
    "low_quality": "too small, blurred, badly cropped or mostly text",
    "not_a_photo": "a drawing, diagram, screenshot or rendering",
    "offensive": "should not be in a dataset",
    "other": "see the note",
}
SCHEMA_VERSION = 1
KEEP_SNAPSHOTS = 5
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another (the window, CLI commands)
LONGEST = {"path": 4096, "note": 4096, "curator": 256}  # characters; bounds a journal line

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
-- review queues (imported candidates, e.g. published label errors): not journaled, since
-- they can be imported again
CREATE TABLE IF NOT EXISTS queue (
    path TEXT NOT NULL, source TEXT NOT NULL, note TEXT NOT NULL, suggested_wnid TEXT,
    PRIMARY KEY (path, source)
);
CREATE INDEX IF NOT EXISTS flags_hash ON flags (content_hash);
CREATE INDEX IF NOT EXISTS reviews_hash ON reviews (content_hash);
"""


@dataclass(frozen=True)
class Flag:
    reason: str
    note: str = ""
    suggested_wnid: str | None = None
    curator: str = ""
    time: float = 0.0
    content_hash: str | None = None
    size: int | None = None
    wnid: str | None = None


@dataclass(frozen=True)
class Review:
    curator: str = ""
    time: float = 0.0
    content_hash: str | None = None
    size: int | None = None
    wnid: str | None = None


@dataclass(frozen=True)
class ImageState:
    """Everything curation knows about one image: its flags (one per reason) and OK mark."""

    flags: tuple[Flag, ...] = ()
    review: Review | None = None

    @property
    def empty(self) -> bool:
        return not self.flags and self.review is None

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f.reason for f in self.flags)

    def as_json(self) -> dict:
        return {
            "flags": [asdict(f) for f in self.flags],
            "review": None if self.review is None else asdict(self.review),
        }

    @classmethod
    def from_json(cls, data) -> ImageState:
        """The state ``as_json`` made, not yet checked (:func:`check_state`); a ValueError
        for anything else."""
        try:
            flags = tuple(sorted((Flag(**f) for f in data["flags"]), key=lambda f: f.reason))
            review = data["review"]
            return cls(flags, None if review is None else Review(**review))
        except (TypeError, KeyError) as exc:  # not an object, a key missing or unknown
            raise ValueError(f"not an image state ({exc})") from exc


EMPTY = ImageState()

_WNID = re.compile(r"n[0-9]{8}")
_HASH = re.compile(r"[0-9a-f]{1,128}")
_LARGEST_INTEGER = 2**63 - 1  # SQLite's
# 0001-01-01 to 9999-12-31 UTC, in seconds since 1970: the times an export can write
_EARLIEST, _LATEST = -62_135_596_800, 253_402_300_799


def check_state(path, state: ImageState) -> None:
    """Raise a ValueError saying what the store cannot hold in ``state`` of image ``path``.

    The one check of what is written: :meth:`FlagStore.apply` refuses such a
    state before anything is journaled, the journal's replay sets a line
    holding one aside, and an import skips such a row. Text is bounded
    (``LONGEST``), has no NUL and is UTF-8; numbers fit SQLite; times are
    finite and between the years 1 and 9999; reasons are known.

    >>> check_state("x.JPEG", ImageState((Flag("corrupt", size=10**30),)))
    Traceback (most recent call last):
    ValueError: size 1000000000000000000000000000000 is not a number of bytes
    """
    if path is None or path == "":
        raise ValueError("no path")
    _check_text("path", path)
    if not isinstance(state.flags, tuple) or not all(isinstance(f, Flag) for f in state.flags):
        raise ValueError(f"flags {reprlib.repr(state.flags)} are not flags")
    for flag in state.flags:
        if not isinstance(flag.reason, str) or flag.reason not in REASONS:
            raise ValueError(
                f"unknown reason {reprlib.repr(flag.reason)} (one of {', '.join(REASONS)})"
            )
        _check_text("note", flag.note)
        _check_pattern("suggested_wnid", flag.suggested_wnid, _WNID, "a wnid")
        _check_mark(flag)
    if len(set(state.reasons)) < len(state.flags):
        raise ValueError(f"two flags with the same reason in {', '.join(state.reasons)}")
    if state.review is not None:
        if not isinstance(state.review, Review):
            raise ValueError(f"review {reprlib.repr(state.review)} is not an OK mark")
        _check_mark(state.review)


def _check_mark(mark: Flag | Review) -> None:
    _check_text("curator", mark.curator)
    moment = mark.time
    if type(moment) not in (int, float) or not _EARLIEST <= moment <= _LATEST:  # NaN fails too
        raise ValueError(f"time {reprlib.repr(moment)} is not a moment in the years 1 to 9999")
    _check_pattern("content_hash", mark.content_hash, _HASH, "a hex digest")
    size = mark.size
    if size is not None and (type(size) is not int or not 0 <= size <= _LARGEST_INTEGER):
        raise ValueError(f"size {reprlib.repr(size)} is not a number of bytes")
    _check_pattern("wnid", mark.wnid, _WNID, "a wnid")


def _check_text(name: str, value) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{name} {reprlib.repr(value)} is not text")
    if len(value) > LONGEST[name]:
        raise ValueError(f"the {name} is longer than {LONGEST[name]:,} characters")
    if "\0" in value:
        raise ValueError(f"the {name} holds a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no database or journal can hold it
        raise ValueError(f"the {name} {reprlib.repr(value)} is not valid Unicode") from exc


def _check_pattern(name: str, value, pattern: re.Pattern, what: str) -> None:
    if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
        raise ValueError(f"{name} {reprlib.repr(value)} is not {what}")


@dataclass
class RelinkReport:
    relinked: list[tuple[str, str]] = field(default_factory=list)  # (old path, new path)
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)  # same bytes, 2+ places
    still_missing: list[str] = field(default_factory=list)


def flags_path_for(catalogue_path: str | os.PathLike) -> Path:
    """``c.sqlite`` -> ``c.flags.sqlite``: the store beside its catalogue."""
    path = Path(catalogue_path)
    return path.with_name(path.stem + ".flags.sqlite")


def catalogue_path_for(store_path: str | os.PathLike) -> Path | None:
    """``c.flags.sqlite`` -> ``c.sqlite``: the catalogue a store is named after, or None."""
    path = Path(store_path)
    if not path.name.endswith(".flags.sqlite"):
        return None
    return path.with_name(path.name.removesuffix(".flags.sqlite") + ".sqlite")


def default_curator() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()


class FlagStore:
    """An open flag store (one per thread: SQLite connections are not shared)."""

    def __init__(
        self, path: Path, db: sqlite3.Connection, journal: int | None, read_only: str | None
    ) -> None:
        self.path = path
        self.db = db
        self.read_only = read_only  # why it cannot be written; None when it can
        self.recovered: str | None = None  # what opening it did, for the user; None: all well
        self._journal = journal  # the journal, appending; its lock is the writers' lock
        self._last_tried = 0  # the last sequence number a write took, failed or not
        self._writing = False  # inside writing(): this store holds the writers' lock

    # --- opening, checking, recovering -----------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, snapshot: bool = True) -> FlagStore:
        """Open (or create) the store at ``path``; recover it when it is damaged.

        A file that is not a flag store (a catalogue, another database, a picture)
        is a StoreError and stays as it was. A store that cannot be written (a
        read-only folder or file) opens read-only: it reads, and each write is a
        StoreError that says why.
        """
        path = Path(path)
        _refuse_other_files(path)
        why = _why_read_only(path)
        if why is not None:
            return cls._open_read_only(path, why)
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = _open_journal(path)
        db = None
        try:
            with _writers_lock(journal, path):
                notes = []
                problem = _problem(path)
                if problem is not None:
                    notes.append(_recover(path, problem))
                db = _connect(path)
                store = cls(path, db, journal, None)
                replayed, set_aside = store._settle()
                if replayed and problem is None:  # after a rebuild, replaying is what it said
                    notes.append(f"Replayed {plural(replayed, 'journaled change')} a crash "
                                 "left uncommitted.")  # fmt: skip
                if set_aside:
                    notes.append(_set_aside_note(path, set_aside))
                if snapshot:
                    store._snapshot_if_changed()
        except BaseException as exc:
            if db is not None:
                db.close()
            os.close(journal)
            if isinstance(exc, OSError | sqlite3.Error):  # a full disk, say, while recovering
                raise _store_error(path, exc) from exc
            raise
        store.recovered = " ".join(notes) or None
        return store

    @classmethod
    def _open_read_only(cls, path: Path, why: str) -> FlagStore:
        """Reads without writing anything: no recovery, catch-up or snapshot."""
        problem = _problem(path)
        if problem is not None:
            raise StoreError(
                f"The flag store {path} needs repair ({problem}), but {why}: make it writable "
                "and open it again, to rebuild it from its snapshots and journal."
            )
        if path.exists() and path.stat().st_size:
            db = _connect(path, read_only=True)
        else:  # no store yet: nothing is flagged
            db = sqlite3.connect(":memory:")
            db.executescript(_SCHEMA)
        store = cls(path, db, None, why)
        waiting = sum(1 for _line in _journal_lines(path, store._meta("journal_offset")))
        if waiting:
            store.recovered = (
                f"The flag store {path} is read-only ({why}), so "
                f"{plural(waiting, 'journaled change')} a program left unsaved "
                f"{'is' if waiting == 1 else 'are'} not shown; open it where it can be written "
                "to replay them."
            )
        return store

    @classmethod
    def open_for(cls, catalogue_path: str | os.PathLike) -> FlagStore:
        return cls.open(flags_path_for(catalogue_path))

    def close(self) -> None:
        if self.db is None:
            return
        try:
            if self._journal is not None:
                # Not waiting: a writer holding the lock snapshots when it closes.
                with _writers_lock(self._journal, self.path, wait=False) as locked:
                    if locked:
                        self._snapshot_if_changed()
        finally:
            self.db.close()
            self.db = None
            if self._journal is not None:
                os.close(self._journal)
                self._journal = None

    def __enter__(self) -> FlagStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------------

    def state(self, path: str) -> ImageState:
        return self.states([path]).get(path, EMPTY)

    def states(self, paths: Iterable[str] | None = None) -> dict[str, ImageState]:
        """The non-empty states of ``paths`` (of every image when None)."""
        paths = None if paths is None else list(paths)
        flags: dict[str, list[Flag]] = {}
        reviews: dict[str, Review] = {}
        for chunk in _chunks(paths):
            where, args = ("", []) if chunk is None else (
                f" WHERE path IN ({','.join('?' * len(chunk))})", chunk
            )  # fmt: skip
            for row in self.db.execute(
                "SELECT path, reason, note, suggested_wnid, curator, time, content_hash, size, "
                f"wnid FROM flags{where} ORDER BY path, reason", args
            ):  # fmt: skip
                flags.setdefault(row[0], []).append(Flag(*row[1:]))
            for row in self.db.execute(
                f"SELECT path, curator, time, content_hash, size, wnid FROM reviews{where}", args
            ):
                reviews[row[0]] = Review(*row[1:])
        return {
            path: ImageState(tuple(flags.get(path, ())), reviews.get(path))
            for path in sorted(set(flags) | set(reviews))
        }

    def flagged_paths(self) -> set[str]:
        return {p for (p,) in self.db.execute("SELECT DISTINCT path FROM flags")}

    def counts(self) -> dict[str, int]:
        """Flags per reason, and reviewed-OK marks under "reviewed"."""
        counts = dict(self.db.execute("SELECT reason, count(*) FROM flags GROUP BY reason"))
        counts["reviewed"] = self.db.execute("SELECT count(*) FROM reviews").fetchone()[0]
        return counts

    # --- writing ------------------------------------------------------------------------

    def apply(self, changes: Mapping[str, ImageState]) -> None:
        """Set the whole state of each image in ``changes``; durable when this returns.

        Every state is checked first (:func:`check_state`): a StoreError writes nothing.
        Then one journal line per image is written and fsync'd, then the database
        commits (synchronous FULL). A crash between the two is caught up on the next
        open; a write that fails (a full disk) takes its lines back out of the journal,
        so nothing of it is replayed later.
        """
        if not changes:
            return
        for path, state in changes.items():  # the replay must be able to read every line
            try:
                check_state(path, state)
            except ValueError as exc:
                raise StoreError(
                    f"Not saved: the curation of {reprlib.repr(path)} cannot be stored ({exc}); "
                    "nothing was changed."
                ) from exc
        with self.writing():
            seq = max(self._meta("last_seq"), self._last_tried)  # a failed write's too
            lines = []
            for path, state in changes.items():  # a line per image: a line is bounded (LONGEST)
                seq += 1
                entry = {"seq": seq, "time": time.time(), "changes": {path: state.as_json()}}
                lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
            data = "".join(lines).encode()
            start = os.fstat(self._journal).st_size
            self._last_tried = seq
            try:
                _write_all(self._journal, data)
                os.fsync(self._journal)
                with _transaction(self.db):
                    _write_states(self.db, changes)
                    _set_meta(self.db, last_seq=seq, journal_offset=start + len(data))
            except BaseException as exc:
                trace = self._take_back(start)
                if not isinstance(exc, OSError | sqlite3.Error):
                    raise
                after = "The change was not saved."
                if trace is not None:
                    after = (
                        f"The change was not saved, but its journal lines could not be taken "
                        f"back ({trace}): it may come back when the store is next opened."
                    )
                raise _store_error(self.path, exc, after) from exc

    @contextlib.contextmanager
    def writing(self):
        """Hold the writers' lock: reading states and applying a change made from them
        inside it, no other writer's change to those images comes in between (and is
        overwritten). Re-entrant; :meth:`apply` takes it too.

        >>> with store.writing():                                         # doctest: +SKIP
        ...     store.apply(flag_images(store, refs, "corrupt").after)
        """
        self._refuse_writes()
        if self._writing:
            yield
            return
        with _writers_lock(self._journal, self.path):
            self._writing = True
            try:
                try:  # lines another writer left: read them, and follow, not reuse, their seqs
                    self._settle()
                except (OSError, sqlite3.Error) as exc:
                    raise _store_error(self.path, exc, "Nothing was changed.") from exc
                yield
            finally:
                self._writing = False

    def _take_back(self, start: int) -> str | None:
        """Cut what a failed write added to the journal; None, or why that failed too.

        The writers' lock is still held, so no other writer has appended since
        (SQLite's own lock is gone when a commit fails on a full disk).
        """
        try:
            os.ftruncate(self._journal, start)
            os.fsync(self._journal)
        except OSError as exc:
            return exc.strerror or str(exc)
        return None

    # --- review queues -----------------------------------------------------------------

    def queue_add(self, items) -> None:
        """Add ``QueueItem``s (explorer.core.curation); an item already queued is updated."""
        self._refuse_writes()
        try:
            with _transaction(self.db):
                self.db.executemany(
                    "INSERT OR REPLACE INTO queue VALUES (?,?,?,?)",
                    [(i.path, i.source, i.note, i.suggested_wnid) for i in items],
                )
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

    def queue(self, source: str | None = None) -> list[tuple[str, str, str, str | None]]:
        """(path, source, note, suggested wnid) of queued images, by path."""
        where, args = ("", ()) if source is None else (" WHERE source = ?", (source,))
        return self.db.execute(f"SELECT * FROM queue{where} ORDER BY path, source", args).fetchall()

    def queue_sources(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT source, count(*) FROM queue GROUP BY source"))

    # --- snapshots ---------------------------------------------------------------------

    def snapshot(self) -> Path:
        """Copy the store with SQLite's backup API; keep the newest KEEP_SNAPSHOTS."""
        with self.writing():
            return self._snapshot()

    def _snapshot(self) -> Path:
        folder = snapshots_dir(self.path)
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("*.tmp*"):  # a writer killed mid-snapshot; we hold the lock
            stale.unlink(missing_ok=True)
        seq = self._meta("last_seq")
        target = folder / f"flags-{seq:010d}-{time.strftime('%Y%m%dT%H%M%S')}.sqlite"
        handle, tmp = tempfile.mkstemp(prefix=target.stem + "-", suffix=".tmp", dir=folder)
        os.close(handle)
        try:
            copy = sqlite3.connect(tmp)
            try:
                self.db.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one file: no -wal to leave behind
            finally:
                copy.close()
            os.replace(tmp, target)
        finally:
            for part in (tmp, f"{tmp}-journal", f"{tmp}-wal", f"{tmp}-shm"):
                Path(part).unlink(missing_ok=True)
        _fsync_dir(folder)
        for old in _snapshots(self.path)[KEEP_SNAPSHOTS:]:
            old.unlink(missing_ok=True)
        with _transaction(self.db):
            _set_meta(self.db, snapshot_seq=seq)
        return target

    def _snapshot_if_changed(self) -> None:
        if self._meta("last_seq") <= self._meta("snapshot_seq"):  # an empty store needs none
            return
        try:
            self._snapshot()
        except (OSError, sqlite3.Error) as exc:  # the journal holds every change meanwhile
            log.warning("No snapshot of the flag store %s: %s", self.path, exc)

    # --- following files ---------------------------------------------------------------

    def relink(self, catalogue) -> RelinkReport:
        """Move the curation of images the catalogue no longer has to where their bytes are now.

        A curated path not present in ``catalogue`` is looked for among the present,
        uncurated images of the same size, by content hash (the audit's when it is
        current, else the file's). One match: the state moves there, journaled like
        any change. Several: reported in ``ambiguous`` and left alone. None: kept,
        in ``still_missing``.
        """
        from explorer.core.images import file_digest

        report = RelinkReport()
        states = self.states()
        present = set()
        for chunk in _chunks(list(states)):
            marks = ",".join("?" * len(chunk))
            present.update(
                p for (p,) in catalogue.db.execute(
                    f"SELECT path FROM images WHERE present = 1 AND path IN ({marks})", chunk
                )
            )  # fmt: skip
        lost = {path: state for path, state in states.items() if path not in present}
        keys = {path: _content_key(state) for path, state in lost.items()}
        sizes = sorted({size for _hash, size in keys.values() if size is not None})
        by_size: dict[int, list[tuple[str, str | None]]] = {}
        for chunk in _chunks(sizes):
            marks = ",".join("?" * len(chunk))
            for path, size, audit_hash in catalogue.db.execute(
                "SELECT i.path, i.size, CASE WHEN a.size = i.size AND a.mtime_ns = i.mtime_ns "
                "THEN a.hash END FROM images i LEFT JOIN audit a ON a.image_id = i.id "
                f"WHERE i.present = 1 AND i.size IN ({marks})", chunk,
            ):  # fmt: skip
                if path not in states:
                    by_size.setdefault(size, []).append((path, audit_hash))
        hashed: dict[str, str | None] = {}
        changes: dict[str, ImageState] = {}
        for old, state in lost.items():
            content_hash, size = keys[old]
            matches = []
            for path, audit_hash in by_size.get(size, []) if content_hash else []:
                if path not in hashed:
                    hashed[path] = audit_hash or file_digest(catalogue.absolute_path(path))
                if hashed[path] == content_hash and path not in changes:
                    matches.append(path)
            if len(matches) == 1:
                changes[old] = EMPTY
                changes[matches[0]] = state
                report.relinked.append((old, matches[0]))
            elif matches:
                report.ambiguous.append((old, matches))
            else:
                report.still_missing.append(old)
        self.apply(changes)
        return report

    # --- internals -----------------------------------------------------------------------

    def _meta(self, key: str) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _refuse_writes(self) -> None:
        if self.read_only is not None:
            raise StoreError(
                f"The flag store {self.path} is read-only ({self.read_only}); nothing was "
                "changed. Make it writable, or copy the catalogue with its flag store "
                "(c.flags.*) to a folder you can write."
            )

    def _settle(self) -> tuple[int, int]:
        """Under the writers' lock: cut a torn last line, replay the complete lines the
        database lacks (a writer stopped between its line and its commit), set aside
        lines that cannot be replayed. (lines replayed, lines newly set aside)"""
        set_aside = _cut_torn_tail(self.path)
        offset = self._meta("journal_offset")
        if os.fstat(self._journal).st_size <= offset:
            return 0, set_aside
        last, replayed = self._meta("last_seq"), 0
        with _transaction(self.db):
            for start, end, line in _journal_lines(self.path, offset):
                try:
                    seq, changes = _parse_line(line)
                except ValueError as exc:
                    set_aside += _set_aside(self.path, start, line, str(exc))
                else:  # in the journal's order, which is the order they were written
                    _write_states(self.db, changes)
                    last, replayed = max(last, seq), replayed + 1
                offset = end
            _set_meta(self.db, last_seq=last, journal_offset=offset)
        return replayed, set_aside


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

_TABLES = {"meta", "flags", "reviews", "queue"}  # a flag store's, and no other
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
        if part.exists() and not os.access(part, os.W_OK):
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
    return getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


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
        tmp = path.with_suffix(".restoring")
        tmp.write_bytes(snapshot.read_bytes())
        os.replace(tmp, path)
        base = f"snapshot {snapshot.name}"
        break
    moved = f" (the damaged file is kept as {', '.join(kept)})" if kept else ""
    return f"The flag store was damaged ({problem}); rebuilt from {base} and the journal{moved}."


def _store_error(path: Path, exc: Exception, after: str = "") -> StoreError:
    """A StoreError for a failure of SQLite or the file system that says what to do
    (a busy or read-only store, or a full disk, is no damage); ``after``: what it meant."""
    name = getattr(exc, "sqlite_errorname", "")
    number = getattr(exc, "errno", None)
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        message = _BUSY.format(path=path, why=why)
    elif (
        name == "SQLITE_FULL"
        or number in (errno.ENOSPC, errno.EDQUOT)
        or (
            name.startswith("SQLITE_IOERR") and _no_space_left(path)  # e.g. IOERR_SHMSIZE
        )
    ):
        message = f"The disk holding the flag store {path} is full ({why}); free some space."
    elif name.startswith("SQLITE_READONLY") or number == errno.EROFS:
        message = f"The flag store {path} cannot be written ({why}); make it and its folder "
        message += "writable."
    elif number in (errno.EACCES, errno.EPERM):
        message = f"The flag store {path} cannot be opened ({why}); check the permissions "
        message += "of it and its folder."
    else:
        message = f"Cannot use the flag store {path}: {why}."
    return StoreError(f"{message} {after}".rstrip())


def _no_space_left(path: Path) -> bool:
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def _write_states(db: sqlite3.Connection, changes: Mapping[str, ImageState]) -> None:
    for path, state in changes.items():
        db.execute("DELETE FROM flags WHERE path = ?", (path,))
        db.execute("DELETE FROM reviews WHERE path = ?", (path,))
        db.executemany(
            "INSERT INTO flags VALUES (?,?,?,?,?,?,?,?,?)",
            [(path, f.reason, f.note, f.suggested_wnid, f.curator, f.time, f.content_hash,
              f.size, f.wnid) for f in state.flags],
        )  # fmt: skip
        if state.review is not None:
            r = state.review
            db.execute(
                "INSERT INTO reviews VALUES (?,?,?,?,?,?)",
                (path, r.curator, r.time, r.content_hash, r.size, r.wnid),
            )


def _set_meta(db: sqlite3.Connection, **values) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in values.items()]
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection):
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
def _writers_lock(journal: int, path: Path, wait: bool = True):
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


def _journal_lines(store_path: Path, offset: int = 0):
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


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunks(paths: list[str] | None, size: int = 500):
    if paths is None:
        yield None
        return
    for start in range(0, len(paths), size):
        yield paths[start : start + size]


def _content_key(state: ImageState) -> tuple[str | None, int | None]:
    """(content hash, size) the state recorded for its image."""
    for mark in (*state.flags, state.review):
        if mark is not None and mark.content_hash:
            return mark.content_hash, mark.size
    return None, None
