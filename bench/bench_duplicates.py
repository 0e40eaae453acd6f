"""Benchmark the perceptual hash (issue 17): throughput against ``imagehash.phash``.

On the 1,000 shared ILSVRC samples, one thread each, interleaved rounds: our
``perceptual_hash`` (the JPEG decoded at the smallest scale covering 64 px, the DCT as two
matrix products) against ``imagehash.phash(Image.open(path))`` (a full decode, scipy's
DCT), both from the file's path. Also how far apart the two hashes of each image are
(the same algorithm; the draft decode moves a few bits). Target: >= 1.5x per core.

Needs the bench extra: ``.venv/bin/pip install -e '.[bench]'`` (imagehash, scipy).

    .venv/bin/python bench/bench_duplicates.py [--rounds 3] [--json FILE]

See bench/README.md ("Duplicates") for the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg, machine

sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("WNEXPLORER_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    import imagehash
    from PIL import Image

    from explorer.core.images.phash import distance, perceptual_hash

    files = sorted((SHARED / "imagenet-samples").glob("*.JPEG"))

    def ours() -> list[int | None]:
        return [perceptual_hash(path).value for path in files]

    def theirs() -> list[int]:
        hashes = []
        for path in files:
            with Image.open(path) as image:
                hashes.append(int(str(imagehash.phash(image)), 16))
        return hashes

    times: dict[str, list[float]] = {"ours": [], "imagehash": []}
    for _ in range(args.rounds):  # interleaved: the machine's load falls on both alike
        for name, function in (("imagehash", theirs), ("ours", ours)):
            start = time.perf_counter()
            hashes = function()
            times[name].append(time.perf_counter() - start)
            if name == "ours":
                mine = hashes
            else:
                reference = hashes
    apart = [distance(a, b) for a, b in zip(mine, reference, strict=True) if a is not None]
    best = {name: min(values) for name, values in times.items()}
    results = {
        "machine": machine(),
        "git": git_state(),
        "load": loadavg(),
        "images": len(files),
        "seconds_best": {name: round(value, 3) for name, value in best.items()},
        "images_per_s": {name: round(len(files) / value) for name, value in best.items()},
        "ratio": round(best["imagehash"] / best["ours"], 2),
        "bits_apart": {
            "median": statistics.median(apart),
            "max": max(apart),
            "identical": sum(1 for bits in apart if bits == 0),
        },
    }
    print(
        f"{len(files):,} samples, best of {args.rounds}: ours {best['ours']:.2f} s "
        f"({results['images_per_s']['ours']:,}/s), imagehash.phash {best['imagehash']:.2f} s "
        f"({results['images_per_s']['imagehash']:,}/s): {results['ratio']}x; the two hashes "
        f"{results['bits_apart']['identical']} identical, median {results['bits_apart']['median']}"
        f" bits apart, at most {results['bits_apart']['max']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
