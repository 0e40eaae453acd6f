"""What the parts of :class:`~explorer.core.catalogue.store.Catalogue` share: its connection,
path and meta, and the guard that turns SQLite's failures into a CatalogueError.

The catalogue's methods live in a few classes by subject (the images and listings in
store.py, audit results, perceptual hashes); each is a :class:`CatalogueTables`, and only
this package runs SQL on the catalogue's tables.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import sqlite_utils

from explorer.core.catalogue.opening import _catalogue_error


class CatalogueTables:
    def __init__(self, path: Path, db: sqlite_utils.Database, meta: dict[str, str]) -> None:
        self.path = path
        self._db = db  # for this package only (indexing writes through it)
        self.meta = meta

    def _count(self, sql: str, args: tuple[object, ...] = ()) -> int:
        """The one number ``sql`` (a ``SELECT count(*)``) gives."""
        return int(self._db.execute(sql, args).fetchone()[0])

    def _error(self, exc: sqlite3.Error) -> Exception:
        return _catalogue_error(self.path, exc, self.meta.get("source"))

    def _pages_by_id(self, sql: str, batch: int) -> Iterator[list[tuple[int, str, bytes | None]]]:
        """The rows of ``sql`` (a SELECT whose first column is the image id, open to
        ``AND i.id > ? ORDER BY i.id LIMIT ?``), ``batch`` at a time. Each page is asked for
        when the last is done with, so rows changed meanwhile (a result recorded) are not
        asked for again, and memory stays bounded."""
        page_sql = f"{sql} AND i.id > ? ORDER BY i.id LIMIT ?"
        last_id = 0
        while True:
            try:
                rows = self._db.execute(page_sql, (last_id, batch)).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            if not rows:
                return
            yield rows
            last_id = rows[-1][0]


_Self = TypeVar("_Self", bound=CatalogueTables)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def sqlite_errors(
    method: Callable[Concatenate[_Self, _P], _R],
) -> Callable[Concatenate[_Self, _P], _R]:
    """A catalogue method: a failure of SQLite (busy, full, damaged...) becomes a
    CatalogueError that says what to do."""

    @functools.wraps(method)
    def guarded(self: _Self, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    return guarded
