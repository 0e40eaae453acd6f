"""Fill the thumbnail cache ahead of browsing: every image of some subtrees, at one size.

A heavy per-image job like the audit: in-process (threads: Pillow decodes with the GIL
released) or on a Dask cluster (:mod:`explorer.core.cluster`), whose workers make the
thumbnails and send back their bytes; only this process writes the cache, under the
key of the path as it sees it. Images whose entry is already there are skipped, so a
rerun (or a run after a cancel) makes only what is missing; images outside the
catalogue's root are never read.

>>> cache = ThumbnailCache(tmp / "thumbs")
>>> first = precompute_thumbnails(catalogue_path, cache, 128, wnids=["n01440764"])
>>> first.images, first.made, first.failed     # the demo's tench: one empty file
(18, 17, 1)
>>> again = precompute_thumbnails(catalogue_path, cache, 128, wnids=["n01440764"])
>>> again.already_cached, again.made           # the failure is tried again, not cached
(17, 0)
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from explorer.core.catalogue import Catalogue, ImageRow, list_images
from explorer.core.cluster import ClusterSpec, remote_location, run_job, shards_by_folder
from explorer.core.images.thumbnail_cache import ThumbnailCache
from explorer.core.images.thumbnails import Thumbnail, make_thumbnail
from explorer.core.jobs import JobState

THREADS = min(4, os.cpu_count() or 1)
_WINDOW = 2048  # images read from the catalogue at a time


@dataclass
class PrecomputeSummary:
    images: int = 0  # present images inside the root, of the subtrees asked for
    already_cached: int = 0
    made: int = 0
    failed: int = 0  # cannot be shown: missing, unreadable, not an image... (not cached)
    cancelled: bool = False


def precompute_thumbnails(
    catalogue_path: str | os.PathLike[str],
    cache: ThumbnailCache,
    size: int,
    *,
    wnids: Iterable[str] | None = None,
    state: JobState | None = None,
    cluster: ClusterSpec | None = None,
    threads: int = THREADS,
) -> PrecomputeSummary:
    """Make the missing ``size`` thumbnails of the images of ``wnids`` (default: all)."""
    state = state or JobState()
    summary = PrecomputeSummary()
    with Catalogue.open(catalogue_path) as catalogue:
        labels = list(wnids) if wnids is not None else [w for w in catalogue.label_counts() if w]
        listing = list_images(catalogue, labels, sort="path", state=state)
        rows = (
            row
            for start in range(0, len(listing), _WINDOW)
            for row in catalogue.rows_by_ids(listing.window(start, start + _WINDOW).tolist())
            if not row.outside_root
        )
        todo = _not_cached(rows, catalogue, cache, size, summary)
        state.progress(0, None, "Making thumbnails")
        if cluster is None:
            _make_here(todo, cache, size, threads, state, summary)
        else:
            _make_on_cluster(todo, catalogue, cache, size, cluster, state, summary)
    summary.cancelled = state.cancelled
    return summary


_Todo = tuple[ImageRow, str | bytes, str]  # the row, its location here, its cache key


def _not_cached(
    rows: Iterable[ImageRow],
    catalogue: Catalogue,
    cache: ThumbnailCache,
    size: int,
    summary: PrecomputeSummary,
) -> Iterator[_Todo]:
    for row in rows:
        summary.images += 1
        location = catalogue.absolute_path(row.path, row.raw_path)
        if row.size is None or row.mtime_ns is None:  # a manifest's row: the file's own
            try:
                stat = os.stat(location)
            except (OSError, ValueError):
                summary.failed += 1
                continue
            key = cache.key(location, stat.st_size, stat.st_mtime_ns, size)
        else:
            key = cache.key(location, row.size, row.mtime_ns, size)
        if any(entry.exists() for entry in cache.entry_paths(key)):
            summary.already_cached += 1
        else:
            yield row, location, key


def _keep(cache: ThumbnailCache, key: str, thumb: Thumbnail, summary: PrecomputeSummary) -> None:
    if thumb.data is None:
        summary.failed += 1
    else:
        cache.store(key, thumb.data)
        summary.made += 1


def _make_here(
    todo: Iterator[_Todo],
    cache: ThumbnailCache,
    size: int,
    threads: int,
    state: JobState,
    summary: PrecomputeSummary,
) -> None:
    with ThreadPoolExecutor(threads, thread_name_prefix="thumbnails") as pool:
        while not state.cancelled:
            chunk = list(itertools.islice(todo, 256))
            if not chunk:
                return
            made = pool.map(lambda item: make_thumbnail(item[1], size), chunk)
            for (_, _, key), thumb in zip(chunk, made, strict=True):
                _keep(cache, key, thumb, summary)
            state.progress(summary.made + summary.failed, None, "Making thumbnails")


def _make_on_cluster(
    todo: Iterator[_Todo],
    catalogue: Catalogue,
    cache: ThumbnailCache,
    size: int,
    spec: ClusterSpec,
    state: JobState,
    summary: PrecomputeSummary,
) -> None:
    items = ((row.id, row.path, (location, key)) for row, location, key in todo)
    shards = (
        (
            [key for _, _, (_, key) in shard],
            (size, [remote_location(location, spec.path_map) for _, _, (location, _) in shard]),
        )
        for shard in shards_by_folder(items)
    )
    message = f"Making thumbnails on {spec.describe()}"
    for keys, thumbs in run_job(spec, catalogue.root, thumbnails_of, shards, state):
        for key, thumb in zip(keys, thumbs, strict=True):
            _keep(cache, key, thumb, summary)
        state.progress(summary.made + summary.failed, None, message)


def thumbnails_of(work: tuple[int, Sequence[str | bytes]]) -> list[Thumbnail]:
    """A shard's task on a worker: the thumbnails of its locations (as the worker sees them)."""
    size, locations = work
    return [make_thumbnail(location, size) for location in locations]
