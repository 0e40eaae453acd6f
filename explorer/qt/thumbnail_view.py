"""The thumbnail grid's view: a uniform grid laid out by arithmetic, whatever the row count.

QListView keeps a position per item: 29 s to lay out 14.2M rows in list mode, 57 s and
400 MB in icon mode. This view computes a row's rectangle from its number, paints only the
visible rows and sizes its scroll bar from the model's count.
"""

from __future__ import annotations

from PySide6.QtCore import (
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
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QRegion,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QRubberBand,
    QStyle,
    QStyleOptionRubberBand,
    QStyleOptionViewItem,
    QWidget,
)

from explorer.qt.thumbnail_grid import ThumbnailGridModel


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
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setMouseTracking(True)
        self.horizontalScrollBar().setRange(0, 0)
        self._cell = QSize(144, 158)
        self._unit = 1  # pixels per scroll bar step: more when the grid is over 2**30 pixels
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self._band_origin: QPoint | None = None  # where a drag began, in content pixels
        self._band_end = QPoint()  # where the mouse is, in the viewport
        self.set_thumbnail_size(128)

    # --- geometry ---------------------------------------------------------------

    def gridSize(self) -> QSize:
        return QSize(self._cell)

    def set_thumbnail_size(self, size: int) -> None:
        self.setIconSize(QSize(size, size))
        self._cell = QSize(size + 20, size + 34)  # the icon, its caption, spacing
        model = self.model()
        if isinstance(model, ThumbnailGridModel):
            model.set_thumbnail_size(size)
        self.updateGeometries()
        self.viewport().update()

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
            column * self._cell.width(),
            line * self._cell.height() - self._offset(),
            self._cell.width(),
            self._cell.height(),
        )

    def indexAt(self, point: QPoint) -> QModelIndex:
        model = self.model()
        column = point.x() // self._cell.width()
        if model is None or point.x() < 0 or column >= self.columns():
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
        elif top + self._cell.height() > offset + page:
            offset = top + self._cell.height() - page
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
        rect = rect.normalized()
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
        # as QListView's icon mode: the picture above its centred caption
        base.decorationPosition = QStyleOptionViewItem.Position.Top
        base.decorationAlignment = Qt.AlignmentFlag.AlignCenter
        base.displayAlignment = Qt.AlignmentFlag.AlignCenter
        base.showDecorationSelected = False
        columns, offset = self.columns(), self._offset()
        width, height = self._cell.width(), self._cell.height()
        root = self.rootIndex()
        for row in self.visible_range():
            index = model.index(row, 0, root)
            option = QStyleOptionViewItem(base)
            line, column = divmod(row, columns)
            option.rect = QRect(
                column * width + 2, line * height - offset + 2, width - 4, height - 4
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

    def _scrolled(self) -> None:
        model = self.model()
        if isinstance(model, ThumbnailGridModel):
            model.visible_range_changed()
            self.viewport().update()
