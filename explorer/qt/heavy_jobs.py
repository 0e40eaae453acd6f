"""Where heavy jobs run (Catalogue ▸ Where heavy jobs run…): here, a local Dask cluster, or
a cluster the user started; kept in the settings, read when a job starts.

The choice becomes the core's ``ClusterSpec`` (:mod:`explorer.core.cluster`), or None for
in-process; the audit on the busy bar runs there, its progress the cluster's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.qt.palette import ERROR_TEXT

if TYPE_CHECKING:
    from explorer.core.cluster import ClusterSpec

_WHERE, _WORKERS, _SCHEDULER, _PATH_MAP = (
    "heavy_jobs/where",
    "heavy_jobs/workers",
    "heavy_jobs/scheduler",
    "heavy_jobs/path_map",
)


def cluster_from_settings(settings: QSettings) -> ClusterSpec | None:
    """The cluster the settings name; None: in-process (also for a choice no longer valid)."""
    from explorer.core.cluster import ClusterSpec, parse_path_map

    where = settings.value(_WHERE, "here")
    try:
        path_map = parse_path_map(_lines(settings.value(_PATH_MAP, "")))
        if where == "local":
            return ClusterSpec(workers=int(str(settings.value(_WORKERS, 2))), path_map=path_map)
        if where == "cluster" and str(settings.value(_SCHEDULER, "")).strip():
            scheduler = str(settings.value(_SCHEDULER)).strip()
            return ClusterSpec(scheduler=scheduler, path_map=path_map)
    except (TypeError, ValueError):
        return None
    return None


def _lines(value: object) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


class HeavyJobsDialog(QDialog):
    """The three choices, the local cluster's size, the scheduler's address, the path map."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Where heavy jobs run")
        self.settings = settings
        self.here = QRadioButton("On this computer, as before (a few processes)")
        self.local = QRadioButton("On a local Dask cluster of")
        self.cluster = QRadioButton("On the Dask cluster whose scheduler is at")
        self.choices = QButtonGroup(self)
        for button in (self.here, self.local, self.cluster):
            self.choices.addButton(button)
        self.workers = QSpinBox(minimum=1, maximum=256, suffix=" processes")
        self.scheduler = QLineEdit(placeholderText="tcp://10.0.0.5:8786")
        self.path_map = QPlainTextEdit()
        self.path_map.setPlaceholderText("/data/imagenet=/mnt/imagenet")
        self.path_map.setMaximumHeight(4 * self.fontMetrics().height() + 12)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {ERROR_TEXT.name()};")
        self.error.setWordWrap(True)
        about = QLabel(
            "The audit and <code>wnexplorer thumbnails</code> decode every image: 10 to 20 "
            "core-hours for ImageNet-21k. A cluster spreads them over processes or machines; "
            "this window alone writes the catalogue. Start a cluster with "
            "<code>dask scheduler</code>, then <code>dask worker ADDRESS</code> on each machine."
        )
        about.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.here)
        form.addRow(self.local, self.workers)
        form.addRow(self.cluster, self.scheduler)
        form.addRow(
            QLabel("Path map (LOCAL=REMOTE, one a line): where the workers see the data"),
        )
        form.addRow(self.path_map)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._load()

    def _load(self) -> None:
        settings = self.settings
        where = settings.value(_WHERE, "here")
        {"local": self.local, "cluster": self.cluster}.get(str(where), self.here).setChecked(True)
        try:
            self.workers.setValue(int(str(settings.value(_WORKERS, 2))))
        except (TypeError, ValueError):
            self.workers.setValue(2)
        self.scheduler.setText(str(settings.value(_SCHEDULER, "")))
        self.path_map.setPlainText(str(settings.value(_PATH_MAP, "")))

    def accept(self) -> None:
        """Keep the choice, unless it is incomplete or malformed (said in the dialog)."""
        from explorer.core.cluster import parse_path_map

        lines = _lines(self.path_map.toPlainText())
        try:
            parse_path_map(lines)
        except ValueError as exc:
            self.error.setText(str(exc).replace("--path-map", "The path map"))
            return
        address = self.scheduler.text().strip()
        if self.cluster.isChecked() and not address:
            self.error.setText("Give the scheduler's address, as tcp://host:8786.")
            return
        where = (
            "local" if self.local.isChecked() else "cluster" if self.cluster.isChecked() else "here"
        )
        for key, value in (
            (_WHERE, where),
            (_WORKERS, self.workers.value()),
            (_SCHEDULER, address),
            (_PATH_MAP, "\n".join(lines)),
        ):
            self.settings.setValue(key, value)
        super().accept()
