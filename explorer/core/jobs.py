"""Progress and cancellation for long core jobs, without Qt.

A long job is a plain function that takes a ``state`` argument. It calls
``state.progress(done, total, message)`` now and then and ``state.check()``
between units of work; ``check`` raises :class:`Cancelled` once the caller
asked to stop. The CLI passes a state that prints to stderr, the GUI one that
emits Qt signals, tests a plain :class:`JobState`.

>>> state = JobState()
>>> state.progress(3, 10, "Counting")
>>> state.done, state.total, state.message
(3, 10, 'Counting')
>>> state.cancel()
>>> state.check()
Traceback (most recent call last):
explorer.core.errors.Cancelled: cancelled by the user
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from explorer.core.errors import Cancelled


class JobState:
    """Progress sink and cancel flag for one run of a long job."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.done = 0
        self.total: int | None = None
        self.message = ""

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        self.done, self.total = done, total
        if message:
            self.message = message

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("cancelled by the user")


class StderrProgress(JobState):
    """Prints progress to stderr: one refreshed line on a terminal, sparse lines otherwise."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.5) -> None:
        super().__init__()
        self._stream = stream or sys.stderr
        self._interval = interval
        self._last = 0.0
        self._tty: bool = getattr(self._stream, "isatty", lambda: False)()
        self._open_line = False

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        super().progress(done, total, message)
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - self._last < self._interval and not finished:
            return
        self._last = now
        if done == 0 and not finished:  # the job starts: its name, not a count of nothing
            text = f"{self.message} …"
        elif total:
            text = f"{self.message}: {done:,}/{total:,} ({100 * done // total}%)"
        else:
            text = f"{self.message}: {done:,}"
        if self._tty:
            self._stream.write("\r\033[K" + text)
            self._open_line = not finished
            if finished:
                self._stream.write("\n")
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._open_line:
            self._stream.write("\n")
            self._stream.flush()
            self._open_line = False
