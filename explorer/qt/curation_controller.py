"""The curation keys' one implementation: flag, mark OK, clear, undo and redo, the review queue.

The Curation menu's actions call it (explorer.qt.actions); their shortcuts work
in the grid, on its selected thumbnails, and in the viewer, on its image (the
images panel says which: ``targets``). Each key makes a core command through
the Workspace, which applies it to the flag store (with undo) and tells every
panel; after a change to one image the next one is selected. A reason that
asks something first (the Reason table's ``asks``) opens a small dialog, and
the keys go back where they came from when it closes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QLabel, QMainWindow, QMessageBox, QWidget

from explorer.core.curation import REASONS, default_curator
from explorer.core.errors import ExplorerError
from explorer.core.text import plural
from explorer.qt.curation_panel import WrongLabelDialog
from explorer.qt.search_box import SearchBox

if TYPE_CHECKING:
    from explorer.core.curation import Command, ImageRef, ImageState, QueuedImage, ReasonCode
    from explorer.core.workspace import Workspace
    from explorer.qt.actions import Menus
    from explorer.qt.images_panel import ImagesPanel, Target, Where
    from explorer.qt.workers import JobRunner

    RefsCommand = Callable[[Sequence[ImageRef]], object]  # applies a change to these images

_NOT_SAVED = (ExplorerError, sqlite3.Error, OSError)


class CurationController(QObject):
    """Runs the curation actions on the images panel's targets, through the Workspace."""

    def __init__(
        self,
        workspace: Workspace,
        images: ImagesPanel,
        runner: JobRunner,
        settings: QSettings,
        window: QMainWindow,
    ) -> None:
        super().__init__(window)
        self.workspace, self.images, self.runner = workspace, images, runner
        self.settings, self.window = settings, window
        self.menus: Menus | None = None  # the window's actions, from bind_actions
        self.dialog: QDialog | None = None  # the open wrong-label or note dialog
        self.store_note = QLabel()  # in the status bar while the flag store cannot be written
        self.store_note.setVisible(False)
        window.statusBar().addPermanentWidget(self.store_note)
        workspace.catalogue_opened.connect(self._catalogue_opened)
        workspace.catalogue_closed.connect(self._catalogue_closed)
        workspace.curation_changed.connect(self._changed)
        workspace.queue_changed.connect(self._queue_changed)

    def bind_actions(self, menus: Menus) -> None:
        """The window's actions (explorer.qt.actions), to enable and label."""
        self.menus = menus
        self.update_actions()

    def curator(self) -> str:
        """Who flags: the "curator" preference, else the login name."""
        return str(self.settings.value("curator", "") or "") or default_curator()

    def ask_curator(self) -> None:
        name, ok = QInputDialog.getText(
            self.window,
            "Curator",
            "Your name, recorded with each flag and OK mark:",
            text=self.curator(),
        )
        if ok and name.strip():
            self.settings.setValue("curator", name.strip())

    # --- the keys -------------------------------------------------------------------------

    def flag(self, reason: ReasonCode) -> None:
        """Flag the target images with ``reason`` (some reasons ask something first)."""
        targets, where = self.images.targets()
        if not targets or self.workspace.store is None:
            return
        asks = REASONS[reason].asks
        if asks == "synset":
            self._ask_synset(targets, where, reason)
        elif asks == "note":
            self._ask_note(targets, where, reason)
        else:
            self._flag(targets, where, reason)

    def _flag(
        self,
        targets: list[Target],
        where: Where,
        reason: ReasonCode,
        note: str = "",
        suggested: str | None = None,
    ) -> None:
        curator = self.curator()
        self._run(
            lambda refs: self.workspace.flag(refs, reason, note, suggested, curator),
            targets,
            where,
            advance=True,
        )

    def accept_suggestion(self) -> None:
        """Shift+W: each selected image flagged wrong_label with its review list's suggested
        synset (images without a suggestion are left alone, and said)."""
        targets, where = self.images.targets()
        queue = self.workspace.queue or {}
        suggested = [
            (target, queue[target[1].path].suggested_wnid)
            for target in targets
            if target[1].path in queue and queue[target[1].path].suggested_wnid
        ]
        if not suggested:
            self.window.statusBar().showMessage(
                "No suggested synset here: W asks for one (Shift+W takes a review list's)", 8000
            )
            return
        for wnid in dict.fromkeys(wnid for _, wnid in suggested):
            chosen = [target for target, w in suggested if w == wnid]
            self._flag(chosen, where, "wrong_label", suggested=wnid)

    def mark_ok(self) -> None:
        targets, where = self.images.targets()
        if targets and self.workspace.store is not None:
            curator = self.curator()
            self._run(
                lambda refs: self.workspace.mark_reviewed(refs, curator),
                targets,
                where,
                advance=True,
            )

    def clear_flags(self) -> None:
        targets, where = self.images.targets()
        if targets and self.workspace.store is not None:
            self._run(self.workspace.clear, targets, where)

    def undo(self) -> None:
        self._walk(self.workspace.undo)

    def redo(self) -> None:
        self._walk(self.workspace.redo)

    def _run(
        self, command: RefsCommand, targets: list[Target], where: Where, advance: bool = False
    ) -> None:
        """Run ``command(refs)`` on the targets' images; a big selection's files are read
        (hashed) in a worker first."""
        workspace = self.workspace
        if workspace.store is None or workspace.catalogue is None:
            return
        refs = workspace.image_refs([row for _position, row in targets])
        if len(refs) > 20:
            from explorer.core.curation import hash_files

            self.window.statusBar().showMessage(f"Reading {len(refs):,} files…")
            self.runner.start(
                hash_files,
                refs,
                on_finished=lambda hashed: self._apply(command, hashed, targets, where, advance),
                on_failed=self._not_saved,
            )
            return
        self._apply(command, refs, targets, where, advance)

    def _apply(
        self,
        command: RefsCommand,
        refs: Sequence[ImageRef],
        targets: list[Target],
        where: Where,
        advance: bool,
    ) -> None:
        if self.workspace.store is None:
            return  # the catalogue was closed while the files were read
        try:
            command(refs)
        except _NOT_SAVED as exc:
            self._not_saved(str(exc))
            return
        if advance and len(targets) == 1:
            self.images.step_after_change(targets[0][0], where)

    def _walk(self, step: Callable[[], Command | None]) -> None:
        """Undo or redo; with one image, go back to it so the curator sees it again."""
        _targets, where = self.images.targets()
        try:
            command = step()
        except _NOT_SAVED as exc:
            self._not_saved(str(exc))
            return
        if command is not None and len(command.after) == 1:
            (path,) = command.after
            self.images.show_changed(path, where)

    def _not_saved(self, message: str) -> None:
        QMessageBox.warning(self.window, "Flags", f"The change was not saved:\n{message}")

    # --- the dialogs ------------------------------------------------------------------------

    def _ask_synset(self, targets: list[Target], where: Where, reason: ReasonCode) -> None:
        box = SearchBox()
        box.set_taxonomy(self.workspace.taxonomy)
        box.set_counts(self.workspace.counts)
        text = ""  # a queued image's suggestion: Enter accepts it
        queue = self.workspace.queue
        if queue is not None and len(targets) == 1 and targets[0][1].path in queue:
            text = queue[targets[0][1].path].suggested_wnid or ""
        dialog = WrongLabelDialog(box, len(targets), text, self._parent(where))
        dialog.accepted.connect(
            lambda: self._flag(targets, where, reason, suggested=dialog.suggested)
        )
        if self.workspace.taxonomy is None:  # opened while WordNet loads: searched when it is in
            loaded = self.workspace.taxonomy_loaded
            loaded.connect(box.set_taxonomy)
            dialog.finished.connect(lambda _result: loaded.disconnect(box.set_taxonomy))
        self._open_dialog(dialog, where)

    def _ask_note(self, targets: list[Target], where: Where, reason: ReasonCode) -> None:
        dialog = QInputDialog(self._parent(where))
        dialog.setWindowTitle(REASONS[reason].name)
        noun = "this image" if len(targets) == 1 else f"these {len(targets)} images"
        dialog.setLabelText(f"What is wrong with {noun}?")
        dialog.textValueSelected.connect(
            lambda text: self._flag(targets, where, reason, note=text.strip())
        )
        self._open_dialog(dialog, where)

    def _parent(self, where: Where) -> QWidget:
        viewer = self.images.viewer
        return viewer if where == "viewer" and viewer is not None else self.window

    def _open_dialog(self, dialog: QDialog, where: Where) -> None:
        """Open ``dialog`` (window-modal, not blocking); afterwards the keys go back where
        they came from, so culling goes on without the mouse."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._dialog_done(where))
        self.dialog = dialog
        dialog.open()

    def _dialog_done(self, where: Where) -> None:
        self.dialog = None
        self.images.take_keys(where)

    # --- the review queue -------------------------------------------------------------------

    def toggle_queue(self, checked: bool) -> None:
        if checked:
            self.review_queue()
        else:
            self.workspace.leave_queue()  # back to the synset's images

    def review_queue(self) -> None:
        """Show the store's review queue in the grid, its notes in the tooltips."""
        if self.menus is not None:
            self.menus.actions["queue"].setChecked(False)
        shown = self.workspace.show_queue()
        if shown is None:
            if self.workspace.store is not None:
                QMessageBox.information(
                    self.window,
                    "Review queue",
                    "The review queue is empty. Queue candidates with `wnexplorer flags "
                    "import-label-errors FILE` (cleanlab's ImageNet label errors).",
                )
            return
        rows, missing = shown
        self.window.statusBar().showMessage(
            f"Review queue: {plural(rows, 'image')}"
            + (f" ({missing:,} not in the catalogue)" if missing else ""),
            10000,
        )

    # --- following the Workspace ----------------------------------------------------------

    def update_actions(self) -> None:
        if self.menus is None:
            return
        workspace, actions = self.workspace, self.menus.actions
        for action in (*self.menus.flags.values(), actions["ok"], actions["clear"]):
            action.setEnabled(workspace.writable)
        actions["queue"].setEnabled(workspace.store is not None)
        stack = workspace.undo_stack
        undo = stack.undo_label if stack is not None else None
        redo = stack.redo_label if stack is not None else None
        actions["undo"].setText(f"&Undo {undo}" if undo else "&Undo")
        actions["redo"].setText(f"&Redo {redo}" if redo else "&Redo")
        actions["undo"].setEnabled(undo is not None)
        actions["redo"].setEnabled(redo is not None)

    def _changed(
        self, _before: dict[str, ImageState], _after: dict[str, ImageState], message: str
    ) -> None:
        self.update_actions()
        self.window.statusBar().showMessage(message, 5000)

    def _queue_changed(self, queue: dict[str, QueuedImage] | None) -> None:
        if self.menus is not None:
            self.menus.actions["queue"].setChecked(queue is not None)

    def _catalogue_opened(self) -> None:
        """Say what became of the flag store: off, read-only (a note, as browsing a shared
        dataset is normal), or recovered (a dialog)."""
        self.update_actions()
        store = self.workspace.store
        if store is None:
            QMessageBox.warning(
                self.window,
                "Flags",
                "Cannot open the flag store of this catalogue, so curation is off:\n"
                f"{self.workspace.store_problem}",
            )
            return
        self.store_note.setVisible(store.read_only is not None)
        if store.read_only is not None:
            self.store_note.setText("Flags read-only")
            self.store_note.setToolTip(
                f"Flags are read-only here ({store.read_only}): the curation keys are off."
                + (f"\n{store.recovered}" if store.recovered else "")
            )
        elif store.recovered:
            QMessageBox.warning(self.window, "Flags recovered", store.recovered)

    def _catalogue_closed(self) -> None:
        self.store_note.setVisible(False)
        self.update_actions()
