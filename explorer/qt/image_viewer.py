"""The image viewer, a loupe: one image fitted to the pane (small ones scaled up, smoothly),
1:1 with Z or 1, zoom with the wheel or + -, pan by dragging; its synset's name and
breadcrumb above, a filmstrip of its neighbours below (read from the grid's rows by
position, so it works on any listing), its metadata and curation on the right; arrow keys
for previous/next.

The picture is decoded by Qt's QImageReader with a size cap (a huge image is
scaled while it is read, never decoded in full) and EXIF rotation applied,
from bytes the core read and judged first (``viewable_bytes``: Qt opening a
FIFO itself would block the GUI, and a JPEG of thousands of scans would hold
it for minutes); metadata comes from the core (Pillow). Both are quick for
ImageNet-sized files, so they run on the GUI thread; a file that cannot be
shown shows why instead of a picture, and a file that is not there at all (the core's
``is_missing_file``: moved or deleted since it was listed) says "missing" with its path.

Curation: the window adds its curation actions to the viewer (their shortcuts
then work here: the flag keys, Space for OK, undo), so one implementation
serves the grid and the viewer; the viewer shows the current image's flags
(``state_for``, the window's lookup) and ``show_curation`` redraws them after a
change.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QImage,
    QImageReader,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from explorer.core.curation import REASONS
from explorer.core.images import (
    AUDIT_CODES,
    image_metadata,
    is_missing_file,
    make_thumbnail,
    problem_name,
    viewable_bytes,
)
from explorer.qt.badges import describe_state, state_colour
from explorer.qt.palette import (
    BADGES,
    FILMSTRIP_BACKGROUND,
    FILMSTRIP_CURRENT,
    FILMSTRIP_EMPTY,
    FILMSTRIP_EMPTY_TEXT,
    LOUPE_BACKGROUND,
    LOUPE_TEXT,
    ON_COLOUR,
    PROBLEM,
    REVIEWED,
    SECONDARY_TEXT,
)
from explorer.qt.thumbnail_grid import OUTSIDE_ROOT

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue, ImageRow
    from explorer.core.curation import ImageState
    from explorer.core.wordnet import Taxonomy

_MAX_SIDE = 4096  # larger images are scaled down while they are read


def _read_picture(path: str | bytes) -> tuple[QImage, str, bool]:
    """The picture at ``path``, scaled while read when a side is over ``_MAX_SIDE``; or a
    null image, why, and whether that is because there is no file at ``path``."""
    try:
        data = viewable_bytes(path, _MAX_SIDE)
    except (OSError, ValueError) as exc:  # ValueError: too costly, or a NUL in the path
        return QImage(), getattr(exc, "strerror", None) or str(exc), is_missing_file(exc)
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)  # EXIF orientation
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > _MAX_SIDE:
        reader.setScaledSize(size.scaled(_MAX_SIDE, _MAX_SIDE, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read(), reader.errorString(), False


_GREY = SECONDARY_TEXT.name()
_ZOOM_STEP = 1.25  # one wheel notch or + / -
_MAX_ZOOM = 32.0
_STRIP_CELL = 64  # filmstrip thumbnails fit this square
_STRIP_CACHE = 256  # thumbnails kept for the filmstrip


@dataclass(frozen=True)
class ViewerKey:
    """Keys the viewer handles itself, as the shortcuts window lists them: ``label`` how
    they are written, ``keys`` what keyPressEvent dispatches on (none: the mouse),
    ``command`` what it does with them (``_BACK``: the keys that go the other way).
    VIEWER_KEYS is the one table: keyPressEvent reads it, and the shortcuts window."""

    label: str
    help: str
    keys: tuple[Qt.Key, ...] = ()
    command: str = ""


K = Qt.Key
VIEWER_KEYS: tuple[ViewerKey, ...] = (
    ViewerKey("← / →", "Previous / next image", (K.Key_Left, K.Key_Right), "step"),
    ViewerKey("↑ / ↓", "Previous / next image", (K.Key_Up, K.Key_Down), "step"),
    ViewerKey(
        "Page Up / Page Down", "Previous / next image", (K.Key_PageUp, K.Key_PageDown), "step"
    ),
    ViewerKey(
        "Backspace / Space",
        "Previous / next image, when the catalogue keeps no flags (else they clear / mark OK)",
        (K.Key_Backspace, K.Key_Space),
        "step",
    ),
    ViewerKey("Home / End", "First / last image of the listing", (K.Key_Home, K.Key_End), "jump"),
    ViewerKey(
        "Z or 1", "1:1 (a screen pixel per image pixel) / fit", (K.Key_Z, K.Key_1), "one_to_one"
    ),
    ViewerKey(
        "+ / −", "Zoom in / out", (K.Key_Plus, K.Key_Equal, K.Key_Minus, K.Key_Underscore), "zoom"
    ),
    ViewerKey("0", "Fit the image to the pane", (K.Key_0,), "fit"),
    ViewerKey("Esc", "Close the viewer", (K.Key_Escape,), "close"),
    ViewerKey("Wheel", "Zoom about the pointer"),
    ViewerKey("Drag", "Pan a zoomed image"),
    ViewerKey("Double-click", "1:1 at the point clicked / fit"),
    ViewerKey("Click in the filmstrip", "Go to that image"),
)
_BACK = {
    K.Key_Left,
    K.Key_Up,
    K.Key_PageUp,
    K.Key_Backspace,
    K.Key_Home,
    K.Key_Minus,
    K.Key_Underscore,
}
del K


class Loupe(QWidget):
    """One picture fitted to the widget (scaled up or down, smoothly) or zoomed: ``scale``
    None means fitted; ``1.0`` is 1:1, a screen pixel per image pixel, drawn sharp. When
    zoomed, dragging pans and the wheel zooms about the pointer. Without a picture it shows
    a text (why there is none) instead."""

    zoom_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(200, 150)
        self._pixmap = QPixmap()
        self._text = ""
        self.scale: float | None = None  # None: fitted
        self._centre = QPointF()  # the image point at the widget's centre, when zoomed
        self._drag: QPointF | None = None

    # QLabel's API, which the viewer's callers and tests use
    def pixmap(self) -> QPixmap:
        return self._pixmap

    def text(self) -> str:
        return self._text

    def setPixmap(self, pixmap: QPixmap) -> None:
        self._pixmap, self._text = pixmap, ""
        self.fit()

    def setText(self, text: str) -> None:
        self._pixmap, self._text = QPixmap(), text
        self.fit()

    def fit_scale(self) -> float:
        if self._pixmap.isNull():
            return 1.0
        return min(self.width() / self._pixmap.width(), self.height() / self._pixmap.height())

    def shown_scale(self) -> float:
        return self.fit_scale() if self.scale is None else self.scale

    def zoom_text(self) -> str:
        """What the viewer's status says of the zoom: "Fit (312%)" or "100%"."""
        if self._pixmap.isNull():
            return ""
        percent = f"{self.shown_scale():.0%}"
        return f"Fit ({percent})" if self.scale is None else percent

    def fit(self) -> None:
        self.scale = None
        self._after_zoom()

    def toggle_one_to_one(self) -> None:
        """Fitted from 1:1, 1:1 from fitted or any other zoom (about the centre)."""
        if self.scale == 1.0:
            self.fit()
        else:
            self.zoom_to(1.0)

    def zoom_by(self, factor: float, about: QPointF | None = None) -> None:
        self.zoom_to(self.shown_scale() * factor, about)

    def zoom_to(self, scale: float, about: QPointF | None = None) -> None:
        """Zoom to ``scale``, keeping the image point under ``about`` (widget coordinates,
        default the centre) where it is."""
        if self._pixmap.isNull():
            return
        low = min(self.fit_scale(), 1.0)
        scale = max(low, min(scale, _MAX_ZOOM))
        about = about if about is not None else QPointF(self.width() / 2, self.height() / 2)
        before = self.image_point(about)
        self.scale = scale
        middle = QPointF(self.width() / 2, self.height() / 2)
        self._centre = before - (about - middle) / scale
        self._after_zoom()

    def image_point(self, point: QPointF) -> QPointF:
        """The image point (image pixels) under ``point`` (widget coordinates)."""
        rect = self.image_rect()
        scale = self.shown_scale()
        return QPointF((point.x() - rect.x()) / scale, (point.y() - rect.y()) / scale)

    def _after_zoom(self) -> None:
        if self.scale is None and not self._pixmap.isNull():
            self._centre = QPointF(self._pixmap.width() / 2, self._pixmap.height() / 2)
        self._clamp()
        self.setCursor(
            Qt.CursorShape.OpenHandCursor if self._pannable() else Qt.CursorShape.ArrowCursor
        )
        self.update()
        self.zoom_changed.emit()

    def _pannable(self) -> bool:
        if self._pixmap.isNull():
            return False
        scale = self.shown_scale()
        return (
            self._pixmap.width() * scale > self.width() + 0.5
            or self._pixmap.height() * scale > self.height() + 0.5
        )

    def _clamp(self) -> None:
        """Keep the picture on screen: centred along a side that fits, edges at the borders
        along one that does not."""
        if self._pixmap.isNull():
            return
        scale = self.shown_scale()
        x, y = self._centre.x(), self._centre.y()
        for axis, size, view in (
            (0, self._pixmap.width(), self.width()),
            (1, self._pixmap.height(), self.height()),
        ):
            half = view / 2 / scale
            value = x if axis == 0 else y
            value = size / 2 if size * scale <= view else max(half, min(value, size - half))
            x, y = (value, y) if axis == 0 else (x, value)
        self._centre = QPointF(x, y)

    def image_rect(self) -> QRectF:
        """Where the whole picture lies, in widget coordinates (partly off screen when zoomed)."""
        scale = self.shown_scale()
        return QRectF(
            self.width() / 2 - self._centre.x() * scale,
            self.height() / 2 - self._centre.y() * scale,
            self._pixmap.width() * scale,
            self._pixmap.height() * scale,
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), LOUPE_BACKGROUND)
        if self._pixmap.isNull():
            painter.setPen(LOUPE_TEXT)
            painter.drawText(
                self.rect().adjusted(24, 24, -24, -24),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._text,
            )
            return
        target = self.image_rect()
        visible = target.intersected(QRectF(self.rect()))
        if visible.isEmpty():
            return
        scale = self.shown_scale()
        source = QRectF(
            (visible.x() - target.x()) / scale,
            (visible.y() - target.y()) / scale,
            visible.width() / scale,
            visible.height() / scale,
        )
        # fitted (up or down) or shrunk: smooth; zoomed in from 1:1 on: the pixels, sharp
        smooth = self.scale is None or scale < 1.0
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawPixmap(visible, self._pixmap, source)

    def resizeEvent(self, event: object) -> None:
        self._after_zoom()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps and not self._pixmap.isNull():
            self.zoom_by(_ZOOM_STEP**steps, event.position())
            event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._pannable():
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            delta = event.position() - self._drag
            self._drag = event.position()
            self._centre -= delta / self.shown_scale()
            self._clamp()
            self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Double-click: 1:1 at the point clicked, or back to fitted."""
        if self.scale is None:
            self.zoom_to(1.0, event.position())
        else:
            self.fit()


class Filmstrip(QWidget):
    """The neighbours of the current image in a row: as many as fit, the current one in the
    middle and framed; a click goes there (``chosen``). Rows are read by position, so a
    listing of millions costs the same as one of ten."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: Sequence[ImageRow] = ()
        self.position = 0
        self.path_of: Callable[[ImageRow], str | bytes] = lambda row: row.path
        self._thumbs: dict[str | bytes, QPixmap | str] = {}  # str: why there is none
        self.setFixedHeight(_STRIP_CELL + 16)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def show_position(self, rows: Sequence[ImageRow], position: int) -> None:
        self.rows, self.position = rows, position
        self.update()

    def slots(self) -> list[tuple[int, QRect]]:
        """(position, where its cell is) for each neighbour shown, the current one among them."""
        cell = _STRIP_CELL + 8
        count = max(1, self.width() // cell)
        count -= 1 - count % 2  # odd: the current one in the middle
        left = (self.width() - count * cell) // 2
        half = count // 2
        shown = []
        for i in range(count):
            position = self.position - half + i
            if 0 <= position < len(self.rows):
                shown.append((position, QRect(left + i * cell + 4, 8, _STRIP_CELL, _STRIP_CELL)))
        return shown

    def thumbnail(self, row: ImageRow) -> QPixmap | str:
        """The row's thumbnail, or why there is none: "missing" or "cannot show"."""
        path = self.path_of(row)
        if path not in self._thumbs:
            if len(self._thumbs) >= _STRIP_CACHE:
                self._thumbs.pop(next(iter(self._thumbs)))
            thumb = make_thumbnail(path, _STRIP_CELL)
            image = QImage.fromData(thumb.data) if thumb.data else QImage()
            if image.isNull():
                self._thumbs[path] = "missing" if thumb.missing else "cannot\nshow"
            else:
                self._thumbs[path] = QPixmap.fromImage(image)
        return self._thumbs[path]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), FILMSTRIP_BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        for position, cell in self.slots():
            pixmap = self.thumbnail(self.rows[position])
            if isinstance(pixmap, str):  # why there is no picture, in a grey square
                painter.fillRect(cell, FILMSTRIP_EMPTY)
                painter.setPen(FILMSTRIP_EMPTY_TEXT)
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, pixmap)
            else:
                size = pixmap.size().scaled(cell.size(), Qt.AspectRatioMode.KeepAspectRatio)
                box = QRect(0, 0, size.width(), size.height())
                box.moveCenter(cell.center())
                if position != self.position:
                    painter.setOpacity(0.55)
                painter.drawPixmap(box, pixmap)
                painter.setOpacity(1.0)
            if position == self.position:
                painter.setPen(QPen(FILMSTRIP_CURRENT, 3))
                painter.drawRect(cell.adjusted(-3, -3, 3, 3))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for position, cell in self.slots():
            if cell.adjusted(-4, -8, 4, 8).contains(event.position().toPoint()):
                self.chosen.emit(position)
                return
        super().mousePressEvent(event)


class ImageViewer(QDialog):
    """Shows ``rows[position]``; Left/Right (or Page Up/Down) move, Escape closes; Z or 1
    toggle 1:1, + and - zoom, 0 fits."""

    position_changed = Signal(int)

    def __init__(
        self,
        catalogue: Catalogue,
        rows: Sequence[ImageRow],  # a grid's rows, read by position
        position: int,
        parent: QWidget | None = None,
        state_for: Callable[[str], ImageState | None] | None = None,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        """``state_for(path)``: the image's ImageState (None when not curated); ``taxonomy``:
        names the synsets (without it, their wnids)."""
        super().__init__(parent)
        self.setWindowTitle("Image")
        self.catalogue = catalogue
        self.rows = rows
        self.position = position
        self.state_for = state_for
        self.taxonomy = taxonomy
        self.curation = QLabel()
        self.curation.setTextFormat(Qt.TextFormat.PlainText)
        self.curation.setVisible(state_for is not None)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.breadcrumb = QLabel()
        self.breadcrumb.setTextFormat(Qt.TextFormat.PlainText)
        self.breadcrumb.setStyleSheet("QLabel { color: palette(placeholder-text) }")
        self.picture = Loupe()
        self.filmstrip = Filmstrip()
        self.filmstrip.path_of = lambda row: self.catalogue.absolute_path(row.path, row.raw_path)
        self.filmstrip.chosen.connect(self.show_row)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setMinimumWidth(240)
        self.status = QLabel()
        self.zoom = QLabel()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addWidget(self.picture, 1)
        left_layout.addWidget(self.filmstrip)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.curation)
        header = QVBoxLayout()
        header.setSpacing(0)
        header.addWidget(self.title)
        header.addWidget(self.breadcrumb)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)
        row = QHBoxLayout()
        self.zoom.setMinimumWidth(self.zoom.fontMetrics().horizontalAdvance("Fit (1000%)") + 8)
        row.addWidget(self.zoom)  # first: where the eye finds it, never pushed about
        row.addWidget(self.status, 2)
        keys = "← → previous / next · Z 1:1 · wheel, + − zoom · Esc close"
        if state_for is not None:
            keys += " · W D C Q N O X flag · Space OK · Ctrl+Z undo (F1: all keys)"
        self._keys_texts = (keys, "← → · Z 1:1 · + − zoom · Esc" + (" · F1 keys" * bool(state_for)))
        self.keys = QLabel(keys)
        self.keys.setToolTip(keys)
        self.keys.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.keys.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.breadcrumb.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.curation.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.keys.setStyleSheet("QLabel { color: palette(placeholder-text) }")
        row.addWidget(self.keys, 3)
        layout.addLayout(row)
        self.picture.zoom_changed.connect(self._show_zoom)
        # the dialog itself takes the arrow keys: its children never hold the focus
        self.details.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.picture.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.resize(QSize(1100, 720))
        self.show_row(position)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        # the details take what they need (a third at most), the picture the rest
        side = max(240, min(380, self.width() // 4))
        self.splitter.setSizes([max(1, self.splitter.width() - side), side])
        # the keys in full when they fit beside the status, else the short form
        long, short = self._keys_texts
        fits = self.keys.fontMetrics().horizontalAdvance(long) < self.width() * 0.6
        self.keys.setText(long if fits else short)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        command = _COMMANDS.get(key)
        if command is None:
            super().keyPressEvent(event)
            return
        back = key in _BACK
        if command == "step":
            self.step(-1 if back else 1)
        elif command == "jump":
            self.show_row(0 if back else len(self.rows) - 1)
        elif command == "one_to_one":
            self.picture.toggle_one_to_one()
        elif command == "zoom":
            self.picture.zoom_by(1 / _ZOOM_STEP if back else _ZOOM_STEP)
        elif command == "fit":
            self.picture.fit()
        elif command == "close":
            self.reject()

    def step(self, delta: int) -> None:
        self.show_row(self.position + delta)

    def show_row(self, position: int) -> None:
        if not self.rows:
            return
        position = max(0, min(position, len(self.rows) - 1))
        self.position = position
        row = self.rows[position]
        path = self.catalogue.absolute_path(row.path, row.raw_path)
        image, error, missing = _read_picture(path)
        if image.isNull():
            if missing:
                self.picture.setText(f"Missing: no file at\n{os.fsdecode(path)}")
            else:
                self.picture.setText(f"Cannot show this file:\n{error}")
        else:
            self.picture.setPixmap(QPixmap.fromImage(image))
        self._show_synset(row)
        self.status.setText(f"{position + 1:,} of {len(self.rows):,}   {row.path}")
        name = self._name(row.wnid) if row.wnid else "no label"
        self.setWindowTitle(f"{row.path.rsplit('/', 1)[-1]} — {name}")
        self.filmstrip.show_position(self.rows, position)
        self.show_curation()
        self.position_changed.emit(position)

    def current_row(self) -> ImageRow | None:
        return self.rows[self.position] if self.rows else None

    def set_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Name the synsets now that WordNet has loaded (opened while it was loading)."""
        self.taxonomy = taxonomy
        row = self.current_row()
        if row is not None:
            self._show_synset(row)
            self.show_curation()

    def _name(self, wnid: str) -> str:
        """The synset's first lemma, or its wnid when the taxonomy does not know it."""
        if self.taxonomy is not None and wnid in self.taxonomy.graph:
            return str(self.taxonomy.node(wnid)["lemmas"][0])
        return wnid

    def _show_synset(self, row: ImageRow) -> None:
        esc = html.escape
        wnid = row.wnid
        if not wnid:
            self.title.setText("<span style='font-size: 15pt; font-weight: 600'>No label</span>")
            self.breadcrumb.setText("this image has no synset in the catalogue")
            return
        known = self.taxonomy is not None and wnid in self.taxonomy.graph
        if self.taxonomy is None or not known:
            self.title.setText(
                f"<span style='font-size: 15pt; font-weight: 600'>{esc(wnid)}</span>"
            )
            loading = self.taxonomy is None  # opened while WordNet loads: named when it is in
            self.breadcrumb.setText("" if known or loading else "not a WordNet 3.0 noun synset")
            return
        node = self.taxonomy.node(wnid)
        lemmas = node["lemmas"]
        others = f" &nbsp;<span>({esc(', '.join(lemmas[1:4]))})</span>" if lemmas[1:] else ""
        self.title.setText(
            f"<span style='font-size: 15pt; font-weight: 600'>{esc(lemmas[0])}</span>{others}"
            f" &nbsp;<span style='color: {_GREY}'>{esc(wnid)} · {esc(node['name'])}</span>"
        )
        names = self.taxonomy.breadcrumb(wnid)
        self.breadcrumb.setToolTip(" › ".join(names))
        if len(names) > 7:
            names = [*names[:2], "…", *names[-4:]]
        self.breadcrumb.setText(" › ".join(names))

    def _show_zoom(self) -> None:
        self.zoom.setText(self.picture.zoom_text())

    def show_curation(self) -> None:
        """Show the current image's flags or OK mark, and its details (again, after a change)."""
        row = self.current_row()
        if row is None:
            return
        if self.state_for is not None:
            state = self.state_for(row.path)
            self.curation.setText(describe_state(state, self._sense))
            self.curation.setStyleSheet(
                f"QLabel {{ color: {ON_COLOUR.name()}; background: {state_colour(state)}; "
                "padding: 4px 8px; "
                "font-weight: bold }"
            )
        self.details.setHtml(
            self._details_html(row, self.catalogue.absolute_path(row.path, row.raw_path))
        )

    def _sense(self, wnid: str) -> str:
        name = self._name(wnid)
        return wnid if name == wnid else f"{name} ({wnid})"

    def _chips_html(self, state: ImageState | None) -> str:
        esc = html.escape
        if state is None or state.empty:
            return ""
        if state.review is not None:
            chip = _chip("Reviewed OK", REVIEWED.name())
            return f"<p>{chip}</p>"
        parts = []
        for flag in state.flags:
            reason = REASONS[flag.reason]
            extra = ""
            if flag.suggested_wnid:
                extra += f" → {esc(self._sense(flag.suggested_wnid))}"
            if flag.note:
                extra += f" “{esc(flag.note)}”"
            parts.append(
                f"<p>{_chip(reason.label.rstrip('…'), reason.colour)}{extra}<br>"
                f"<span style='color: {_GREY}'>{esc(reason.meaning)}</span></p>"
            )
        return "".join(parts)

    def _details_html(self, row: ImageRow, path: str | bytes) -> str:
        meta = image_metadata(path)
        esc = html.escape
        lines = [f"<h3>{esc(row.path.rsplit('/', 1)[-1])}</h3>"]
        if self.state_for is not None:
            lines.append(self._chips_html(self.state_for(row.path)))
        if row.wnid and self.taxonomy is not None and row.wnid in self.taxonomy.graph:
            node = self.taxonomy.node(row.wnid)
            lines.append(f"<p><i>{esc(node['gloss'])}</i></p>")
        facts = [
            ("Synset", esc(self._sense(row.wnid) if row.wnid else "(no label)")),
            ("Size", f"{meta['width']} × {meta['height']}" if "width" in meta else "?"),
            ("File size", f"{row.size:,} bytes" if row.size is not None else "unknown"),
            ("Format", esc(str(meta.get("format") or row.format or "?"))),
            ("Mode", esc(str(meta.get("mode") or row.mode or "?"))),
        ]
        if meta.get("frames", 1) > 1:
            facts.append(("Frames", str(meta["frames"])))
        if meta.get("icc_profile"):
            facts.append(("Colour profile", "embedded ICC"))
        facts.append(("Path", esc(os.fsdecode(path))))
        lines.append("<table cellspacing='2'>")
        grey = f"style='color: {_GREY}'"
        lines += [f"<tr><td {grey}>{k}&nbsp;</td><td>{v}</td></tr>" for k, v in facts]
        lines.append("</table>")
        if row.outside_root:
            lines.append(f"<p><b>{esc(OUTSIDE_ROOT)}</b></p>")
        if row.problems:
            lines.append("<h4>Audit</h4>")
            lines += [
                f"<p>{_chip(problem_name(code), PROBLEM.name())}<br>"
                f"<span style='color: {_GREY}'>{esc(AUDIT_CODES.get(code, ''))}</span></p>"
                for code in row.problems
            ]
        elif row.audited:
            lines.append("<p>Audit: no problems.</p>")
        else:
            lines.append("<p>Audit: not audited yet (Catalogue ▸ Audit).</p>")
        if meta.get("missing"):
            lines.append(
                "<p><b>Missing:</b> the catalogue lists this file, but it is not on disk.</p>"
            )
        elif "error" in meta:
            lines.append(f"<p><b>Cannot read:</b> {esc(meta['error'])}</p>")
        if self.state_for is not None:  # the flag keys at hand, where the eye is
            keys = "<br>".join(
                f"{_chip(letter, colour)} {esc(label)}" for letter, colour, label in BADGES[:-1]
            )
            lines.append(
                f"<h4>Curate</h4><p style='line-height: 140%'>{keys}<br>"
                f"<b>Space</b> reviewed OK · <b>Backspace</b> clear · <b>Ctrl+Z</b> undo</p>"
            )
        if meta.get("exif"):
            lines.append("<h4>EXIF</h4><table>")
            lines += [
                f"<tr><td style='color: {_GREY}'>{esc(name)}&nbsp;</td><td>{esc(value)}</td></tr>"
                for name, value in sorted(meta["exif"].items())
            ]
            lines.append("</table>")
        return "\n".join(lines)


_COMMANDS: dict[int, str] = {key: entry.command for entry in VIEWER_KEYS for key in entry.keys}


def _chip(text: str, colour: str) -> str:
    """A label on its colour, as rich text draws one (QTextBrowser has no rounded corners)."""
    return (
        f"<span style='background-color: {colour}; color: {ON_COLOUR.name()}; font-weight: 600'>"
        f"&nbsp;{html.escape(text)}&nbsp;</span>"
    )
