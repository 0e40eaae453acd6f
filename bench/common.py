"""What every benchmark prints about its run: the load, the commit measured, the CPU."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child_env(**extra: str) -> dict[str, str]:
    """The environment for timed child processes: as a user's, with the project's
    bytecode written and read (a shell with PYTHONDONTWRITEBYTECODE set made every start
    compile ~90 of our modules from source, 0.15 s), after compiling it once here."""
    import compileall

    compileall.compile_dir(ROOT / "explorer", quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def git_state() -> str:
    """The commit benchmarked, marked when explorer/ has uncommitted changes."""

    def git(*args: str) -> str:
        command = ["git", "-C", str(ROOT), *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        changes = git("status", "--porcelain", "explorer")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes in explorer/" if changes else head


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def summary(seconds: list[float]) -> dict:
    """best, median, mean, p95 and max of a list of times, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94] if len(ms) > 1 else ms[0]
    return {
        "n": len(ms),
        "best_ms": ms[0],
        "p50_ms": statistics.median(ms),
        "p95_ms": p95,
        "max_ms": ms[-1],
        "mean_ms": statistics.fmean(ms),
    }


def machine(**extra) -> dict:
    """What every benchmark records of the machine it ran on, plus its own ``extra``."""
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **extra,
        "loadavg_before": loadavg(),
    }
