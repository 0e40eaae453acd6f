"""The catalogue audit: decode every image, record what is wrong with it, find duplicates.

A long job: it reports progress, stops when cancelled, and resumes where it
stopped (results are committed in small batches, each keyed to the file's
size and mtime, so only new or changed files are checked again). Files are
checked by :func:`explorer.core.images.check.check_image` in a few worker
processes (:class:`explorer.core.images.checkers.Checkers`), each check with a time
limit: a decode that runs longer is killed and its file is ``too_slow``, so an
audit never hangs on one file, and a cancel takes effect at once. Memory stays
bounded: images are read from the catalogue a batch at a time. Images outside
the catalogue root (:meth:`Catalogue.outside_root_paths`) are never read: they
are skipped, and counted.

>>> summary = audit_catalogue("train.sqlite", state=JobState())   # doctest: +SKIP
>>> report = audit_report(Catalogue.open("train.sqlite"))          # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from explorer.core.catalogue import Catalogue
from explorer.core.images.check import ImageCheck
from explorer.core.images.checkers import TIME_LIMIT, Checkers
from explorer.core.images.codes import AUDIT_CODES
from explorer.core.jobs import JobState

_BATCH = 256  # images per committed batch: the most a cancel or crash can lose
WORKERS = min(4, os.cpu_count() or 1)


@dataclass
class AuditSummary:
    """What one audit run did, and the state of the whole catalogue afterwards."""

    checked: int = 0  # files decoded by this run
    already_current: int = 0  # files whose result from an earlier run still holds
    cancelled: bool = False
    seconds: float = 0.0
    images: int = 0  # present images of the catalogue
    audited: int = 0  # of those, with a current result
    with_problems: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    duplicate_groups: int = 0
    missing: int = 0
    outside_root: int = 0  # present images outside the root: skipped, never read

    def as_dict(self) -> dict:
        return asdict(self)


def _pending_sql(recheck: bool) -> str:
    # A result holds while the file's size and mtime are those it was made for. Manifest
    # rows carry no size: their result holds until a --recheck.
    stale = "1" if recheck else (
        "a.image_id IS NULL OR (i.size IS NOT NULL AND "
        "(a.size IS NOT i.size OR a.mtime_ns IS NOT i.mtime_ns))"
    )  # fmt: skip
    return (
        "SELECT i.id, i.path, i.raw_path FROM images i LEFT JOIN audit a ON a.image_id = i.id "
        f"WHERE i.present = 1 AND i.outside_root = 0 AND ({stale})"
    )


def audit_catalogue(
    catalogue_path: str | os.PathLike,
    *,
    state: JobState | None = None,
    recheck: bool = False,
    workers: int = WORKERS,
    time_limit: float = TIME_LIMIT,
) -> AuditSummary:
    """Check every present image that has no current result; return an :class:`AuditSummary`.

    ``workers`` processes check the files, each for at most ``time_limit`` seconds.
    Cancelling (``state.cancel()``) keeps every result committed so far; the
    next run goes on from there.
    """
    state = state or JobState()
    started = time.monotonic()
    summary = AuditSummary()
    with Catalogue.open(catalogue_path, write=True) as catalogue:
        db = catalogue.db.conn
        pending_sql = _pending_sql(recheck)
        total = db.execute(f"SELECT count(*) FROM ({pending_sql})").fetchone()[0]
        present = db.execute("SELECT count(*) FROM images WHERE present = 1").fetchone()[0]
        summary.already_current = present - catalogue.outside_root_count() - total
        state.progress(0, total, "Auditing images")
        last_id = 0
        with Checkers(min(workers, total), time_limit) as checkers:
            while True:
                batch = db.execute(
                    f"{pending_sql} AND i.id > ? ORDER BY i.id LIMIT ?", (last_id, _BATCH)
                ).fetchall()
                if not batch:
                    break
                locations = [catalogue.absolute_path(path, raw) for _, path, raw in batch]
                results = None if state.cancelled else checkers.check(locations, state)
                if results is None:
                    summary.cancelled = True
                    break
                _store(db, [(row[0], *result) for row, result in zip(batch, results, strict=True)])
                last_id = batch[-1][0]
                summary.checked += len(batch)
                state.progress(summary.checked, total, "Auditing images")
        report = audit_report(catalogue)
    summary.seconds = round(time.monotonic() - started, 3)
    for key in ("images", "audited", "with_problems", "by_code", "duplicate_groups", "missing",
                "outside_root"):  # fmt: skip
        setattr(summary, key, report["summary"][key])
    return summary


def _store(db, results: list[tuple[int, ImageCheck, int | None, int | None]]) -> None:
    checked = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    with db:  # one transaction per batch: a cancel or crash loses at most this batch
        db.executemany(
            "INSERT OR REPLACE INTO audit (image_id, size, mtime_ns, hash, problems, detail, "
            "checked) VALUES (?,?,?,?,?,?,?)",
            [
                (image_id, size, mtime, r.content_hash, ",".join(r.problems), r.detail, checked)
                for image_id, r, size, mtime in results
            ],
        )
        db.executemany(
            "UPDATE images SET format = ?, width = ?, height = ?, mode = ? WHERE id = ?",
            [(r.format, r.width, r.height, r.mode, image_id) for image_id, r, _, _ in results],
        )


_AUDITED = "i.present = 1 AND i.outside_root = 0"  # the images an audit reads


def audit_report(catalogue: Catalogue, limit: int | None = None) -> dict:
    """``{"summary": {...}, "images": [{path, wnid, problems, ...}]}`` for images with problems.

    Duplicates (the same bytes at several paths) carry ``duplicate`` and the
    other paths; images the last scan no longer found carry ``missing``.
    Images outside the root are only counted (``outside_root``), even those an
    audit checked before a rescan found them outside.
    """
    db = catalogue.db.conn
    duplicate_paths: dict[str, list[str]] = {}
    for digest, path in db.execute(
        f"SELECT a.hash, i.path FROM audit a JOIN images i ON i.id = a.image_id WHERE {_AUDITED} "
        "AND a.hash IN (SELECT a2.hash FROM audit a2 JOIN images i2 ON i2.id = a2.image_id "
        "WHERE i2.present = 1 AND i2.outside_root = 0 AND a2.hash IS NOT NULL "
        "GROUP BY a2.hash HAVING count(*) > 1) ORDER BY i.path"
    ):
        duplicate_paths.setdefault(digest, []).append(path)
    images = []
    by_code: Counter[str] = Counter()
    for path, wnid, problems, digest, detail, fmt, width, height, mode in db.execute(
        "SELECT i.path, i.wnid, a.problems, a.hash, a.detail, i.format, i.width, i.height, "
        f"i.mode FROM audit a JOIN images i ON i.id = a.image_id WHERE {_AUDITED} "
        "AND (a.problems != '' OR a.hash IN (SELECT value FROM json_each(?))) ORDER BY i.path",
        (json.dumps(list(duplicate_paths)),),
    ):
        codes = [c for c in problems.split(",") if c]
        entry = {"path": path, "wnid": wnid, "problems": codes}
        if digest in duplicate_paths:
            codes.append("duplicate")
            entry["same_as"] = [p for p in duplicate_paths[digest] if p != path]
        entry.update(format=fmt, width=width, height=height, mode=mode)
        if detail:
            entry["detail"] = detail
        by_code.update(codes)
        images.append(entry)
    missing = [
        {"path": path, "wnid": wnid, "problems": ["missing"]}
        for path, wnid in db.execute(
            "SELECT path, wnid FROM images WHERE present = 0 ORDER BY path"
        )
    ]
    by_code["missing"] = len(missing)
    present = db.execute("SELECT count(*) FROM images WHERE present = 1").fetchone()[0]
    outside = catalogue.outside_root_count()
    audited = db.execute(
        f"SELECT count(*) FROM audit a JOIN images i ON i.id = a.image_id WHERE {_AUDITED}"
    ).fetchone()[0]
    summary = {
        "images": present,
        "audited": audited,
        "not_audited": present - outside - audited,
        "outside_root": outside,
        "with_problems": len(images),
        "by_code": {code: by_code[code] for code in AUDIT_CODES if by_code[code]},
        "duplicate_groups": len(duplicate_paths),
        "missing": len(missing),
    }
    listed = images + missing
    return {"summary": summary, "images": listed if limit is None else listed[:limit]}
