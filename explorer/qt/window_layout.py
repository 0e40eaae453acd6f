"""The window's panels and how they share its space: the tree (with the search box and the
legend) on the left, the synset's details above the tabs on the right.

The details panel takes the height its text needs, up to a cap, and never cuts a line
in half (``DetailPanel.fitted_height``): a long text scrolls. The cap is what the user
gave it by dragging the handle, or, until then, what leaves the grid two full rows of
thumbnails (at most 40% of the height). The tree keeps its width when the window grows:
until the user drags that handle, it takes a third of the window, 320 to 460 px (a deep
name whole at 1024 px; the Images column shows from 440). The details' handle collapses
the panel; the View menu's Details panel (Ctrl+Shift+D) and Legend (Ctrl+Shift+L) toggle
them; all of it is kept in the settings with the rest of the window's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from explorer.qt.detail_panel import DetailPanel
    from explorer.qt.images_panel import ImagesPanel
    from explorer.qt.palette import LegendStrip

GRID_ROWS = 2  # full rows of thumbnails the default layout leaves the grid
_MAX_DETAILS_SHARE = 0.4  # of the right side's height, by default
_MIN_DETAILS = 48  # px: the title and a line, when the window is too small for both
_TREE_SHARE, _TREE_MIN, _TREE_MAX = 0.32, 320, 460
_TREE_FLOOR = 200  # px: narrower, a name and its count no longer fit side by side


class WindowLayout(QObject):
    """Builds the splitters (``main_split``, ``right``) around the panels given, and keeps
    the details panel fitted; ``set_details`` and ``set_legend`` are the View menu's."""

    def __init__(
        self,
        left: tuple[QWidget, ...],
        legend: LegendStrip,
        detail: DetailPanel,
        tabs: QTabWidget,
        images: ImagesPanel,
    ) -> None:
        super().__init__(detail)
        self.detail, self.tabs, self.images, self.legend = detail, tabs, images, legend
        left_widget = QWidget()
        left_widget.setMinimumWidth(_TREE_FLOOR)
        left_layout = QVBoxLayout(left_widget)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addWidget(left[0])
        for widget in left[1:]:
            left_layout.addWidget(widget, 1)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(detail)
        self.right.addWidget(tabs)
        self.right.setCollapsible(0, True)
        self.right.setCollapsible(1, False)
        self.right.setStretchFactor(0, 0)
        self.right.setStretchFactor(1, 1)
        self.right.handle(1).setToolTip(
            "Drag to size the synset's details; drag to the top, or Ctrl+Shift+D, to fold "
            "them away (Ctrl+Shift+D again brings them back)"
        )
        self.main_split = QSplitter()
        self.main_split.addWidget(left_widget)
        self.main_split.addWidget(self.right)
        # the tree never folds away: it is how one moves, and the taxonomy's load waits
        # for its first paint (MainWindow.load_taxonomy), which a folded tree never makes
        self.main_split.setCollapsible(0, False)
        self.main_split.setCollapsible(1, False)
        self.main_split.setStretchFactor(0, 0)  # a wider window widens the grid, not the tree
        self.main_split.setStretchFactor(1, 1)
        self.details_cap: int | None = None  # the user's, by the handle; None: the default
        self.tree_width: int | None = None  # the user's; None: the default
        self.details_action: QAction | None = None
        self.legend_action: QAction | None = None
        self._collapsed = False
        self._chrome = 100  # px around the grid in the tabs (tab bar, filter bar, frames)
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self.fit_details)
        self._settle_timer = QTimer(self, singleShot=True, interval=250)  # after a drag
        self._settle_timer.timeout.connect(self.fit_details)
        # after the splitter's own layout (a window sized before it is shown lays out late)
        self._tree_timer = QTimer(self, singleShot=True, interval=0)
        self._tree_timer.timeout.connect(self.fit_tree)
        self.right.splitterMoved.connect(self._details_dragged)
        self.main_split.splitterMoved.connect(self._tree_dragged)
        detail.shown.connect(self._fit_timer.start)
        self.right.installEventFilter(self)
        self.main_split.installEventFilter(self)

    def bind_actions(self, details: QAction, legend: QAction) -> None:
        self.details_action, self.legend_action = details, legend
        details.setChecked(not self._collapsed)
        legend.setChecked(not self.legend.isHidden())

    # --- the View menu ----------------------------------------------------------------------

    def set_details(self, shown: bool) -> None:
        """Show the details panel (fitted) or collapse it to its handle."""
        self._collapsed = not shown
        if shown:
            self.fit_details()
        else:
            self.right.setSizes([0, sum(self.right.sizes())])
        self._sync_actions()

    def set_legend(self, shown: bool) -> None:
        self.legend.setVisible(shown)
        self._sync_actions()

    def _sync_actions(self) -> None:
        if self.details_action is not None:
            self.details_action.setChecked(not self._collapsed)
        if self.legend_action is not None:
            self.legend_action.setChecked(not self.legend.isHidden())

    # --- fitting --------------------------------------------------------------------------

    def default_details_cap(self) -> int:
        """What leaves the grid ``GRID_ROWS`` full rows of thumbnails (the tab bar, the
        filter bar and the frame measured as they are), at most 40% of the height."""
        total = sum(self.right.sizes()) or self.right.height()
        grid = self.images.grid
        if self.tabs.currentWidget() is self.images and grid.isVisible():
            # measured while the grid is laid out: a hidden tab keeps a stale geometry
            self._chrome = self.tabs.height() - grid.viewport().height()
        tabs = self._chrome + GRID_ROWS * grid.gridSize().height()
        return max(_MIN_DETAILS, min(total - tabs, int(total * _MAX_DETAILS_SHARE)))

    def fit_details(self) -> None:
        """Give the details panel the height its text needs up to the cap, its last line
        whole."""
        if self._collapsed:
            return
        total = sum(self.right.sizes())
        if total <= 0:
            return
        cap = self.details_cap if self.details_cap is not None else self.default_details_cap()
        height = self.detail.fitted_height(min(cap, total - _MIN_DETAILS))
        self.right.setSizes([height, total - height])

    def fit_tree(self) -> None:
        """The tree's width: the user's, or the default for the window's width."""
        total = sum(self.main_split.sizes())
        if total <= 0:
            return
        width = self.tree_width
        if width is None:
            width = max(_TREE_MIN, min(_TREE_MAX, int(self.main_split.width() * _TREE_SHARE)))
        self.main_split.setSizes([width, total - width])

    def _details_dragged(self, _position: int, _index: int) -> None:
        height = self.right.sizes()[0]
        self._collapsed = height <= 0
        if not self._collapsed:
            self.details_cap = height
            self._settle_timer.start()  # then snapped to a whole line
        self._sync_actions()

    def _tree_dragged(self, _position: int, _index: int) -> None:
        self.tree_width = self.main_split.sizes()[0]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            if watched is self.right:
                self._fit_timer.start()
            elif watched is self.main_split:
                self._tree_timer.start()
        return False

    # --- settings -------------------------------------------------------------------------

    def restore(self, settings: QSettings) -> None:
        self.tree_width = _number(settings.value("tree_width"))
        self.details_cap = _number(settings.value("details_height"))
        self._collapsed = _flag(settings.value("details_collapsed"), False)
        self.legend.setVisible(_flag(settings.value("legend_shown"), True))
        if self._collapsed:
            self.right.setSizes([0, max(1, sum(self.right.sizes()))])
        self._sync_actions()

    def save(self, settings: QSettings) -> None:
        for key, value in (("tree_width", self.tree_width), ("details_height", self.details_cap)):
            if value is None:
                settings.remove(key)
            else:
                settings.setValue(key, value)
        settings.setValue("details_collapsed", self._collapsed)
        settings.setValue("legend_shown", not self.legend.isHidden())

    @property
    def details_collapsed(self) -> bool:
        return self._collapsed


def _number(value: object) -> int | None:
    """A size the settings keep (an INI file keeps it as text); None when there is none."""
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _flag(value: object, default: bool) -> bool:
    """A yes/no the settings keep (an INI file keeps it as text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return default
