"""SQLite helpers shared by the catalogue and the flag store: queries over a long list of
values, paths in natural order, and what a failure of SQLite or the file system means for
the user.

>>> db = sqlite3.connect(":memory:")
>>> _ = db.executescript("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);")
>>> sorted(select_in(db, "SELECT n FROM t WHERE n IN ({values})", range(2, 1000), size=500))
[(2,), (3,)]
>>> _ = (tmp / "notes.txt").write_text("not a database, " * 100)
>>> try:
...     sqlite3.connect(tmp / "notes.txt").execute("SELECT * FROM sqlite_master")
... except sqlite3.DatabaseError as exc:
...     failure(exc), why(exc)
('damaged', 'file is not a database')
>>> failure(OSError(errno.ENOSPC, "No space left on device"))
'full'
>>> add_natural_order(db)
>>> _ = db.executescript("CREATE TABLE p (path TEXT); INSERT INTO p VALUES ('a_10'), ('a_2');")
>>> db.execute(f"SELECT path FROM p ORDER BY path COLLATE {NATURAL}").fetchall()
[('a_2',), ('a_10',)]
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

# Values per IN (...) list: SQLite refuses more than 999 bound parameters before 3.32, and
# 500 costs no more per row than one long list (20,000 paths: the same 0.1 s).
CHUNK = 500

Failure = Literal["busy", "full", "read-only", "denied", "damaged", "other"]

_T = TypeVar("_T")

# The collation that orders paths as explorer.core.text.natural_path_key does (n01_2 before
# n01_10), for the lists sorted in SQL: ``ORDER BY path COLLATE natural_path``. Only for
# queries: no index or table is declared with it, so the files stay readable by any SQLite.
NATURAL = "natural_path"


def add_natural_order(db: sqlite3.Connection) -> None:
    """Give ``db`` the :data:`NATURAL` collation (every connection of the catalogue and
    of the flag store has it)."""
    db.create_collation(NATURAL, _natural_compare)


@functools.lru_cache(maxsize=1 << 16)  # a sort compares each path ~log2(n) times
def _natural_sort_key(path: str) -> tuple[Any, str]:
    from explorer.core.text import natural_path_key

    return natural_path_key(path), path  # equal keys (A.jpg, a.jpg): by their text


def _natural_compare(a: str, b: str) -> int:
    key_a, key_b = _natural_sort_key(a), _natural_sort_key(b)
    return -1 if key_a < key_b else int(key_a > key_b)


def chunks(values: Sequence[_T], size: int = CHUNK) -> Iterator[Sequence[_T]]:
    """``values`` ``size`` at a time."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(
    db: sqlite3.Connection,
    sql: str,
    values: Iterable[object],
    args: Sequence[object] = (),
    size: int = CHUNK,
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` for ``values``, asked ``size`` at a time: ``sql`` holds one
    ``IN ({values})``, which gets the placeholders, and takes ``args`` before them. The
    rows come chunk by chunk, in each chunk's order: sort them when the order matters.
    Each row is as SQLite gives it: the caller knows its columns' types."""
    values = values if isinstance(values, Sequence) else list(values)
    for chunk in chunks(values, size):
        yield from db.execute(sql.format(values=",".join("?" * len(chunk))), (*args, *chunk))


def failure(exc: BaseException, folder: str | os.PathLike[str] | None = None) -> Failure:
    """What a failure of SQLite (``sqlite3.Error``) or of the file system (``OSError``) means:
    another program holds the file (busy), no space left (full; ``folder``, where the file
    is, tells an I/O error from a full disk), the file or its folder cannot be written
    (read-only) or opened (denied), the file is damaged, or something else."""
    name = getattr(exc, "sqlite_errorname", "")
    number = getattr(exc, "errno", None)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "busy"
    if (
        name == "SQLITE_FULL"
        or number in (errno.ENOSPC, errno.EDQUOT)
        or (name.startswith("SQLITE_IOERR") and folder is not None and _no_space_left(folder))
    ):  # e.g. IOERR_SHMSIZE when the -shm cannot grow
        return "full"
    if name.startswith("SQLITE_READONLY") or number == errno.EROFS:
        return "read-only"
    if number in (errno.EACCES, errno.EPERM):
        return "denied"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return "damaged"
    return "other"


def why(exc: BaseException) -> str:
    """The failure in a few words: an OSError's strerror, else the message."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _no_space_left(folder: str | os.PathLike[str]) -> bool:
    try:
        return os.statvfs(Path(folder)).f_bavail == 0
    except OSError:
        return False
