"""The thumbnail grid: a list model over catalogue rows, a view in icon mode, a background loader.

Nothing here is one widget per image: the view paints only what is visible
and asks the model for those rows. A row without its thumbnail yet shows a
placeholder and asks the loader for it; the loader decodes on pool threads
(core ``ThumbnailCache.get_or_make``: disk cache, then Pillow) and hands
back a QImage; the QPixmap is made here, on the GUI thread. When the user
scrolls or changes the node, the generation number goes up: queued
requests of older generations are dropped before they decode.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView

if TYPE_CHECKING:
    from explorer.core.catalogue import ImageRow

ROW_ROLE = Qt.ItemDataRole.UserRole
_PIXMAP_CACHE_ROWS = 3000  # QPixmaps kept in memory; older ones are decoded again (from disk)


class _LoaderSignals(QObject):
    loaded = Signal(int, int, QImage, str)  # generation, image id, image, error


class _ThumbnailTask(QRunnable):
    def __init__(self, loader: ThumbnailLoader, generation: int, row: ImageRow, path, size: int):
        super().__init__()
        self._loader, self._generation, self._row, self._path, self._size = (
            loader, generation, row, path, size,
        )  # fmt: skip

    def run(self) -> None:
        if self._generation != self._loader.generation:
            return  # the user scrolled away or chose another node: not worth decoding
        row = self._row
        thumbnail = self._loader.cache.get_or_make(self._path, row.size, row.mtime_ns, self._size)
        image = QImage()
        if thumbnail.data:
            image.loadFromData(thumbnail.data)
        self._loader.signals.loaded.emit(self._generation, row.id, image, thumbnail.error)


class ThumbnailLoader(QObject):
    """Decodes thumbnails on its own thread pool; results arrive as ``loaded`` signals."""

    def __init__(self, cache_factory, threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache_factory = cache_factory
        self.cache = None  # made on the first request, on the GUI thread
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.signals = _LoaderSignals()
        self.generation = 0

    def next_generation(self) -> int:
        """Forget queued requests (they are stale) and start a new generation."""
        self.generation += 1
        self.pool.clear()
        return self.generation

    def request(self, row: ImageRow, path, size: int) -> None:
        if self.cache is None:
            self.cache = self._cache_factory()
        self.pool.start(_ThumbnailTask(self, self.generation, row, path, size))

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        self.generation += 1
        self.pool.clear()
        return self.pool.waitForDone(timeout_ms)


def _placeholder(size: int, text: str = "", colour: str = "#d8d8d8") -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor("#f2f2f2"))
    painter = QPainter(pixmap)
    painter.setPen(QPen(QColor(colour), 2))
    painter.drawRect(4, 4, size - 9, size - 9)
    if text:
        painter.setPen(QColor("#a04040"))
        font = QFont()
        font.setPointSize(max(7, size // 14))
        painter.setFont(font)
        painter.drawText(
            pixmap.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text
        )
    painter.end()
    return pixmap


class ThumbnailGridModel(QAbstractListModel):
    """Catalogue rows, sorted and filtered, with thumbnails loaded on demand."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.catalogue = None  # an open explorer.core.catalogue.Catalogue, for file paths
        self._rows: list[ImageRow] = []
        self._total = 0
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._errors: dict[int, str] = {}
        self._pending: dict[int, int] = {}  # image id -> its row when it was asked for
        self.thumbnail_size = 128
        self._placeholder = _placeholder(self.thumbnail_size)
        loader.signals.loaded.connect(self._on_loaded)

    # --- contents ---------------------------------------------------------------

    def set_rows(self, catalogue, rows: list[ImageRow], total: int | None = None) -> None:
        """Show ``rows``, already filtered and sorted (core ``image_list.arrange``, in a
        worker: a subtree's rows take too long for the GUI thread); ``total`` is how many
        there are before the filter."""
        self.beginResetModel()
        if catalogue is not self.catalogue:
            self._pixmaps.clear()
            self._errors.clear()
        self.catalogue = catalogue
        self._rows = rows
        self._total = len(rows) if total is None else total
        self._restart()
        self.endResetModel()

    def set_thumbnail_size(self, size: int) -> None:
        self.beginResetModel()
        self.thumbnail_size = size
        self._placeholder = _placeholder(size)
        self._pixmaps.clear()
        self._errors.clear()
        self._restart()
        self.endResetModel()

    def _restart(self) -> None:
        self.loader.next_generation()
        self._pending.clear()

    def visible_range_changed(self) -> None:
        """The view scrolled: requests for rows no longer on screen are stale."""
        self._restart()

    def row(self, row: int) -> ImageRow:
        return self._rows[row]

    def rows(self) -> list[ImageRow]:
        return self._rows

    def total(self) -> int:
        """Rows before the filter."""
        return self._total

    # --- Qt model ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(row, index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            name = row.path.rsplit("/", 1)[-1]
            return ("⚠ " if row.problems else "") + name
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [row.path]
            if row.width:
                lines.append(f"{row.width}×{row.height} {row.format or ''} {row.mode or ''}")
            if row.size is not None:
                lines.append(f"{row.size:,} bytes")
            if row.problems:
                lines.append("Problems: " + ", ".join(row.problems))
            if row.id in self._errors:
                lines.append("Thumbnail: " + self._errors[row.id])
            return "\n".join(lines)
        if role == ROW_ROLE:
            return row
        return None

    def _pixmap(self, row: ImageRow, position: int) -> QPixmap:
        pixmap = self._pixmaps.get(row.id)
        if pixmap is not None:
            self._pixmaps.move_to_end(row.id)
            return pixmap
        if row.id in self._errors:
            return _placeholder(self.thumbnail_size, "cannot show", "#d08080")
        if row.id not in self._pending and self.catalogue is not None:
            self._pending[row.id] = position
            path = self.catalogue.absolute_path(row.path, row.raw_path)
            self.loader.request(row, path, self.thumbnail_size)
        return self._placeholder

    def _on_loaded(self, generation: int, image_id: int, image: QImage, error: str) -> None:
        position = self._pending.pop(image_id, None)
        if image.isNull():
            self._errors[image_id] = error or "no preview"
        else:
            self._pixmaps[image_id] = QPixmap.fromImage(image)  # GUI thread only
            while len(self._pixmaps) > _PIXMAP_CACHE_ROWS:
                self._pixmaps.popitem(last=False)
        if position is not None and position < len(self._rows):
            index = self.index(position)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def loaded_count(self) -> int:
        return len(self._pixmaps) + len(self._errors)


class ThumbnailGridView(QListView):
    """Icon-mode list view: uniform cells, batched layout, stale requests dropped on scroll."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSpacing(4)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.set_thumbnail_size(128)

    def set_thumbnail_size(self, size: int) -> None:
        self.setIconSize(QSize(size, size))
        self.setGridSize(QSize(size + 16, size + 30))
        model = self.model()
        if isinstance(model, ThumbnailGridModel):
            model.set_thumbnail_size(size)

    def _scrolled(self) -> None:
        model = self.model()
        if isinstance(model, ThumbnailGridModel):
            model.visible_range_changed()
            self.viewport().update()
