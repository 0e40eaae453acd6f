"""Manifests written for tests: many rows of real wnids, the files absent (as fall11's).

Tests import it as ``from manifests import write_manifest`` (tests/ is on the path).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


def write_manifest(path: Path, wnids: Sequence[str], rows: int) -> Path:
    """``rows`` rows ``<wnid>/<wnid>_<i>.JPEG``, the wnids taken in turn; numbers that sort
    apart as text and as numbers (_2 before _10 only in natural order)."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "wnid"])
        for i in range(rows):
            wnid = wnids[i % len(wnids)]
            writer.writerow([f"{wnid}/{wnid}_{i}.JPEG", wnid])
    return path
