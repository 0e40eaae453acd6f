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

>>> summary = audit_catalogue(catalogue_path, state=JobState())    # audited already: resumes
>>> summary.checked, summary.already_current == summary.images - summary.outside_root
(0, True)
>>> report = audit_report(catalogue)
>>> report["summary"]["by_code"]
{'zero_byte': 1, 'truncated': 1, 'extension_mismatch': 1, 'cmyk': 1, 'grayscale': 1,
 'exif_rotated': 1, 'tiny': 1, 'duplicate': 2}
>>> report["images"][1]
{'path': 'n01443537/n01443537_15.JPEG', 'wnid': 'n01443537', 'problems': ['truncated'],
 'format': 'JPEG', 'width': 400, 'height': 300, 'mode': 'RGB',
 'detail': 'image file is truncated ...'}
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, NotRequired, TextIO, TypedDict

from explorer.core.catalogue import AuditRecord, Catalogue
from explorer.core.cluster import ClusterSpec, location_shards, run_job
from explorer.core.errors import CatalogueError
from explorer.core.images.check import ImageCheck
from explorer.core.images.checkers import TIME_LIMIT, Checked, Checkers, checked_all
from explorer.core.images.codes import AUDIT_CODES
from explorer.core.jobs import JobState

_BATCH = 256  # images per committed batch: the most a cancel or crash can lose
_PROGRESS_EVERY = 1 << 14  # report entries written between progress reports
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AuditTotals(TypedDict):
    """The whole catalogue's figures in :func:`audit_report`."""

    images: int  # present images
    audited: int  # of those, with a current result
    not_audited: int  # present, inside the root, with no current result
    outside_root: int  # present, outside the root: never read
    with_problems: int
    by_code: dict[str, int]  # images per audit code (AUDIT_CODES, in its order)
    duplicate_groups: int
    missing: int


class AuditEntry(TypedDict):
    """An image with problems in :func:`audit_report`; a missing one has only the first three."""

    path: str
    wnid: str | None
    problems: list[str]  # audit codes
    same_as: NotRequired[list[str]]  # a duplicate's other paths
    format: NotRequired[str | None]
    width: NotRequired[int | None]
    height: NotRequired[int | None]
    mode: NotRequired[str | None]
    detail: NotRequired[str]  # the first error met, when there was one


class AuditReport(TypedDict):
    summary: AuditTotals
    images: list[AuditEntry]


def audit_catalogue(
    catalogue_path: str | os.PathLike[str],
    *,
    state: JobState | None = None,
    recheck: bool = False,
    workers: int = WORKERS,
    time_limit: float = TIME_LIMIT,
    cluster: ClusterSpec | None = None,
) -> AuditSummary:
    """Check every present image that has no current result; return an :class:`AuditSummary`.

    In-process (``cluster`` None), ``workers`` processes check the files, each for at
    most ``time_limit`` seconds; on a Dask ``cluster``, its workers check them a shard
    at a time (:mod:`explorer.core.cluster`). Either way only this process writes, a
    batch or a shard per transaction: cancelling (``state.cancel()``) keeps every
    result committed so far, and the next run goes on from there.
    """
    if workers < 1:
        raise ValueError(f"An audit needs at least one worker process, not {workers}.")
    state = state or JobState()
    started = time.monotonic()
    summary = AuditSummary()
    with Catalogue.open(catalogue_path, write=True) as catalogue:
        total = catalogue.audit_pending_count(recheck)
        summary.already_current = catalogue.present_count() - catalogue.outside_root_count() - total
        state.progress(0, total, "Auditing images")
        if cluster is None:
            _audit_here(catalogue, recheck, min(workers, total), time_limit, state, summary, total)
        elif total:
            _audit_on_cluster(catalogue, recheck, cluster, state, summary, total)
        totals = _audit_totals(catalogue, catalogue.duplicate_paths())
    summary.seconds = round(time.monotonic() - started, 3)
    summary.images, summary.audited = totals["images"], totals["audited"]
    summary.with_problems, summary.by_code = totals["with_problems"], totals["by_code"]
    summary.duplicate_groups, summary.missing = totals["duplicate_groups"], totals["missing"]
    summary.outside_root = totals["outside_root"]
    return summary


def _audit_here(
    catalogue: Catalogue,
    recheck: bool,
    workers: int,
    time_limit: float,
    state: JobState,
    summary: AuditSummary,
    total: int,
) -> None:
    with _workers(workers, time_limit) as checkers:
        for batch in catalogue.images_to_audit(recheck, _BATCH):
            locations = [catalogue.absolute_path(path, raw) for _, path, raw in batch]
            results = None if state.cancelled else checkers.check(locations, state)
            if results is None:
                summary.cancelled = True
                return
            _record_all(catalogue, [image_id for image_id, _, _ in batch], results)
            summary.checked += len(batch)
            state.progress(summary.checked, total, "Auditing images")


def _audit_on_cluster(
    catalogue: Catalogue,
    recheck: bool,
    spec: ClusterSpec,
    state: JobState,
    summary: AuditSummary,
    total: int,
) -> None:
    rows = itertools.chain.from_iterable(catalogue.images_to_audit(recheck, _BATCH))
    shards = location_shards(catalogue, rows, spec)
    message = f"Auditing images on {spec.describe()}"
    for ids, results in run_job(spec, catalogue.root, checked_all, shards, state):
        _record_all(catalogue, ids, results)
        summary.checked += len(ids)
        state.progress(summary.checked, total, message)
    summary.cancelled = state.cancelled


def _record_all(catalogue: Catalogue, ids: list[int], results: list[Checked]) -> None:
    """One batch's or shard's results, in one transaction."""
    catalogue.record_audit(
        _record(image_id, *result) for image_id, result in zip(ids, results, strict=True)
    )


@contextlib.contextmanager
def _workers(count: int, time_limit: float) -> Iterator[Checkers]:
    """The checker processes; a CatalogueError that says what to do when they cannot start
    (or a dead one cannot be replaced): too many processes, or no memory for them."""
    try:
        with Checkers(count, time_limit) as checkers:
            yield checkers
    except OSError as exc:
        raise CatalogueError(
            f"The audit cannot start its worker processes ({exc.strerror or exc}); close some "
            "programs, or audit with fewer workers (--workers). Every result so far is kept."
        ) from exc


def _record(
    image_id: int, result: ImageCheck, size: int | None, mtime_ns: int | None
) -> AuditRecord:
    return AuditRecord(
        image_id,
        size,
        mtime_ns,
        result.content_hash,
        tuple(result.problems),
        result.detail,
        result.format,
        result.width,
        result.height,
        result.mode,
    )


def audit_report(catalogue: Catalogue, limit: int | None = None) -> AuditReport:
    """``{"summary": {...}, "images": [{path, wnid, problems, ...}]}`` for images with problems.

    Duplicates (the same bytes at several paths) carry ``duplicate`` and the
    other paths; images the last scan no longer found carry ``missing``.
    Images outside the root are only counted (``outside_root``), even those an
    audit checked before a rescan found them outside. The images in a list (the
    first ``limit`` of them): for a catalogue of any size, :func:`iter_audit_report`
    reads them one at a time.
    """
    summary, entries = iter_audit_report(catalogue)
    images = list(entries if limit is None else itertools.islice(entries, limit))
    return {"summary": summary, "images": images}


def iter_audit_report(catalogue: Catalogue) -> tuple[AuditTotals, Iterator[AuditEntry]]:
    """:func:`audit_report`'s summary, and its images as an iterator that reads them as it
    goes: memory bounded whatever the number of images with problems (ImageNet-21k's
    14.2 million, all unreadable, take 9 GB as a list)."""
    duplicate_paths = catalogue.duplicate_paths()
    return _audit_totals(catalogue, duplicate_paths), _audit_entries(catalogue, duplicate_paths)


def write_audit_json(
    catalogue: Catalogue,
    stream: TextIO,
    this_run: dict[str, Any] | None = None,
    state: JobState | None = None,
) -> None:
    """:func:`audit_report` as JSON (indented by 2, the summary with ``this_run`` when given),
    written to ``stream`` an image at a time: memory bounded whatever the number of
    images with problems. The same text as ``json.dumps(report, indent=2)``. ``state``
    hears the progress (14.2 million unreadable images take minutes) and may cancel.

    >>> import io
    >>> text = io.StringIO()
    >>> write_audit_json(catalogue, text)
    >>> report = audit_report(catalogue)
    >>> text.getvalue() == json.dumps(report, indent=2, ensure_ascii=False) + "\\n"
    True
    """
    totals, entries = iter_audit_report(catalogue)
    summary: dict[str, Any] = dict(totals)
    if this_run is not None:
        summary["this_run"] = this_run
    stream.write('{\n  "summary": ' + _indented(summary, 2) + ',\n  "images": [')
    first, total = True, totals["with_problems"] + totals["missing"]
    for done, entry in enumerate(entries):
        if state is not None and done % _PROGRESS_EVERY == 0:
            state.check()
            state.progress(done, total, "Writing the report")
        stream.write(("\n    " if first else ",\n    ") + _indented(entry, 4))
        first = False
    if state is not None:
        state.progress(total, total, "Writing the report")
    stream.write(("]" if first else "\n  ]") + "\n}\n")


def _indented(data: object, depth: int) -> str:
    """``data`` as json.dumps(indent=2) writes it at ``depth`` spaces in."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("\n", "\n" + " " * depth)


def _audit_entries(
    catalogue: Catalogue, duplicate_paths: dict[str, list[str]]
) -> Iterator[AuditEntry]:
    """The images with problems (by path), then the missing ones (by path), as read."""
    for found in catalogue.iter_audit_findings(duplicate_paths):
        codes = list(found.problems)
        entry: AuditEntry = {"path": found.path, "wnid": found.wnid, "problems": codes}
        if found.content_hash in duplicate_paths:
            codes.append("duplicate")
            entry["same_as"] = [p for p in duplicate_paths[found.content_hash] if p != found.path]
        entry.update(
            {
                "format": found.format,
                "width": found.width,
                "height": found.height,
                "mode": found.mode,
            }
        )
        if found.detail:
            entry["detail"] = found.detail
        yield entry
    for path, wnid in catalogue.iter_missing_images():
        yield {"path": path, "wnid": wnid, "problems": ["missing"]}


def _audit_totals(catalogue: Catalogue, duplicate_paths: dict[str, list[str]]) -> AuditTotals:
    """The summary: the findings counted in SQL, by their set of problem codes."""
    by_code: Counter[str] = Counter()
    with_problems = 0
    for problems, images, duplicated in catalogue.audit_finding_groups(duplicate_paths):
        with_problems += images
        by_code.update(dict.fromkeys(problems, images))
        by_code["duplicate"] += duplicated
    missing = catalogue.missing_count()
    by_code["missing"] = missing
    present = catalogue.present_count()
    outside = catalogue.outside_root_count()
    audited = catalogue.audited_count()
    return {
        "images": present,
        "audited": audited,
        "not_audited": present - outside - audited,
        "outside_root": outside,
        "with_problems": with_problems,
        "by_code": {code: by_code[code] for code in AUDIT_CODES if by_code[code]},
        "duplicate_groups": len(duplicate_paths),
        "missing": missing,
    }
