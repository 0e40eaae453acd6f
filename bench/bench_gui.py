"""Benchmark the window: warm start to the first painted tree, and event-loop stalls.

Every figure is measured against a baseline taken in the same run and shown as a ratio:

1. start: the wall time from just before ``Popen`` of a fresh ``wnexplorer gui`` process
   (``explorer.cli.main``, a warm taxonomy cache, fresh settings) until the tree view's
   viewport gets its first Paint event with the synset model set (the tree paints from the
   cache's CachedHierarchy while the graph loads), and also until the whole taxonomy is in
   use (search, details); against the Qt floor, a process that imports PySide6.QtWidgets
   and shows a QMainWindow holding an empty QTreeView;
2. stalls: the gaps between event-loop iterations (a 2 ms timer) in a MainWindow, in this
   process, while its grid of 120,000 images (a manifest of hard links to 50 real JPEGs,
   all labelled golden retriever) is scrolled top to bottom like a user would; against the
   same window left idle. The stall when the node is first selected is reported too.

Thumbnail throughput is bench/bench_thumbnails.py's.

    .venv/bin/python bench/bench_gui.py [--json results.json]

The windows use Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise.

See bench/README.md ("GUI") for what each figure means and the latest results.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import importlib
import io
import itertools
import json
import os
import pkgutil
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import git_state, loadavg
from common import machine as common_machine  # bench/ is on sys.path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path("/work/shared/data/imagenet-samples")
GOLDEN = "n02099601"  # golden retriever
TENCH = "n01440764"  # no images in the benchmark's catalogue
TARGETS = {"start_median_s": 0.8, "scroll_max_gap_ms": 50.0}
STALL_MS = 50.0  # a gap over this is a stall users see (three frames at 60 Hz)
TICK_MS = 2  # the loop monitor's timer
FRAME_MS = 16  # a scroll step every frame, at 60 Hz
JUMP_MS = 200  # between page jumps


# --- 1. start to the first painted tree: the children, each a fresh interpreter ----------
#
# -c snippets rather than this script, so a child's wall time is the interpreter, its
# imports and its work, and nothing of this benchmark. Times are time.monotonic(), which
# on Linux is one clock for every process: the parent compares them with its own.

APP_CHILD = r"""
import time
marks = {"interpreter up": time.monotonic()}
import builtins, json, sys
import explorer.cli
marks["explorer.cli imported"] = time.monotonic()
window = None

# Hook the window's class when the command imports it, so this measures the command's own
# path (what it imports before Qt, and when) and not one with Qt loaded first.
def patch(main_window):
    patch.done = True  # before the imports below, which come through the hook again
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication
    marks["PySide6 + explorer.qt imported"] = time.monotonic()
    Window = main_window.MainWindow

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if (event.type() == QEvent.Type.Paint and "first tree paint" not in marks
                    and window is not None and window.tree_model is not None):
                marks["first tree paint"] = time.monotonic()
                QTimer.singleShot(0, finish)
            return False

    # Ends when the tree has painted and the whole taxonomy is in use (search, details),
    # whichever comes last: the second is reported as well as the first.
    def finish():
        if "tree painted, back in the loop" not in marks and "first tree paint" in marks:
            marks["tree painted, back in the loop"] = time.monotonic()
        if "first tree paint" in marks and "GUI: taxonomy in use" in marks:
            print(json.dumps(marks), flush=True)
            window.close()
            QApplication.instance().exit(0)

    watcher = FirstPaint()
    original_init = Window.__init__
    def init(self, *args, **kwargs):
        global window
        marks["MainWindow() called"] = time.monotonic()
        original_init(self, *args, **kwargs)
        marks["MainWindow built"] = time.monotonic()
        window = self
        self.tree.viewport().installEventFilter(watcher)
    Window.__init__ = init
    original_loaded = Window._taxonomy_loaded
    def loaded(self, *args):
        marks["GUI: taxonomy received"] = time.monotonic()
        original_loaded(self, *args)
        marks["GUI: taxonomy in use"] = time.monotonic()
        QTimer.singleShot(0, finish)
    Window._taxonomy_loaded = loaded
    patch.watcher = watcher

original_import = builtins.__import__
def hooked_import(name, *args, **kwargs):
    module = original_import(name, *args, **kwargs)
    main_window = sys.modules.get("explorer.qt.main_window")
    if not hasattr(patch, "done") and hasattr(main_window, "MainWindow"):
        patch(main_window)
    return module
builtins.__import__ = hooked_import

sys.exit(explorer.cli.main(["--data-dir", sys.argv[1], "gui"]))
"""

QT_FLOOR_CHILD = r"""
import time
marks = {"interpreter up": time.monotonic()}
import json, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTreeView
marks["PySide6.QtWidgets imported"] = time.monotonic()

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and "first tree paint" not in marks:
            marks["first tree paint"] = time.monotonic()
            QTimer.singleShot(0, finish)
        return False

def finish():
    marks["tree painted, back in the loop"] = time.monotonic()
    print(json.dumps(marks), flush=True)
    app.exit(0)

app = QApplication(sys.argv[:1])
window = QMainWindow()
tree = QTreeView()
window.setCentralWidget(tree)
window.resize(1360, 860)
watcher = FirstPaint()
tree.viewport().installEventFilter(watcher)
window.show()
marks["window shown"] = time.monotonic()
sys.exit(app.exec())
"""

TAXONOMY_CHILD = r"""
import time
marks = {"interpreter up": time.monotonic()}
import json, sys
from explorer.core.wordnet.taxonomy import load_taxonomy
marks["explorer.core.wordnet.taxonomy imported"] = time.monotonic()
load_taxonomy(None, sys.argv[1])
marks["load_taxonomy() done"] = time.monotonic()
print(json.dumps(marks), flush=True)
"""


def child_env(config_home: str) -> dict:
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = config_home  # fresh QSettings: no geometry, catalogue or synset
    env.pop("WNEXPLORER_DATA_DIR", None)
    return env


def time_child(snippet: str, data_dir: str, end_mark: str) -> dict:
    """Run one child; its marks as seconds from just before Popen, and its exit wall time."""
    with tempfile.TemporaryDirectory(prefix="wnexplorer-bench-config-") as config:
        env = child_env(config)
        command = [sys.executable, "-c", snippet, data_dir]
        start = time.monotonic()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            out, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        exited = time.monotonic()
    if process.returncode != 0 or not out.strip():
        sys.exit(f"child failed (status {process.returncode}):\n{err}")
    marks = json.loads(out.strip().splitlines()[-1])
    since = {name: when - start for name, when in marks.items()}
    return {"s": since[end_mark], "marks_s": since, "exit_s": exited - start}


def bench_start(data_dir: str, runs: int) -> dict:
    kinds = {
        "qt_floor": (QT_FLOOR_CHILD, "first tree paint"),
        "app": (APP_CHILD, "first tree paint"),
        "taxonomy": (TAXONOMY_CHILD, "load_taxonomy() done"),
    }
    for snippet, end in kinds.values():  # untimed: page cache, font cache, bytecode of deps
        time_child(snippet, data_dir, end)
    runs_by_kind: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for number in range(1, runs + 1):
        print(f"  start round {number}/{runs}", flush=True)
        for kind, (snippet, end) in kinds.items():  # alternate: a busy moment hits all alike
            runs_by_kind[kind].append(time_child(snippet, data_dir, end))
    results = {}
    for kind, done in runs_by_kind.items():
        seconds = [run["s"] for run in done]
        median_run = sorted(done, key=lambda run: run["s"])[len(done) // 2]
        results[kind] = {
            "best_s": min(seconds),
            "median_s": statistics.median(seconds),
            "all_s": seconds,
            "median_run_marks_s": median_run["marks_s"],
            "exit_median_s": statistics.median(run["exit_s"] for run in done),
        }
    in_use = [run["marks_s"]["GUI: taxonomy in use"] for run in runs_by_kind["app"]]
    results["app_taxonomy_in_use"] = {
        "best_s": min(in_use),
        "median_s": statistics.median(in_use),
        "all_s": in_use,
    }
    results["ratio_median"] = results["app"]["median_s"] / results["qt_floor"]["median_s"]
    results["ratio_best"] = results["app"]["best_s"] / results["qt_floor"]["best_s"]
    return results


# --- 2. event-loop stalls: the dataset ------------------------------------------------------


def make_dataset(folder: Path, images: int, distinct: int) -> Path:
    """A manifest of ``images`` rows, hard links to ``distinct`` copied real JPEGs."""
    files = sorted(SAMPLES.glob("*.JPEG"))[:distinct]
    if len(files) < distinct:
        sys.exit(f"need {distinct} *.JPEG files in {SAMPLES}, found {len(files)}")
    originals = folder / "originals"
    originals.mkdir(parents=True)
    copies = []
    for path in files:  # copies, so the shared files' link counts are left alone
        copies.append(originals / path.name)
        shutil.copyfile(path, copies[-1])
    images_dir = folder / GOLDEN
    images_dir.mkdir()
    manifest = folder / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "wnid"])
        for number in range(1, images + 1):
            name = f"img_{number:06d}.JPEG"
            os.link(copies[number % distinct], images_dir / name)
            writer.writerow([f"{GOLDEN}/{name}", GOLDEN])
    return manifest


# --- 2. event-loop stalls: the instruments --------------------------------------------------


class LoopMonitor:
    """Times the gaps between event-loop iterations with a precise 2 ms timer."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.ticks: list[float] = []

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        self.ticks.append(time.perf_counter())
        return self.figures()

    def gaps(self) -> list[tuple[float, float]]:
        """(start, length in seconds) of every gap between ticks."""
        return [(a, b - a) for a, b in itertools.pairwise(self.ticks)]

    def longest(self, count: int = 5) -> list[tuple[float, float]]:
        return sorted(self.gaps(), key=lambda gap: gap[1], reverse=True)[:count]

    def figures(self) -> dict:
        ms = sorted(length * 1000 for _, length in self.gaps())
        p99 = statistics.quantiles(ms, n=100, method="inclusive")[98] if len(ms) > 1 else ms[0]
        return {
            "seconds": self.ticks[-1] - self.ticks[0],
            "iterations": len(ms),
            "max_ms": ms[-1],
            "p99_ms": p99,
            "p50_ms": statistics.median(ms),
            "over_16ms": sum(gap > 1000 / 60 for gap in ms),
            "over_50ms": sum(gap > STALL_MS for gap in ms),
            "stalled_s": sum(gap for gap in ms if gap > STALL_MS) / 1000,
            "longest": [
                {"ms": length * 1000, "at_s": start - self.ticks[0]}
                for start, length in self.longest()
            ],
        }


class CallbackTracer:
    """The Python calls Qt makes on the GUI thread, with their start and end.

    Qt calls Python for slots, event filters and model methods (``data``, ``rowCount``,
    ``parent``...). While installed, every function of explorer.qt's QObject classes is
    wrapped: a call on the GUI thread that is not inside another wrapped call is recorded,
    and so is each scroll action the benchmark makes. With them, a stall splits into time
    inside Python callbacks and time outside them: Qt's own C++ work, or waiting for the
    GIL while a worker thread runs Python. Slots connected before ``install`` are not seen:
    install it before the window is built.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, float]] = []
        self.recording = False
        self._depth = 0
        self._main = threading.get_ident()
        self._installed: list[tuple[type, str, object]] = []

    def install(self) -> None:
        import inspect

        from PySide6.QtCore import QObject

        import explorer.qt

        for info in pkgutil.iter_modules(explorer.qt.__path__, "explorer.qt."):
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__ or not issubclass(cls, QObject):
                    continue
                for name, function in list(vars(cls).items()):
                    if inspect.isfunction(function) and not name.startswith("__"):
                        self._installed.append((cls, name, function))
                        setattr(cls, name, self._wrap(function, f"{cls.__name__}.{name}"))

    def uninstall(self) -> None:
        for cls, name, function in self._installed:
            setattr(cls, name, function)
        self._installed.clear()

    def _wrap(self, function, label: str):
        code = function.__code__
        # Qt drops the signal arguments a slot does not take; do the same for the original.
        keep = None if code.co_flags & 0x04 else code.co_argcount  # 0x04: it has *args

        def traced(*args, **kwargs):
            if keep is not None:
                args = args[:keep]
            if self._depth or not self.recording or threading.get_ident() != self._main:
                return function(*args, **kwargs)
            self._depth += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.calls.append((label, started, time.perf_counter()))
                self._depth -= 1

        traced.__name__ = function.__name__
        return traced

    def action(self, action) -> None:
        """Run one of the benchmark's scroll actions, recorded like a callback."""
        if not self.recording:
            action()
            return
        self._depth += 1
        started = time.perf_counter()
        try:
            action()
        finally:
            self.calls.append(
                ("scroll action: QScrollBar.setValue/triggerAction", started, time.perf_counter())
            )
            self._depth -= 1

    def during(self, start: float, end: float) -> dict:
        """The callbacks inside [start, end]: how many, their time, the top functions."""
        inside = [c for c in self.calls if c[1] >= start and c[2] <= end + 1e-4]
        by_function: dict[str, list[float]] = {}
        for name, began, ended in inside:
            by_function.setdefault(name, []).append(ended - began)
        top = sorted(by_function.items(), key=lambda item: sum(item[1]), reverse=True)
        return {
            "callbacks": len(inside),
            "python_ms": sum(c[2] - c[1] for c in inside) * 1000,
            "top": [
                {"function": name, "calls": len(times), "ms": sum(times) * 1000}
                for name, times in top[:5]
            ],
        }


def busy_ms(spans: list[tuple[float, float]], start: float, end: float) -> float:
    """How long at least one of ``spans`` ran within [start, end]."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans if b > start and a < end)
    total, reach = 0.0, start
    for a, b in clipped:
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total * 1000


def pyside_loses_singleton_refs() -> bool:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call.

    tests/qt/conftest.py explains it. A scroll over 120k rows makes enough such calls to
    free None and abort the interpreter, so this process pads the refcounts as the tests do.
    """
    from PySide6.QtCore import QSize

    if sys.version_info >= (3, 12):
        return False
    size = QSize()
    before = sys.getrefcount(None)
    for _ in range(64):
        size.setWidth(1)
    return before - sys.getrefcount(None) >= 32


def pad_singletons() -> None:
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40


def counting_cache(folder: Path):
    """A ThumbnailCache that counts what its workers did and when they were busy."""
    from explorer.core.images import ThumbnailCache

    class CountingCache(ThumbnailCache):
        def __init__(self, folder: Path) -> None:
            super().__init__(folder)
            self.counts_lock = threading.Lock()
            self.counts = {"decoded": 0, "from_cache": 0, "failed": 0}
            self.spans: list[tuple[float, float]] = []

        def get_or_make(self, *args, **kwargs):
            started = time.perf_counter()
            thumb = super().get_or_make(*args, **kwargs)
            kind = "from_cache" if thumb.from_cache else "failed" if thumb.data is None else None
            with self.counts_lock:
                self.counts[kind or "decoded"] += 1
                self.spans.append((started, time.perf_counter()))
            return thumb

        def snapshot(self) -> dict:
            with self.counts_lock:
                return dict(self.counts)

    return CountingCache(folder)


# --- 2. event-loop stalls: driving the window -----------------------------------------------


def wait_until(condition, timeout_s: float, what: str) -> float:
    """Run the event loop until ``condition()``; the seconds it took."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    wait = QEventLoop.ProcessEventsFlag.WaitForMoreEvents
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout_s:
            sys.exit(f"timed out after {timeout_s:.0f} s waiting for {what}")
        app.processEvents(wait, 20)
    return time.perf_counter() - start


def run_for(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def run_actions(actions: list, interval_ms: int, tracer: CallbackTracer | None = None) -> float:
    """Call each action from a timer, one every ``interval_ms``; the seconds it took."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    loop = QEventLoop()
    pending = iter(actions)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval_ms)

    def step() -> None:
        action = next(pending, None)
        if action is None:
            timer.stop()
            loop.quit()
        elif tracer is not None:
            tracer.action(action)
        else:
            action()

    timer.timeout.connect(step)
    start = time.perf_counter()
    timer.start()
    loop.exec()
    return time.perf_counter() - start


def visible_thumbnails_loaded(window) -> bool:
    """Every row the grid shows has its pixmap (or its error)."""
    from PySide6.QtCore import QPoint

    model, grid = window.grid_model, window.grid
    if window.images.listing or model.rowCount() == 0:
        return False
    viewport = grid.viewport().rect()
    first = grid.indexAt(viewport.topLeft() + QPoint(8, 8))
    if not first.isValid():
        return False
    for row in range(first.row(), min(model.rowCount(), first.row() + 200)):
        if not grid.visualRect(model.index(row)).intersects(viewport):
            break
        if not model.is_loaded(model.row(row).id):
            return False
    return True


def scroll_plan(bar, seconds: float) -> dict[str, tuple[list, int]]:
    """The user's scrolling: (actions, milliseconds between them) per phase."""
    from PySide6.QtWidgets import QAbstractSlider

    action = QAbstractSlider.SliderAction
    top = bar.maximum()
    steps = max(2, round(seconds * 1000 / FRAME_MS))
    values = [round(top * i / (steps - 1)) for i in range(steps)]
    # Dragging the scrollbar's handle from the top to the bottom, a move every frame.
    drag = [lambda v=v: bar.setValue(v) for v in values]

    def notch() -> None:  # a fast-spun wheel: three steps a frame, as Qt scrolls a notch
        for _ in range(3):
            bar.triggerAction(action.SliderSingleStepAdd)

    wheel = [lambda: bar.setValue(top // 2)] + [notch] * round(3000 / FRAME_MS)
    page_down = [lambda: bar.triggerAction(action.SliderPageStepAdd)] * 5
    page_up = [lambda: bar.triggerAction(action.SliderPageStepSub)] * 5
    jumps = [
        lambda: bar.setValue(0),
        *page_down,
        lambda: bar.setValue(top),  # End
        *page_up,
        lambda: bar.setValue(top // 3),
        lambda: bar.setValue(2 * top // 3),
        lambda: bar.setValue(0),  # Home
    ]
    return {"drag": (drag, FRAME_MS), "wheel": (wheel, FRAME_MS), "jumps": (jumps, JUMP_MS)}


def scroll(plan: dict, started: float, tracer: CallbackTracer | None = None) -> dict:
    phases = {}
    for name, (actions, interval) in plan.items():
        phase_start = time.perf_counter()
        took = run_actions(actions, interval, tracer)
        phases[name] = {"actions": len(actions), "seconds": took, "from_s": phase_start - started}
    run_for(0.5)
    return phases


def phase_at(phases: dict, at_s: float) -> str:
    for name, phase in phases.items():
        if phase["from_s"] <= at_s < phase["from_s"] + phase["seconds"]:
            return name
    return "after"


class Harness:
    """A MainWindow on the catalogue, with the signals and counters the passes need."""

    def __init__(self, work: Path, data_dir: str, name: str) -> None:
        from PySide6.QtCore import QSettings

        from explorer.qt.main_window import MainWindow

        self.settings = settings = QSettings(str(work / f"{name}.ini"), QSettings.Format.IniFormat)
        self.work, self.name = work, name
        self.cache = counting_cache(work / f"thumbnails-{name}")
        self.window = window = MainWindow(settings, lambda: self.cache, data_dir)
        self.ready: list[str] = []
        window.taxonomy_ready.connect(lambda: self.ready.append("taxonomy"))
        window.images_ready.connect(lambda: self.ready.append("images"))
        self.requests = self.delivered = 0
        self.decode = True
        original_request = window.loader.request

        def counted_request(*request_args) -> None:
            self.requests += 1
            if self.decode:
                original_request(*request_args)

        window.loader.request = counted_request
        window.loader.signals.loaded.connect(self._delivered)

    def _delivered(self, *_args) -> None:
        self.delivered += 1

    def open(self) -> None:
        """Show the window and load the taxonomy; the catalogue is opened by the caller."""
        self.window.show()
        self.window.load_taxonomy()
        wait_until(lambda: "taxonomy" in self.ready, 60, "the taxonomy")
        run_for(0.5)

    def close(self) -> None:
        """Close the window and write its settings now, not into a removed folder at exit."""
        self.window.close()
        self.settings.sync()

    def fresh_thumbnail_cache(self, label: str) -> None:
        """An empty disk cache: the next scroll decodes as much as the first one did."""
        self.cache = counting_cache(self.work / f"thumbnails-{self.name}-{label}")
        self.window.loader.cache = self.cache

    def select(self, wnid: str) -> dict:
        """Select ``wnid`` and wait for its rows and its first visible thumbnails."""
        self.ready.clear()
        started = time.perf_counter()
        self.window.select(wnid)
        call = time.perf_counter() - started
        wait_until(lambda: "images" in self.ready, 120, f"the images of {wnid}")
        images = time.perf_counter() - started
        if self.window.grid_model.rowCount() and self.decode:
            wait_until(lambda: visible_thumbnails_loaded(self.window), 60, "the thumbnails")
        shown = time.perf_counter() - started
        run_for(0.3)
        return {"select_call_ms": call * 1000, "images_ready_s": images, "thumbnails_s": shown}


def bench_stalls(data_dir: str, work: Path, args: argparse.Namespace) -> dict:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from explorer.core.catalogue import index_catalogue
    from explorer.core.wordnet import load_taxonomy

    results: dict = {"images": args.images, "distinct_files": args.distinct}
    print(f"  dataset: {args.images:,} hard links to {args.distinct} JPEGs ...", flush=True)
    started = time.perf_counter()
    manifest = make_dataset(work / "dataset", args.images, args.distinct)
    results["dataset_s"] = time.perf_counter() - started
    tax = load_taxonomy(None, data_dir)
    started = time.perf_counter()
    summary = index_catalogue(
        manifest,
        nouns=tax.graph,
        layout="manifest",
        catalogue=work / "catalogue.sqlite",
        data_dir=data_dir,
    )
    results["index_s"] = time.perf_counter() - started
    tax.close()
    if summary.labelled != args.images:
        sys.exit(f"indexed {summary.labelled} labelled images, expected {args.images}")
    for path in (work / "dataset" / "originals").iterdir():
        path.read_bytes()  # in the page cache: no figure pays for disk reads

    app = QApplication.instance() or QApplication(sys.argv[:1])

    def quiet(kind, context, message) -> None:  # the offscreen platform's one complaint
        if "propagateSizeHints" not in message and kind != QtMsgType.QtDebugMsg:
            print(f"Qt: {message}", file=sys.stderr)

    qInstallMessageHandler(quiet)
    results["pyside_singleton_leak"] = pyside_loses_singleton_refs()
    results["singletons_padded"] = results["pyside_singleton_leak"] and not args.no_pad
    if results["singletons_padded"]:
        pad_singletons()
    if args.switch_interval_ms:  # an experiment: how much of a stall is waiting for the GIL
        sys.setswitchinterval(args.switch_interval_ms / 1000)
    results["switch_interval_ms"] = sys.getswitchinterval() * 1000

    harness = Harness(work, data_dir, "measured")
    window = harness.window
    if args.thumbnail_threads is not None:  # an experiment; 0: requests are dropped
        window.loader.set_thread_count(max(1, args.thumbnail_threads))
        harness.decode = args.thumbnail_threads > 0
    results["thumbnail_threads"] = window.loader.thread_count() if harness.decode else 0
    harness.open()
    monitor = LoopMonitor()

    print("  open the catalogue, select the node ...", flush=True)
    monitor.start()
    window.open_catalogue(work / "catalogue.sqlite")  # counts for the tree: GUI thread
    run_for(0.5)
    results["open_catalogue"] = monitor.stop()

    # The worker lists 120k ids (list_images), the grid reads the visible window of rows,
    # the first thumbnails arrive.
    monitor.start()
    select = harness.select(GOLDEN)
    results["select"] = {**monitor.stop(), **select, "rows": window.grid_model.rowCount()}
    if window.grid_model.rowCount() != args.images:
        sys.exit(f"the grid shows {window.grid_model.rowCount()} rows, expected {args.images}")
    run_for(1.0)

    bar, grid = window.grid.verticalScrollBar(), window.grid
    results["grid"] = {
        "viewport": [grid.viewport().width(), grid.viewport().height()],
        "icon_size": grid.iconSize().width(),
        "cell": [grid.gridSize().width(), grid.gridSize().height()],
        "scroll_max_px": bar.maximum(),
        "single_step_px": bar.singleStep(),
        "page_step_px": bar.pageStep(),
    }
    plan = scroll_plan(bar, args.scroll_seconds)

    # Baseline: the same window, idle, for as long as the scrolling should take.
    print("  idle window (baseline) ...", flush=True)
    monitor.start()
    run_for(sum(len(actions) * ms for actions, ms in plan.values()) / 1000 + 0.5)
    results["idle"] = monitor.stop()

    print("  scrolling ...", flush=True)
    before = harness.cache.snapshot()
    harness.requests = harness.delivered = 0
    monitor.start()
    phases = scroll(plan, monitor.ticks[0])
    figures = monitor.stop()
    after = harness.cache.snapshot()
    figures["phases"] = phases
    figures["thumbnails"] = {
        "requested": harness.requests,
        **{kind: after[kind] - before[kind] for kind in after},
        "delivered_to_gui": harness.delivered,
    }
    for gap in figures["longest"]:
        gap["phase"] = phase_at(phases, gap["at_s"])
    results["scroll"] = figures
    results["ratio_max"] = figures["max_ms"] / results["idle"]["max_ms"]
    results["ratio_p99"] = figures["p99_ms"] / results["idle"]["p99_ms"]

    harness.close()
    app.processEvents()
    if not args.no_profile:
        print("  where the time goes (instrumented passes) ...", flush=True)
        select_profile = profile_select(work, data_dir)
        results["attribution"] = attribute(work, data_dir, args)
        results["attribution"]["select_profile"] = select_profile
    return results


# --- 2. event-loop stalls: where the time goes ----------------------------------------------


def attribute(work: Path, data_dir: str, args: argparse.Namespace) -> dict:
    """Select and scroll again in a second window, traced: what ran during each stall.

    Not the figures: the tracing costs a little on every Python call from Qt.
    """
    from explorer.core import ListingJob

    tracer, monitor = CallbackTracer(), LoopMonitor()
    jobs: list[tuple[float, float]] = []
    list_images = ListingJob.run

    def timed_list_images(*job_args, **job_kwargs):
        started = time.perf_counter()
        try:
            return list_images(*job_args, **job_kwargs)
        finally:
            jobs.append((started, time.perf_counter()))

    ListingJob.run = timed_list_images  # the Workspace's listing job, run by the images panel
    tracer.install()
    harness = Harness(work, data_dir, "traced")
    results = {}
    try:
        harness.open()
        harness.window.open_catalogue(work / "catalogue.sqlite")
        for name in ("select", "scroll"):
            harness.select(TENCH)  # no images: the next select lists all 120k rows again
            harness.fresh_thumbnail_cache(name)
            if name == "scroll":
                harness.select(GOLDEN)
                run_for(1.0)
                plan = scroll_plan(harness.window.grid.verticalScrollBar(), args.scroll_seconds)
            monitor.start()
            tracer.calls, tracer.recording = [], True
            if name == "select":
                phases = harness.select(GOLDEN)
            else:
                phases = scroll(plan, monitor.ticks[0], tracer)
            tracer.recording = False
            figures = monitor.stop()
            stalls = []
            for start, length in monitor.longest():
                if length * 1000 <= STALL_MS and stalls:
                    break
                end = start + length
                stall = {"ms": length * 1000, "at_s": start - monitor.ticks[0]}
                if name == "scroll":
                    stall["phase"] = phase_at(phases, stall["at_s"])
                stall.update(tracer.during(start, end))
                stall["list_images_job_ms"] = busy_ms(jobs, start, end)
                stall["thumbnail_workers_ms"] = busy_ms(harness.cache.spans, start, end)
                stalls.append(stall)
            results[name] = {"figures": figures, "stalls": stalls}
    finally:
        harness.close()
        tracer.uninstall()
        ListingJob.run = list_images
    return results


def profile_select(work: Path, data_dir: str) -> dict:
    """cProfile of a fresh window's first select: select() itself and the listing's arrival."""
    harness = Harness(work, data_dir, "profiled")
    window = harness.window
    profiles = {"select()": cProfile.Profile(), "_listed()": cProfile.Profile()}
    images_listed = window.images._listed

    def profiled_images_listed(*listed_args):
        return profiles["_listed()"].runcall(images_listed, *listed_args)

    # the Workspace's images_listed event calls it; connected before: connect the wrapper
    window.workspace.images_listed.disconnect(images_listed)
    window.workspace.images_listed.connect(profiled_images_listed)
    try:
        harness.open()
        window.open_catalogue(work / "catalogue.sqlite")
        run_for(0.5)
        harness.ready.clear()
        profiles["select()"].runcall(window.select, GOLDEN)
        wait_until(lambda: "images" in harness.ready, 120, "the images")
    finally:
        harness.close()
    return {name: top_functions(profiler) for name, profiler in profiles.items()}


def top_functions(profiler: cProfile.Profile, count: int = 10) -> dict:
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():
        with contextlib.suppress(ValueError):
            filename = str(Path(filename).resolve().relative_to(ROOT))
        rows.append(
            {
                "function": f"{filename}:{line} {name}" if line else name,
                "calls": calls,
                "own_ms": tottime * 1000,
                "cum_ms": cumtime * 1000,
            }
        )
    rows.sort(key=lambda row: row["own_ms"], reverse=True)
    return {"total_ms": stats.total_tt * 1000, "top": rows[:count]}


# --- the report -----------------------------------------------------------------------------


def machine() -> dict:
    from importlib import metadata

    return common_machine(
        pyside6=metadata.version("PySide6-Essentials"),
        qpa=os.environ.get("QT_QPA_PLATFORM", ""),
        PYTHONDONTWRITEBYTECODE=os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    )


def verdict(value: float, target: float) -> str:
    return "met" if value < target else "MISSED"


def report_start(start: dict) -> None:
    app, floor, tax = start["app"], start["qt_floor"], start["taxonomy"]
    runs = len(app["all_s"])
    print(f"\n== 1. Warm start to the first painted tree (fresh process each, {runs} runs)")
    ready = start["app_taxonomy_in_use"]
    for label, figures in (
        ("Qt floor: QMainWindow + empty QTreeView", floor),
        ("wnexplorer gui, warm taxonomy cache", app),
        ("· and to the whole taxonomy in use", ready),
        ("for scale: import + load_taxonomy() alone", tax),
    ):
        each = ", ".join(f"{s:.3f}" for s in figures["all_s"])
        print(
            f"  {label:<43} best {figures['best_s']:.3f} s  median {figures['median_s']:.3f} s"
            f"  ({each})"
        )
    print(
        f"  ratio app / Qt floor: median {start['ratio_median']:.2f}x, best "
        f"{start['ratio_best']:.2f}x;  target median < {TARGETS['start_median_s']} s: "
        f"{verdict(app['median_s'], TARGETS['start_median_s'])}"
    )
    print("  where the median app run spent its time (seconds from Popen):")
    for name, when in sorted(app["median_run_marks_s"].items(), key=lambda item: item[1]):
        print(f"    {when:6.3f}  {name}")


def fmt_gaps(figures: dict) -> str:
    return (
        f"max {figures['max_ms']:6.1f} ms  p99 {figures['p99_ms']:5.1f} ms  "
        f"p50 {figures['p50_ms']:4.1f} ms  >16.7 ms: {figures['over_16ms']:3d}  "
        f">50 ms: {figures['over_50ms']:3d}  ({figures['iterations']:,} iterations "
        f"in {figures['seconds']:.1f} s)"
    )


def report_longest(figures: dict) -> None:
    for gap in figures["longest"]:
        if gap["ms"] <= STALL_MS and gap is not figures["longest"][0]:
            break
        phase = f" ({gap['phase']})" if "phase" in gap else ""
        print(f"      gap {gap['ms']:6.1f} ms at {gap['at_s']:5.2f} s{phase}")


def report_stalls(stalls: dict) -> None:
    grid = stalls["grid"]
    print(
        f"\n== 2. Event-loop gaps, {stalls['images']:,} images of {GOLDEN} "
        f"({stalls['distinct_files']} distinct JPEGs); indexed in {stalls['index_s']:.1f} s"
    )
    print(
        f"  grid: viewport {grid['viewport'][0]}x{grid['viewport'][1]}, {grid['icon_size']} px "
        f"thumbnails in {grid['cell'][0]}x{grid['cell'][1]} cells, scroll range "
        f"{grid['scroll_max_px']:,} px (step {grid['single_step_px']}, page "
        f"{grid['page_step_px']}); {stalls['thumbnail_threads']} decoding threads; GIL switch "
        f"interval {stalls['switch_interval_ms']:g} ms"
    )
    if stalls["pyside_singleton_leak"]:
        print(
            "  NOTE: PySide6 loses references to None/True/False on this Python (see "
            "tests/qt/conftest.py); "
            + ("padded them, as the tests do" if stalls["singletons_padded"] else "NOT padded")
        )
    print(f"  open_catalogue (counts):   {fmt_gaps(stalls['open_catalogue'])}")
    select = stalls["select"]
    print(f"  select {GOLDEN} (120k):  {fmt_gaps(select)}")
    print(
        f"      select() returned in {select['select_call_ms']:.0f} ms; images_ready after "
        f"{select['images_ready_s']:.2f} s; visible thumbnails after {select['thumbnails_s']:.2f} s"
    )
    report_longest(select)
    print(f"  baseline, idle window:     {fmt_gaps(stalls['idle'])}")
    scroll = stalls["scroll"]
    print(f"  scrolling:                 {fmt_gaps(scroll)}")
    for name, phase in scroll["phases"].items():
        print(f"      {name:<6} {phase['actions']:4d} actions in {phase['seconds']:.1f} s")
    thumbs = scroll["thumbnails"]
    print(
        f"      thumbnails: {thumbs['requested']:,} requested, {thumbs['decoded']:,} decoded, "
        f"{thumbs['from_cache']:,} read from the disk cache, {thumbs['failed']} failed, "
        f"{thumbs['delivered_to_gui']:,} delivered to the grid"
    )
    report_longest(scroll)
    print(
        f"  ratio scrolling / idle: max {stalls['ratio_max']:.1f}x, p99 "
        f"{stalls['ratio_p99']:.1f}x;  target no gap over {STALL_MS:.0f} ms while scrolling: "
        f"{verdict(scroll['max_ms'], TARGETS['scroll_max_gap_ms'])}"
    )
    if "attribution" in stalls:
        report_attribution(stalls["attribution"])


def report_attribution(attribution: dict) -> None:
    print(
        "\n== Where the time goes: the same select and scroll in a second window, with every "
        "Python call from Qt on the GUI thread timed (not the figures: tracing costs a little)"
    )
    for name in ("select", "scroll"):
        done = attribution[name]
        print(f"  {name}: {fmt_gaps(done['figures'])}")
        for stall in done["stalls"]:
            phase = f" ({stall['phase']})" if "phase" in stall else ""
            outside = stall["ms"] - stall["python_ms"]
            print(
                f"    gap {stall['ms']:6.1f} ms at {stall['at_s']:5.2f} s{phase}: "
                f"{stall['callbacks']:,} Python calls from Qt took {stall['python_ms']:.1f} ms, "
                f"{outside:.1f} ms outside Python; workers busy: list images "
                f"{stall['list_images_job_ms']:.0f} ms, thumbnails "
                f"{stall['thumbnail_workers_ms']:.0f} ms"
            )
            for top in stall["top"][:4]:
                print(f"        {top['calls']:6,} x {top['ms']:7.1f} ms  {top['function']}")
    for name, profile in attribution["select_profile"].items():
        print(
            f"  cProfile of a fresh window's first {name} on the GUI thread "
            f"({profile['total_ms']:.0f} ms), by own time:"
        )
        for row in profile["top"][:8]:
            print(
                f"    {row['own_ms']:7.1f} ms own {row['cum_ms']:7.1f} ms cum "
                f"{row['calls']:8,} calls  {row['function']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        help="app data directory whose taxonomy cache is used (built if missing; default: "
        "a temporary directory, removed afterwards)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--runs", type=int, default=5, help="start-up processes of each kind [5]")
    parser.add_argument("--images", type=int, default=120_000, help="grid rows [120000]")
    parser.add_argument("--distinct", type=int, default=50, help="distinct JPEG files [50]")
    parser.add_argument(
        "--scroll-seconds", type=float, default=10.0, help="top-to-bottom drag [10]"
    )
    parser.add_argument("--skip-start", action="store_true", help="skip figure 1")
    parser.add_argument("--skip-stalls", action="store_true", help="skip figure 2")
    parser.add_argument(
        "--no-profile",
        action="store_true",
        help="skip the instrumented passes that say where the stalls' time goes",
    )
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        help="set sys.setswitchinterval for figure 2 (an experiment; Python's default is 5 ms)",
    )
    parser.add_argument(
        "--thumbnail-threads",
        type=int,
        help="the grid's decoding threads for figure 2 (an experiment; the window uses 2; "
        "0 drops every request, so nothing is decoded)",
    )
    parser.add_argument("--no-pad", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # here and in every child

    work = Path(tempfile.mkdtemp(prefix="wnexplorer-bench-gui-"))
    data_dir = args.data_dir or str(work / "data")
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine(),
        "commit": git_state(),
        "data_dir": data_dir,
        "targets": TARGETS,
    }
    try:
        print(f"taxonomy cache in {data_dir} ...", flush=True)
        build = [sys.executable, "-c", TAXONOMY_CHILD, data_dir]
        subprocess.run(build, check=True, stdout=subprocess.DEVNULL)  # built once, if missing
        if not args.skip_start:
            print("1. start to the first painted tree ...", flush=True)
            results["start"] = bench_start(data_dir, args.runs)
        if not args.skip_stalls:
            print("2. event-loop gaps ...", flush=True)
            results["stalls"] = bench_stalls(data_dir, work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_after"] = loadavg()
    info = results["machine"]
    print(
        f"\n{results['date']}: {info['nproc']} x {info['cpu']}, Python {info['python']}, "
        f"PySide6 {info['pyside6']} ({info['qpa']}); load average {info['loadavg_before']} "
        f"before, {info['loadavg_after']} after; commit {results['commit']}"
    )
    if "start" in results:
        report_start(results["start"])
    if "stalls" in results:
        report_stalls(results["stalls"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
