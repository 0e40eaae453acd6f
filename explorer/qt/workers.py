"""Run core jobs off the GUI thread: QRunnable + a signals QObject, cancel through the core state.

Core jobs are plain functions taking ``state`` (explorer.core.jobs.JobState);
``Job`` runs one in the global QThreadPool and reports back with signals,
which Qt delivers on the GUI thread. ``JobRunner`` keeps running jobs alive,
cancels them and waits for them when the window closes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QWidget

from explorer.core.errors import Cancelled, ExplorerError
from explorer.core.jobs import JobState

log = logging.getLogger(__name__)

T = TypeVar("T")


class JobSignals(QObject):
    progress = Signal(int, int, str)  # done, total (-1: unknown), message
    finished = Signal(object)  # the job's return value
    failed = Signal(str)  # a message for the user
    cancelled = Signal()


class QtJobState(JobState):
    """A JobState whose progress becomes a (throttled) Qt signal."""

    def __init__(self, signals: JobSignals, interval: float = 0.05) -> None:
        super().__init__()
        self._signals = signals
        self._interval = interval
        self._last = 0.0

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        super().progress(done, total, message)
        now = time.monotonic()
        if now - self._last >= self._interval or (total is not None and done >= total):
            self._last = now
            self._signals.progress.emit(done, -1 if total is None else total, self.message)


class Job(QRunnable):
    """One call of ``function(*args, state=..., **kwargs)`` on a pool thread."""

    def __init__(self, function: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner owns it until it has reported
        self.signals = JobSignals()
        self.state = QtJobState(self.signals)
        self._call = (function, args, kwargs)
        self.done = False

    def run(self) -> None:
        function, args, kwargs = self._call
        try:
            result = function(*args, state=self.state, **kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except ExplorerError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # last resort: a worker must never take the app down
            log.exception("background job %s failed", getattr(function, "__name__", function))
            self.signals.failed.emit(f"Unexpected error: {type(exc).__name__}: {exc}")
        else:
            self.signals.finished.emit(result)
        finally:
            self.done = True

    def cancel(self) -> None:
        self.state.cancel()


class JobRunner(QObject):
    """Starts jobs, keeps them alive while they run, cancels and waits for them on shutdown."""

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._jobs: set[Job] = set()

    def start(
        self,
        function: Callable[..., T],
        *args: Any,
        on_finished: Callable[[T], object] | None = None,
        on_failed: Callable[[str], object] | None = None,
        on_progress: Callable[[int, int, str], object] | None = None,
        on_cancelled: Callable[[], object] | None = None,
        **kwargs: Any,
    ) -> Job:
        """Run ``function(*args, state=..., **kwargs)`` in the pool; the slots given are
        called on this thread with its result, a failure's message, its progress (done,
        total or -1, message), or when it was cancelled."""
        job = Job(function, *args, **kwargs)
        if on_finished is not None:
            job.signals.finished.connect(on_finished)
        if on_failed is not None:
            job.signals.failed.connect(on_failed)
        if on_progress is not None:
            job.signals.progress.connect(on_progress)
        if on_cancelled is not None:
            job.signals.cancelled.connect(on_cancelled)
        for signal in (job.signals.finished, job.signals.failed, job.signals.cancelled):
            signal.connect(lambda *_, job=job: self._jobs.discard(job))
        self._jobs.add(job)
        self.pool.start(job)
        return job

    def running(self) -> int:
        return sum(1 for job in self._jobs if not job.done)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job and wait for the pool; True if everything stopped in time."""
        for job in list(self._jobs):
            job.cancel()
        return self.pool.waitForDone(timeout_ms)


class AfterFirstPaint(QObject):
    """Calls ``callback`` once, right after ``widget`` has painted for the first time."""

    def __init__(self, widget: QWidget, callback: Callable[[], object]) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)
        return False
