"""Benchmark bounded decoding: issue 12's two costly files, bounded code against plain Pillow.

The files, made in a temporary folder with the test corpus's generators:

- a progressive JPEG of thousands of scans: 4096², its last scan (an AC refinement of every
  luma block) repeated to 3,600 scans, 218 KB in all;
- a 9,400² RGBA PNG of zeros: 88 megapixels, under Pillow's pixel limit, 0.34 MB.

Each case runs alone in a fresh Python process, in one thread: first on a small clean image
of the same format (so that imports and Pillow's plugin registry are not counted), then on
the file. It reports that call's time and its peak memory: the process's peak resident set
(``VmHWM``, Linux) after the call less before it. (Not ``ru_maxrss``: a child inherits its
parent's, and this parent has just made the files.)

- baseline thumbnail: plain Pillow, ``Image.open(p)`` then ``im.thumbnail((128, 128))``
  (it decodes a JPEG at draft scale too, as make_thumbnail did before the bounds);
- ``make_thumbnail(p, 128)``;
- baseline check: plain Pillow's decode as check_image did it before the bounds,
  ``draft()`` to 1/8 for a JPEG, then ``load()``;
- ``check_image(p)``.

The ratio is the baseline's figure over the bounded one's: how many times faster, or
smaller (a peak under 0.1 MB counts as 0.1 MB). The baselines take minutes (the JPEG) and
hundreds of MB (the PNG).

    .venv/bin/python bench/bench_hostile_decode.py [--json results.json] [--scans N]

See bench/README.md ("Bounded decoding") for the latest results.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import git_state, loadavg
from common import machine as common_machine  # bench/ is on sys.path
from PIL import Image, features

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the hostile corpus's generators

from hostile_corpus import BIG_RGBA_SIDE, blank_png, encode, many_scans_jpeg, photo  # noqa: E402

CASES = ("baseline thumbnail", "make_thumbnail", "baseline check", "check_image")


def run_case(case: str, path: str, warm: str) -> dict:
    """Run one case on ``warm``, then on ``path``: the second call's seconds, peak MB and
    outcome."""
    call(case, warm)
    before = peak_resident()
    started = time.perf_counter()
    outcome = call(case, path)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": (peak_resident() - before) / 1024, "outcome": outcome}


def call(case: str, path: str) -> str:
    from explorer.core.images import check_image, make_thumbnail

    if case == "baseline thumbnail":
        with Image.open(path) as image:
            image.thumbnail((128, 128))
            outcome = f"{image.width}×{image.height}"
    elif case == "make_thumbnail":
        thumb = make_thumbnail(path, 128)
        outcome = thumb.error or f"{thumb.width}×{thumb.height}"
    elif case == "baseline check":
        with Image.open(path) as image:
            if image.format == "JPEG":
                image.draft(None, (image.width // 8, image.height // 8))
            image.load()
            outcome = f"decoded {image.width}×{image.height} {image.mode}"
    else:
        check = check_image(path)
        outcome = ",".join(check.problems) or "no problems"
    return outcome


def peak_resident() -> int:
    """This process's peak resident set so far, in KiB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0])


def measure(case: str, path: Path, warm: Path) -> dict:
    command = [sys.executable, __file__, "--case", case, "--file", str(path), "--warm", str(warm)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--scans", type=int, default=3600, help="scans of the JPEG")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # a child process
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--warm", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.file, args.warm)))
        return

    results = {
        "commit": git_state(),
        "machine": common_machine(
            pillow=Image.__version__, libjpeg_turbo=features.version("libjpeg_turbo")
        ),
        "files": {},
    }
    print(f"commit {results['commit']}, load average {loadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as folder:
        files = {
            "many_scans.JPEG": (many_scans_jpeg(side=4096, scans=args.scans), "JPEG"),
            "big_rgba.png": (blank_png(BIG_RGBA_SIDE, BIG_RGBA_SIDE), "PNG"),
        }
        for name, (data, form) in files.items():
            path = Path(folder) / name
            path.write_bytes(data)
            warm = Path(folder) / f"warm.{form}"
            warm.write_bytes(encode(photo((256, 192)), form))
            figures = {case: measure(case, path, warm) for case in CASES}
            results["files"][name] = {"bytes": len(data), **figures}
            print(f"\n{name} ({len(data):,} bytes)")
            for bounded, baseline in (
                ("make_thumbnail", "baseline thumbnail"),
                ("check_image", "baseline check"),
            ):
                slow, fast = figures[baseline], figures[bounded]
                for case in (baseline, bounded):
                    figure = figures[case]
                    print(
                        f"  {case:<19} {figure['seconds'] * 1000:11.2f} ms "
                        f"{figure['peak_mb']:8.1f} MB  ({figure['outcome']})"
                    )
                faster = slow["seconds"] / fast["seconds"]
                smaller = slow["peak_mb"] / max(fast["peak_mb"], 0.1)
                print(f"  {'ratio':<19} {faster:11,.0f}x {smaller:9,.0f}x", flush=True)
    results["machine"]["loadavg_after"] = loadavg()
    print(f"\nload average after {results['machine']['loadavg_after']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
