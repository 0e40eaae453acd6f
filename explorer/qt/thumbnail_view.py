"""The thumbnail grid's view: a uniform grid laid out by arithmetic, whatever the row count.

QListView keeps a position per item: 29 s to lay out 14.2M rows in list mode, 57 s and
400 MB in icon mode. This view computes a row's rectangle from its number, paints only the
visible rows and sizes its scroll bar from the model's count.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QRegion,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QRubberBand,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionRubberBand,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from explorer.qt.badges import describe_problems, problem_chip_text
from explorer.qt.palette import IMAGE_BOX, ON_COLOUR, PROBLEM
from explorer.qt.thumbnail_grid import ROW_ROLE, ThumbnailGridModel

PAD = 6  # around the image box, and between it and the labels
MIN_CELL_WIDTH = 100  # the labels need room even at the smallest size


def short_name(name: str, wnid: str | None, fits: Callable[[str], bool]) -> str:
    """The file name as a cell shows it: whole when it fits, else its distinctive end kept
    (the synset's prefix is the same on every cell of a synset, the extension on all).

    >>> short_name("n02085620_1152.JPEG", "n02085620", lambda text: len(text) <= 12)
    '…_1152.JPEG'
    >>> short_name("n02085620_1152.JPEG", "n02085620", lambda text: len(text) <= 8)
    '…_1152'
    >>> short_name("n02085620_10074.JPEG", None, lambda text: len(text) <= 12)
    '…85620_10074'
    >>> short_name("dog.jpg", None, lambda text: len(text) <= 12)
    'dog.jpg'
    """
    if fits(name):
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 5:
        stem, extension = name, ""
    if wnid and stem.startswith(wnid) and len(stem) > len(wnid):
        stem = stem[len(wnid) :]
    suffix = f".{extension}" if extension else ""
    for text in ("…" + stem + suffix, "…" + stem):  # the extension goes before the stem
        if fits(text):
            return text
    for start in range(1, len(stem)):  # the longest end of the stem that fits
        text = "…" + stem[start:]
        if fits(text):
            return text
    return "…" + stem[-3:]


class CellLayout:
    """Where a cell's parts are, from the cell's rectangle: the image box (a square of the
    thumbnail size, centred at the top), two label lines below it, the chips on the box."""

    __slots__ = ("line", "size")

    def __init__(self, size: int, line: int) -> None:
        self.size, self.line = size, line

    def cell_size(self) -> QSize:
        width = max(self.size + 2 * PAD, MIN_CELL_WIDTH)
        return QSize(width + 4, PAD + self.size + PAD + 2 * self.line + PAD + 4)

    def image_box(self, cell: QRect) -> QRect:
        return QRect(
            cell.x() + (cell.width() - self.size) // 2, cell.y() + PAD, self.size, self.size
        )

    def label_lines(self, cell: QRect) -> tuple[QRect, QRect]:
        """The two label lines, bottom-aligned in the cell: the synset (or the image's
        size), then the file name."""
        bottom = cell.bottom() - PAD + 1
        second = QRect(cell.x() + 4, bottom - self.line, cell.width() - 8, self.line)
        first = second.translated(0, -self.line)
        return first, second

    def problem_chip(self, cell: QRect, text: str, metrics: QFontMetrics) -> QRect:
        box = self.image_box(cell)
        width = min(box.width() - 4, metrics.horizontalAdvance(text) + 8)
        height = metrics.height() + 2
        return QRect(box.left() + 2, box.bottom() - height - 1, width, height)

    def state_chip(self, cell: QRect) -> QRect:
        """The corner of the image box the curation badge takes (explorer.qt.badges)."""
        box = self.image_box(cell)
        side = max(13, min(24, self.size // 5))
        return QRect(box.left(), box.top(), side * 3, side + side // 3)


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a cell: the thumbnail fitted into its fixed box, the audit problem named on a
    chip, and two labels below, aligned across a row."""

    def __init__(self, view: ThumbnailGridView) -> None:
        super().__init__(view)
        self.view = view

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        view, cell = self.view, option.rect
        layout = view.cell_layout
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(cell, 4, 4)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Midlight))
            painter.drawRoundedRect(cell, 4, 4)
        box = layout.image_box(cell)
        painter.fillRect(box, IMAGE_BOX)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            if pixmap.width() > box.width() or pixmap.height() > box.height():
                pixmap = pixmap.scaled(
                    box.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            x = box.x() + (box.width() - pixmap.width()) // 2
            y = box.y() + (box.height() - pixmap.height()) // 2
            painter.drawPixmap(x, y, pixmap)
        row = index.data(ROW_ROLE)
        small = QFont(option.font)
        small.setPixelSize(max(9, QFontMetrics(option.font).height() - 5))
        if row is not None and row.problems:
            text = problem_chip_text(row.problems, layout.size)
            metrics = QFontMetrics(small)
            chip = layout.problem_chip(cell, text, metrics)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(PROBLEM)
            painter.drawRoundedRect(chip, 3, 3)
            painter.setPen(ON_COLOUR)
            painter.setFont(small)
            painter.drawText(
                chip,
                Qt.AlignmentFlag.AlignCenter,
                metrics.elidedText(text, Qt.TextElideMode.ElideRight, chip.width() - 4),
            )
        ink = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        faint = QColor(ink)
        faint.setAlpha(170)
        first, second = layout.label_lines(cell)
        model = view.model()
        if row is not None:
            label = model.first_label(row) if isinstance(model, ThumbnailGridModel) else ""
            painter.setFont(small)
            painter.setPen(faint)
            metrics = QFontMetrics(small)
            painter.drawText(
                first,
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, first.width()),
            )
            painter.setFont(option.font)
            painter.setPen(ink)
            metrics = QFontMetrics(option.font)
            name = row.path.rsplit("/", 1)[-1]
            shown = short_name(
                name, row.wnid, lambda text: metrics.horizontalAdvance(text) <= second.width()
            )
            if row.outside_root:
                shown = "↗ " + shown
            painter.drawText(
                second, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, shown
            )
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight).darker(130))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell.adjusted(0, 0, -1, -1), 4, 4)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return self.view.gridSize()

    def chip_tooltip(self, cell: QRect, index: QModelIndex, point: QPoint) -> str | None:
        """The tooltip of the chip under ``point`` (the problem chip, the curation badge)."""
        row = index.data(ROW_ROLE)
        if row is None:
            return None
        layout = self.view.cell_layout
        small = QFont(self.view.font())
        small.setPixelSize(max(9, self.view.fontMetrics().height() - 5))
        if row.problems:
            text = problem_chip_text(row.problems, layout.size)
            if layout.problem_chip(cell, text, QFontMetrics(small)).contains(point):
                return describe_problems(row.problems)
        model = self.view.model()
        if isinstance(model, ThumbnailGridModel) and layout.state_chip(cell).contains(point):
            return model.state_tooltip(row)
        return None


class ThumbnailGridView(QAbstractItemView):
    """A grid of uniform cells laid out by arithmetic: the cell of row r is at line
    r // columns, column r % columns, so a listing of 14 million costs nothing to lay out
    and any position is reachable at once. (QListView keeps a position per item and laid
    out 14.2 million in 29 s in list mode, 57 s and 400 MB in icon mode.) Stale thumbnail
    requests are dropped on scroll.

    A drag with the left button selects the cells its rubber band touches, as QListView's
    icon mode did (Ctrl: toggles them, Shift: adds them); the band is anchored in the
    content, so it grows across windows of rows when the view scrolls under it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setMouseTracking(True)
        self.horizontalScrollBar().setRange(0, 0)
        # the scroll bar always there: the columns, and the rows' left edge, stay where they
        # are whether a listing fills the view or not (a short one is left-aligned in the
        # same centred block as a long one's rows, not shifted by a scroll bar's width)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.cell_layout = CellLayout(128, self.fontMetrics().height())
        self._cell = self.cell_layout.cell_size()
        self.setItemDelegate(ThumbnailDelegate(self))
        self._unit = 1  # pixels per scroll bar step: more when the grid is over 2**30 pixels
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self._band_origin: QPoint | None = None  # where a drag began, in content pixels
        self._band_end = QPoint()  # where the mouse is, in the viewport
        self.set_thumbnail_size(128)

    # --- geometry ---------------------------------------------------------------

    def gridSize(self) -> QSize:
        return QSize(self._cell)

    def set_thumbnail_size(self, size: int) -> None:
        """Cells for thumbnails of ``size`` pixels; the first row on screen stays first."""
        first = self.first_visible_row()
        self.setIconSize(QSize(size, size))
        self.cell_layout = CellLayout(size, self.fontMetrics().height())
        self._cell = self.cell_layout.cell_size()
        model = self.model()
        if isinstance(model, ThumbnailGridModel):
            model.set_thumbnail_size(size)
        self.updateGeometries()
        self.show_row_at_top(first)
        self.viewport().update()

    def first_visible_row(self) -> int:
        """The first row of the top line on screen (partly or wholly)."""
        return min(
            self._offset() // self._cell.height() * self.columns(), max(0, self._count() - 1)
        )

    def show_row_at_top(self, row: int) -> None:
        """Scroll so that the line of ``row`` is the top one, whole (as far as the grid goes)."""
        top = row // self.columns() * self._cell.height()
        self.verticalScrollBar().setValue(top // self._unit)

    def left_margin(self) -> int:
        """The space left of the first column: the rows are centred in the viewport."""
        return max(0, (self.viewport().width() - self.columns() * self._cell.width()) // 2)

    def _count(self) -> int:
        model = self.model()
        return model.rowCount() if model is not None else 0

    def columns(self) -> int:
        return max(1, self.viewport().width() // self._cell.width())

    def _offset(self) -> int:
        """Pixels scrolled down."""
        return self.verticalScrollBar().value() * self._unit

    def updateGeometries(self) -> None:
        lines = -(-self._count() // self.columns())
        height = lines * self._cell.height()
        self._unit = max(1, -(-height // 2**30))  # a scroll bar holds an int
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setRange(0, max(0, height - page) // self._unit)
        bar.setPageStep(max(1, page // self._unit))
        bar.setSingleStep(max(1, self._cell.height() // 4 // self._unit))
        super().updateGeometries()

    def visible_range(self) -> range:
        """The rows (partly) on screen."""
        columns, height = self.columns(), self._cell.height()
        top = self._offset()
        first = top // height * columns
        last = (top + self.viewport().height()) // height * columns + columns
        return range(min(first, self._count()), min(last, self._count()))

    def visualRect(self, index: QModelIndex | QPersistentModelIndex) -> QRect:
        if not index.isValid():
            return QRect()
        line, column = divmod(index.row(), self.columns())
        return QRect(
            self.left_margin() + column * self._cell.width(),
            line * self._cell.height() - self._offset(),
            self._cell.width(),
            self._cell.height(),
        )

    def indexAt(self, point: QPoint) -> QModelIndex:
        model = self.model()
        x = point.x() - self.left_margin()
        column = x // self._cell.width()
        if model is None or x < 0 or column >= self.columns():
            return QModelIndex()
        row = (point.y() + self._offset()) // self._cell.height() * self.columns() + column
        return model.index(row, 0, self.rootIndex()) if 0 <= row < self._count() else QModelIndex()

    def scrollTo(
        self,
        index: QModelIndex | QPersistentModelIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        if not index.isValid():
            return
        top = index.row() // self.columns() * self._cell.height()
        page = self.viewport().height()
        offset = self._offset()
        if hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            offset = top - (page - self._cell.height()) // 2
        elif hint == QAbstractItemView.ScrollHint.PositionAtBottom:
            offset = top + self._cell.height() - page
        elif hint == QAbstractItemView.ScrollHint.PositionAtTop or top < offset:
            offset = top
        elif top + self._cell.height() > offset + page:  # the fewest whole lines down
            height = self._cell.height()
            offset = -(-(top + height - page) // height) * height
            offset = min(offset, top)
        self.verticalScrollBar().setValue(max(0, offset) // self._unit)

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self._offset()

    def isIndexHidden(self, index: QModelIndex | QPersistentModelIndex) -> bool:
        return False

    def keyboardSearch(self, search: str) -> None:
        """Typing a name does not search: Qt's search reads every row (14 million at
        ImageNet-21k's root), and letters are the curation keys here."""

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        model, count = self.model(), self._count()
        if model is None or count == 0:
            return QModelIndex()
        current = self.currentIndex().row() if self.currentIndex().isValid() else -1
        columns = self.columns()
        page = max(1, self.viewport().height() // self._cell.height()) * columns
        move = QAbstractItemView.CursorAction
        steps = {
            move.MoveLeft: -1,
            move.MovePrevious: -1,
            move.MoveRight: 1,
            move.MoveNext: 1,
            move.MoveUp: -columns,
            move.MoveDown: columns,
            move.MovePageUp: -page,
            move.MovePageDown: page,
        }
        if action == move.MoveHome:
            row = 0
        elif action == move.MoveEnd:
            row = count - 1
        elif current < 0:
            row = 0
        else:
            row = current + steps.get(action, 0)
            if not 0 <= row < count:  # up from the first line, down from the last
                row = current if action in (move.MoveUp, move.MoveDown) else row
        return model.index(max(0, min(row, count - 1)), 0, self.rootIndex())

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        model, count = self.model(), self._count()
        if model is None or count == 0:
            return
        columns, cell = self.columns(), self._cell
        rect = rect.normalized().translated(-self.left_margin(), 0)
        first_column = max(0, rect.left() // cell.width())
        last_column = min(columns - 1, rect.right() // cell.width())
        top, bottom = (rect.top() + self._offset(), rect.bottom() + self._offset())
        selection = QItemSelection()
        if first_column == 0 and last_column == columns - 1:  # whole lines: one range
            first = max(0, top // cell.height()) * columns
            last = min((bottom // cell.height() + 1) * columns, count) - 1
            if first <= last:
                selection.select(model.index(first, 0), model.index(last, 0))
        elif first_column <= last_column:
            for line in range(max(0, top // cell.height()), bottom // cell.height() + 1):
                first = line * columns + first_column
                last = min(line * columns + last_column, count - 1)
                if first > last:
                    break
                selection.select(model.index(first, 0), model.index(last, 0))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        region = QRegion()
        shown = self.visible_range()
        for span in selection.toList():
            for row in range(max(span.top(), shown.start), min(span.bottom() + 1, shown.stop)):
                region += self.visualRect(self.model().index(row, 0))
        return region

    # --- rubber band ----------------------------------------------------------------
    # QAbstractItemView selects what setSelection is given between the press and the
    # mouse (both anchored in the content through verticalOffset): this view draws it.

    def rubber_band(self) -> QRect:
        """The rubber band being dragged, in viewport pixels (empty: none)."""
        if self._band_origin is None:
            return QRect()
        start = self._band_origin - QPoint(0, self._offset())
        band = QRect(start, self._band_end).normalized()
        return band if band.width() > 1 or band.height() > 1 else QRect()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        multiple = self.selectionMode() in (
            QAbstractItemView.SelectionMode.ExtendedSelection,
            QAbstractItemView.SelectionMode.MultiSelection,
        )
        if event.button() == Qt.MouseButton.LeftButton and multiple:
            point = event.position().toPoint()
            self._band_origin = point + QPoint(0, self._offset())
            self._band_end = point

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if self._band_origin is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._band_end = event.position().toPoint()
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._band_origin is not None:
            self._band_origin = None
            self.viewport().update()

    # --- painting and scrolling ----------------------------------------------------

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        if model is None:
            return
        painter = QPainter(self.viewport())
        selection, current = self.selectionModel(), self.currentIndex()
        focused = self.hasFocus()
        hover = self.indexAt(self.viewport().mapFromGlobal(self.cursor().pos()))
        delegate = self.itemDelegate()
        base = QStyleOptionViewItem()
        self.initViewItemOption(base)
        columns, offset, left = self.columns(), self._offset(), self.left_margin()
        width, height = self._cell.width(), self._cell.height()
        root = self.rootIndex()
        for row in self.visible_range():
            index = model.index(row, 0, root)
            option = QStyleOptionViewItem(base)
            line, column = divmod(row, columns)
            option.rect = self.cell_rect(
                QRect(left + column * width, line * height - offset, width, height)
            )
            if selection is not None and selection.isSelected(index):
                option.state |= QStyle.StateFlag.State_Selected
            if focused and index == current:
                option.state |= QStyle.StateFlag.State_HasFocus
            if index == hover:
                option.state |= QStyle.StateFlag.State_MouseOver
            delegate.paint(painter, option, index)
        band = self.rubber_band()
        if not band.isEmpty():
            drawn = QStyleOptionRubberBand()
            drawn.initFrom(self)
            drawn.shape = QRubberBand.Shape.Rectangle
            drawn.opaque = False
            drawn.rect = band
            self.style().drawControl(QStyle.ControlElement.CE_RubberBand, drawn, painter, self)
        painter.end()

    @staticmethod
    def cell_rect(slot: QRect) -> QRect:
        """The cell drawn in a slot of the grid: 2 pixels apart from its neighbours."""
        return slot.adjusted(2, 2, -2, -2)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.indexAt(event.pos())
            delegate = self.itemDelegate()
            if index.isValid() and isinstance(delegate, ThumbnailDelegate):
                cell = self.cell_rect(self.visualRect(index))
                tip = delegate.chip_tooltip(cell, index, event.pos())
                if tip:
                    QToolTip.showText(event.globalPos(), tip, self.viewport())
                    return True
        return super().viewportEvent(event)

    def _scrolled(self) -> None:
        model = self.model()
        if isinstance(model, ThumbnailGridModel):
            model.visible_range_changed()
            self.viewport().update()
