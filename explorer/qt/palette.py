"""The window's one palette: how a synset's coverage and an image's curation and audit
look, in every view (badges, chips, the grid's placeholder tiles, the loupe), and the
legend strip that explains coverage and badges.

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
import math
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QResizeEvent, QTextDocument
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
# a model's top-1 from 0 to 1, as a tint (a diverging scale readable behind black text)
ACCURACY_SCALE = (QColor("#f4b6b0"), QColor("#fbe7a6"), QColor("#c8e6c0"))


def accuracy_colour(share: float) -> QColor:
    """The tint of a top-1 share: red at 0, yellow at 0.5, green at 1."""
    low, middle, high = ACCURACY_SCALE
    a, b, f = (low, middle, share * 2) if share < 0.5 else (middle, high, share * 2 - 1)
    return QColor(
        round(a.red() + (b.red() - a.red()) * f),
        round(a.green() + (b.green() - a.green()) * f),
        round(a.blue() + (b.blue() - a.blue()) * f),
    )


# a count of images in near-duplicate pairs: the duplicate flag's own colour
DUPLICATE_TEXT = QColor(next(r.colour for r in REASON_TABLE if r.code == "duplicate"))

# An image's curation and audit: the reasons' colours are the core's (Reason table)
REVIEWED = QColor(REVIEWED_COLOUR)  # the OK check, the viewer's "Reviewed OK" chip
NOT_REVIEWED = QColor("#757575")  # the viewer's bar before anyone has curated the image
ON_COLOUR = QColor("white")  # text and rims on a badge, a chip or a coloured bar
PROBLEM = QColor("#b3261e")  # the audit's chip, in the grid and the viewer
ERROR_TEXT = QColor("#b00020")  # a failure said inline (the export dialog)
SECONDARY_TEXT = QColor("#808080")  # the names of facts, meanings under a chip
IMAGE_BOX = QColor(0, 0, 0, 14)  # the grid's fixed box behind a thumbnail


@dataclass(frozen=True)
class TileStyle:
    """A grid cell without its thumbnail: a frame, and maybe a word, on a fill."""

    border: QColor
    ink: QColor
    fill: QColor
    dashed: bool = False


TILES = {
    "loading": TileStyle(QColor("#d8d8d8"), QColor("#d8d8d8"), QColor("#f2f2f2")),
    "failed": TileStyle(QColor("#c85a5a"), QColor("#a02828"), QColor("#fbeaea")),
    "missing": TileStyle(QColor("#808080"), QColor("#4a4a4a"), QColor("#e6e6e6"), dashed=True),
}

# The loupe: a neutral grey round the picture, as photo tools use; the filmstrip darker
LOUPE_BACKGROUND = QColor("#2b2b2b")
LOUPE_TEXT = QColor("#e0e0e0")
FILMSTRIP_BACKGROUND = QColor("#202020")
FILMSTRIP_EMPTY = QColor("#3a3a3a")  # a neighbour that cannot be shown
FILMSTRIP_EMPTY_TEXT = QColor("#bbbbbb")
FILMSTRIP_CURRENT = QColor("#4fc3f7")

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


def legend_html(threshold: int, compact: bool = False) -> str:
    """The legend's text: the coverage statuses, then the badges, each kept on one line;
    ``compact``: the badges' letters alone (their tooltip names them), for a narrow strip."""
    thin = f"thin (&lt;&nbsp;{threshold:,})" if threshold > 1 else "thin"
    labels = {"empty": "empty", "thin": thin, "ok": "covered"}
    statuses = "&nbsp;&nbsp; ".join(
        f'<span style="color:{STATUS[s].swatch.name()};">■</span>&nbsp;{labels[s]}'
        for s in STATUS_LABELS
    )
    badges = "&nbsp; ".join(
        _chip(letter, colour)
        + ("" if compact else f"&nbsp;{html.escape(label).replace(' ', '&nbsp;')}")
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
    """The one legend of the window's colours and badges, in two lines: the badges named
    when the strip is wide enough for them on one line, their letters alone when not (the
    tooltip says what each means)."""

    def __init__(self, threshold: int = 10, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setContentsMargins(4, 2, 4, 2)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.threshold = -1
        self._full_width: tuple[tuple[int, str] | None, int] = (None, 0)
        self.set_threshold(threshold)

    def set_threshold(self, threshold: int) -> None:
        if threshold == self.threshold:
            return
        self.threshold = threshold
        self.setToolTip(legend_tooltip(threshold))
        self._fit_text()

    def full_width(self) -> int:
        """The width the legend with the badges named needs, on two lines."""
        key = (self.threshold, self.font().key())
        if self._full_width[0] == key:
            return self._full_width[1]
        document = QTextDocument()
        document.setDefaultFont(self.font())
        document.setHtml(legend_html(self.threshold))
        margins = self.contentsMargins()
        width = math.ceil(document.idealWidth()) + margins.left() + margins.right() + 4
        self._full_width = (key, width)
        return width

    @property
    def compact(self) -> bool:
        return self.text() == legend_html(self.threshold, compact=True)

    def _fit_text(self) -> None:
        text = legend_html(self.threshold, compact=self.width() < self.full_width())
        if text != self.text():
            self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_text()
