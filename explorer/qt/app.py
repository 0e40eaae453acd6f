"""Start the window: ``wnexplorer gui`` and the ``wordnet-explorer`` desktop entry.

Smoke and docs mode: ``--select WNID --screenshot FILE`` selects the node,
waits until the visible thumbnails have arrived, saves a PNG of the whole
window and quits with status 0 (``--quit-after MS`` bounds the wait).
``--size WxH`` sizes the window, ``--tab`` shows a tab, ``--viewer`` opens the
viewer on the listing's first image; the PNG is then the viewer's window.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QEvent,
    QMessageLogContext,
    QObject,
    QSettings,
    QTimer,
    QtMsgType,
    qFormatLogMessage,
    qInstallMessageHandler,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from explorer.core.errors import ExplorerError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from explorer.core.images import ThumbnailCache
    from explorer.core.wordnet import Taxonomy
    from explorer.qt.main_window import MainWindow

APP_NAME = "WordNet Explorer"
TABS = (
    "images",
    "coverage",
    "curation",
    "duplicates",
    "evaluation",
)  # the window's tabs, in order: ``--tab``
ORGANISATION = "wordnet-explorer"
DESKTOP_ID = "io.github.wordnet_explorer.WordNetExplorer"

log = logging.getLogger(__name__)


def _icon() -> QIcon:
    """The app icon, from its PNG sizes: package data (explorer/qt/resources/icons), wherever
    the package is (a source tree, a wheel, the bundle)."""
    from importlib.resources import files

    from PySide6.QtGui import QPixmap

    icon = QIcon()
    for size in sorted(files("explorer.qt").joinpath("resources", "icons").iterdir(), key=str):
        png = size.joinpath(f"{DESKTOP_ID}.png")
        if isinstance(png, os.PathLike):  # a file: Qt reads it when a size is first drawn
            icon.addFile(os.fspath(png))
        elif png.is_file():  # in an archive
            pixmap = QPixmap()
            pixmap.loadFromData(png.read_bytes())
            icon.addPixmap(pixmap)
    return icon


def _install_excepthook() -> None:
    """A last resort: log an unexpected error and tell the user, instead of dying silently."""

    def hook(
        kind: type[BaseException], value: BaseException, traceback: TracebackType | None
    ) -> None:
        log.error("Unexpected error", exc_info=(kind, value, traceback))
        app = QApplication.instance()
        if app is not None and not app.closingDown():
            QMessageBox.critical(None, APP_NAME, f"Unexpected error: {kind.__name__}: {value}")

    sys.excepthook = hook


def _hide_offscreen_noise() -> None:
    """Drop the one warning the offscreen platform prints for every window it shows (it has
    no window manager to give size hints to); every other Qt message goes where it went."""
    previous = None

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message.startswith("This plugin does not support propagateSizeHints"):
            return
        if previous is not None:
            previous(kind, context, message)
        else:  # Qt's own handler, which PySide does not hand back
            print(qFormatLogMessage(kind, context, message), file=sys.stderr)

    previous = qInstallMessageHandler(handler)


class _Screenshot:
    """Waits for the selected node's visible thumbnails, saves the window, quits.

    ``started`` is set when the window has opened its catalogue (or the demo), which it
    does once the taxonomy has arrived."""

    def __init__(
        self, window: MainWindow, path: str | None, deadline_ms: int, viewer: bool = False
    ) -> None:
        self.window, self.path = window, path
        self.started = False
        self.viewer = viewer  # open the viewer once the listing is in, and save it instead
        self.deadline = time.monotonic() + deadline_ms / 1000
        self.timer = QTimer(window, interval=100)
        self.timer.timeout.connect(self._poll)
        self.ready_since: float | None = None

    def start(self) -> None:
        self.timer.start()

    def _visible_rows_loaded(self) -> bool:
        return not self.waiting_for()

    @staticmethod
    def _dismiss_dialog() -> None:
        """A dialog nobody is there to answer (a flag store's recovery notice, say) would
        hold the picture until killed: its text goes to stderr, and it is closed."""
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            return
        text = dialog.text() if isinstance(dialog, QMessageBox) else ""
        log.warning("closed the dialog %r: %s", dialog.windowTitle(), text)
        if isinstance(dialog, QDialog):
            dialog.reject()
        else:
            dialog.close()

    def waiting_for(self) -> str:
        """What the picture still lacks ("" when nothing): said when the deadline passes."""
        window = self.window
        missing = [
            what
            for what, lacking in (
                ("the catalogue opened", not self.started),
                ("the WordNet graph", window.taxonomy is None),
                (f"a job ({window.statusBar().currentMessage()})", window.busy_bar.busy),
                ("the listing", window.images.listing),
                ("the curation tally", window.curation_panel.busy),
            )
            if lacking
        ]
        if missing:
            return ", ".join(missing)
        if window.catalogue is None or window.grid_model.rowCount() == 0:
            return ""
        if window.tabs.currentWidget() is not window.images:
            return ""  # the grid is out of sight: its thumbnails are not asked for
        return "" if _visible_thumbnails_in(window) else "thumbnails"

    def _open_viewer(self) -> bool:
        """Open the viewer on the listing's first image; False when there is none."""
        window = self.window
        if window.grid_model.rowCount() == 0:
            return False
        window.images.open_viewer(window.grid_model.index(0))
        viewer = window.viewer
        if viewer is not None:
            viewer.resize(window.size())
        return viewer is not None

    def save(self, path: str) -> None:
        """The PNG of the viewer, when open, else of the window; its text chunks say what
        it shows (``Tab``, ``Viewer``, ``Synset``), read back from the window."""
        window, viewer = self.window, self.window.viewer
        picture = (viewer or window).grab().toImage()
        picture.setText("Software", APP_NAME)
        picture.setText("Tab", TABS[window.tabs.currentIndex()])
        picture.setText("Viewer", "open" if viewer is not None and viewer.isVisible() else "")
        picture.setText("Synset", window.current_wnid or "")
        picture.save(path)

    def _poll(self) -> None:
        self._dismiss_dialog()
        ready = self._visible_rows_loaded()
        now = time.monotonic()
        if ready and self.viewer and self.window.viewer is None:
            self.viewer = False  # asked once
            if not self._open_viewer():
                print(f"{APP_NAME}: --viewer: the selection lists no image", file=sys.stderr)
                self.timer.stop()
                self.window.close()
                QApplication.exit(1)
                return
            self.ready_since = None  # the viewer's picture: one more settling time
        if ready and self.ready_since is None:
            self.ready_since = now
        ready_for = now - self.ready_since if ready and self.ready_since is not None else 0.0
        if ready_for > 0.3 or now > self.deadline:
            self.timer.stop()
            if self.path:
                if not ready:  # the picture lacks some: say so (a bare --quit-after is quiet)
                    log.warning("screenshot taken still waiting for %s", self.waiting_for())
                self.save(self.path)
            self.window.close()
            QApplication.exit(0)


def _visible_thumbnails_in(window: MainWindow) -> bool:
    """Whether every thumbnail the grid shows has arrived."""
    model = window.grid_model
    for position in window.grid.visible_range():
        row = model.row(position)
        if row is not None and not model.is_loaded(row.id):
            return False
    return True


class _PrintMarks(QObject):
    """bench/bench_launch.py's marks on stdout (``WNEXPLORER_PRINT_FIRST_PAINT``): the
    tree's first paint, the grid's first paint with a listing's visible thumbnails in, and
    the graph in use; each a ``time.monotonic()``, one clock for every process."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        window.tree.viewport().installEventFilter(self)
        window.grid.viewport().installEventFilter(self)
        window.taxonomy_ready.connect(lambda: self._print("taxonomy-ready"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Paint:
            return False
        window = self.window
        if watched is window.tree.viewport():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, lambda: self._print("first-paint"))  # once it is painted
        elif window.grid_model.rowCount() and _visible_thumbnails_in(window):
            watched.removeEventFilter(self)  # this paint draws them
            QTimer.singleShot(0, lambda: self._print("first-thumbnails"))
        return False

    @staticmethod
    def _print(mark: str) -> None:
        print(f"{mark} {time.monotonic()}", flush=True)


def run_gui(
    demo: bool = False,
    catalogue: str | None = None,
    select: str | None = None,
    screenshot: str | None = None,
    quit_after: int | None = None,
    size: tuple[int, int] | None = None,
    tab: str | None = None,
    viewer: bool = False,
    data_dir: str | None = None,
    wordnet: str | None = None,
    argv: list[str] | None = None,
    taxonomy_future: Future[Taxonomy] | None = None,
) -> int:
    """Open the window; ``taxonomy_future`` is a load already under way (see the CLI).

    ``size`` is the window's (width, height), ``tab`` one of :data:`TABS` to show, and
    ``viewer`` opens the viewer on the first image listed (the screenshot is then the viewer's).

    Raises ExplorerError when there is no screen to open it on.
    """
    from explorer.qt.display import display_problem
    from explorer.qt.main_window import MainWindow

    problem = None if QApplication.instance() else display_problem()
    if problem:
        raise ExplorerError(problem)

    def thumbnail_cache() -> ThumbnailCache:
        from explorer.core.images import default_thumbnail_cache

        return default_thumbnail_cache(data_dir)

    _hide_offscreen_noise()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(_icon())
    _install_excepthook()
    if screenshot:  # reproducible pictures, and the user's own settings left alone
        scratch = tempfile.TemporaryDirectory(prefix="wnexplorer-screenshot-")
        window_settings = os.path.join(scratch.name, "settings.ini")
        settings = QSettings(window_settings, QSettings.Format.IniFormat)
    else:
        settings = QSettings(ORGANISATION, "wordnet-explorer")
    window = MainWindow(settings, thumbnail_cache, data_dir)
    if size is not None:
        window.resize(*size)
    waiter = None  # alive while this function runs the event loop
    if screenshot or quit_after:
        waiter = _Screenshot(window, screenshot, quit_after or 60_000, viewer)
    elif viewer:  # once, on the first listing shown

        def open_viewer() -> None:
            window.images.images_ready.disconnect(open_viewer)
            if window.grid_model.rowCount():
                window.images.open_viewer(window.grid_model.index(0))

        window.images.images_ready.connect(open_viewer)

    def fail(exc: ExplorerError) -> None:
        """Screenshot mode has no one to answer a dialog: the error on stderr, exit 1 now."""
        print(f"{APP_NAME}: {exc}", file=sys.stderr)
        window.close()
        app.exit(1)

    def when_ready() -> None:
        last = settings.value("last_catalogue")
        last = last if isinstance(last, str) and os.path.exists(last) else None
        if catalogue and screenshot:
            try:
                window.load_catalogue(catalogue)
            except ExplorerError as exc:
                fail(exc)
                return
        elif catalogue:
            window.open_catalogue(catalogue)
        elif demo or (not screenshot and last is None):
            window.catalogues.open_demo()  # a newcomer with no catalogue of their own sees the demo
        elif not screenshot and last is not None:
            window.open_catalogue(last)
        if waiter is not None:
            waiter.started = True
        target = select or (None if screenshot else settings.value("last_synset"))
        hierarchy = window.workspace.hierarchy
        if target and hierarchy is not None:
            try:
                window.select(hierarchy.resolve(str(target)))
            except ExplorerError as exc:
                if screenshot:
                    fail(exc)
                    return
                window.statusBar().showMessage(str(exc), 10000)
        if tab is not None:
            window.show_tab(TABS.index(tab))
        if tab == "duplicates" and screenshot:  # the picture of a search, not of its button
            window.duplicates.request_find()

    # from the event loop, after the tree's paint that is due: opening a catalogue (or
    # making the demo) takes its time, and a worker competing for the GIL would hold it
    # back. The cache selects and counts: this need not wait for the graph.
    window.workspace.hierarchy_ready.connect(lambda: QTimer.singleShot(0, when_ready))
    if os.environ.get("WNEXPLORER_PRINT_FIRST_PAINT"):  # bench_bundle, bench_launch time it
        _PrintMarks(window)
    window.show()
    window.load_taxonomy(wordnet, taxonomy_future)
    if waiter is not None:
        waiter.start()
    status = app.exec()
    if screenshot:
        settings.sync()  # now, or QSettings writes (and remakes the folder) at exit
        scratch.cleanup()
    return status


def main(smoke_test: bool = False, **options: Any) -> int:
    """The smoke test, or the window with ``options`` (:func:`run_gui`'s): what
    ``wnexplorer gui`` and the ``wordnet-explorer`` desktop entry run once their one
    parser (explorer.cli.gui) has read the command line."""
    if smoke_test:
        from explorer.qt.smoke import run_smoke_test

        return run_smoke_test()
    return run_gui(**options)
