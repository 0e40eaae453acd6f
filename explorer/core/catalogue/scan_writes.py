"""The SQL that the first index and a rescan both write a scan with: the scans table, the
rows in batches, labels given as offsets or names made wnids, the label counts, and the
scan's end."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import TypedDict

from explorer.core.catalogue.sources import Batch
from explorer.core.errors import CatalogueError
from explorer.core.jobs import JobState

# the distinct labels of a scan -> those that name a noun by offset or synset name, as wnids
AsWnids = Callable[[Iterable[str | None]], dict[str, str]]
# a folder and its rows (folders.FolderBatch), or a manifest's rows (in no folder: None)
Scanned = tuple[str | None, Batch | None]


class ScanFigures(TypedDict):
    """What one index or rescan did (the scans table keeps the first five)."""

    seen: int
    added: int
    changed: int
    restored: int
    newly_missing: int
    relabelled: int
    relabelled_examples: dict[str, str]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _relabel(conn: sqlite3.Connection, table: str, found: dict[str, str]) -> None:
    """Store the labels ``found`` in ``table`` as their wnids."""
    # one statement, whatever the number of labels: the scan table has no index to find them
    conn.execute("CREATE TEMP TABLE relabel (label TEXT PRIMARY KEY, wnid TEXT NOT NULL)")
    try:
        conn.executemany("INSERT INTO temp.relabel VALUES (?, ?)", found.items())
        conn.execute(
            f"UPDATE {table} SET wnid = (SELECT wnid FROM temp.relabel WHERE label = "
            f"{table}.wnid) WHERE wnid IN (SELECT label FROM temp.relabel)"
        )
    finally:
        conn.execute("DROP TABLE temp.relabel")


class _Relabelled(TypedDict):
    relabelled: int
    relabelled_examples: dict[str, str]


def _relabelled(found: dict[str, str]) -> _Relabelled:
    return {"relabelled": len(found), "relabelled_examples": dict(sorted(found.items())[:5])}


# A source's rows: from disk (path, raw_path, label, size, mtime_ns), and outside_root too
# from a folder with an odd name or a link; from a manifest (path, label), or (path, label,
# raw_path, outside_root) in a batch with an odd name (see manifests._stored)
_ROW_COLUMNS = {
    5: ("path", "raw_path", "wnid", "size", "mtime_ns"),
    6: ("path", "raw_path", "wnid", "size", "mtime_ns", "outside_root"),
    2: ("path", "wnid"),
    4: ("path", "wnid", "raw_path", "outside_root"),
}


def _insert(conn: sqlite3.Connection, table: str, batch: Batch) -> None:
    if batch:
        columns = _ROW_COLUMNS[len(batch[0])]
        marks = ",".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)


def _present(conn: sqlite3.Connection) -> int:
    # both counts read an index: a few ms for 1.3M images
    return int(
        conn.execute(
            "SELECT (SELECT count(*) FROM images) - (SELECT count(*) FROM images WHERE present = 0)"
        ).fetchone()[0]
    )


def _has_orders(conn: sqlite3.Connection) -> bool:
    # a catalogue indexed before the orders existed gets them at its next rescan
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM image_order)").fetchone()[0])


def _write_batches(
    conn: sqlite3.Connection,
    table: str,
    batches: Iterable[Batch],
    state: JobState,
    message: str,
    labels: set[str | None] | None = None,
) -> int:
    """Write every batch into ``table``, reporting progress; stop at a cancel. Returns rows.

    ``labels``, a set, collects the distinct labels: in C, a fifth of the time SQLite takes
    to find them in the table afterwards (3M rows: 0.17 s against 0.8 s).
    """
    seen = 0
    for batch in batches:
        if labels is not None and batch:
            labels.update(map(itemgetter(_ROW_COLUMNS[len(batch[0])].index("wnid")), batch))
        _insert(conn, table, batch)
        seen += len(batch)
        state.progress(seen, None, message)
        state.check()
    return seen


def _repeated_paths(conn: sqlite3.Connection, table: str) -> list[str]:
    rows = conn.execute(f"SELECT path FROM {table} GROUP BY path HAVING count(*) > 1 LIMIT 3")
    return [path for (path,) in rows]


def _repeated_paths_error(paths: list[str]) -> CatalogueError:
    return CatalogueError(
        f"The source lists the same path more than once ({', '.join(paths[:3])}); "
        "fix the manifest and index again."
    )


def _start_scan(conn: sqlite3.Connection, meta: dict[str, str]) -> int:
    scan = conn.execute(
        "INSERT INTO scans (started, layout) VALUES (?, ?)", (_now(), meta["layout"])
    ).lastrowid
    assert scan is not None  # an INSERT's row has an id
    return scan


def _count_labels(conn: sqlite3.Connection) -> None:
    # All images per label from the wnid index alone, minus the missing ones from their own
    # small index: a "WHERE present = 1" would read all 14 million rows of a big catalogue.
    conn.execute("DELETE FROM label_counts")
    conn.execute(
        "INSERT INTO label_counts SELECT wnid, count(*) FROM images INDEXED BY images_wnid "
        "GROUP BY wnid"
    )
    for wnid, missing in conn.execute(
        "SELECT wnid, count(*) FROM images WHERE present = 0 GROUP BY wnid"
    ).fetchall():
        conn.execute("UPDATE label_counts SET images = images - ? WHERE wnid IS ?", (missing, wnid))
    conn.execute("DELETE FROM label_counts WHERE images = 0")


def _finish_scan(
    conn: sqlite3.Connection, scan: int, meta: dict[str, str], figures: ScanFigures
) -> None:
    conn.execute("DELETE FROM meta WHERE key = 'labels'")  # gone after a --relayout
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
    conn.execute(
        "UPDATE scans SET finished = ?, seen = ?, added = ?, changed = ?, restored = ?, "
        "missing = ? WHERE id = ?",
        (
            _now(),
            figures["seen"],
            figures["added"],
            figures["changed"],
            figures["restored"],
            figures["newly_missing"],
            scan,
        ),
    )
