"""Run core jobs off the GUI thread: QRunnable + a signals QObject, cancel through the core state.

Core jobs are plain functions taking ``state`` (explorer.core.jobs.JobState);
``Job`` runs one in the global QThreadPool and reports back with signals,
which Qt delivers on the GUI thread. ``JobRunner`` keeps running jobs alive,
cancels them and waits for them when the window closes.

Closing: :func:`shut_down` cancels every job, waits for the pool a bounded time and
detaches the jobs. A detached job emits nothing more, and what it emitted before that
and Qt has not delivered yet is dropped: no slot runs after the window closed, and a job
still running (one that does not look at its cancel flag in time) cannot emit through a
signals object PySide has deleted at exit. That printed ``RuntimeError: Signal source has
been deleted`` from the pool's thread (issue 14: a 14-million-row listing at exit).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QWidget

from explorer.core.errors import Cancelled, ExplorerError
from explorer.core.jobs import JobState

log = logging.getLogger(__name__)

T = TypeVar("T")

JOB_WAIT_S = 3.0  # closing waits at most this long for cancelled jobs to return


class JobSignals(QObject):
    progress = Signal(int, int, str)  # done, total (-1: unknown), message
    finished = Signal(object)  # the job's return value
    failed = Signal(str)  # a message for the user
    cancelled = Signal()


class QtJobState(JobState):
    """A JobState whose progress becomes a (throttled) Qt signal, through its job."""

    def __init__(self, job: Job, interval: float = 0.05) -> None:
        super().__init__()
        self._job = job
        self._interval = interval
        self._last = 0.0

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        super().progress(done, total, message)
        now = time.monotonic()
        if now - self._last >= self._interval or (total is not None and done >= total):
            self._last = now
            self._job.report("progress", done, -1 if total is None else total, self.message)


class Job(QRunnable):
    """One call of ``function(*args, state=..., **kwargs)`` on a pool thread."""

    def __init__(self, function: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner owns it until it has reported
        self.signals = JobSignals()
        self.state = QtJobState(self)
        self._call = (function, args, kwargs)
        self.done = False
        self.detached = False  # set under _gate (by detach, or report finding no signals)
        self._gate = threading.Lock()

    def run(self) -> None:
        function, args, kwargs = self._call
        try:
            result = function(*args, state=self.state, **kwargs)
        except Cancelled:
            self.report("cancelled")
        except Exception as exc:
            if self.state.cancelled:  # what a cancel interrupted (SQLite's "interrupted"...)
                log.debug("a cancelled job ended with %r", exc)
                self.report("cancelled")
            elif isinstance(exc, ExplorerError):
                self.report("failed", str(exc))
            else:  # last resort: a worker must never take the app down
                log.exception("background job %s failed", getattr(function, "__name__", function))
                self.report("failed", f"Unexpected error: {type(exc).__name__}: {exc}")
        else:
            self.report("finished", result)
        finally:
            self.done = True

    def report(self, signal: str, *args: object) -> None:
        """Emit ``signal`` of :attr:`signals` with ``args``, unless the job was detached."""
        with self._gate:  # detach() waits for an emit under way: none starts after it
            if self.detached:
                return
            try:
                getattr(self.signals, signal).emit(*args)
            except RuntimeError:  # its QObject is gone: the app was torn down undetached
                self.detached = True
                log.debug("a job's %s came after its signals were deleted", signal)

    def cancel(self) -> None:
        self.state.cancel()

    def detach(self) -> None:
        """From now on nothing the job emits, nor anything it emitted and the event loop
        has not delivered yet, reaches a slot. Returns once an emit under way is done."""
        with self._gate:
            self.detached = True

    def delivered(self, slot: Callable[..., object]) -> Callable[..., None]:
        """``slot``, called (on the GUI thread) only while the job is not detached and,
        for a method of a QObject, while that object lives: what connecting the method
        itself would give, which a wrapper loses."""
        owner = getattr(slot, "__self__", None)
        receiver = owner if isinstance(owner, QObject) else None

        def deliver(*args: Any) -> None:
            if self.detached or (receiver is not None and not shiboken6.isValid(receiver)):
                return
            slot(*args)

        return deliver


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
        signals = job.signals
        for signal, slot in (
            (signals.finished, on_finished),
            (signals.failed, on_failed),
            (signals.progress, on_progress),
            (signals.cancelled, on_cancelled),
        ):
            if slot is not None:
                signal.connect(job.delivered(slot))
        for signal in (signals.finished, signals.failed, signals.cancelled):
            signal.connect(lambda *_, job=job: self._jobs.discard(job))
        self._jobs.add(job)
        self.pool.start(job)
        return job

    def running(self) -> int:
        return sum(1 for job in self._jobs if not job.done)

    def cancel_all(self) -> None:
        """Ask every job to stop (through its state); returns at once."""
        for job in list(self._jobs):
            job.cancel()

    def shutdown(self, timeout_ms: int = round(JOB_WAIT_S * 1000)) -> bool:
        """Cancel every job, wait up to ``timeout_ms`` for the pool, then detach the jobs
        (:meth:`Job.detach`: no slot of theirs runs any more); True if everything
        stopped in time. A job still running goes on to its end, silently."""
        self.cancel_all()
        stopped = self.pool.waitForDone(max(0, timeout_ms))
        for job in list(self._jobs):
            job.detach()
        self._jobs = {job for job in self._jobs if not job.done}
        if not stopped:
            log.info("%d background jobs still running after the wait", self.running())
        return stopped


def shut_down(runners: Iterable[JobRunner], timeout: float = JOB_WAIT_S) -> bool:
    """Cancel the jobs of every runner in ``runners`` (they may share a pool), then wait for
    them, all within ``timeout`` seconds, and detach them; True if all stopped in time."""
    runners = list(runners)
    for runner in runners:
        runner.cancel_all()  # all at once: each stops while the others are waited for
    deadline = time.monotonic() + timeout
    stopped = True
    for runner in runners:
        left = round((deadline - time.monotonic()) * 1000)
        stopped = runner.shutdown(left) and stopped
    return stopped


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
