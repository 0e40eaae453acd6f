"""Opening, indexing, rescanning and auditing catalogues from the window.

Indexing, auditing and making the demo are core jobs run on the busy bar;
what they find is said in the status bar (or a dialog, for the warnings an
index gives about its input). Opening goes through the Workspace, which every
panel follows; a dataset not indexed yet is offered indexing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMessageBox

from explorer.core.errors import ExplorerError
from explorer.core.images import problem_name
from explorer.core.text import plural
from explorer.qt.heavy_jobs import HeavyJobsDialog, cluster_from_settings

if TYPE_CHECKING:
    from explorer.core.catalogue import IndexSummary, Layout
    from explorer.core.duplicates import DuplicateReport, DuplicateSession
    from explorer.core.evaluation import Evaluation, EvaluationSession
    from explorer.core.images import AuditSummary
    from explorer.core.jobs import JobState
    from explorer.core.workspace import Workspace
    from explorer.qt.busy_bar import BusyBar


class CatalogueController(QObject):
    """The Catalogue menu's jobs and questions, for ``workspace`` in ``window``."""

    def __init__(
        self,
        workspace: Workspace,
        busy: BusyBar,
        window: QMainWindow,
        settings: QSettings,
        duplicates: DuplicateSession,
        evaluation: EvaluationSession,
    ) -> None:
        super().__init__(window)
        self.workspace, self.busy, self.window = workspace, busy, window
        self.settings = settings
        self.duplicates, self.evaluation = duplicates, evaluation  # the sessions its jobs feed

    def open_catalogue(self, value: str | os.PathLike[str]) -> bool:
        """Open the catalogue ``value`` names, its error shown; a dataset not indexed yet is
        offered indexing."""
        from explorer.core.errors import NotIndexedError

        try:
            self.workspace.open_catalogue(value)
        except NotIndexedError as exc:
            answer = QMessageBox.question(
                self.window,
                "Open a dataset",
                f"{exc.source} has not been indexed yet.\n\nIndex it now?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.index_source(str(exc.source))
            return False
        except ExplorerError as exc:
            QMessageBox.warning(self.window, "Open a catalogue", str(exc))
            return False
        return True

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a dataset folder")
        if folder:
            self.index_source(folder)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Open a manifest or a catalogue",
            "",
            "Manifests and catalogues (*.csv *.tsv *.txt *.sqlite *.db);;All files (*)",
        )
        if not path:
            return
        if path.lower().endswith((".sqlite", ".db")):
            self.open_catalogue(path)
        else:
            self.index_source(path, layout="manifest")

    def index_source(
        self, source: str, layout: Layout | Literal["auto"] = "auto", labels: str | None = None
    ) -> None:
        """Index (or rescan) a dataset in the background, then open its catalogue."""
        from explorer.core.catalogue import default_catalogue_path, detect_layout, index_catalogue
        from explorer.core.errors import CatalogueError
        from explorer.core.wordnet import load_noun_wnids, load_synset_names

        data_dir, open_now = self.workspace.data_dir, self.workspace.catalogue
        current = open_now is not None and str(open_now.source) == str(Path(source).resolve())
        target = open_now.path if open_now is not None and current else None
        indexed = (target or default_catalogue_path(source, data_dir)).is_file()
        # a rescan keeps the catalogue's layout and label file (the core remembers them)
        if layout == "auto" and not indexed:
            try:
                layout = detect_layout(Path(source))
            except CatalogueError as exc:
                QMessageBox.warning(self.window, "Open a dataset", str(exc))
                return
        if layout == "ilsvrc-val" and labels is None:
            labels, _ = QFileDialog.getOpenFileName(
                self.window,
                "ILSVRC validation labels (one wnid per line)",
                str(Path(source).parent),
            )
            if not labels:
                return
        taxonomy = self.workspace.taxonomy

        def index(state: JobState) -> tuple[IndexSummary, Any]:
            from explorer.core.curation import relink_after_scan

            nouns = taxonomy.graph if taxonomy else load_noun_wnids(None, data_dir)
            # without the graph (WordNet still loading), names read from the cache: a label
            # file of synset names is stored as wnids either way, as the CLI does
            names = None if taxonomy else (lambda: load_synset_names(None, data_dir))
            summary = index_catalogue(
                source,
                nouns=nouns,
                synset_names=names,
                layout=layout,
                labels=labels,
                data_dir=data_dir,
                catalogue=target,
                state=state,
            )
            return summary, relink_after_scan(summary.catalogue, summary)

        self.busy.start(f"Indexing {source}", index, self._indexed)

    def _indexed(self, result: tuple[IndexSummary, Any]) -> None:
        """``result``: the summary, and the flags' RelinkReport (or None), which the curation
        package does not export to name here."""
        summary, relinked = result
        self.busy.hide()
        self.open_catalogue(summary.catalogue)
        followed = ""
        if relinked is not None and (relinked.relinked or relinked.ambiguous):
            followed = f"; flags followed {len(relinked.relinked):,} moved files" + (
                f", {len(relinked.ambiguous):,} left (same bytes in several places)"
                if relinked.ambiguous
                else ""
            )
        outside = f", {summary.outside_root:,} outside the root" if summary.outside_root else ""
        self.window.statusBar().showMessage(
            f"Indexed {plural(summary.images, 'image')} on {plural(summary.synsets, 'synset')} "
            f"({summary.added:,} new, {summary.changed:,} changed, {summary.newly_missing:,} gone, "
            f"{summary.unknown + summary.no_label:,} without a noun label{outside}){followed}",
            15000,
        )
        if summary.warnings:  # what looked wrong with the input: too important for the status bar
            QMessageBox.warning(
                self.window, "Indexed, with warnings", "\n\n".join(summary.warnings)
            )

    def rescan(self) -> None:
        catalogue = self.workspace.catalogue
        if catalogue is not None:
            self.index_source(str(catalogue.source), catalogue.layout, catalogue.meta.get("labels"))

    def audit(self) -> None:
        from explorer.core.images import audit_catalogue

        if self.workspace.catalogue is None:
            return
        path = self.workspace.catalogue.path
        cluster = cluster_from_settings(self.settings)

        def run(state: JobState) -> AuditSummary:
            return audit_catalogue(path, state=state, cluster=cluster)

        where = f" on {cluster.describe()}" if cluster is not None else ""
        self.busy.start(f"Auditing images{where}", run, self._audited, self._audited)

    def find_duplicates(self, max_distance: int, against: str | None) -> None:
        """Hash what is new (where heavy jobs run), then find the near-duplicate pairs."""
        session = self.duplicates
        cluster = cluster_from_settings(self.settings)
        try:
            job = session.job(max_distance, against, cluster)
        except ValueError as exc:
            QMessageBox.information(self.window, "Duplicates", str(exc))
            return

        def shown(report: DuplicateReport) -> None:
            self.busy.hide()
            try:
                session.set_report(job, report)
            except ExplorerError as exc:  # the other catalogue cannot be opened here
                QMessageBox.warning(self.window, "Duplicates", str(exc))
                return
            self.window.statusBar().showMessage(
                f"Found {plural(report.summary.pairs, 'near-duplicate pair')} within "
                f"{max_distance} bits among {plural(report.summary.images, 'image')}",
                20000,
            )

        where = f" on {cluster.describe()}" if cluster is not None else ""
        self.busy.start(f"Finding near-duplicates{where}", job.run, shown)

    def score_predictions(self) -> None:
        """Evaluation ▸ Open predictions…: which file (and class order, ReaL), then score it
        on the busy bar."""
        session = self.evaluation
        from explorer.qt.evaluation_view import ScoreDialog

        dialog = ScoreDialog(self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        predictions, classes, real = dialog.choice()
        if not predictions:
            return
        try:
            job = session.job(predictions, classes, real)
        except ValueError as exc:
            QMessageBox.information(self.window, "Evaluation", str(exc))
            return

        def scored(result: Evaluation) -> None:
            self.busy.hide()
            session.set_result(job, result)
            self.window.statusBar().showMessage(
                f"Scored {plural(result.images, 'image')}: top-1 {result.top1:.1%}"
                if result.top1 is not None
                else "Scored no image",
                20000,
            )

        self.busy.start(f"Scoring {Path(predictions).name}", job.run, scored)

    def choose_heavy_jobs(self) -> None:
        """Catalogue ▸ Where heavy jobs run…"""
        HeavyJobsDialog(self.settings, self.window).exec()

    def _audited(self, summary: AuditSummary | None = None) -> None:  # None: cancelled
        self.busy.hide()
        if summary is not None:
            problems = (
                ", ".join(f"{problem_name(code)} {n:,}" for code, n in summary.by_code.items())
                or "none"
            )
            self.window.statusBar().showMessage(
                f"Audited {summary.audited:,} of {plural(summary.images, 'image')}; "
                f"problems: {problems}",
                20000,
            )
        self.workspace.relist()  # their problems changed

    def open_demo(self) -> None:
        from explorer.core.demo import ensure_demo_catalogue

        data_dir = self.workspace.data_dir

        def make(state: JobState) -> Path:
            return ensure_demo_catalogue(data_dir, state=state)

        self.busy.start("Preparing the demo catalogue", make, self._demo_ready)

    def _demo_ready(self, path: Path) -> None:
        self.busy.hide()
        self.open_catalogue(path)
