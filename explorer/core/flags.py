"""The curation store: flags and "reviewed, OK" marks on images, kept so they are never lost.

A catalogue is rebuildable; flags are not. So they live in their own SQLite
file beside the catalogue (``c.sqlite`` -> ``c.flags.sqlite``), with:

- WAL and ``synchronous = FULL``: a write that returned is on disk;
- an append-only journal (``c.flags.journal``, one JSON line per change,
  fsync'd before the database commit) from which the store can be rebuilt;
- snapshots with SQLite's backup API (``c.flags-snapshots/``, the newest
  ``KEEP_SNAPSHOTS``), taken when a store is opened after changes and closed;
- a check on open: a damaged file is moved aside (never overwritten) and the
  store is recovered from the newest good snapshot plus the journal after it,
  with a message in ``FlagStore.recovered``.

An image is keyed by its path relative to the catalogue root; each flag and
mark also records the file's content hash, so :meth:`FlagStore.relink` can
follow a moved or renamed file (identical content in two places is reported,
never merged). Flags of images that disappear are kept.

The one write is :meth:`FlagStore.apply`: it sets the whole curation state of
some images. Commands and undo (``explorer.core.curation``) are built on it.

>>> store = FlagStore.open_for(catalogue)                 # doctest: +SKIP
>>> store.apply({"n01440764/x.JPEG": ImageState((Flag("wrong_label"),), None)})  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
import reprlib
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from explorer.core.errors import StoreError

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


def default_curator() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()


class FlagStore:
    """An open flag store (one per thread: SQLite connections are not shared)."""

    def __init__(self, path: Path, db: sqlite3.Connection, recovered: str | None) -> None:
        self.path = path
        self.db = db
        self.recovered = recovered  # what recovery did, for the user; None when all was well
        self._journal = open(journal_path(path), "ab")  # noqa: SIM115 (closed by close())

    # --- opening, checking, recovering -----------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, snapshot: bool = True) -> FlagStore:
        """Open (or create) the store at ``path``; recover it when it is damaged."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _repair_journal_tail(journal_path(path))
        recovered = None
        problem = _check(path) if path.exists() else None
        if problem is not None:
            recovered = _recover(path, problem)
        elif not path.exists() and _journal_has_entries(journal_path(path)):
            recovered = _recover(path, "the store file is gone")
        db = _connect(path)
        store = cls(path, db, recovered)
        store._catch_up()  # changes journaled by a writer that died before its commit
        if snapshot and store._changed_since_snapshot():
            store.snapshot()
        return store

    @classmethod
    def open_for(cls, catalogue_path: str | os.PathLike) -> FlagStore:
        return cls.open(flags_path_for(catalogue_path))

    def close(self) -> None:
        if self.db is None:
            return
        try:
            if self._changed_since_snapshot():
                self.snapshot()
        finally:
            self.db.close()
            self.db = None
            self._journal.close()

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
        The journal line is written and fsync'd first, then the database commits
        (synchronous FULL). A crash between the two is caught up on the next open.
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
        # The write lock first: another process (the CLI beside the window) cannot take the
        # same sequence number or interleave its journal line with ours.
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._apply_locked(changes)
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    def _apply_locked(self, changes: Mapping[str, ImageState]) -> None:
        seq = self._last_seq() + 1
        line = json.dumps(
            {"seq": seq, "time": time.time(),
             "changes": {path: state.as_json() for path, state in changes.items()}},
            ensure_ascii=False, sort_keys=True,
        ).encode() + b"\n"  # fmt: skip
        self._journal.write(line)
        self._journal.flush()
        os.fsync(self._journal.fileno())
        offset = self._journal.tell()
        _write_states(self.db, changes)
        _set_meta(self.db, last_seq=seq, journal_offset=offset)

    # --- review queues -----------------------------------------------------------------

    def queue_add(self, items) -> None:
        """Add ``QueueItem``s (explorer.core.curation); an item already queued is updated."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO queue VALUES (?,?,?,?)",
                [(i.path, i.source, i.note, i.suggested_wnid) for i in items],
            )

    def queue(self, source: str | None = None) -> list[tuple[str, str, str, str | None]]:
        """(path, source, note, suggested wnid) of queued images, by path."""
        where, args = ("", ()) if source is None else (" WHERE source = ?", (source,))
        return self.db.execute(f"SELECT * FROM queue{where} ORDER BY path, source", args).fetchall()

    def queue_sources(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT source, count(*) FROM queue GROUP BY source"))

    # --- snapshots ---------------------------------------------------------------------

    def snapshot(self) -> Path:
        """Copy the store with SQLite's backup API; keep the newest KEEP_SNAPSHOTS."""
        folder = snapshots_dir(self.path)
        folder.mkdir(exist_ok=True)
        seq = self._last_seq()
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = folder / f"flags-{seq:010d}-{stamp}.sqlite"
        tmp = target.with_suffix(".tmp")
        copy = sqlite3.connect(tmp)
        try:
            self.db.backup(copy)
        finally:
            copy.close()
        os.replace(tmp, target)
        _fsync_dir(folder)
        for old in _snapshots(self.path)[KEEP_SNAPSHOTS:]:
            old.unlink(missing_ok=True)
        with self.db:
            _set_meta(self.db, snapshot_seq=seq)
        return target

    # --- following files ---------------------------------------------------------------

    def relink(self, catalogue) -> RelinkReport:
        """Move the curation of images the catalogue no longer has to where their bytes are now.

        A curated path not present in ``catalogue`` is looked for among the present,
        uncurated images of the same size, by content hash (the audit's when it is
        current, else the file's). One match: the state moves there, journaled like
        any change. Several: reported in ``ambiguous`` and left alone. None: kept,
        in ``still_missing``.
        """
        from explorer.core.digest import file_digest

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

    def _last_seq(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        return int(row[0]) if row else 0

    def _changed_since_snapshot(self) -> bool:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'snapshot_seq'").fetchone()
        return self._last_seq() > (int(row[0]) if row else -1)

    def _catch_up(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'journal_offset'").fetchone()
        offset = int(row[0]) if row else 0
        last = self._last_seq()
        replayed = 0
        for seq, changes, end in _read_journal(journal_path(self.path), offset):
            if seq <= last:
                continue
            with self.db:
                _write_states(self.db, changes)
                _set_meta(self.db, last_seq=seq, journal_offset=end)
            last, replayed = seq, replayed + 1
        if replayed and self.recovered is None:
            self.recovered = f"replayed {replayed} journaled change(s) a crash left uncommitted"


def journal_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name.removesuffix(".sqlite") + ".journal")


def snapshots_dir(store_path: Path) -> Path:
    return store_path.with_name(store_path.name.removesuffix(".sqlite") + "-snapshots")


def _snapshots(store_path: Path) -> list[Path]:
    """Newest first (the name starts with the journal sequence number)."""
    folder = snapshots_dir(store_path)
    return sorted(folder.glob("flags-*.sqlite"), reverse=True) if folder.is_dir() else []


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, check_same_thread=True)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(_SCHEMA)
        version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if version is None:
            with db:
                _set_meta(db, schema=SCHEMA_VERSION)
        elif int(version[0]) > SCHEMA_VERSION:
            raise StoreError(
                f"The flag store {path} was written by a newer version of WordNet Explorer "
                f"(schema {version[0]}); update the program. The file was not changed."
            )
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open the flag store {path}: {exc}") from exc
    return db


def _check(path: Path) -> str | None:
    """What is wrong with the store file, or None when it passes SQLite's integrity check."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = [r[0] for r in db.execute("PRAGMA integrity_check")]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        finally:
            db.close()
    except sqlite3.Error as exc:
        return str(exc)
    if result != ["ok"]:
        return "; ".join(result[:3])
    if path.stat().st_size and not {"meta", "flags", "reviews"} <= tables:
        return "tables missing"
    return None


def _recover(path: Path, problem: str) -> str:
    """Move the damaged file aside, restore the newest good snapshot, replay the journal."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    kept = []
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            aside = Path(f"{path}.damaged-{stamp}{suffix}")
            os.replace(part, aside)
            kept.append(aside.name)
    base = "an empty store"
    for snapshot in _snapshots(path):
        if _check(snapshot) is None:
            tmp = path.with_suffix(".restoring")
            tmp.write_bytes(snapshot.read_bytes())
            os.replace(tmp, path)
            base = f"snapshot {snapshot.name}"
            break
    # the journal after the snapshot is replayed by FlagStore._catch_up: its offset is in
    # the snapshot's meta; an empty store starts at offset 0, the whole journal
    moved = f" (the damaged file is kept as {', '.join(kept)})" if kept else ""
    return f"The flag store was damaged ({problem}); rebuilt from {base} and the journal{moved}."


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


def _read_journal(path: Path, offset: int = 0):
    """(seq, changes, end offset) of each complete line from ``offset``."""
    if not path.exists():
        return
    with open(path, "rb") as journal:
        journal.seek(offset)
        position = offset
        for line in journal:
            position += len(line)
            if not line.endswith(b"\n"):
                return  # a torn last line: its write never returned
            entry = json.loads(line)
            changes = {p: ImageState.from_json(s) for p, s in entry["changes"].items()}
            yield entry["seq"], changes, position


def _journal_has_entries(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _repair_journal_tail(path: Path) -> None:
    """Cut a torn last line (a crash mid-append), so the next entry starts on its own line."""
    if not path.exists():
        return
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "r+b") as journal:
        journal.seek(max(0, size - 1))
        if journal.read(1) == b"\n":
            return
        start = max(0, size - (1 << 20))
        journal.seek(start)
        tail = journal.read()
        cut = tail.rfind(b"\n")
        journal.truncate(start + cut + 1 if cut >= 0 else start)
        journal.flush()
        os.fsync(journal.fileno())


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
