"""A rescan: a fresh scan compared with the catalogue's rows, inside one transaction.

Each folder's digest (folders.SeenFolders) says whether it changed since the last scan: the
folders whose digest is the same are passed over, a changed one is compared with its own
rows, and a count checks that the digests and the rows agree (else every row is compared).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

import sqlite_utils

from explorer.core.catalogue.folders import SeenFolders
from explorer.core.catalogue.orders import write_orders
from explorer.core.catalogue.scan_writes import (
    _ROW_COLUMNS,
    AsWnids,
    ScanFigures,
    Scanned,
    _count_labels,
    _finish_scan,
    _has_orders,
    _insert,
    _present,
    _relabel,
    _relabelled,
    _repeated_paths,
    _repeated_paths_error,
    _start_scan,
)
from explorer.core.catalogue.sources import Batch
from explorer.core.catalogue.store import Catalogue
from explorer.core.jobs import JobState


def _stored_digests(target: Path) -> dict[str, bytes]:
    """Each folder's digest as the last scan left it (none in a catalogue of a manifest or
    of a version before them)."""
    with Catalogue.open(target) as existing:
        return dict(existing._db.execute("SELECT folder, digest FROM folder_digests"))


def _store_digests(conn: sqlite3.Connection, folders: SeenFolders) -> None:
    """Keep the digests of the folders just scanned: only those that changed are written."""
    if not folders.stored:  # every row was compared (no digests, or they were out of step):
        conn.execute("DELETE FROM folder_digests")  # the found ones are the whole truth
    conn.executemany(
        "DELETE FROM folder_digests WHERE folder = ?",
        [(folder,) for folder in folders.vanished()],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO folder_digests (folder, digest) VALUES (?, ?)",
        [(f, digest) for f, digest in folders.found.items() if folders.stored.get(f) != digest],
    )


def _rescan(
    db: sqlite_utils.Database,
    scanned: Iterable[Scanned],
    meta: dict[str, str],
    state: JobState,
    as_wnids: AsWnids,
    folders: SeenFolders | None,
) -> ScanFigures:
    """Compare a fresh scan with the catalogue, in SQL, inside one transaction.

    The folders passed over (their digest unchanged) hold the rows the catalogue has:
    nothing of theirs is compared or written. A changed folder that the last scan listed
    is compared with its rows here, and only its new and differing rows go to the scan
    table; every row does without digests (a manifest, an earlier version's catalogue).
    With nothing changed, the label counts and the orders stay as they are.
    """
    conn = db.conn
    conn.execute(
        "CREATE TEMP TABLE scan (path TEXT, raw_path BLOB, wnid TEXT, size INTEGER, "
        "mtime_ns INTEGER, outside_root INTEGER NOT NULL DEFAULT 0)"
    )
    try:
        with db.atomic():
            scan = _start_scan(conn, meta)
            message = f"Rescanning {meta['source']}"
            labels: set[str | None] = set()
            listed = _write_changes(conn, scanned, folders, state, message, labels)
            seen = listed.rows + (folders.unchanged_images if folders is not None else 0)
            # a catalogue with digests has one for every folder that holds a present image
            by_folder = folders is not None and bool(folders.stored)
            # relabelled before the comparison, or every such image would count as changed
            found = as_wnids(labels)
            if found:
                _relabel(conn, "temp.scan", found)
            conn.execute("CREATE INDEX temp.scan_path ON scan (path)")
            repeated = _repeated_paths(conn, "temp.scan")
            if repeated:
                raise _repeated_paths_error(repeated)
            differs = (
                "(i.size IS NOT s.size OR i.mtime_ns IS NOT s.mtime_ns OR i.wnid IS NOT s.wnid "
                "OR i.raw_path IS NOT s.raw_path OR i.outside_root IS NOT s.outside_root)"
            )
            changed, restored = conn.execute(
                f"SELECT coalesce(sum(i.present = 1 AND {differs}), 0), "
                "coalesce(sum(i.present = 0), 0) FROM images i JOIN scan s ON s.path = i.path"
            ).fetchone()
            conn.execute(
                "UPDATE images AS i SET size = s.size, mtime_ns = s.mtime_ns, wnid = s.wnid, "
                "raw_path = s.raw_path, outside_root = s.outside_root, present = 1 "
                f"FROM scan s WHERE s.path = i.path AND (i.present = 0 OR {differs})"
            )
            if folders is not None and by_folder:
                conn.executemany(
                    "UPDATE images SET present = 0 WHERE id = ?", ((i,) for i in listed.gone)
                )
                whole = folders.vanished() + listed.whole  # none of their rows left out
                newly_missing = len(listed.gone) + _mark_missing(conn, whole)
            else:
                newly_missing = conn.execute(
                    "UPDATE images SET present = 0 WHERE present = 1 AND NOT EXISTS "
                    "(SELECT 1 FROM scan s WHERE s.path = images.path)"
                ).rowcount
            added = conn.execute(
                "INSERT INTO images (path, raw_path, wnid, size, mtime_ns, outside_root) "
                "SELECT path, raw_path, wnid, size, mtime_ns, outside_root "
                "FROM scan s WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.path = s.path)"
            ).rowcount
            if by_folder and _present(conn) != seen:
                raise _DigestsOutOfStep  # rolls back: index_catalogue scans again, whole
            figures: ScanFigures = {
                "seen": seen,
                "added": added,
                "changed": changed,
                "restored": restored,
                "newly_missing": newly_missing,
                **_relabelled(found),
            }
            if added or changed or restored or newly_missing or not _has_orders(conn):
                _count_labels(conn)
                write_orders(conn, state)
            if folders is not None:
                _store_digests(conn, folders)
            _finish_scan(conn, scan, meta, figures)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.scan")
    return figures


@dataclass
class _Listed:
    rows: int = 0  # listed in the folders not passed over
    gone: list[int] = field(default_factory=list)  # present images the folders compared lack
    whole: list[str] = field(default_factory=list)  # folders whose rows all went to the table


# A folder with more rows is compared whole in SQL: its rows are not all held in Python.
_FOLDER_ROWS_HELD = 1 << 16


def _write_changes(
    conn: sqlite3.Connection,
    scanned: Iterable[Scanned],
    folders: SeenFolders | None,
    state: JobState,
    message: str,
    labels: set[str | None],
) -> _Listed:
    """Write to the scan table the rows to compare in SQL, reporting progress; stop at a
    cancel. ``labels`` collects their distinct labels."""
    listed = _Listed()
    for folder, batch in scanned:
        if batch is not None:  # None: passed over, its rows are the catalogue's
            listed.rows += len(batch)
            if folder is not None and folders is not None and folder in folders.stored:
                compared = _differing_rows(conn, folder, batch)
                if compared is None:
                    listed.whole.append(folder)
                else:
                    batch, gone = compared
                    listed.gone += gone
            if batch:
                labels.update(map(itemgetter(_ROW_COLUMNS[len(batch[0])].index("wnid")), batch))
                _insert(conn, "temp.scan", batch)
        unchanged = folders.unchanged_images if folders is not None else 0
        state.progress(listed.rows + unchanged, None, message)
        state.check()
    return listed


def _differing_rows(
    conn: sqlite3.Connection, folder: str, batch: Batch
) -> tuple[Batch, list[int]] | None:
    """A changed folder's rows without those the catalogue holds as they are (new, changed
    and missing ones remain), and the ids of its present images that it no longer lists.
    None for a folder too large to hold here: its rows are all compared in SQL.

    Reading a folder's rows to compare them here costs less than writing them all to the
    scan table and joining it: 1.28M files with a change in each of their 1,000 folders,
    9.5 s of CPU for the whole rescan against 13 s.
    """
    if len(batch) > _FOLDER_ROWS_HELD:
        return None
    within: tuple[str, ...] = (folder, folder[:-1] + "0") if folder else ()
    held = conn.execute(
        "SELECT path, raw_path, wnid, size, mtime_ns, outside_root, present, id FROM images "
        "WHERE "
        + ("path >= ? AND path < ? AND " if within else "")
        + "instr(substr(path, ?), '/') = 0",
        (*within, len(folder) + 1),
    ).fetchmany(_FOLDER_ROWS_HELD + 1)
    if len(held) > _FOLDER_ROWS_HELD:
        return None
    by_path = {row[0]: row for row in held}
    differing = []
    for row in cast("Iterable[Any]", batch):  # rows (path, raw_path, label, size, mtime[, out])
        stored = by_path.pop(row[0], None)
        if (
            stored is None
            or not stored[6]  # missing: restored
            or stored[1:5] != row[1:5]
            or stored[5] != (row[5] if len(row) > 5 else 0)
        ):
            differing.append(row)
    return differing, [row[7] for row in by_path.values() if row[6]]


class _DigestsOutOfStep(Exception):
    """A rescan that passed over folders found present images it cannot account for."""


def _mark_missing(conn: sqlite3.Connection, folders: Iterable[str]) -> int:
    """Mark missing the present images directly in ``folders`` (not in their subfolders,
    which have digests of their own) that the scan table does not list. Returns how many.

    A folder's images are a range of the path index: ``a/b/`` up to ``a/b0`` ("0" follows
    "/"), which the root ("") is not: it reads them all.
    """
    newly_missing = 0
    for folder in folders:
        within: tuple[str, ...] = (folder, folder[:-1] + "0") if folder else ()
        newly_missing += conn.execute(
            "UPDATE images SET present = 0 WHERE "
            + ("path >= ? AND path < ? AND " if within else "")
            + "present = 1 AND instr(substr(path, ?), '/') = 0 "
            "AND NOT EXISTS (SELECT 1 FROM scan s WHERE s.path = images.path)",
            (*within, len(folder) + 1),
        ).rowcount
    return newly_missing
