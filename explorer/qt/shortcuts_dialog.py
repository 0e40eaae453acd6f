"""The keyboard shortcuts window (F1): every key of the action registry, of the image
viewer and of the Duplicates tab, grouped by area, with a filter box.

The rows come from the registry (``actions.shortcut_groups``) and from the viewer's and
the Duplicates tab's own key tables (``image_viewer.VIEWER_KEYS``,
``duplicates_view.DUPLICATE_KEYS``), the tables the menus and the key handling are made
from, so what is listed is what works.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from explorer.qt.actions import shortcut_groups
from explorer.qt.duplicates_view import DUPLICATE_KEYS
from explorer.qt.image_viewer import VIEWER_KEYS


def shortcut_table() -> list[tuple[str, list[tuple[str, str]]]]:
    """(area, its rows of (keys, what they do)) in the window's order, the viewer's keys
    under Viewer; areas without a row left out."""
    groups = shortcut_groups()
    groups["Viewer"] = [*groups["Viewer"], *((k.label, k.help) for k in VIEWER_KEYS)]
    groups["Curation"] = [*groups["Curation"], *((k.label, k.help) for k in DUPLICATE_KEYS)]
    return [(area, rows) for area, rows in groups.items() if rows]


class ShortcutsDialog(QDialog):
    """Two columns, keys and what they do, under a heading per area; typing in the filter
    box keeps the rows whose keys or text (or area) contain what is typed. Rich text, so
    that a long meaning wraps at any width of the window, and nothing is elided."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.filter = QLineEdit(placeholderText="Filter: a key or a word (zoom, flag, Ctrl…)")
        self.filter.setClearButtonEnabled(True)
        self.table = QTextBrowser()
        self.table.setOpenLinks(False)
        self.empty = QLabel("No shortcut matches the filter.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setVisible(False)
        self.groups = shortcut_table()
        self._shown: list[tuple[str, list[tuple[str, str]]]] = []
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self.apply_filter)
        self.apply_filter("")
        self.resize(760, 680)

    def apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        self._shown = []
        for area, rows in self.groups:
            kept = [
                (keys, what)
                for keys, what in rows
                if not needle or needle in f"{area}\n{keys}\n{what}".casefold()
            ]
            if kept:
                self._shown.append((area, kept))
        self.empty.setVisible(not self._shown)
        self.table.setVisible(bool(self._shown))
        self.table.setHtml(self._html())

    def _html(self) -> str:
        esc = html.escape
        stripe = self.palette().color(QPalette.ColorRole.AlternateBase).name()
        parts = []
        for area, rows in self._shown:
            parts.append(f"<h3 style='margin-top: 10px; margin-bottom: 2px'>{esc(area)}</h3>")
            parts.append("<table width='100%' cellspacing='0' cellpadding='3'>")
            for number, (keys, what) in enumerate(rows):
                shade = f" bgcolor='{stripe}'" if number % 2 else ""
                parts.append(
                    f"<tr{shade}><td width='32%'><b>{esc(keys)}</b></td><td>{esc(what)}</td></tr>"
                )
            parts.append("</table>")
        return "".join(parts)

    def rows(self) -> list[tuple[str, str, str]]:
        """(area, keys, action) of every row shown."""
        return [(area, keys, what) for area, rows in self._shown for keys, what in rows]
