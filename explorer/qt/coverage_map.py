"""The coverage tab's pictures: an icicle of the selected subtree and a histogram of its counts.

Both draw what the core lays out (``explorer.core.analysis.coverage_map``): this file
maps shares to pixels and statuses to the palette's colours, and turns a click into a
selection. The icicle's cells are laid out again only when the subtree, the counts, the
threshold, the sizing or the widget's size change; a repaint (a hover, an expose) draws
the cells it has.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from explorer.core.text import plural
from explorer.qt.palette import STATUS, STATUS_LABELS
from explorer.qt.synset_tree_model import short_count

if TYPE_CHECKING:
    from explorer.core.analysis import Counts, HistogramBin, IcicleCell, SizeBy
    from explorer.core.wordnet import Taxonomy

ROW_HEIGHT = 30  # px a level needs for a name and a count
_TEXT_ON = {"empty": QColor("#303030"), "thin": QColor("white"), "ok": QColor("white")}
_SEVERAL = QColor("#8da2c0")  # a block of synsets too narrow to draw one by one


def tick(power: int) -> str:
    """An axis tick's label: 10 ** ``power`` as people write round numbers.

    >>> [tick(p) for p in (0, 2, 3, 5, 6, 7)]
    ['1', '100', '1k', '100k', '1M', '10M']
    """
    for size, suffix in ((6, "M"), (3, "k")):
        if power >= size:
            return f"{10 ** (power - size)}{suffix}"
    return str(10**power)


def _lemma(taxonomy: Taxonomy, wnid: str) -> str:
    return taxonomy.node(wnid)["lemmas"][0].replace("_", " ")


class CoverageMap(QWidget):
    """An icicle of the subtree: click a synset to go there, the top bar to go up a level.

    It shows the last synset of a path from entity, and a click asks for another path
    (``path_activated``): the child's, below the path shown, or the path without its end.
    """

    path_activated = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(3 * ROW_HEIGHT)
        self.taxonomy: Taxonomy | None = None
        self.counts: Counts | None = None
        self.path: tuple[str, ...] = ()
        self.threshold = 10
        self.size_by: SizeBy = "images"
        self.cells: list[IcicleCell] = []
        self.rects: list[QRectF] = []
        self._laid_out_for: tuple[object, ...] | None = None
        self._hover: int | None = None

    def show_subtree(
        self,
        taxonomy: Taxonomy,
        counts: Counts | None,
        path: tuple[str, ...],
        threshold: int,
        size_by: SizeBy = "images",
    ) -> None:
        self.taxonomy, self.counts, self.path = taxonomy, counts, path
        self.threshold, self.size_by = threshold, size_by
        self._hover = None
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 5 * ROW_HEIGHT)

    def levels(self) -> int:
        return max(3, min(8, self.height() // ROW_HEIGHT))

    def lay_out(self) -> None:
        """The cells and their rectangles for the current subtree and size (cached)."""
        from explorer.core.analysis import icicle

        key = (
            id(self.counts),
            self.path,
            self.threshold,
            self.size_by,
            self.width(),
            self.height(),
        )
        if key == self._laid_out_for:
            return
        self._laid_out_for = key
        if self.taxonomy is None or self.counts is None or not self.path:
            self.cells, self.rects = [], []
            return
        width, levels = max(1, self.width()), self.levels()
        self.cells = icicle(
            self.taxonomy,
            self.counts,
            self.path[-1],
            threshold=self.threshold,
            levels=levels,
            size_by=self.size_by,
            min_width=3 / width,  # narrower than 3 px: one block with its narrow siblings
        )
        row = self.height() / levels
        self.rects = [
            QRectF(cell.start * width, cell.level * row, cell.width * width, row)
            for cell in self.cells
        ]

    def cell_at(self, point: QPointF) -> int | None:
        self.lay_out()
        for i, rect in enumerate(self.rects):
            if rect.contains(point):
                return i
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        self.lay_out()
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.cells:
            painter.setPen(self.palette().placeholderText().color())
            text = "Open a catalogue to see where its images are."
            if self.counts is not None:
                text = "Choose a synset to see its subtree."
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)
            return
        metrics = QFontMetrics(self.font())
        for i, (cell, rect) in enumerate(zip(self.cells, self.rects, strict=True)):
            if not rect.intersects(QRectF(event.rect())):
                continue
            self._paint_cell(painter, metrics, cell, rect, hovered=i == self._hover)
        painter.end()

    def _paint_cell(
        self,
        painter: QPainter,
        metrics: QFontMetrics,
        cell: IcicleCell,
        rect: QRectF,
        hovered: bool,
    ) -> None:
        box = rect.adjusted(0, 0, -1, -1)  # a 1 px gap between cells
        if cell.status == "several":
            painter.fillRect(box, _SEVERAL)
            painter.fillRect(box, QBrush(QColor(255, 255, 255, 90), Qt.BrushStyle.BDiagPattern))
        elif cell.status == "own":  # the parent's colour, paler: images of the parent itself
            parent_status = self.cells[cell.parent].status
            colour = STATUS.get(parent_status, STATUS["ok"]).swatch.lighter(150)
            painter.fillRect(box, colour)
            painter.fillRect(box, QBrush(QColor(255, 255, 255, 110), Qt.BrushStyle.Dense6Pattern))
        else:
            # deeper levels a little lighter, so that stacked covered rows stay apart
            colour = STATUS[cell.status].swatch.lighter(100 + 6 * min(cell.level, 6))
            painter.fillRect(box, colour)
        if hovered:
            painter.setPen(QPen(self.palette().text().color(), 2))
            painter.drawRect(box.adjusted(1, 1, -1, -1))
        if box.width() < 24:
            return
        painter.setPen(_TEXT_ON.get(cell.status, QColor("#303030")))
        inner = box.adjusted(4, 2, -4, -2)
        lines = [self._cell_name(cell), short_count(cell.images) if cell.images else ""]
        if inner.height() < 2 * metrics.height():  # one line: the name and its count
            lines = [" ".join(line for line in lines if line)]
        for n, line in enumerate(lines):
            text = metrics.elidedText(line, Qt.TextElideMode.ElideRight, int(inner.width()))
            top = inner.top() + n * metrics.height()
            painter.drawText(
                QRectF(inner.left(), top, inner.width(), metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )

    def _cell_name(self, cell: IcicleCell) -> str:
        if cell.wnid is not None and self.taxonomy is not None:
            return _lemma(self.taxonomy, cell.wnid)
        if cell.status == "own":
            return "own"
        if cell.status == "empty":
            return f"{len(cell.members)} empty"
        return f"{len(cell.members)} more"

    def describe(self, cell: IcicleCell) -> str:
        """A cell's tooltip: what it is, its figures, what a click does."""
        taxonomy, counts = self.taxonomy, self.counts
        assert taxonomy is not None and counts is not None
        status = STATUS_LABELS.get(cell.status, "")
        if cell.status == "own":
            owner = self.cells[cell.parent].wnid or ""
            return (
                f"<b>{html.escape(_lemma(taxonomy, owner))}</b>'s own images: {cell.images:,}"
                f"<br>{cell.share:.1%} of its subtree's images are labelled with it itself"
            )
        if cell.wnid is None:
            names = ", ".join(_lemma(taxonomy, w) for w in cell.members[:8])
            more = "…" if len(cell.members) > 8 else ""
            kind = "empty synsets" if cell.status == "empty" else "synsets too narrow to draw"
            return (
                f"<b>{plural(len(cell.members), 'synset')}</b>: {kind}<br>"
                f"{html.escape(names)}{more}<br>{cell.images:,} images in their subtrees"
            )
        synsets = len(counts.subtree_nodes(cell.wnid))
        figures = counts.of(cell.wnid)
        lines = [
            f"<b>{html.escape(_lemma(taxonomy, cell.wnid))}</b> &nbsp;{cell.wnid}",
            f"{cell.images:,} images in its subtree, {cell.own:,} of its own",
            f"{figures['synsets_with_images']:,} of {plural(synsets, 'synset')} have images",
            f"<b>{status}</b> (thin below {self.threshold:,})",
        ]
        if cell.level:
            lines.insert(2, f"{cell.share:.1%} of its parent's images")
            lines.append("<i>Click to go there</i>")
        elif len(self.path) > 1 and self.taxonomy is not None:
            up = html.escape(_lemma(self.taxonomy, self.path[-2]))
            lines.append(f"<i>Click to go up to {up}</i>")
        return "<br>".join(lines)

    def path_to(self, position: int) -> tuple[str, ...]:
        """The path from entity to the cell at ``position``: the path shown, then the cells
        between (a synset with two parents is reached the way the picture drew it)."""
        below: list[str] = []
        while position > 0:
            wnid = self.cells[position].wnid
            assert wnid is not None, "a block of synsets is no place to go"
            below.append(wnid)
            position = self.cells[position].parent
        return self.path + tuple(reversed(below))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            i = self.cell_at(QPointF(event.pos()))
            if i is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.describe(self.cells[i]), self)
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hover = self.cell_at(event.position())
        if hover != self._hover:
            self._hover = hover
            self.update()

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        i = self.cell_at(event.position())
        if i is None:
            return
        if i == 0:
            self.go_up()
        elif self.cells[i].wnid is not None:
            self.path_activated.emit(self.path_to(i))

    def go_up(self) -> None:
        if len(self.path) > 1:
            self.path_activated.emit(self.path[:-1])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Up) and len(self.path) > 1:
            self.go_up()
            return
        super().keyPressEvent(event)


class CountHistogram(QWidget):
    """Synsets by image count: a log x axis (0 apart on the left), a log y axis, the
    threshold drawn as a dashed line."""

    MARGINS = (48, 22, 14, 40)  # left, top, right, bottom: room for the axes' labels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bins: list[HistogramBin] = []
        self.threshold = 10
        self.counting = "images in the subtree"
        self.setMinimumSize(220, 150)

    def set_bins(self, bins: list[HistogramBin], threshold: int, counting: str) -> None:
        self.bins, self.threshold, self.counting = bins, threshold, counting
        self.update()

    def plot_rect(self) -> QRectF:
        left, top, right, bottom = self.MARGINS
        return QRectF(self.rect()).adjusted(left, top, -right, -bottom)

    @staticmethod
    def zero_slot(plot: QRectF) -> float:
        """The width of the 0 bar's place, left of the log axis (which cannot hold 0)."""
        return max(32.0, plot.width() / 12)

    def x_of(self, images: float, plot: QRectF) -> float:
        """Where ``images`` sits on the x axis: the 0 bar takes the first slot, then log10."""
        top = max(b.high for b in self.bins) + 1
        zero_slot = self.zero_slot(plot)
        span = math.log10(top) or 1
        return plot.left() + zero_slot + (plot.width() - zero_slot) * math.log10(images) / span

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_colour = self.palette().text().color()
        painter.setPen(text_colour)
        if not any(b.synsets for b in self.bins):
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No synsets to count")
            return
        plot = self.plot_rect()
        tallest = max(b.synsets for b in self.bins)
        decades = max(1, math.ceil(math.log10(tallest + 1)))

        def y_of(synsets: float) -> float:  # log scale from 0.5, so that one synset shows
            return plot.bottom() - plot.height() * math.log10(synsets / 0.5) / (
                decades + math.log10(2)
            )

        grid = QPen(self.palette().mid().color(), 1, Qt.PenStyle.DotLine)
        for power in range(decades + 1):  # y ticks: 1, 10, 100, …
            y = y_of(10**power)
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(0, y - 8, plot.left() - 6, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                tick(power),
            )
        for b in self.bins:
            if b.low == 0:
                left, right = plot.left() + 2, plot.left() + self.zero_slot(plot) - 6
            else:
                left, right = self.x_of(b.low, plot) + 1, self.x_of(b.high + 1, plot) - 1
            if b.synsets:
                top = y_of(b.synsets)
                painter.fillRect(
                    QRectF(left, top, max(1.0, right - left), plot.bottom() - top),
                    STATUS[b.status].swatch,
                )
        painter.setPen(text_colour)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 2, self.zero_slot(plot) - 6, 16),
            Qt.AlignmentFlag.AlignCenter,
            "0",
        )
        top = max(b.high for b in self.bins) + 1
        for power in range(0, math.ceil(math.log10(top)) + 1):  # x ticks: 1, 10, 100, …
            if 10**power > top:
                break
            x = self.x_of(10**power, plot)
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3))
            painter.drawText(
                QRectF(x - 30, plot.bottom() + 2, 60, 16),
                Qt.AlignmentFlag.AlignCenter,
                tick(power),
            )
        if 1 < self.threshold < top:
            x = self.x_of(self.threshold, plot)
            painter.setPen(QPen(STATUS["thin"].text or text_colour, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            painter.drawText(
                QRectF(x + 4, plot.top() - 18, 120, 16),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"thin below {self.threshold:,}",
            )
        painter.setPen(text_colour)
        title = QFontMetrics(self.font()).elidedText(
            f"{self.counting} (log scale)", Qt.TextElideMode.ElideRight, int(plot.width())
        )
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 18, plot.width(), 18),
            Qt.AlignmentFlag.AlignCenter,
            title,
        )
        painter.drawText(
            QRectF(0, 2, plot.left() + 80, 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "synsets (log)",
        )
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.describe_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def describe_at(self, point: QPointF) -> str:
        """The bar under ``point``: its range and how many synsets it holds."""
        if not self.bins:
            return ""
        plot = self.plot_rect()
        for b in self.bins:
            if b.low == 0:
                left, right = plot.left(), plot.left() + self.zero_slot(plot)
            else:
                left, right = self.x_of(b.low, plot), self.x_of(b.high + 1, plot)
            if left <= point.x() < right:
                span = f"{b.low:,}" if b.low == b.high else f"{b.low:,}–{b.high:,}"
                return f"{plural(b.synsets, 'synset')} with {span} {self.counting}"
        return ""
