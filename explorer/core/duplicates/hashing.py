"""Hash a catalogue's images: a perceptual hash and a content hash of each, stored per file
version, so that a rerun (after a cancel, or after a rescan) reads only what is new.

A heavy per-image job like the audit: in-process on a few threads (Pillow decodes and
numpy computes with the GIL released), or on a Dask cluster (:mod:`explorer.core.cluster`),
whose workers read the files and send back the hashes. Only this process writes the
catalogue, one transaction a batch or shard: a cancel or a lost worker loses at most the
shards in flight. Images outside the catalogue root are never read.

>>> first = hash_catalogue(catalogue_path)
>>> first.hashed, first.unhashable          # the demo: one empty and one truncated file
(322, 2)
>>> hash_catalogue(catalogue_path).hashed  # nothing new: nothing read
0
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from explorer.core.catalogue import Catalogue, HashRecord
from explorer.core.cluster import ClusterSpec, location_shards, run_job
from explorer.core.images import FileHashes, hash_file
from explorer.core.jobs import JobState

THREADS = min(4, os.cpu_count() or 1)
_BATCH = 512  # images per committed batch in-process: the most a cancel or crash can lose


@dataclass
class HashSummary:
    """What one hashing run did, and where the catalogue stands afterwards."""

    hashed: int = 0  # files read by this run
    already_current: int = 0  # files whose hash from an earlier run still holds
    unhashable: int = 0  # of all hashed images, those that could not be (see unhashable())
    images: int = 0  # present images inside the root
    cancelled: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def hash_catalogue(
    catalogue_path: str | os.PathLike[str],
    *,
    state: JobState | None = None,
    rehash: bool = False,
    threads: int = THREADS,
    cluster: ClusterSpec | None = None,
) -> HashSummary:
    """Hash every present image inside the root without a current hash (all, ``rehash``)."""
    state = state or JobState()
    started = time.monotonic()
    summary = HashSummary()
    with Catalogue.open(catalogue_path, write=True) as catalogue:
        total = catalogue.hash_pending_count(rehash)
        summary.images = catalogue.present_count() - catalogue.outside_root_count()
        summary.already_current = summary.images - total
        state.progress(0, total, "Hashing images")
        if total and cluster is None:
            _hash_here(catalogue, rehash, threads, state, summary, total)
        elif total and cluster is not None:
            _hash_on_cluster(catalogue, rehash, cluster, state, summary, total)
        summary.unhashable = catalogue.unhashable_count()
    summary.cancelled = state.cancelled and summary.hashed < total
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _hash_here(
    catalogue: Catalogue,
    rehash: bool,
    threads: int,
    state: JobState,
    summary: HashSummary,
    total: int,
) -> None:
    with ThreadPoolExecutor(max(1, threads), thread_name_prefix="hashing") as pool:
        for batch in catalogue.images_to_hash(rehash, _BATCH):
            if state.cancelled:
                return
            locations = [catalogue.absolute_path(path, raw) for _, path, raw in batch]
            results = list(pool.map(hash_file, locations))
            _record(catalogue, [image_id for image_id, _, _ in batch], results)
            summary.hashed += len(batch)
            state.progress(summary.hashed, total, "Hashing images")


def _hash_on_cluster(
    catalogue: Catalogue,
    rehash: bool,
    spec: ClusterSpec,
    state: JobState,
    summary: HashSummary,
    total: int,
) -> None:
    rows = itertools.chain.from_iterable(catalogue.images_to_hash(rehash))
    shards = location_shards(catalogue, rows, spec)
    message = f"Hashing images on {spec.describe()}"
    for ids, results in run_job(spec, catalogue.root, hashes_of, shards, state):
        _record(catalogue, ids, results)
        summary.hashed += len(ids)
        state.progress(summary.hashed, total, message)


def hashes_of(locations: Iterable[str | bytes]) -> list[FileHashes]:
    """A shard's task on a worker: the hashes of its files (as the worker sees them)."""
    return [hash_file(location) for location in locations]


def _record(catalogue: Catalogue, ids: list[int], results: Iterable[FileHashes]) -> None:
    """One batch's or shard's hashes, in one transaction."""
    catalogue.record_hashes(
        HashRecord(image_id, r.size, r.mtime_ns, r.value, r.content, r.error)
        for image_id, r in zip(ids, results, strict=True)
    )
