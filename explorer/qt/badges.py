"""Curation badges: what a thumbnail's corner and the viewer's bar show of an image's state.

A flagged image shows the keys of its flags (the Reason table's letters) on
the first flag's colour, with a frame of that colour; an image reviewed OK a
green check; an image without curation nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap

from explorer.core.curation import REASONS, REVIEWED_COLOUR, reason_name
from explorer.qt.palette import NOT_REVIEWED, ON_COLOUR, REVIEWED

if TYPE_CHECKING:
    from explorer.core.curation import ImageState

NOT_REVIEWED_COLOUR = NOT_REVIEWED.name()


def badge_key(state: ImageState | None) -> tuple[str, ...] | None:
    """What a state's badge shows: its flags' reasons, ("ok",) for reviewed OK, None: nothing."""
    if state is None:
        return None
    if state.flags:
        return state.reasons
    return ("ok",) if state.review is not None else None


def with_badge(base: QPixmap, key: tuple[str, ...]) -> QPixmap:
    """``base`` with the badge of ``key`` in its top left corner (and a frame for flags)."""
    pixmap = QPixmap(base)  # a copy: the cached thumbnail stays clean
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    side = min(pixmap.width(), pixmap.height())
    height = max(13, min(24, side // 5))
    margin = max(2, height // 6)
    if key == ("ok",):
        colour = REVIEWED
        circle = QRectF(margin, margin, height, height)
        painter.setPen(QPen(ON_COLOUR, max(1.0, height / 12)))
        painter.setBrush(colour)
        painter.drawEllipse(circle)
        check = QPainterPath(QPointF(circle.left() + height * 0.25, circle.top() + height * 0.52))
        check.lineTo(circle.left() + height * 0.43, circle.top() + height * 0.70)
        check.lineTo(circle.left() + height * 0.76, circle.top() + height * 0.32)
        painter.setPen(
            QPen(
                ON_COLOUR,
                max(1.6, height / 7),
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
        )
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(check)
    else:
        colour = QColor(REASONS[key[0]].colour)
        frame = max(2, side // 40)
        painter.setPen(
            QPen(
                colour,
                frame,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.SquareCap,
                Qt.PenJoinStyle.MiterJoin,
            )
        )
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(
            QRectF(frame / 2, frame / 2, pixmap.width() - frame, pixmap.height() - frame)
        )
        text = "".join(REASONS[reason].key for reason in key)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(9, int(height * 0.72)))
        painter.setFont(font)
        width = max(height, painter.fontMetrics().horizontalAdvance(text) + height // 2)
        box = QRectF(margin, margin, width, height)
        painter.setPen(QPen(ON_COLOUR, max(1.0, height / 12)))
        painter.setBrush(colour)
        painter.drawRoundedRect(box, height / 4, height / 4)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


def describe_state(state: ImageState | None, name_of: Callable[[str], str] = str) -> str:
    """One line for a tooltip, a status bar or the viewer's curation bar, in the reasons'
    own names: "Not reviewed", "Reviewed OK by ann", "Flagged: Wrong label → crane
    (n02012849); Low quality “blurred”"; ``name_of`` names a suggested synset."""
    if state is None or state.empty:
        return "Not reviewed"
    if state.review is not None:
        who = f" by {state.review.curator}" if state.review.curator else ""
        return f"Reviewed OK{who}"
    parts = []
    for flag in state.flags:
        part = reason_name(flag.reason)
        if flag.suggested_wnid:
            part += f" → {name_of(flag.suggested_wnid)}"
        if flag.note:
            part += f" “{flag.note}”"
        parts.append(part)
    curator = state.flags[0].curator
    return "Flagged: " + "; ".join(parts) + (f" (by {curator})" if curator else "")


def state_colour(state: ImageState | None) -> str:
    """The colour of a state: its first flag's, the OK mark's, or grey when not reviewed."""
    if state is not None and state.flags:
        return REASONS[state.flags[0].reason].colour
    if state is not None and state.review is not None:
        return REVIEWED_COLOUR
    return NOT_REVIEWED_COLOUR


# The audit's findings as a chip names them: a word or two, the full meaning in its tooltip
PROBLEM_SHORT = {
    "unreadable": "unreadable",
    "too_large": "too large",
    "zero_byte": "empty file",
    "not_an_image": "not an image",
    "truncated": "truncated",
    "decompression_bomb": "too many pixels",
    "too_many_scans": "too many scans",
    "too_large_to_decode": "too large to decode",
    "extension_mismatch": "wrong extension",
    "cmyk": "CMYK",
    "high_bit_depth": "16-bit",
    "grayscale": "greyscale",
    "animated": "animated",
    "exif_rotated": "EXIF rotated",
    "exif_invalid": "bad EXIF",
    "tiny": "tiny",
    "odd_filename": "odd file name",
    "duplicate": "duplicate",
    "too_slow": "too slow",
    "missing": "missing",
}


def problem_label(code: str) -> str:
    """A problem code in words: ``problem_label("zero_byte")`` is 'empty file'."""
    return PROBLEM_SHORT.get(code, code.replace("_", " "))


def problem_chip_text(problems: tuple[str, ...], size: int) -> str:
    """What a thumbnail's problem chip says: the first problem named, "+n" for the others.

    >>> problem_chip_text(("truncated", "cmyk"), 128)
    '⚠ truncated +1'
    >>> problem_chip_text(("zero_byte",), 64)
    '⚠ empty file'
    """
    more = f" +{len(problems) - 1}" if len(problems) > 1 else ""
    return f"⚠ {problem_label(problems[0])}{more}"


def describe_problems(problems: tuple[str, ...]) -> str:
    """The audit's findings, one a line, each with what it means (a chip's tooltip)."""
    from explorer.core.images import AUDIT_CODES, problem_name

    return "Audit found:\n" + "\n".join(
        f"• {problem_name(code)}: {AUDIT_CODES.get(code, 'a finding of the audit')}"
        for code in problems
    )


def describe_reasons(state: ImageState | None) -> str:
    """A badge's tooltip: the state, and what each flag's letter means."""
    lines = [describe_state(state)]
    if state is not None:
        for flag in state.flags:
            reason = REASONS[flag.reason]
            lines.append(f"{reason.key}: {reason.label.rstrip('…')}: {reason.meaning}")
    return "\n".join(lines)
