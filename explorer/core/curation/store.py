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

>>> with FlagStore.open_for(catalogue_path) as store:     # c.sqlite -> c.flags.sqlite
...     store.apply({"n01440764/x.JPEG": ImageState((Flag("corrupt", curator="ann"),))})
...     store.state("n01440764/x.JPEG").reasons
('corrupt',)
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import reprlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from explorer.core.curation.states import (
    EMPTY,
    Flag,
    ImageState,
    Review,
    check_state,
)
from explorer.core.curation.storage import (
    _SCHEMA,
    KEEP_SNAPSHOTS,
    _connect,
    _content_key,
    _cut_torn_tail,
    _journal_lines,
    _open_journal,
    _parse_line,
    _problem,
    _recover,
    _refuse_other_files,
    _set_aside,
    _set_aside_note,
    _set_meta,
    _snapshots,
    _store_error,
    _transaction,
    _why_read_only,
    _write_all,
    _write_states,
    _writers_lock,
    flags_path_for,
    snapshots_dir,
)
from explorer.core.errors import StoreError
from explorer.core.files import atomic_path
from explorer.core.sql import NATURAL, add_natural_order, select_in
from explorer.core.text import natural_path_key, plural

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation.commands import QueueItem

log = logging.getLogger(__name__)

QueueEntry = tuple[str, str, str, str | None]  # (path, source, note, suggested wnid)


@dataclass
class RelinkReport:
    relinked: list[tuple[str, str]] = field(default_factory=list)  # (old path, new path)
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)  # same bytes, 2+ places
    still_missing: list[str] = field(default_factory=list)


def default_curator() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reads(
    method: Callable[Concatenate[FlagStore, _P], _R],
) -> Callable[Concatenate[FlagStore, _P], _R]:
    """A read of the store: a failure of SQLite becomes a StoreError that says what to do."""

    @functools.wraps(method)
    def read(self: FlagStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

    return read


class FlagStore:
    """An open flag store (one per thread: SQLite connections are not shared)."""

    def __init__(
        self, path: Path, db: sqlite3.Connection, journal: int | None, read_only: str | None
    ) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = db  # None once closed
        self.read_only = read_only  # why it cannot be written; None when it can
        self.recovered: str | None = None  # what opening it did, for the user; None: all well
        self._journal = journal  # the journal, appending; its lock is the writers' lock
        self._last_tried = 0  # the last sequence number a write took, failed or not
        self._writing = False  # inside writing(): this store holds the writers' lock

    # --- opening, checking, recovering -----------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], snapshot: bool = True) -> FlagStore:
        """Open (or create) the store at ``path``; recover it when it is damaged.

        A file that is not a flag store (a catalogue, another database, a picture)
        is a StoreError and stays as it was. A store that cannot be written (a
        read-only folder or file) opens read-only: it reads, and each write is a
        StoreError that says why.
        """
        path = Path(path)
        try:
            _refuse_other_files(path)
            why = _why_read_only(path)
            if why is not None:
                return cls._open_read_only(path, why)
            path.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, sqlite3.Error) as exc:  # a folder that cannot be made, say
            raise _store_error(path, exc) from exc
        journal = _open_journal(path)
        db = None
        try:
            with _writers_lock(journal, path):
                notes: list[str] = []
                problem = _problem(path)
                if problem is not None:
                    notes.append(_recover(path, problem))
                db = _connect(path)
                store = cls(path, db, journal, None)
                replayed, set_aside = store._settle()
                if replayed and problem is None:  # after a rebuild, replaying is what it said
                    notes.append(
                        f"Replayed {plural(replayed, 'journaled change')} a crash left uncommitted."
                    )
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
            add_natural_order(db)
        store = cls(path, db, None, why)
        try:
            waiting = sum(1 for _line in _journal_lines(path, store._meta("journal_offset")))
        except BaseException:
            db.close()
            raise
        if waiting:
            store.recovered = (
                f"The flag store {path} is read-only ({why}), so "
                f"{plural(waiting, 'journaled change')} a program left unsaved "
                f"{'is' if waiting == 1 else 'are'} not shown; open it where it can be written "
                "to replay them."
            )
        return store

    @classmethod
    def open_for(cls, catalogue_path: str | os.PathLike[str]) -> FlagStore:
        """The store beside the catalogue at ``catalogue_path`` (:func:`flags_path_for`)."""
        return cls.open(flags_path_for(catalogue_path))

    def close(self) -> None:
        """Close the store, with a snapshot when it changed (a failed snapshot is logged:
        the journal holds every change meanwhile). Every change was saved already: a
        StoreError here (a lock that cannot be taken, say) loses none."""
        if self.db is None:
            return
        try:
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
        except (OSError, sqlite3.Error) as exc:
            raise _store_error(self.path, exc, "Every change was saved before.") from exc

    def __enter__(self) -> FlagStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------------

    def state(self, path: str) -> ImageState:
        return self.states([path]).get(path, EMPTY)

    @_reads
    def states(self, paths: Iterable[str] | None = None) -> dict[str, ImageState]:
        """The non-empty states of ``paths`` (of every image when None)."""
        flag_sql = (
            "SELECT path, reason, note, suggested_wnid, curator, time, content_hash, size, wnid "
            "FROM flags"
        )
        review_sql = "SELECT path, curator, time, content_hash, size, wnid FROM reviews"
        if paths is not None:
            paths = list(dict.fromkeys(paths))  # a path twice would count its flags twice

        def rows(sql: str, order: str = "") -> Iterator[tuple[Any, ...]]:
            if paths is None:
                return self._db.execute(sql + order)
            return select_in(self._db, f"{sql} WHERE path IN ({{values}}){order}", paths)

        flags: dict[str, list[Flag]] = {}
        for row in rows(flag_sql, " ORDER BY path, reason"):
            flags.setdefault(row[0], []).append(Flag(*row[1:]))
        reviews = {row[0]: Review(*row[1:]) for row in rows(review_sql)}
        distinct: dict[str, list[str]] = {}
        for path, twin in rows("SELECT path, twin FROM distinct_pairs", " ORDER BY path, twin"):
            distinct.setdefault(path, []).append(twin)
        return {
            path: ImageState(
                tuple(flags.get(path, ())), reviews.get(path), tuple(distinct.get(path, ()))
            )
            for path in sorted(set(flags) | set(reviews) | set(distinct), key=natural_path_key)
        }

    def curated_path_pages(self, page: int = 1000) -> Iterator[list[str]]:
        """The paths that have a flag or an OK mark in natural order, ``page`` at a time: one
        sorted pass over a store of any size."""
        try:
            rows = self._db.execute(
                "SELECT path FROM flags UNION SELECT path FROM reviews "
                f"ORDER BY 1 COLLATE {NATURAL}"
            )
            while paths := rows.fetchmany(page):
                yield [path for (path,) in paths]
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

    @_reads
    def not_duplicates(self) -> list[tuple[str, str]]:
        """(path, twin) of every pair judged not a duplicate (ImageState.distinct)."""
        return self._db.execute("SELECT path, twin FROM distinct_pairs").fetchall()

    @_reads
    def flagged_paths(self) -> set[str]:
        return {p for (p,) in self._db.execute("SELECT DISTINCT path FROM flags")}

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
            journal = self._writable()
            seq = max(self._meta("last_seq"), self._last_tried)  # a failed write's too
            lines = []
            for path, state in changes.items():  # a line per image: a line is bounded (LONGEST)
                seq += 1
                entry = {"seq": seq, "time": time.time(), "changes": {path: state.as_json()}}
                lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
            data = "".join(lines).encode()
            start = os.fstat(journal).st_size
            self._last_tried = seq
            try:
                _write_all(journal, data)
                os.fsync(journal)
                with _transaction(self._db):
                    _write_states(self._db, changes)
                    _set_meta(self._db, last_seq=seq, journal_offset=start + len(data))
            except BaseException as exc:
                trace = _take_back(journal, start)
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
    def writing(self) -> Iterator[None]:
        """Hold the writers' lock: reading states and applying a change made from them
        inside it, no other writer's change to those images comes in between (and is
        overwritten). Re-entrant; :meth:`apply` takes it too.

        >>> from explorer.core.curation import ImageRef, flag_images
        >>> with store.writing():
        ...     command = flag_images(store, [ImageRef("a.JPEG")], "corrupt")  # reads its state
        ...     store.apply(command.after)
        >>> store.state("a.JPEG").reasons
        ('corrupt',)
        """
        journal = self._writable()
        if self._writing:
            yield
            return
        with _writers_lock(journal, self.path):
            self._writing = True
            try:
                try:  # lines another writer left: read them, and follow, not reuse, their seqs
                    self._settle()
                except (OSError, sqlite3.Error) as exc:
                    raise _store_error(self.path, exc, "Nothing was changed.") from exc
                yield
            finally:
                self._writing = False

    # --- review queues -----------------------------------------------------------------

    def queue_add(self, items: Iterable[QueueItem]) -> None:
        """Add ``QueueItem``s (explorer.core.curation); an item already queued is updated."""
        self._writable()
        try:
            with _transaction(self._db):
                self._db.executemany(
                    "INSERT OR REPLACE INTO queue VALUES (?,?,?,?)",
                    [(i.path, i.source, i.note, i.suggested_wnid) for i in items],
                )
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from exc

    @_reads
    def queue(self, source: str | None = None) -> list[QueueEntry]:
        """(path, source, note, suggested wnid) of queued images, by path."""
        where, args = ("", ()) if source is None else (" WHERE source = ?", (source,))
        sql = f"SELECT * FROM queue{where} ORDER BY path COLLATE {NATURAL}, source"
        return self._db.execute(sql, args).fetchall()

    @_reads
    def queue_sources(self) -> dict[str, int]:
        """Queued images per source."""
        return dict(self._db.execute("SELECT source, count(*) FROM queue GROUP BY source"))

    # --- snapshots ---------------------------------------------------------------------

    def _snapshot(self) -> None:
        """Copy the store with SQLite's backup API; keep the newest KEEP_SNAPSHOTS."""
        folder = snapshots_dir(self.path)
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("*.tmp*"):  # a writer killed mid-snapshot; we hold the lock
            stale.unlink(missing_ok=True)
        seq = self._meta("last_seq")
        target = folder / f"flags-{seq:010d}-{time.strftime('%Y%m%dT%H%M%S')}.sqlite"
        with atomic_path(target, prefix=target.stem + "-") as tmp:  # 0600, fsync'd
            copy = sqlite3.connect(tmp)
            try:
                self._db.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one file: no -wal to leave behind
            finally:
                copy.close()
        for old in _snapshots(self.path)[KEEP_SNAPSHOTS:]:
            old.unlink(missing_ok=True)
        with _transaction(self._db):
            _set_meta(self._db, snapshot_seq=seq)

    def _snapshot_if_changed(self) -> None:
        if self._meta("last_seq") <= self._meta("snapshot_seq"):  # an empty store needs none
            return
        try:
            self._snapshot()
        except (OSError, sqlite3.Error) as exc:  # the journal holds every change meanwhile
            log.warning("No snapshot of the flag store %s: %s", self.path, exc)

    # --- following files ---------------------------------------------------------------

    def relink(self, catalogue: Catalogue) -> RelinkReport:
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
        present = catalogue.present_paths(states)
        lost = {path: state for path, state in states.items() if path not in present}
        keys = {path: _content_key(state) for path, state in lost.items()}
        sizes = sorted({size for _hash, size in keys.values() if size is not None})
        by_size: dict[int, list[tuple[str, str | bytes, str | None]]] = {}
        for image in catalogue.images_of_sizes(sizes):
            if image.path not in states:
                file = catalogue.absolute_path(image.path, image.raw_path)
                by_size.setdefault(image.size, []).append((image.path, file, image.content_hash))
        hashed: dict[str, str | None] = {}
        changes: dict[str, ImageState] = {}
        for old, state in lost.items():
            content_hash, size = keys[old]
            matches = []
            candidates = by_size.get(size, []) if content_hash and size is not None else []
            for path, file, audit_hash in candidates:
                if path not in hashed:
                    hashed[path] = audit_hash or file_digest(file)
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

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection; a StoreError once the store is closed."""
        if self.db is None:
            raise StoreError(f"The flag store {self.path} is closed; open it again to use it.")
        return self.db

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _writable(self) -> int:
        """The journal, to append to; a StoreError when the store cannot be written."""
        if self.read_only is not None:
            raise StoreError(
                f"The flag store {self.path} is read-only ({self.read_only}); nothing was "
                "changed. Make it writable, or copy the catalogue with its flag store "
                "(c.flags.*) to a folder you can write."
            )
        if self._journal is None:
            raise StoreError(f"The flag store {self.path} is closed; open it again to use it.")
        return self._journal

    def _settle(self) -> tuple[int, int]:
        """Under the writers' lock: cut a torn last line, replay the complete lines the
        database lacks (a writer stopped between its line and its commit), set aside
        lines that cannot be replayed. (lines replayed, lines newly set aside)"""
        set_aside = _cut_torn_tail(self.path)
        offset = self._meta("journal_offset")
        if os.fstat(self._writable()).st_size <= offset:
            return 0, set_aside
        last, replayed = self._meta("last_seq"), 0
        with _transaction(self._db):
            for start, end, line in _journal_lines(self.path, offset):
                try:
                    seq, changes = _parse_line(line)
                except ValueError as exc:
                    set_aside += _set_aside(self.path, start, line, str(exc))
                else:  # in the journal's order, which is the order they were written
                    _write_states(self._db, changes)
                    last, replayed = max(last, seq), replayed + 1
                offset = end
            _set_meta(self._db, last_seq=last, journal_offset=offset)
        return replayed, set_aside


def _take_back(journal: int, start: int) -> str | None:
    """Cut what a failed write added to the journal; None, or why that failed too.

    The writers' lock is still held, so no other writer has appended since
    (SQLite's own lock is gone when a commit fails on a full disk).
    """
    try:
        os.ftruncate(journal, start)
        os.fsync(journal)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
