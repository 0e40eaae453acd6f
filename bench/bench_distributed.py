"""Benchmark the audit on Dask (issue 16): throughput in-process against a local cluster.

A corpus of real JPEGs (the 1,000 shared ILSVRC samples, hard-linked ``--copies`` times
under distinct names, one folder per synset: 21,000 files by default, no bytes copied)
is indexed once; each case audits a fresh copy of that catalogue in this process
(the client) and reports images per second:

- ``in-process-1``: today's audit with one checking process: the baseline;
- ``in-process-2``: the same with two processes;
- ``workers-1`` / ``workers-2``: a local Dask cluster of 1 / 2 processes
  (``audit_catalogue(cluster=ClusterSpec(workers=N))``), the cluster's start included.
  Target: ``workers-2`` >= 1.7x ``in-process-1`` on this 2-core machine.

Then the overheads the projection needs: a task's round trip on a 1-worker local
cluster (200 empty shards through ``run_shards``), the client's cost of recording one
result (``Catalogue.record_audit``), and the cluster's start. From these the wall time
of ImageNet-21k's 14,197,122 images on 1, 8 and 64 cores: the checks divide by the
cores; the client's writes do not.

    .venv/bin/python bench/bench_distributed.py [--copies 21] [--json FILE]

See bench/README.md ("Audit on Dask") for the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg, machine

sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("WNEXPLORER_SHARED_DATA", ROOT.parent / "shared" / "data"))
IMAGENET_21K = 14_197_122


def build_corpus(target: Path, copies: int) -> int:
    """Hard links of every sample, ``copies`` names each, in one folder per synset."""
    samples = sorted((SHARED / "imagenet-samples").glob("*.JPEG"))
    for sample in samples:
        folder = target / sample.name[:9]
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(copies):
            link = folder / f"{sample.stem}_{k}.JPEG"
            try:
                os.link(sample, link)
            except OSError:  # another file system: a copy
                shutil.copy(sample, link)
    return len(samples) * copies


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def task_overhead(tasks: int = 200) -> float:
    """Seconds per task of an empty shard's round trip on a 1-worker local cluster."""
    from explorer.core.cluster import ClusterSpec, connect, run_shards
    from explorer.core.jobs import JobState

    with connect(ClusterSpec(workers=1)) as client:
        shards = ((i, [i]) for i in range(tasks))
        list(run_shards(client, len, ((0, [0]),), JobState(), 1))  # warm: imports, first task
        seconds, _ = timed(lambda: list(run_shards(client, len, shards, JobState(), 2)))
    return seconds / tasks


def record_cost(catalogue: Path) -> float:
    """Seconds per image the client spends recording results (one transaction a shard)."""
    from explorer.core.catalogue import AuditRecord, Catalogue

    with Catalogue.open(catalogue, write=True) as opened:
        ids = [row[0] for batch in opened.images_to_audit(True, 2048) for row in batch]
        records = [
            AuditRecord(i, 1000, 1, f"{i:032x}", (), "", "JPEG", 500, 375, "RGB") for i in ids
        ]
        start = time.perf_counter()
        for first in range(0, len(records), 2048):
            opened.record_audit(records[first : first + 2048])
        return (time.perf_counter() - start) / len(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=21, help="names per sample")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    from explorer.core.catalogue import index_catalogue
    from explorer.core.cluster import SHARD_IMAGES, ClusterSpec
    from explorer.core.images import audit_catalogue
    from explorer.core.wordnet import load_taxonomy

    results: dict = {"machine": machine(), "git": git_state(), "load_before": loadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as scratch:
        work = Path(scratch)
        images = build_corpus(work / "corpus", args.copies)
        taxonomy = load_taxonomy()
        indexed = index_catalogue(
            work / "corpus", nouns=taxonomy.graph, catalogue=work / "indexed.sqlite"
        ).catalogue
        print(f"{images:,} real JPEGs (hard links) indexed", flush=True)
        cases = {
            "in-process-1": {"workers": 1},
            "in-process-2": {"workers": 2},
            "workers-1": {"cluster": ClusterSpec(workers=1)},
            "workers-2": {"cluster": ClusterSpec(workers=2)},
        }
        for name, options in cases.items():
            copy = shutil.copy(indexed, work / f"{name}.sqlite")
            seconds, summary = timed(
                lambda copy=copy, options=options: audit_catalogue(copy, **options)
            )
            assert summary.checked == images, (name, summary)
            results[name] = {"seconds": round(seconds, 2), "images_per_s": round(images / seconds)}
            print(f"{name}: {seconds:.1f} s, {images / seconds:,.0f} images/s", flush=True)
        baseline = results["in-process-1"]["seconds"]
        for name in cases:
            results[name]["speedup"] = round(baseline / results[name]["seconds"], 2)
        overhead = task_overhead()
        writing = record_cost(work / "in-process-1.sqlite")
        start_s = results["workers-1"]["seconds"] - baseline  # start and transport, one worker
        per_image = baseline / images  # one core's check of an image, all included
        tasks = IMAGENET_21K / SHARD_IMAGES
        projection = {}
        for cores in (1, 8, 64):
            checks = IMAGENET_21K * per_image / cores + tasks * overhead / cores
            client = IMAGENET_21K * writing  # one writer, however many workers
            projection[cores] = round(max(checks, client) / 3600, 2)
        results.update(
            {
                "images": images,
                "task_overhead_ms": round(overhead * 1000, 2),
                "record_us_per_image": round(writing * 1e6, 1),
                "workers_1_extra_s": round(start_s, 2),
                "check_ms_per_image": round(per_image * 1000, 3),
                "projected_hours_14m": projection,
                "load_after": loadavg(),
            }
        )
    print(
        f"speedup workers-2 / in-process-1: {results['workers-2']['speedup']}x "
        f"(in-process-2: {results['in-process-2']['speedup']}x); task round trip "
        f"{results['task_overhead_ms']} ms; recording {results['record_us_per_image']} µs/image; "
        f"14.2M images projected: {projection[1]} h on 1 core, {projection[8]} h on 8, "
        f"{projection[64]} h on 64",
        flush=True,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
