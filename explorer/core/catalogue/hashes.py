"""The catalogue's perceptual hashes: one per image, keyed to the file version it was made from.

Like audit results, a hash holds while the file's size and mtime are those it was made
for (a manifest's row has neither: its hash holds until the image is hashed again with
``rehash``), so a rescan followed by hashing reads only new and changed files. Values are
stored as SQLite's signed 64-bit integers and read back as numpy ``uint64``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np

from explorer.core.catalogue.tables import CatalogueTables, sqlite_errors
from explorer.core.sql import select_in

_SIGN = 1 << 63


class HashRecord(NamedTuple):
    """One image's hashes, as :meth:`PerceptualHashes.record_hashes` stores them."""

    image_id: int
    size: int | None  # the file version hashed (None: it could not be read)
    mtime_ns: int | None
    value: int | None  # the 64-bit perceptual hash; None: not hashable (see error)
    content: str | None  # BLAKE2b-16 of the bytes
    error: str = ""


def to_signed(value: int) -> int:
    """A 64-bit hash as SQLite stores it."""
    return value - (1 << 64) if value >= _SIGN else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


_HASHED = "i.present = 1 AND i.outside_root = 0"  # the images hashing reads


def _pending_sql(rehash: bool) -> str:
    stale = (
        "1"
        if rehash
        else (
            "h.image_id IS NULL OR (i.size IS NOT NULL AND "
            "(h.size IS NOT i.size OR h.mtime_ns IS NOT i.mtime_ns))"
        )
    )
    return (
        "SELECT i.id, i.path, i.raw_path FROM images i LEFT JOIN phash h ON h.image_id = i.id "
        f"WHERE {_HASHED} AND ({stale})"
    )


class PerceptualHashes(CatalogueTables):
    @sqlite_errors
    def hash_pending_count(self, rehash: bool = False) -> int:
        """The images hashing would read: those without a current hash (all with ``rehash``)."""
        return self._count(f"SELECT count(*) FROM ({_pending_sql(rehash)})")

    def images_to_hash(
        self, rehash: bool = False, batch: int = 2048
    ) -> Iterator[list[tuple[int, str, bytes | None]]]:
        """(id, path, raw_path) of the images :meth:`hash_pending_count` counts, ``batch`` at
        a time in id order (so in folder order for a folder), as they are hashed."""
        return self._pages_by_id(_pending_sql(rehash), batch)

    @sqlite_errors
    def record_hashes(self, records: Iterable[HashRecord]) -> None:
        """Store hashes, replacing earlier ones, in one transaction."""
        conn = self._db.conn
        with conn:
            conn.executemany(
                "INSERT OR REPLACE INTO phash (image_id, size, mtime_ns, value, content, error) "
                "VALUES (?,?,?,?,?,?)",
                [
                    (
                        r.image_id,
                        r.size,
                        r.mtime_ns,
                        None if r.value is None else to_signed(r.value),
                        r.content,
                        r.error,
                    )
                    for r in records
                ],
            )

    @sqlite_errors
    def hashed_count(self) -> int:
        """Images read by hashing that have a hash (current or not), unhashable ones included."""
        return self._count(
            f"SELECT count(*) FROM phash h JOIN images i ON i.id = h.image_id WHERE {_HASHED}"
        )

    @sqlite_errors
    def unhashable(self, limit: int = 20) -> list[tuple[str, str]]:
        """(path, why) of images that could not be hashed, the first ``limit`` by id."""
        return self._db.execute(
            "SELECT i.path, h.error FROM phash h JOIN images i ON i.id = h.image_id "
            f"WHERE {_HASHED} AND h.value IS NULL ORDER BY i.id LIMIT ?",
            (limit,),
        ).fetchall()

    @sqlite_errors
    def unhashable_count(self) -> int:
        return self._count(
            "SELECT count(*) FROM phash h JOIN images i ON i.id = h.image_id "
            f"WHERE {_HASHED} AND h.value IS NULL"
        )

    @sqlite_errors
    def hash_arrays(self, batch: int = 1 << 16) -> tuple[np.ndarray, np.ndarray]:
        """(image ids as int64, hashes as uint64) of every hashed image the pair search
        compares, in id order, read a batch at a time into growing arrays (16 bytes an
        image: 227 MB for ImageNet-21k's 14.2 million)."""
        ids: list[np.ndarray] = []
        values: list[np.ndarray] = []
        cursor = self._db.execute(
            "SELECT h.image_id, h.value FROM phash h JOIN images i ON i.id = h.image_id "
            f"WHERE {_HASHED} AND h.value IS NOT NULL ORDER BY h.image_id"
        )
        while rows := cursor.fetchmany(batch):
            block = np.array(rows, dtype=np.int64).reshape(-1, 2)
            ids.append(block[:, 0].copy())
            values.append(block[:, 1].view(np.uint64).copy())
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        return np.concatenate(ids), np.concatenate(values)

    @sqlite_errors
    def content_hashes(self, ids: Iterable[int]) -> dict[int, str | None]:
        """image id -> its recorded content hash, for the ids asked that have one."""
        found: dict[int, str | None] = {}
        sql = "SELECT image_id, content FROM phash WHERE image_id IN ({values})"
        for image_id, content in select_in(self._db.conn, sql, list(ids)):
            found[image_id] = content
        return found
