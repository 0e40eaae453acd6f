"""The busy bar: the status bar's progress and Cancel button for the one long job at a time.

Indexing, auditing and making the demo run one at a time, each a core job on
a worker (explorer.qt.workers); the taxonomy's load shows here too. Its
failure is a dialog; a cancel says so in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox, QProgressBar, QPushButton

from explorer.core.jobs import JobState
from explorer.qt.workers import Job, JobRunner

T = TypeVar("T")


class BusyBar(QObject):
    """Progress and Cancel in ``window``'s status bar for jobs started with :meth:`start`."""

    busy_changed = Signal(bool)

    def __init__(self, window: QMainWindow, runner: JobRunner) -> None:
        super().__init__(window)
        self.window, self.runner = window, runner
        self._job: Job | None = None
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        window.statusBar().addPermanentWidget(self.progress)
        window.statusBar().addPermanentWidget(self.cancel_button)

    @property
    def busy(self) -> bool:
        """Whether a job started here is running."""
        return self._job is not None

    def start(
        self,
        message: str,
        function: Callable[[JobState], T],
        on_finished: Callable[[T], object],
        on_cancelled: Callable[[], object] | None = None,
    ) -> bool:
        """Run ``function(state)`` on a worker with progress here; ``on_finished(result)``
        after :meth:`hide`-ing is the caller's. False (and said) while another job runs."""
        if self._job is not None:
            QMessageBox.information(self.window, "Busy", "Another job is running; cancel it first.")
            return False
        self.show(message)
        self._job = self.runner.start(
            function,
            on_finished=on_finished,
            on_failed=self.failed,
            on_progress=self.show_progress,
            on_cancelled=on_cancelled or self.cancelled,
        )
        self.cancel_button.setVisible(True)
        self.busy_changed.emit(True)
        return True

    def show(self, message: str) -> None:
        """Say ``message`` with a bar that runs until it is told how far the work is."""
        self.window.statusBar().showMessage(message)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)

    def hide(self) -> None:
        was_busy, self._job = self._job is not None, None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.window.statusBar().clearMessage()
        if was_busy:
            self.busy_changed.emit(False)

    def show_progress(self, done: int, total: int, message: str) -> None:
        status = self.window.statusBar()
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            status.showMessage(f"{message}: {done:,} of {total:,}")
        else:
            self.progress.setRange(0, 0)
            status.showMessage(f"{message}: {done:,}")

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.window.statusBar().showMessage("Cancelling…")

    def failed(self, message: str) -> None:
        self.hide()
        QMessageBox.warning(self.window, "WordNet Explorer", message)

    def cancelled(self) -> None:
        self.hide()
        self.window.statusBar().showMessage("Cancelled", 5000)
