"""The thumbnail grid: a list model over a listing, a uniform grid view, a background loader.

Nothing here is one widget per image, nor one object per listed image: the
model holds the listing (``catalogue.Listing``, image ids by position) and
reads the rows of the positions asked for from the catalogue, a window of
``WINDOW_ROWS`` at a time, keeping the last ``WINDOWS_KEPT`` windows; the view
lays out a uniform grid arithmetically and paints only what is visible, so
the root of ImageNet-21k (14.2 million images) shows as fast as a leaf.
A row without its thumbnail yet shows a placeholder and asks the loader for
it; the loader decodes on its own threads (core
``ThumbnailCache.get_or_make``: disk cache, then Pillow) and hands back a
QImage; the QPixmap is made here, on the GUI thread. When the user scrolls
or changes the node, the generation number goes up: queued requests of
older generations are dropped before they decode.

Curation: the model holds the curation state of the images (a dict of path to
``ImageState``, the non-empty ones only), answers it under ``STATE_ROLE`` and
draws a badge on the thumbnail of a curated image (explorer.qt.badges). A
badged thumbnail is composed once per state and thumbnail and kept; an image
without curation costs one dict lookup per paint.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QImage,
    QPainter,
    QPen,
    QPixmap,
)

from explorer.core.images import problem_name  # .codes: imports only typing
from explorer.qt.badges import (
    badge_key,
    describe_problems,
    describe_reasons,
    describe_state,
    with_badge,
)
from explorer.qt.palette import TILES, TileStyle

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue, ImageRow, Listing
    from explorer.core.curation import ImageState
    from explorer.core.images import ThumbnailCache

ROW_ROLE = Qt.ItemDataRole.UserRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 1  # the image's ImageState; None when not curated
# Closing waits this long for the loader's threads: a thumbnail takes milliseconds (710 a
# second on two threads, bench/README.md "Thumbnails"); a longer decode ends by itself.
SHUTDOWN_WAIT_S = 0.25
_PIXMAP_CACHE_ROWS = 3000  # QPixmaps kept in memory; older ones are decoded again (from disk)
# Rows are read from the catalogue by windows of positions, on the GUI thread while it
# paints: on the 14.2M-image catalogue (Catalogue.rows_by_ids) 256 rows take 2 ms (5 at
# most), 1,024 take 5 ms (9 at most), so small windows keep each scroll step's read short;
# 16 of them (4,096 rows) cover a screen of 64-pixel tiles and its neighbours.
WINDOW_ROWS = 256
WINDOWS_KEPT = 16

# Shown, as the user opened it, but marked: the audit never reads it and exports leave it out.
OUTSIDE_ROOT = "↗ Outside the catalogue root: audits skip it, exports leave it out unless asked"


class _LoaderSignals(QObject):
    loaded = Signal(int, int, QImage, str, bool)  # generation, image id, image, error, missing


class ThumbnailLoader(QObject):
    """Decodes thumbnails on its own threads; results arrive as ``loaded`` signals.

    Daemon threads, not a QThreadPool: a decode runs in C and cannot be stopped, and Qt
    waits for every running task of a pool it destroys, so one slow file (a JPEG of
    thousands of scans took minutes) held the window's exit. :meth:`shutdown` waits for
    the threads a bounded time (a thumbnail takes milliseconds); the core's bounds make a
    longer decode rare, and should one run, closing leaves it behind, the process exits
    anyway, and what it makes is dropped: once closed, the loader emits nothing.
    """

    def __init__(
        self,
        cache_factory: Callable[[], ThumbnailCache],
        threads: int = 2,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._cache_factory = cache_factory
        self.cache: ThumbnailCache | None = None  # made on the first request, on the GUI thread
        self.signals = _LoaderSignals()
        self.generation = 0
        self._queue: deque[tuple[int, ImageRow, str | bytes | os.PathLike[str], int]] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self.set_thread_count(threads)

    def set_thread_count(self, count: int) -> None:
        """Decode on ``count`` threads; before the first request (they start with it)."""
        self._threads = [
            threading.Thread(target=self._work, name=f"thumbnails-{n}", daemon=True)
            for n in range(count)
        ]

    def thread_count(self) -> int:
        return len(self._threads)

    def next_generation(self) -> int:
        """Forget queued requests (they are stale) and start a new generation."""
        with self._wake:
            self.generation += 1
            self._queue.clear()
        return self.generation

    def request(self, row: ImageRow, path: str | bytes | os.PathLike[str], size: int) -> None:
        """Decode the thumbnail of ``row`` (its file at ``path``) at ``size`` pixels."""
        if self.cache is None:
            self.cache = self._cache_factory()
        if self._threads[0].ident is None:  # the first request starts them
            for thread in self._threads:
                thread.start()
        with self._wake:
            self._queue.append((self.generation, row, path, size))
            self._wake.notify()

    def shutdown(self, timeout: float = SHUTDOWN_WAIT_S) -> bool:
        """Drop the queued requests, let the threads end and wait up to ``timeout`` seconds
        for them; True if they all ended. Nothing is emitted after this returns."""
        with self._wake:  # an emit under way holds it: none starts after this
            self.generation += 1
            self._queue.clear()
            self._closed = True
            self._wake.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.ident is not None:  # started
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _work(self) -> None:
        cache = self.cache
        assert cache is not None  # the first request makes it, then starts the threads
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                generation, row, path, size = self._queue.popleft()
            # a row a rescan found gone: its recorded key is of a version no longer there
            known = row.present
            thumbnail = cache.get_or_make(
                path, row.size if known else None, row.mtime_ns if known else None, size
            )
            image = QImage()
            if thumbnail.data:
                image.loadFromData(thumbnail.data)
            with self._wake:
                if generation != self.generation or self._closed:
                    continue  # stale, or the window has closed
                try:
                    self.signals.loaded.emit(
                        generation, row.id, image, thumbnail.error, thumbnail.missing
                    )
                except RuntimeError:  # the signals' QObject is gone: never shut down
                    self._closed = True
                    return


def _tile(size: int, style: TileStyle, text: str = "") -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(style.fill)
    painter = QPainter(pixmap)
    pen = QPen(style.border, 2)
    if style.dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.drawRect(4, 4, size - 9, size - 9)
    if text:
        painter.setPen(style.ink)
        font = QFont()
        font.setPixelSize(max(11, min(size // 8, 20)))  # 11 px at 64, 16 at 128, 20 at 256
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(
            pixmap.rect().adjusted(6, 6, -6, -6),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            text,
        )
    painter.end()
    return pixmap


class _Tiles:
    """What a row without its thumbnail shows, drawn once per thumbnail size: every such
    row paints the same pixmap (and a badge on it is composed once). Waiting: an empty
    frame; a file that is there but cannot be decoded: "cannot show" in red; no file at
    the path: "missing", grey on a dashed frame, as nothing is there to show."""

    __slots__ = ("failed", "loading", "missing")

    def __init__(self, size: int) -> None:
        self.loading = _tile(size, TILES["loading"])
        self.failed = _tile(size, TILES["failed"], "cannot show")
        self.missing = _tile(size, TILES["missing"], "missing")


_STATE_ROLES = [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole, STATE_ROLE]
_NO_INDEX = QModelIndex()


class ThumbnailGridModel(QAbstractListModel):
    """Catalogue rows, sorted and filtered, with thumbnails loaded on demand."""

    thumbnails_arrived = Signal()  # every thumbnail asked for has come (or why not)

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.catalogue: Catalogue | None = None  # for the files' paths, and the rows
        self._listing: Listing | None = None
        self._count = 0  # len(listing), read once per paint instead of once per row
        self._windows: OrderedDict[int, list[ImageRow | None]] = OrderedDict()  # start -> rows
        self._rows_view = ListedRows(self)
        self._total = 0
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._errors: dict[int, str] = {}  # image id -> why it has no thumbnail
        self._missing: set[int] = set()  # those of them with no file at their path
        self._pending: dict[int, int] = {}  # image id -> its row when it was asked for
        self._states: dict[str, ImageState] = {}  # path -> curation (non-empty states only)
        self._badged: OrderedDict[int, tuple[tuple[str, ...], int, QPixmap]] = OrderedDict()
        self._notes: dict[str, str] = {}  # path -> a review queue's note, for the tooltip
        self.thumbnail_size = 128
        self._tiles = _Tiles(self.thumbnail_size)
        self._synset_label: Callable[[str], str] | None = None  # the subtree view's first line
        loader.signals.loaded.connect(self._on_loaded)

    # --- contents ---------------------------------------------------------------

    def set_listing(
        self, catalogue: Catalogue | None, listing: Listing | None, total: int | None = None
    ) -> None:
        """Show ``listing`` (image ids, filtered and sorted by the core's ``list_images`` in a
        worker) of ``catalogue`` (this thread's connection: the rows are read from it);
        ``total`` is how many there are before the filter. None: nothing."""
        self.beginResetModel()
        if catalogue is not self.catalogue:
            self._pixmaps.clear()
            self._errors.clear()
            self._missing.clear()
            self._badged.clear()
        self.catalogue = catalogue
        self._listing = listing if catalogue is not None else None
        self._count = len(self._listing) if self._listing is not None else 0
        self._windows.clear()
        self._rows_view = ListedRows(self)  # a new listing: a new sequence (viewers keep it)
        self._total = self._count if total is None else total
        self._restart()
        self.endResetModel()

    def listing(self) -> Listing | None:
        return self._listing

    def windows_kept(self) -> int:
        """How many windows of rows are held (at most WINDOWS_KEPT)."""
        return len(self._windows)

    def _window(self, start: int) -> list[ImageRow | None]:
        """The rows from position ``start`` (a multiple of WINDOW_ROWS), read when needed."""
        rows = self._windows.get(start)
        if rows is not None:
            self._windows.move_to_end(start)
            return rows
        listing, catalogue = self._listing, self.catalogue
        if listing is None or catalogue is None:
            return []
        ids = listing.window(start, start + WINDOW_ROWS)
        found = {row.id: row for row in catalogue.rows_by_ids(ids)}
        rows = [found.get(int(image_id)) for image_id in ids]  # None: gone since it was listed
        self._windows[start] = rows
        while len(self._windows) > WINDOWS_KEPT:
            self._windows.popitem(last=False)
        return rows

    # --- curation ---------------------------------------------------------------

    def state(self, path: str) -> ImageState | None:
        return self._states.get(path)

    def set_states(self, states: Mapping[str, ImageState]) -> None:
        """All the curation there is (``FlagStore.states()``), e.g. for a new catalogue."""
        self._states = {path: state for path, state in states.items() if not state.empty}
        self._badged.clear()
        if self._count:
            self.dataChanged.emit(self.index(0), self.index(self._count - 1), _STATE_ROLES)

    def update_states(self, changes: Mapping[str, ImageState]) -> None:
        """Some images' new curation (a command's after, or before when undone): only
        their rows are signalled."""
        for path, state in changes.items():
            if state.empty:
                self._states.pop(path, None)
            else:
                self._states[path] = state
        # only rows read so far can be on screen: those of the windows kept
        for start, rows in list(self._windows.items()):
            for offset, row in enumerate(rows):
                if row is not None and row.path in changes:
                    index = self.index(start + offset)
                    self.dataChanged.emit(index, index, _STATE_ROLES)

    def set_synset_label(self, label: Callable[[str], str] | None) -> None:
        """Name each cell's synset (wnid -> lemma) on its first line, as in the subtree view;
        None: the first line gives the image's size instead."""
        self._synset_label = label
        if self._count:
            self.dataChanged.emit(self.index(0), self.index(self._count - 1), [])

    def first_label(self, row: ImageRow) -> str:
        """A cell's first line: a review list's note (a model's prediction and the label), its
        synset in the subtree view, else its pixel size."""
        note = self._notes.get(row.path)
        if note:
            return note.splitlines()[0]
        if self._synset_label is not None and row.wnid:
            return self._synset_label(row.wnid)
        if row.width:
            return f"{row.width}×{row.height}"
        return ""

    def state_tooltip(self, row: ImageRow) -> str:
        """The curation badge's tooltip: the state and what its letters mean."""
        return describe_reasons(self._states.get(row.path))

    def set_notes(self, notes: Mapping[str, str]) -> None:
        """Notes shown on the cells' first lines and in the tooltips (a review list's), by
        path; empty: none."""
        self._notes = dict(notes)
        if self._count:
            self.dataChanged.emit(self.index(0), self.index(self._count - 1), [])

    def position_of(self, path: str) -> int | None:
        """Where the image at ``path`` is shown (None: not listed). Milliseconds: one query,
        one pass over the listing's ids."""
        listing, catalogue = self._listing, self.catalogue
        if listing is None or catalogue is None:
            return None
        for image_id in catalogue.ids_of_paths([path]):
            return listing.position_of(image_id)
        return None

    def set_thumbnail_size(self, size: int) -> None:
        self.beginResetModel()
        self.thumbnail_size = size
        self._tiles = _Tiles(size)
        self._pixmaps.clear()
        self._errors.clear()
        self._missing.clear()
        self._badged.clear()
        self._restart()
        self.endResetModel()

    def _restart(self) -> None:
        self.loader.next_generation()
        self._pending.clear()

    def visible_range_changed(self) -> None:
        """The view scrolled: requests for rows no longer on screen are stale."""
        self._restart()

    def row(self, position: int) -> ImageRow | None:
        """The row at ``position`` (None: out of range, or gone from the catalogue since)."""
        if not 0 <= position < self._count:
            return None
        start = position - position % WINDOW_ROWS
        rows = self._window(start)
        offset = position - start
        return rows[offset] if offset < len(rows) else None

    def rows(self) -> ListedRows:
        """The rows shown, as a sequence read by position (one object per listing)."""
        return self._rows_view

    def total(self) -> int:
        """Rows before the filter."""
        return self._total

    # --- Qt model ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() else self._count

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self.row(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            pixmap = self._pixmap(row, index.row())
            state = self._states.get(row.path)
            return pixmap if state is None else self._badge(row.id, state, pixmap)
        if role == Qt.ItemDataRole.DisplayRole:
            name = row.path.rsplit("/", 1)[-1]
            problems = ", ".join(problem_name(code) for code in row.problems)
            return (
                ("↗ " if row.outside_root else "") + name + (f" ({problems})" if problems else "")
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [row.path]
            if row.outside_root:
                lines.append(OUTSIDE_ROOT)
            if row.width:
                lines.append(f"{row.width}×{row.height} {row.format or ''} {row.mode or ''}")
            if row.size is not None:
                lines.append(f"{row.size:,} bytes")
            if row.problems:
                lines.append(describe_problems(row.problems))
            if row.id in self._missing:
                lines.append("Missing: no file at " + self._file_name(row))
            elif row.id in self._errors:
                lines.append("Cannot show: " + self._errors[row.id])
            state = self._states.get(row.path)
            if state is not None:
                lines.append(describe_state(state))
            if row.path in self._notes:
                lines.append("Queue: " + self._notes[row.path])
            return "\n".join(lines)
        if role == ROW_ROLE:
            return row
        if role == STATE_ROLE:
            return self._states.get(row.path)
        return None

    def _badge(self, image_id: int, state: ImageState, base: QPixmap) -> QPixmap:
        key = badge_key(state)
        if key is None:
            return base
        cached = self._badged.get(image_id)
        if cached is not None and cached[0] == key and cached[1] == base.cacheKey():
            self._badged.move_to_end(image_id)
            return cached[2]
        pixmap = with_badge(base, key)
        self._badged[image_id] = (key, base.cacheKey(), pixmap)
        while len(self._badged) > _PIXMAP_CACHE_ROWS:
            self._badged.popitem(last=False)
        return pixmap

    def _pixmap(self, row: ImageRow, position: int) -> QPixmap:
        pixmap = self._pixmaps.get(row.id)
        if pixmap is not None:
            self._pixmaps.move_to_end(row.id)
            return pixmap
        if row.id in self._errors:
            return self._tiles.missing if row.id in self._missing else self._tiles.failed
        if row.id not in self._pending and self.catalogue is not None:
            self._pending[row.id] = position
            path = self.catalogue.absolute_path(row.path, row.raw_path)
            self.loader.request(row, path, self.thumbnail_size)
        return self._tiles.loading

    def _file_name(self, row: ImageRow) -> str:
        if self.catalogue is None:
            return row.path
        return os.fsdecode(self.catalogue.absolute_path(row.path, row.raw_path))

    def _on_loaded(
        self, generation: int, image_id: int, image: QImage, error: str, missing: bool
    ) -> None:
        position = self._pending.pop(image_id, None)
        if image.isNull():
            self._errors[image_id] = error or "no preview"
            if missing:
                self._missing.add(image_id)
        else:
            self._pixmaps[image_id] = QPixmap.fromImage(image)  # GUI thread only
            while len(self._pixmaps) > _PIXMAP_CACHE_ROWS:
                self._pixmaps.popitem(last=False)
        if position is not None and position < self._count:
            index = self.index(position)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
        if not self._pending:
            self.thumbnails_arrived.emit()

    def loaded_count(self) -> int:
        return len(self._pixmaps) + len(self._errors)

    def thumbnail(self, image_id: int) -> QPixmap | None:
        """The image's thumbnail, once it has arrived (and while it is kept)."""
        return self._pixmaps.get(image_id)

    def thumbnail_error(self, image_id: int) -> str | None:
        """Why the image has no thumbnail, once its decode has failed."""
        return self._errors.get(image_id)

    def thumbnail_missing(self, image_id: int) -> bool:
        """Whether the image has no thumbnail because its file is not there (the core's
        ``Thumbnail.missing``), as opposed to a file that cannot be shown."""
        return image_id in self._missing

    def is_loaded(self, image_id: int) -> bool:
        """Whether the image's thumbnail, or why there is none, has arrived."""
        return image_id in self._pixmaps or image_id in self._errors


class ListedRows(Sequence["ImageRow"]):
    """A listing's rows as a sequence read by position (the viewer steps through it): the
    grid model's windows while the model shows that listing, else one row at a time from
    the catalogue (the grid has listed again meanwhile: the viewer keeps its own order).
    The position of an image gone from the catalogue since raises LookupError."""

    def __init__(self, model: ThumbnailGridModel) -> None:
        self._model = model
        self._listing = model.listing()
        self._catalogue = model.catalogue

    def __len__(self) -> int:
        return len(self._listing) if self._listing is not None else 0

    def _row(self, position: int) -> ImageRow | None:
        if self._model.listing() is self._listing:
            return self._model.row(position)
        if self._listing is None or self._catalogue is None:
            return None
        rows = self._catalogue.rows_by_ids(self._listing.window(position, position + 1))
        return rows[0] if rows else None

    @overload
    def __getitem__(self, position: int) -> ImageRow: ...
    @overload
    def __getitem__(self, position: slice) -> list[ImageRow]: ...
    def __getitem__(self, position: int | slice) -> ImageRow | list[ImageRow]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        row = self._row(position)
        if row is None:
            raise LookupError(f"the image at {position} is no longer in the catalogue")
        return row

    def __iter__(self) -> Iterator[ImageRow]:
        return (self[i] for i in range(len(self)))
