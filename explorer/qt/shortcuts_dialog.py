"""The keyboard shortcuts window (F1): every key of the action registry and of the image
viewer, grouped by area, with a filter box.

The rows come from the registry (``actions.shortcut_groups``) and from the viewer's own
key table (``image_viewer.VIEWER_KEYS``), the tables the menus and the viewer's key
handling are made from, so what is listed is what works.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.qt.actions import shortcut_groups
from explorer.qt.image_viewer import VIEWER_KEYS


def shortcut_table() -> list[tuple[str, list[tuple[str, str]]]]:
    """(area, its rows of (keys, what they do)) in the window's order, the viewer's keys
    under Viewer; areas without a row left out."""
    groups = shortcut_groups()
    groups["Viewer"] = [*groups["Viewer"], *((k.label, k.help) for k in VIEWER_KEYS)]
    return [(area, rows) for area, rows in groups.items() if rows]


class ShortcutsDialog(QDialog):
    """Two columns, keys and what they do, under a heading per area; typing in the filter
    box keeps the rows whose keys or text contain what is typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.filter = QLineEdit(placeholderText="Filter: a key or a word (zoom, flag, Ctrl…)")
        self.filter.setClearButtonEnabled(True)
        self.table = QTreeWidget()
        self.table.setColumnCount(2)
        self.table.setHeaderLabels(["Keys", "Action"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(True)
        header = self.table.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("No shortcut matches the filter.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setVisible(False)
        bold = QFont(self.font())
        bold.setBold(True)
        self.groups: list[tuple[QTreeWidgetItem, list[QTreeWidgetItem]]] = []
        for area, rows in shortcut_table():
            group = QTreeWidgetItem(self.table, [area])
            group.setFirstColumnSpanned(True)
            group.setFont(0, bold)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            items = []
            for keys, text in rows:
                item = QTreeWidgetItem(group, [keys, text])
                item.setFont(0, bold)
                item.setToolTip(1, text)
                items.append(item)
            self.groups.append((group, items))
        self.table.expandAll()
        self.table.setItemsExpandable(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self.apply_filter)
        self.resize(720, 620)

    def apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        shown = 0
        for group, items in self.groups:
            visible = 0
            for item in items:
                match = not needle or any(needle in item.text(c).casefold() for c in (0, 1))
                match = match or needle in group.text(0).casefold()
                item.setHidden(not match)
                visible += match
            group.setHidden(visible == 0)
            shown += visible
        self.empty.setVisible(shown == 0)

    def rows(self) -> list[tuple[str, str, str]]:
        """(area, keys, action) of every row shown."""
        return [
            (group.text(0), item.text(0), item.text(1))
            for group, items in self.groups
            if not group.isHidden()
            for item in items
            if not item.isHidden()
        ]
