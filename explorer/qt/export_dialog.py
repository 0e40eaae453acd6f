"""The export dialog: the synsets selected in the tree, what to write, a preview, then the file.

The preview is the export itself, computed in a worker by the core's
``run_export`` without an output, and shown with the counts it will write;
the Export button asks where and runs the same request with that output,
with the job's progress in a bar and a Cancel button. A cancelled export (or
one under way when the dialog closes) leaves no file, as an interrupted
``wnexplorer export`` does: the core writes beside the output and renames at
the end.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.exports import (
    EXPORT_KINDS,
    FLAGGED_CHOICES,
    FOLDER_KINDS,
    FOLDER_MODES,
    FORMATS,
    IMAGE_KINDS,
    OVERLAP_CHOICES,
    PREVIEW_ROWS,
    ExportRequest,
    file_suffix,
)
from explorer.core.text import plural
from explorer.qt.palette import ERROR_TEXT

if TYPE_CHECKING:
    from explorer.core.exports import ExportKind, ExportReport, ExportResult, Flagged, OnOverlap
    from explorer.core.jobs import JobState
    from explorer.qt.main_window import MainWindow
    from explorer.qt.workers import Job, JobRunner

    RunExport = Callable[[ExportRequest, JobState], ExportResult]

PREVIEW_LINES = 200

# The choices are the core's (explorer.core.exports): only their labels are the dialog's.
KIND_LABELS: dict[ExportKind, str] = {
    "subtree": "Subtree list: the synsets under them",
    "images": "Image list: their images with class indexes",
    "classmap": "Class map: the synsets as classes",
    "superclasses": "Superclass subset (BREEDS): image list + class map",
    "folders": "Folder layout: <wnid>/<file> links or copies",
}
FLAGGED_LABELS: dict[Flagged, str] = {
    "exclude": "Leave flagged images out",
    "include": "Include flagged images",
    "only": "Only flagged images",
}
OVERLAP_LABELS: dict[OnOverlap, str] = {
    "specific": "An image under several chosen synsets: the most specific",
    "fail": "An image under several chosen synsets: stop and list them",
}


class ExportDialog(QDialog):
    """``run(request, state)`` runs an export (the window's: taxonomy and catalogue bound)."""

    preview_ready = Signal()
    exported = Signal(object)  # the ExportReport

    def __init__(
        self,
        wnids: Sequence[str],
        names: Sequence[str],
        run: RunExport,
        runner: JobRunner,
        has_catalogue: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.resize(760, 620)
        self.wnids = list(wnids)
        self._names = dict(zip(self.wnids, names, strict=True))
        self._run, self._runner = run, runner
        self._generation = 0
        self._preview_job: Job | None = None
        self._export_job: Job | None = None
        self.last_report: ExportReport | None = None
        self.last_error: str | None = None

        chosen = ", ".join(f"{name} ({wnid})" for wnid, name in zip(self.wnids, names, strict=True))
        header = QLabel(f"<b>{plural(len(self.wnids), 'synset')}:</b> {chosen}")
        header.setWordWrap(True)
        self.kind = QComboBox()
        for kind in EXPORT_KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.fmt = QComboBox()
        self.leaves_only = QCheckBox("Leaves only")
        self.with_images = QCheckBox("Only synsets with images")
        self.depth_limit = QSpinBox(minimum=0, maximum=20)
        self.depth_limit.setSpecialValueText("all levels")
        self.flagged = QComboBox()
        for flagged in FLAGGED_CHOICES:
            self.flagged.addItem(FLAGGED_LABELS[flagged], flagged)
        self.audit_failures = QCheckBox("Include images the audit found unusable")
        self.outside_root = QCheckBox(
            "Include images outside the catalogue root (never as hard links)"
        )
        self.on_overlap = QComboBox()
        for overlap in OVERLAP_CHOICES:
            self.on_overlap.addItem(OVERLAP_LABELS[overlap], overlap)
        self.balance = QSpinBox(minimum=0, maximum=10_000_000)
        self.balance.setSpecialValueText("no cap")
        self.absolute = QCheckBox("Absolute paths")
        self.mode = QComboBox()
        for mode in FOLDER_MODES:
            self.mode.addItem(mode, mode)

        form = QFormLayout()
        form.addRow("Export", self.kind)
        self._rows: dict[str, QWidget] = {}
        rows: tuple[tuple[str, QWidget, str], ...] = (
            ("Format", self.fmt, "fmt"),
            ("", self.leaves_only, "leaves_only"),
            ("", self.with_images, "with_images"),
            ("Depth", self.depth_limit, "depth"),
            ("Flags", self.flagged, "flagged"),
            ("", self.audit_failures, "audit_failures"),
            ("", self.outside_root, "outside_root"),
            ("Overlaps", self.on_overlap, "on_overlap"),
            ("Per class", self.balance, "balance"),
            ("", self.absolute, "absolute"),
            ("Files", self.mode, "mode"),
        )
        for label, widget, key in rows:
            form.addRow(label, widget)
            self._rows[key] = widget
        self._form = form
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.preview = QPlainTextEdit(readOnly=True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.clicked.connect(self._choose_output)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)

        if not has_catalogue:  # only what needs no images
            items = self.kind.model()
            assert isinstance(items, QStandardItemModel)  # a combo's own model
            for kind in IMAGE_KINDS:
                items.item(self.kind.findData(kind)).setEnabled(False)
            self.with_images.setEnabled(False)
        self._timer = QTimer(self, singleShot=True, interval=150)  # a burst of changes: once
        self._timer.timeout.connect(self.refresh_preview)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for widget in (self.fmt, self.flagged, self.on_overlap, self.mode):
            widget.currentIndexChanged.connect(lambda _i: self._timer.start())
        for widget in (
            self.leaves_only,
            self.with_images,
            self.audit_failures,
            self.outside_root,
            self.absolute,
        ):
            widget.toggled.connect(lambda _on: self._timer.start())
        for widget in (self.depth_limit, self.balance):
            widget.valueChanged.connect(lambda _v: self._timer.start())
        self._kind_changed()

    # --- the request -----------------------------------------------------------------

    def request(self, output: str | None = None) -> ExportRequest:
        return ExportRequest(
            self.kind.currentData(),
            self.wnids,
            output,
            self.fmt.currentData(),
            leaves_only=self.leaves_only.isChecked(),
            with_images=self.with_images.isChecked(),
            depth=self.depth_limit.value() or None,
            flagged=self.flagged.currentData(),
            audit_failures=self.audit_failures.isChecked(),
            on_overlap=self.on_overlap.currentData(),
            balance=self.balance.value() or None,
            absolute=self.absolute.isChecked(),
            mode=self.mode.currentData(),
            allow_outside_root=self.outside_root.isChecked(),
        )

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        formats = FORMATS[kind]
        self.fmt.blockSignals(True)
        self.fmt.clear()
        for fmt in formats:
            self.fmt.addItem(fmt, fmt)
        self.fmt.blockSignals(False)
        subtree = kind == "subtree"
        shown = {
            "fmt": bool(formats),
            "leaves_only": subtree,
            "with_images": subtree,
            "depth": subtree,
            "flagged": kind in IMAGE_KINDS,
            "audit_failures": kind in IMAGE_KINDS,
            "outside_root": kind in IMAGE_KINDS,
            "on_overlap": kind in IMAGE_KINDS,
            "balance": kind == "superclasses",
            "absolute": kind == "images",
            "mode": kind == "folders",
        }
        for key, widget in self._rows.items():
            self._form.setRowVisible(widget, shown[key])
        self._timer.start()

    # --- preview and export, in workers ------------------------------------------------

    def refresh_preview(self) -> None:
        self._generation += 1
        generation = self._generation
        self.summary.setText("Computing…")
        request = self.request()
        if self._preview_job is not None:
            self._preview_job.cancel()  # stale: the options changed
        self._preview_job = self._runner.start(
            lambda state: self._run(request, state),
            on_finished=lambda result: self._previewed(generation, result),
            on_failed=lambda message: self._preview_failed(generation, message),
        )

    def _previewed(self, generation: int, result: ExportResult) -> None:
        if generation != self._generation:
            return  # the options changed meanwhile
        self.last_report, self.last_error = result.report, None
        lines = (result.text or "").splitlines()
        shown = "\n".join(lines[:PREVIEW_LINES])
        total = len(lines)
        if result.report.rows > PREVIEW_ROWS:  # an image list's preview holds its first rows
            total += result.report.rows - PREVIEW_ROWS
        if total > PREVIEW_LINES:
            shown += f"\n… {total - PREVIEW_LINES:,} more lines"
        if result.text is None:
            shown = "\n".join(
                f"{w}/  {n:>9,} images  ({self._names.get(w, '')})"
                for w, n in result.report.per_class.items()
            )
        self.preview.setPlainText(shown)
        self.summary.setText(describe(result.report, result.overlapping))
        self.export_button.setEnabled(True)
        self.preview_ready.emit()

    def _preview_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self.last_report, self.last_error = None, message
        self.summary.setText(f"<span style='color:{ERROR_TEXT.name()}'>{message}</span>")
        self.preview.clear()
        self.export_button.setEnabled(False)
        self.preview_ready.emit()

    def _choose_output(self) -> None:
        kind = self.kind.currentData()
        if kind in FOLDER_KINDS:
            output = QFileDialog.getExistingDirectory(self, "Export into a new or empty folder")
        else:
            suffix = file_suffix(self.fmt.currentData())
            output, _ = QFileDialog.getSaveFileName(
                self, "Export to", f"{kind}.{suffix}", f"{suffix.upper()} (*.{suffix})"
            )
        if output:
            self.export_to(output)

    def export_to(self, output: str) -> None:
        """Write the export to ``output`` (a file, or a folder for the folder kinds)."""
        request = self.request(output)
        self.export_button.setEnabled(False)
        self.summary.setText(f"Writing {output}…")
        self.progress.setRange(0, 0)  # busy until the first progress
        self.progress.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setVisible(True)
        self._export_job = self._runner.start(
            lambda state: self._run(request, state),
            on_finished=self._exported,
            on_failed=self._export_failed,
            on_progress=self._export_progress,
            on_cancelled=lambda: self._export_cancelled(output),
        )

    def cancel_export(self) -> None:
        """Stop the export under way (its file is not written)."""
        if self._export_job is not None:
            self._export_job.cancel()
            self.cancel_button.setEnabled(False)
            self.summary.setText("Cancelling…")

    def _export_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            # a QProgressBar holds an int: in thousandths, whatever the count
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, 1000 * done // total))
            self.progress.setFormat(f"{message}: {done:,} of {total:,} (%p%)")
        else:
            self.progress.setFormat(f"{message}: {done:,}")

    def _export_ended(self) -> None:
        self._export_job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.export_button.setEnabled(True)

    def _export_cancelled(self, output: str) -> None:
        self._export_ended()
        self.summary.setText(f"Export cancelled: {output} was not written.")

    def done(self, result: int) -> None:
        """Closing stops the dialog's jobs: an export under way leaves no file."""
        for job in (self._preview_job, self._export_job):
            if job is not None:
                job.cancel()
        super().done(result)

    def _exported(self, result: ExportResult) -> None:
        self._export_ended()
        self.last_report = result.report
        written = ", ".join(result.report.outputs)
        self.summary.setText(f"{describe(result.report, result.overlapping)}<br>Wrote {written}")
        self.exported.emit(result.report)

    def _export_failed(self, message: str) -> None:
        self._export_ended()
        self.last_error = message
        self.summary.setText(f"<span style='color:{ERROR_TEXT.name()}'>{message}</span>")
        QMessageBox.warning(self, "Export", message)


def describe(report: ExportReport, overlapping: Sequence[tuple[str, list[str]]] = ()) -> str:
    """The counts an export writes, and its warnings, as the dialog shows them."""
    parts = [f"<b>{plural(report.rows, 'row')}</b>"]
    if report.classes:
        parts[0] += f" in {plural(report.classes, 'class', 'classes')}"
    if report.left_out:
        left = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in report.left_out.items())
        parts.append(f"left out: {left}")
    if report.overlaps:
        parts.append(
            f"{plural(report.overlaps, 'image')} under several chosen synsets "
            f"({plural(len(overlapping), 'synset')}) went to the most specific"
        )
    text = "; ".join(parts)
    for warning in report.warnings:
        text += f"<br><span style='color:{ERROR_TEXT.name()}'>{html.escape(warning)}</span>"
    return text


def open_export_dialog(window: MainWindow) -> ExportDialog | None:
    """Show the export dialog for the window's selected synsets (modeless, deleted when
    closed); None, and said, when none is selected."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from explorer.core.exports import run_export

    wnids = window.selected_wnids()
    taxonomy, opened = window.workspace.taxonomy, window.workspace.catalogue
    if taxonomy is None or not wnids:
        QMessageBox.information(window, "Export", "Select one or more synsets in the tree.")
        return None
    catalogue = str(opened.path) if opened is not None else None
    names = [taxonomy.node(w)["lemmas"][0] for w in wnids]
    dialog = ExportDialog(
        wnids,
        names,
        lambda request, state: run_export(request, taxonomy, catalogue, state=state),
        window.runner,
        catalogue is not None,
        window,
    )
    dialog.exported.connect(
        lambda report: window.statusBar().showMessage(
            f"Exported {plural(report.rows, 'row')} to {', '.join(report.outputs)}", 15000
        )
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
