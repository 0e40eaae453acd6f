"""The window's one palette: how a synset's coverage and an image's curation look, in
every view, and the legend strip that explains both.

A subtree's coverage status (``explorer.core.analysis.coverage_status``) has a human
label and three colours: the text of a synset's name (grey when empty), the background
of its row (orange when thin) and a swatch (a bar of a chart, the legend's square, the
tree's share bar). A flag's badge shows its reason's letter on its reason's colour (the
core's Reason table); an image reviewed OK a green check.

>>> STATUS_LABELS["ok"], STATUS["thin"].background.name()
('covered', '#ffe0b2')
>>> [letter for letter, _colour, _label in BADGES]
['W', 'D', 'C', 'Q', 'N', 'O', 'X', '✓']
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

from explorer.core.analysis import COVERAGE_COLOURS
from explorer.core.curation import REASON_TABLE, REVIEWED_COLOUR


@dataclass(frozen=True)
class StatusStyle:
    """A coverage status's colours; None: the view's usual colour."""

    text: QColor | None  # a synset's name
    background: QColor | None  # its row
    swatch: QColor  # a bar, the legend's square, the tree's share bar


# The order the legend reads: nothing, a few, enough.
STATUS_LABELS = {"empty": "empty", "thin": "thin", "ok": "covered"}
STATUS_MEANINGS = {
    "empty": "no image in the synset or anything under it",
    "thin": "fewer images in the subtree than the threshold",
    "ok": "at least the threshold's number of images in the subtree",
}
# Empty is grey everywhere (a greyed name, a grey swatch): most of WordNet is empty, and a
# tinted background on every such row would be a wall of colour. Thin is the one tint.
STATUS: dict[str, StatusStyle] = {
    "empty": StatusStyle(
        QColor(COVERAGE_COLOURS["empty"]["text"] or "#969696"), None, QColor("#b4b4b4")
    ),
    "thin": StatusStyle(
        QColor(COVERAGE_COLOURS["thin"]["text"] or "#c06000"),
        QColor(COVERAGE_COLOURS["thin"]["background"] or "#ffe0b2"),
        QColor(COVERAGE_COLOURS["thin"]["bar"]),
    ),
    "ok": StatusStyle(None, None, QColor(COVERAGE_COLOURS["ok"]["bar"])),
}
FLAGGED_TEXT = QColor(198, 40, 40)  # a count of flagged images, when some are

# (letter, colour, label) of every badge: the reasons' letters, then the OK check
BADGES: tuple[tuple[str, str, str], ...] = (
    *((r.key, r.colour, r.label.rstrip("…").lower()) for r in REASON_TABLE),
    ("✓", REVIEWED_COLOUR, "reviewed OK"),
)
BADGE_MEANINGS = {r.key: r.meaning for r in REASON_TABLE}


def _chip(text: str, background: str, foreground: str = "white") -> str:
    return (
        f'<span style="background-color:{background}; color:{foreground};">'
        f"<b>&nbsp;{html.escape(text)}&nbsp;</b></span>"
    )


def legend_html(threshold: int) -> str:
    """The legend's text: the coverage statuses, then the badges, each kept on one line."""
    thin = f"thin (&lt;&nbsp;{threshold:,})" if threshold > 1 else "thin"
    labels = {"empty": "empty", "thin": thin, "ok": "covered"}
    statuses = "&nbsp;&nbsp; ".join(
        f'<span style="color:{STATUS[s].swatch.name()};">■</span>&nbsp;{labels[s]}'
        for s in STATUS_LABELS
    )
    badges = "&nbsp; ".join(
        f"{_chip(letter, colour)}&nbsp;{html.escape(label).replace(' ', '&nbsp;')}"
        for letter, colour, label in BADGES
    )
    return f"<b>Subtree</b>&nbsp; {statuses}<br><b>Badges</b>&nbsp; {badges}"


def legend_tooltip(threshold: int) -> str:
    statuses = "".join(
        f"<li><b>{STATUS_LABELS[s]}</b>: {html.escape(STATUS_MEANINGS[s])}</li>"
        for s in STATUS_LABELS
    )
    badges = "".join(
        f"<li>{_chip(letter, colour)} {html.escape(BADGE_MEANINGS.get(letter, label))}</li>"
        for letter, colour, label in BADGES
    )
    return (
        f"A synset's subtree is, with a threshold of {threshold:,} images:<ul>{statuses}</ul>"
        f"An image's badge in the grid and the viewer:<ul>{badges}</ul>"
    )


class LegendStrip(QLabel):
    """The one legend of the window's colours and badges (wraps to the width it gets)."""

    def __init__(self, threshold: int = 10, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setContentsMargins(4, 2, 4, 2)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.threshold = -1
        self.set_threshold(threshold)

    def set_threshold(self, threshold: int) -> None:
        if threshold == self.threshold:
            return
        self.threshold = threshold
        self.setText(legend_html(threshold))
        self.setToolTip(legend_tooltip(threshold))
