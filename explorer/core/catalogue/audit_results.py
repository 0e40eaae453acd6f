"""The catalogue's audit results: what the audit found for each file version.

An audit reads the present images inside the root (_AUDITED); each result is keyed to
the file's size and mtime, and holds while they do (a manifest row has neither: its
result holds until a recheck).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import cast

from explorer.core.catalogue.rows import AuditFinding, AuditRecord
from explorer.core.catalogue.tables import CatalogueTables, sqlite_errors
from explorer.core.sql import NATURAL


class AuditResults(CatalogueTables):
    @sqlite_errors
    def audit_pending_count(self, recheck: bool = False) -> int:
        """The images an audit would check: those without a current result (all with
        ``recheck``)."""
        return self._count(f"SELECT count(*) FROM ({_pending_sql(recheck)})")

    def images_to_audit(
        self, recheck: bool = False, batch: int = 256
    ) -> Iterator[list[tuple[int, str, bytes | None]]]:
        """(id, path, raw_path) of the images :meth:`audit_pending_count` counts, ``batch`` at
        a time by id, as :meth:`record_audit` records them."""
        return self._pages_by_id(_pending_sql(recheck), batch)

    @sqlite_errors
    def record_audit(self, records: Iterable[AuditRecord]) -> None:
        """Store audit results (:class:`AuditRecord`), replacing earlier ones, in one
        transaction: a cancel or crash loses the batch, not the results before it."""
        records = list(records)
        checked = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        conn = self._db.conn
        with conn:
            conn.executemany(
                "INSERT OR REPLACE INTO audit (image_id, size, mtime_ns, hash, problems, detail, "
                "checked) VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        r.image_id,
                        r.size,
                        r.mtime_ns,
                        r.content_hash,
                        ",".join(r.problems),
                        r.detail,
                        checked,
                    )
                    for r in records
                ],
            )
            conn.executemany(
                "UPDATE images SET format = ?, width = ?, height = ?, mode = ? WHERE id = ?",
                [(r.format, r.width, r.height, r.mode, r.image_id) for r in records],
            )

    @sqlite_errors
    def audited_count(self) -> int:
        """Images with an audit result among those an audit reads."""
        return self._count(
            f"SELECT count(*) FROM audit a JOIN images i ON i.id = a.image_id WHERE {_AUDITED}"
        )

    @sqlite_errors
    def duplicate_paths(self) -> dict[str, list[str]]:
        """content hash -> paths (in natural order) of audited images whose bytes are the same."""
        duplicates: dict[str, list[str]] = {}
        for digest, path in self._db.execute(
            "SELECT a.hash, i.path FROM audit a JOIN images i ON i.id = a.image_id "
            f"WHERE {_AUDITED} AND a.hash IN (SELECT a2.hash FROM audit a2 JOIN images i2 "
            "ON i2.id = a2.image_id WHERE i2.present = 1 AND i2.outside_root = 0 "
            "AND a2.hash IS NOT NULL GROUP BY a2.hash HAVING count(*) > 1) "
            f"ORDER BY i.path COLLATE {NATURAL}"
        ):
            duplicates.setdefault(digest, []).append(path)
        return duplicates

    @sqlite_errors
    def audit_finding_groups(
        self, content_hashes: Iterable[str] = ()
    ) -> list[tuple[tuple[str, ...], int, int]]:
        """:meth:`audit_findings` counted by their problem codes: (codes, images, how many
        of them have one of ``content_hashes``), one pass in SQL, for the summary."""
        rows = self._db.execute(
            "SELECT a.problems, count(*), "
            "coalesce(sum(a.hash IN (SELECT value FROM json_each(?))), 0) FROM audit a "
            f"JOIN images i ON i.id = a.image_id WHERE {_AUDITED} "
            "AND (a.problems != '' OR a.hash IN (SELECT value FROM json_each(?))) "
            "GROUP BY a.problems",
            (json.dumps(list(content_hashes)),) * 2,
        )
        return [
            (tuple(c for c in problems.split(",") if c), images, duplicated)
            for problems, images, duplicated in rows
        ]

    @sqlite_errors
    def audit_findings(self, content_hashes: Iterable[str] = ()) -> list[AuditFinding]:
        """The audited images with problems, or with one of ``content_hashes`` (the
        duplicates), in natural path order: :class:`AuditFinding`."""
        return list(self.iter_audit_findings(content_hashes))

    def iter_audit_findings(self, content_hashes: Iterable[str] = ()) -> Iterator[AuditFinding]:
        """:meth:`audit_findings` one at a time, as they are read: memory bounded whatever
        the number of findings (read the rows before writing to this catalogue).

        They come in the stored path order (:mod:`.orders`), a chunk of 65,536 images
        at a time, so nothing is sorted: ImageNet-21k's 14.2 million findings (its files
        absent) would take minutes to sort in natural order.
        """
        from explorer.core.catalogue.orders import ensure_orders, order_chunks
        from explorer.core.catalogue.store import Catalogue

        catalogue = cast(Catalogue, self)  # the one class made of these parts
        ensure_orders(catalogue)
        hashes = json.dumps(list(content_hashes))
        columns = (
            "a.image_id, i.path, i.wnid, a.problems, a.hash, a.detail, i.format, i.width, "
            f"i.height, i.mode FROM audit a JOIN images i ON i.id = a.image_id WHERE {_AUDITED} "
            "AND (a.problems != '' OR a.hash IN (SELECT value FROM json_each(?)))"
        )
        try:
            for chunk, _labels in order_chunks(catalogue, "path"):
                for start in range(0, len(chunk), _FINDINGS_SLICE):  # a few MB of rows each
                    ids = chunk[start : start + _FINDINGS_SLICE].tolist()
                    low, high = min(ids), max(ids)
                    if high - low < 4 * len(ids):  # a few folders' ids: one range
                        rows = self._db.execute(
                            f"SELECT {columns} AND a.image_id BETWEEN ? AND ?", (hashes, low, high)
                        )
                    else:
                        rows = self._db.execute(
                            f"SELECT {columns} AND a.image_id IN (SELECT value FROM json_each(?))",
                            (hashes, json.dumps(ids)),
                        )
                    found = {row[0]: row for row in rows}
                    for image_id in ids:
                        if (row := found.get(image_id)) is not None:
                            _, path, wnid, problems, *rest = row
                            codes = tuple(c for c in problems.split(",") if c)
                            yield AuditFinding(path, wnid, codes, *rest)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc


def _pending_sql(recheck: bool) -> str:
    # A result holds while the file's size and mtime are those it was made for. Manifest
    # rows carry no size: their result holds until a --recheck.
    stale = (
        "1"
        if recheck
        else (
            "a.image_id IS NULL OR (i.size IS NOT NULL AND "
            "(a.size IS NOT i.size OR a.mtime_ns IS NOT i.mtime_ns))"
        )
    )
    return (
        "SELECT i.id, i.path, i.raw_path FROM images i LEFT JOIN audit a ON a.image_id = i.id "
        f"WHERE i.present = 1 AND i.outside_root = 0 AND ({stale})"
    )


_AUDITED = "i.present = 1 AND i.outside_root = 0"  # the images an audit reads
_FINDINGS_SLICE = 4096  # images of the path order whose findings are read at once
