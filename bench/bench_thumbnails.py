"""Benchmark thumbnails: make_thumbnail and ThumbnailCache against Pillow's default thumbnail().

Every figure is thumbnails per second over the same real ILSVRC samples at one size, shown
with its ratio to a baseline measured in the same run:

- baseline: Pillow's default, ``Image.open(p)`` then ``im.thumbnail((128, 128))``, one
  thread (no EXIF rotation, no mode conversion, no encoding: less work than the app does);
- ``make_thumbnail``, one thread (the headline: thumbnails per core), then in a thread pool
  of 2 (the GUI's worker count);
- the baseline in the same pool, to separate what threads give from what the code gives;
- ``make_thumbnail`` with its fast path off (simplejpeg as if missing): every file through
  Pillow's draft decode, as before the fast path;
- for reference, decodes alone (one thread, no resize, no encode, no thumbnail at the end):
  Pillow's ``draft()`` decode and simplejpeg's scaled decode, the floors of the two paths;
  and, where they import, the other candidates measured: pyvips' ``thumbnail`` (shrink on
  load, resize and JPEG encode: a whole thumbnail) and PyTurboJPEG's scaled decode;
- ``ThumbnailCache.get_or_make``: filling an empty cache (pool), then warm reads (one thread).

Every file is read once first, so no figure pays for disk reads. Within a round the cases
alternate every 50 files, so a burst of load from a neighbour slows all of them alike; the
ratio shown is the median over the rounds of each round's own ratio to its baseline. The
CPU time of each case (all threads) is shown too: on a busy machine it is the steadier
figure, though threads can only turn it into speed when a core is free.

    .venv/bin/python bench/bench_thumbnails.py [--json results.json]

See bench/README.md ("Thumbnails") for what each figure means and the latest results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import git_state, loadavg
from common import machine as common_machine  # bench/ is on sys.path
from PIL import Image, features

from explorer.core.images import ThumbnailCache, fast_jpeg, make_thumbnail

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path("/work/shared/data/imagenet-samples")
TARGET_RATIO = 2.5  # issue 19: thumbnails per core, at least 2.5x Pillow's default


def optional(name: str):
    """The module ``name``, or None when it is not installed (a reference row is left out)."""
    try:
        return __import__(name)
    except Exception:  # ImportError, or a library it loads (pyvips, PyTurboJPEG) is missing
        return None


simplejpeg = optional("simplejpeg")
pyvips = optional("pyvips")
turbojpeg = optional("turbojpeg")


def baseline(path: Path, size: int) -> None:
    """Pillow's default thumbnail, as a short script would write it."""
    with Image.open(path) as image:
        image.thumbnail((size, size))


def draft_decode_only(path: Path, size: int) -> None:
    """A reference, not a contender: the JPEG decode at draft scale that make_thumbnail does,
    without its resize, EXIF rotation, conversion and encoding. No thumbnail comes out."""
    with Image.open(path) as image:
        width, height = image.size
        scale = size / max(width, height)
        image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
        image.load()


def fitted(width: int, height: int, size: int) -> tuple[int, int]:
    """The thumbnail's size, as make_thumbnail's: never enlarged, the aspect kept."""
    if width <= size and height <= size:
        return width, height
    if width >= height:
        return size, max(1, round(height * size / width))
    return max(1, round(width * size / height)), size


def simplejpeg_decode_only(path: Path, size: int) -> None:
    """A reference: the fast path's decode, at the smallest n/8 scale covering the thumbnail."""
    data = path.read_bytes()
    height, width, _colour, _subsampling = simplejpeg.decode_jpeg_header(data)
    target = fitted(width, height, size)
    simplejpeg.decode_jpeg(data, "RGB", min_width=target[0], min_height=target[1])


def pyvips_thumbnail(path: Path, size: int) -> None:
    """A candidate: libvips' thumbnail (JPEG shrink-on-load, resize), encoded as a JPEG."""
    pyvips.Image.thumbnail(str(path), size).jpegsave_buffer(Q=85)


def turbojpeg_decode_only(path: Path, size: int, decoder) -> None:
    """A candidate: PyTurboJPEG's decode at the smallest scaling factor covering the thumbnail
    (it loads the system's libturbojpeg)."""
    data = path.read_bytes()
    width, height = decoder.decode_header(data)[:2]
    target = fitted(width, height, size)
    factor = min(
        (
            f
            for f in decoder.scaling_factors
            if f[0] <= f[1]
            and -(-width * f[0] // f[1]) >= target[0]
            and -(-height * f[0] // f[1]) >= target[1]
        ),
        key=lambda f: f[0] / f[1],
    )
    decoder.decode(data, scaling_factor=factor)


@contextlib.contextmanager
def fast_path_off():
    """make_thumbnail as where simplejpeg does not import: every file through Pillow."""
    real = fast_jpeg._simplejpeg
    fast_jpeg._simplejpeg = lambda: None
    try:
        yield
    finally:
        fast_jpeg._simplejpeg = real


def timed(function, items, pool: ThreadPoolExecutor | None) -> tuple[float, float]:
    """(wall, CPU) seconds to run ``function`` over ``items``: in this thread, or on ``pool``.

    The CPU time is the whole process's, all threads: it barely moves with the load of
    other processes, where the wall time moves a lot on a shared machine.
    """
    started, cpu = time.perf_counter(), time.process_time()
    if pool is None:
        for item in items:
            function(item)
    else:
        for _ in pool.map(function, items):
            pass
    return time.perf_counter() - started, time.process_time() - cpu


def machine() -> dict:
    versions = {
        "pillow": Image.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "simplejpeg": getattr(simplejpeg, "__version__", None),
        "pyvips": f"{pyvips.__version__} (libvips {pyvips.version(0)}.{pyvips.version(1)})"
        if pyvips
        else None,
        "pyturbojpeg": getattr(turbojpeg, "__version__", None),
    }
    return common_machine(**versions)


def bench(args: argparse.Namespace, cache_dir: Path) -> dict:
    files = sorted(Path(args.samples).glob("*.JPEG"))[: args.limit or None]
    if not files:
        raise SystemExit(f"no *.JPEG files in {args.samples}")
    size, workers = args.size, args.workers
    total_bytes = sum(len(path.read_bytes()) for path in files)  # into the page cache
    stats = {path: path.stat() for path in files}
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine(),
        "commit": git_state(),
        "samples": str(args.samples),
        "files": len(files),
        "file_bytes": total_bytes,
        "size": size,
        "workers": workers,
        "rounds": args.rounds,
    }
    print(f"{len(files)} files ({total_bytes / 2**20:.0f} MB) from {args.samples}, size {size}")

    # One warm-up pass each: imports, Pillow's plugin registry, the thread pool.
    for path in files[:20]:
        baseline(path, size)
        make_thumbnail(path, size)
    made = [make_thumbnail(path, size) for path in files]
    errors = [(path.name, t.error) for path, t in zip(files, made, strict=True) if t.error]
    results["errors"] = errors
    results["thumbnail_bytes_mean"] = statistics.mean(len(t.data) for t in made if t.data)
    results["decoders"] = {
        name: sum(t.decoder == name for t in made) for name in sorted({t.decoder for t in made})
    }

    pool = ThreadPoolExecutor(workers, thread_name_prefix="bench")  # kept alive, as the GUI's
    # name: (function, pool or None for this thread, context the block runs in)
    cases = {
        "baseline": (lambda path: baseline(path, size), None, None),
        "make_thumbnail": (lambda path: make_thumbnail(path, size), None, None),
        f"make_thumbnail, pool of {workers}": (lambda path: make_thumbnail(path, size), pool, None),
        f"baseline, pool of {workers}": (lambda path: baseline(path, size), pool, None),
        "make_thumbnail, fast path off": (
            lambda path: make_thumbnail(path, size),
            None,
            fast_path_off,
        ),
        "reference: Pillow draft() decode only": (
            lambda path: draft_decode_only(path, size),
            None,
            None,
        ),
    }
    if simplejpeg:
        cases["reference: simplejpeg decode only"] = (
            lambda path: simplejpeg_decode_only(path, size),
            None,
            None,
        )
    if pyvips:
        pyvips.cache_set_max(0)  # every file is new to it, as to the others
        cases["candidate: pyvips thumbnail + encode"] = (
            lambda path: pyvips_thumbnail(path, size),
            None,
            None,
        )
    if turbojpeg:
        with contextlib.suppress(Exception):  # the system's libturbojpeg may be missing
            decoder = turbojpeg.TurboJPEG()
            cases["candidate: PyTurboJPEG decode only"] = (
                lambda path: turbojpeg_decode_only(path, size, decoder),
                None,
                None,
            )
    fill_name = f"cache: fill an empty cache, pool of {workers}"
    names = [*cases, fill_name, "cache: warm"]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    cpu_seconds: dict[str, list[float]] = {name: [] for name in names}
    blocks = [files[i : i + args.block] for i in range(0, len(files), args.block)]
    for number in range(1, args.rounds + 1):
        print(f"round {number}/{args.rounds} ...", flush=True)
        folder = cache_dir / f"round-{number}"
        cache = ThumbnailCache(folder)

        def cached(path: Path, cache: ThumbnailCache = cache) -> None:
            stat = stats[path]
            cache.get_or_make(path, stat.st_size, stat.st_mtime_ns, size)

        spent = {name: [0.0, 0.0] for name in names}

        def run(name: str, function, items, executor, spent: dict = spent) -> None:
            wall, cpu = timed(function, items, executor)
            spent[name][0] += wall
            spent[name][1] += cpu

        # Every case runs on one block before the next block starts, so a burst of load
        # from a neighbour lands on all of them alike instead of on one whole case.
        for block in blocks:
            for name, (function, executor, context) in cases.items():
                with context() if context else contextlib.nullcontext():
                    run(name, function, block, executor)
            run(fill_name, cached, block, pool)  # an empty cache, filled...
            run("cache: warm", cached, block, None)  # ...then read back by one thread
        for name, (wall, cpu) in spent.items():
            seconds[name].append(wall)
            cpu_seconds[name].append(cpu)
        hits = [cache.get_or_make(p, stats[p].st_size, stats[p].st_mtime_ns, size) for p in files]
        assert all(t.from_cache or t.error for t in hits), "warm reads missed the cache"
        results["cache_bytes"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
    pool.shutdown()
    seconds["cache: warm reads"] = seconds.pop("cache: warm")
    cpu_seconds["cache: warm reads"] = cpu_seconds.pop("cache: warm")

    figures = {}
    for name, runs in seconds.items():
        rates = [len(files) / s for s in runs]
        ratios = [base / s for base, s in zip(seconds["baseline"], runs, strict=True)]
        figures[name] = {
            "per_second": max(rates),
            "per_second_median": statistics.median(rates),
            "all_per_second": rates,
            "ms_each": 1000 / max(rates),
            "ratio": statistics.median(ratios),  # of the rounds' own ratios
            "all_ratios": ratios,
            "cpu_ms_each": 1000 * min(cpu_seconds[name]) / len(files),
            "cpu_ratio": min(cpu_seconds["baseline"]) / min(cpu_seconds[name]),
        }
    results["figures"] = figures
    results["machine"]["loadavg_after"] = loadavg()
    return results


def report(results: dict) -> None:
    info = results["machine"]
    print(
        f"\n{results['date']}: {info['nproc']} x {info['cpu']}, Python {info['python']}, "
        f"Pillow {info['pillow']} (libjpeg-turbo {info['libjpeg_turbo']}), "
        f"simplejpeg {info['simplejpeg']}, pyvips {info['pyvips']}, "
        f"PyTurboJPEG {info['pyturbojpeg']}; "
        f"load average {info['loadavg_before']} before, {info['loadavg_after']} after"
    )
    print(
        f"commit {results['commit']}; {results['files']} files, size {results['size']}, "
        f"best of {results['rounds']} rounds"
    )
    print(
        f"\n  {'':<42} {'thumbs/s':>9} {'median':>7} {'ms each':>8} {'ratio':>8}"
        f" {'CPU ms':>7} {'CPU':>6}"
    )
    print(
        f"  {'':<42} {'(best)':>9} {'':>7} {'(best)':>8} {'(median)':>8} {'each':>7} {'ratio':>6}"
    )
    for name, figure in results["figures"].items():
        print(
            f"  {name:<42} {figure['per_second']:9.0f} {figure['per_second_median']:7.0f} "
            f"{figure['ms_each']:8.2f} {figure['ratio']:7.2f}x {figure['cpu_ms_each']:7.2f} "
            f"{figure['cpu_ratio']:5.2f}x"
        )
    single = results["figures"]["make_thumbnail"]
    met = "met" if single["ratio"] >= TARGET_RATIO else "MISSED"
    print(
        f"\n  target: make_thumbnail per core (one thread each) at least {TARGET_RATIO:g}x the "
        f"baseline: {single['ratio']:.2f}x (CPU {single['cpu_ratio']:.2f}x), {met}"
    )
    print(f"  decoders of the {results['files']} thumbnails: {results['decoders']}")
    print(
        f"  thumbnails: {results['thumbnail_bytes_mean'] / 1024:.1f} KiB each on average; "
        f"cache of {results['files']}: {results['cache_bytes'] / 2**20:.1f} MiB on disk; "
        f"{len(results['errors'])} files failed {results['errors'][:3]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", default=str(SAMPLES), help=f"JPEG folder [{SAMPLES}]")
    parser.add_argument("--size", type=int, default=128, help="thumbnail size [128]")
    parser.add_argument("--workers", type=int, default=2, help="threads of the pool [2]")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every case [3]")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N files")
    parser.add_argument(
        "--block", type=int, default=50, help="files per block; cases alternate by block [50]"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args()

    cache_dir = Path(tempfile.mkdtemp(prefix="wnexplorer-bench-thumbs-"))
    try:
        results = bench(args, cache_dir)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
