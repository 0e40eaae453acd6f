"""SQLite helpers shared by the catalogue and the flag store: queries over a long list of
values, and what a failure of SQLite or the file system means for the user.

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
"""

from __future__ import annotations

import errno
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
