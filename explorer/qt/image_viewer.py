"""The image viewer: one image at full size with its metadata; arrow keys for previous/next.

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
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from explorer.core.images import AUDIT_CODES, image_metadata, is_missing_file, viewable_bytes
from explorer.qt.badges import describe_state, state_colour
from explorer.qt.thumbnail_grid import OUTSIDE_ROOT

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue, ImageRow
    from explorer.core.curation import ImageState

_MAX_SIDE = 4096  # larger images are scaled down while they are read
_STEP_KEYS: dict[int, int] = {  # Qt.Key: -1 back, 1 on
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_Right: 1,
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_PageUp: -1,
    Qt.Key.Key_PageDown: 1,
    Qt.Key.Key_Backspace: -1,
    Qt.Key.Key_Space: 1,
}


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


class ImageViewer(QDialog):
    """Shows ``rows[position]``; Left/Right (or Page Up/Down) move, Escape closes."""

    position_changed = Signal(int)

    def __init__(
        self,
        catalogue: Catalogue,
        rows: Sequence[ImageRow],  # a grid's rows, read by position
        position: int,
        parent: QWidget | None = None,
        state_for: Callable[[str], ImageState | None] | None = None,
    ) -> None:
        """``state_for(path)``: the image's ImageState (None when not curated)."""
        super().__init__(parent)
        self.setWindowTitle("Image")
        self.catalogue = catalogue
        self.rows = rows
        self.position = position
        self.state_for = state_for
        self.curation = QLabel()
        self.curation.setTextFormat(Qt.TextFormat.PlainText)
        self.curation.setVisible(state_for is not None)
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setMinimumSize(200, 200)
        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.status = QLabel()
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(self.details)
        splitter.setSizes([700, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(self.curation)
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        keys = "← → previous / next · Home / End · Esc close"
        if state_for is not None:
            keys += " · W D C Q N O X flag · Space OK · Ctrl+Z undo (F1: all keys)"
        row.addWidget(QLabel(keys))
        layout.addLayout(row)
        # the dialog itself takes the arrow keys: its children never hold the focus
        self.details.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pixmap = QPixmap()
        self.resize(QSize(1100, 720))
        self.show_row(position)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in _STEP_KEYS:
            self.step(_STEP_KEYS[key])
        elif key == Qt.Key.Key_Home:
            self.show_row(0)
        elif key == Qt.Key.Key_End:
            self.show_row(len(self.rows) - 1)
        else:
            super().keyPressEvent(event)

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
            self._pixmap = QPixmap()
            if missing:
                self.picture.setText(f"Missing: no file at\n{os.fsdecode(path)}")
            else:
                self.picture.setText(f"Cannot show this file:\n{error}")
        else:
            self._pixmap = QPixmap.fromImage(image)
            self._fit()
        self.details.setHtml(self._details_html(row, path))
        self.status.setText(f"{position + 1:,} of {len(self.rows):,}   {row.path}")
        self.setWindowTitle(f"{row.path.rsplit('/', 1)[-1]} — {row.wnid}")
        self.show_curation()
        self.position_changed.emit(position)

    def current_row(self) -> ImageRow | None:
        return self.rows[self.position] if self.rows else None

    def show_curation(self) -> None:
        """Show the current image's flags or OK mark (again, after a change)."""
        row = self.current_row()
        if self.state_for is None or row is None:
            return
        state = self.state_for(row.path)
        self.curation.setText(describe_state(state))
        self.curation.setStyleSheet(
            f"QLabel {{ color: white; background: {state_colour(state)}; padding: 4px 8px; "
            "font-weight: bold }"
        )

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        area = self.picture.size()
        if self._pixmap.width() <= area.width() and self._pixmap.height() <= area.height():
            self.picture.setPixmap(self._pixmap)
        else:
            self.picture.setPixmap(
                self._pixmap.scaled(
                    area,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _details_html(self, row: ImageRow, path: str | bytes) -> str:
        meta = image_metadata(path)
        esc = html.escape
        lines = [f"<h3>{esc(row.path.rsplit('/', 1)[-1])}</h3>"]
        facts = [
            ("Path", esc(os.fsdecode(path))),
            ("Synset", esc(row.wnid or "(no label)")),
            ("File size", f"{row.size:,} bytes" if row.size is not None else "unknown"),
            ("Format", esc(str(meta.get("format") or row.format or "?"))),
            ("Size", f"{meta['width']} × {meta['height']}" if "width" in meta else "?"),
            ("Mode", esc(str(meta.get("mode") or row.mode or "?"))),
        ]
        if meta.get("frames", 1) > 1:
            facts.append(("Frames", str(meta["frames"])))
        if meta.get("icc_profile"):
            facts.append(("Colour profile", "embedded ICC"))
        lines.append("<table>")
        lines += [f"<tr><td><b>{k}</b>&nbsp;</td><td>{v}</td></tr>" for k, v in facts]
        lines.append("</table>")
        if row.outside_root:
            lines.append(f"<p><b>{esc(OUTSIDE_ROOT)}</b></p>")
        if row.problems:
            lines.append("<h4>Audit</h4><ul>")
            lines += [
                f"<li><b>{esc(code)}</b>: {esc(AUDIT_CODES.get(code, ''))}</li>"
                for code in row.problems
            ]
            lines.append("</ul>")
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
        if meta.get("exif"):
            lines.append("<h4>EXIF</h4><table>")
            lines += [
                f"<tr><td>{esc(name)}&nbsp;</td><td>{esc(value)}</td></tr>"
                for name, value in sorted(meta["exif"].items())
            ]
            lines.append("</table>")
        return "\n".join(lines)
