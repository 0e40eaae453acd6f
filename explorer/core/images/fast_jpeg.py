"""The fast path of thumbnails: plain JPEGs decoded by libjpeg-turbo's own API (simplejpeg).

Pillow and simplejpeg run the same libjpeg-turbo, but Pillow feeds it through a suspending
source in 64 KiB blocks and scales only by 1/2, 1/4 or 1/8; simplejpeg hands it the whole
file and scales by any n/8, so a 500×375 sample is decoded at 3/8 (188×141), not 1/2, for a
128 px thumbnail. Entropy decoding, which no scale avoids, is most of what is left
(bench/README.md, "Thumbnails").

Only a JPEG that libjpeg-turbo decodes exactly as Pillow would, within the same bounds, takes
this path (:func:`plain_jpeg`): sequential Huffman coding (SOF0/SOF1) at 8 bits, grey or three
components, whose first scan holds every component. libjpeg then decodes that one scan row by
row, keeping no coefficients, and stops with an error at any second scan. Everything else goes
to Pillow: progressive, arithmetic or lossless JPEGs, CMYK and YCCK (Pillow knows Adobe's
inverted CMYK), MPO, files over :data:`MAX_FILE_BYTES` or over the pixel limits, and any file
libjpeg-turbo so much as warns about (``strict``), so that Pillow shows it or says why not.
An embedded ICC profile is ignored, as Pillow's path ignores it. The EXIF orientation is read
from the same bytes as Pillow reads it (:func:`~explorer.core.images.decoding.jpeg_upright_turn`).

>>> with open(catalogue.absolute_path("n04285008/n04285008_20.JPEG"), "rb") as file:
...     data = file.read()
>>> header = plain_jpeg(data)                                  # 500×375, EXIF-rotated
>>> header.width, header.height, header.components
(500, 375, 3)
>>> picture, box, turn = decode(data, header, (128, 96))
>>> picture.size, picture.mode, box, turn                      # decoded at 3/8
((188, 141), 'RGB', (0, 0, 187.5, 140.625), <Transpose.ROTATE_270: 4>)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType
from typing import cast

from PIL import Image

from explorer.core.images.decoding import MAX_DECODE_BYTES, jpeg_upright_turn

__all__ = ["MAX_FILE_BYTES", "JpegHeader", "decode", "fast_jpeg_available", "plain_jpeg"]

MAX_FILE_BYTES = 64 * 2**20  # read whole; a larger file goes to Pillow, which streams it
_MAX_SEGMENTS = 256  # header segments walked before the first scan (Pillow's files: ~5-20)
_SEQUENTIAL = (0xC0, 0xC1)  # SOF0 baseline, SOF1 extended: Huffman, one pass a component
_SOS = 0xDA
_EXIF = b"Exif\x00\x00"
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_MPF = b"MPF\x00"  # an MPO's index of its frames: Pillow opens those as MPO


@dataclass(frozen=True, slots=True)
class JpegHeader:
    """What the fast path needs of a plain JPEG's header (:func:`plain_jpeg`)."""

    width: int
    height: int
    components: int  # 1 (grey) or 3
    exif: bytes | None  # as Pillow's info["exif"]
    xmp: bytes | None  # as Pillow's info["xmp"]


@functools.cache
def _simplejpeg() -> ModuleType | None:
    """The simplejpeg module, imported on first use (it imports numpy); None if missing."""
    try:
        import simplejpeg
    except ImportError:  # a platform without its wheel: every JPEG goes to Pillow
        return None
    return cast(ModuleType, simplejpeg)  # it ships no py.typed: mypy sees Any


def fast_jpeg_available() -> bool:
    """Whether the fast path can run here (simplejpeg imports)."""
    return _simplejpeg() is not None


def plain_jpeg(data: bytes) -> JpegHeader | None:
    """The header of ``data`` when it is a JPEG the fast path decodes as Pillow would; else None.

    Walks the segments before the first scan by their lengths (an ICC or EXIF segment's bytes
    are never read as markers). Never raises; judges nothing but the header.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    at, end = 2, len(data)
    frame: tuple[int, int, int] | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    for _ in range(_MAX_SEGMENTS):
        if at + 4 > end or data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # no length: TEM, RSTn, SOI, EOI
            return None
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        body, at = at + 4, at + 2 + length
        if length < 2 or at > end:
            return None
        if marker == _SOS:
            if frame is None or length < 3 or data[body] != frame[2]:  # not every component
                return None
            width, height, components = frame
            return JpegHeader(width, height, components, exif, xmp)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            if marker not in _SEQUENTIAL or frame is not None or length < 8:
                return None
            precision, components = data[body], data[body + 5]
            height = int.from_bytes(data[body + 1 : body + 3], "big")
            width = int.from_bytes(data[body + 3 : body + 5], "big")
            if precision != 8 or components not in (1, 3) or width < 1 or height < 1:
                return None  # 12-bit, CMYK/YCCK, or a height left to a DNL marker
            frame = (width, height, components)
        elif marker == 0xE1 and data.startswith(_EXIF, body, at):
            segment = data[body:at]
            exif = segment if exif is None else exif + segment[len(_EXIF) :]  # as Pillow
        elif marker == 0xE1 and data.startswith(_XMP, body, at):
            xmp = data[body + len(_XMP) : at]
        elif marker == 0xE2 and data.startswith(_MPF, body, at):
            return None
    return None


def decode(
    data: bytes, header: JpegHeader, target: tuple[int, int]
) -> tuple[Image.Image, tuple[float, float, float, float] | None, Image.Transpose | None] | None:
    """``(picture, box, turn)``: ``data`` decoded at the smallest n/8 scale that covers
    ``target`` (RGB or L), the part of it that holds the picture (for ``resize``), and the
    transposition that shows it upright; None when simplejpeg is missing, the decode would
    exceed :data:`~explorer.core.images.decoding.MAX_DECODE_BYTES` (counted as Pillow counts
    it), or libjpeg-turbo errs or warns: Pillow then decodes it, or says why not.
    """
    simplejpeg = _simplejpeg()
    if simplejpeg is None:
        return None
    width, height = header.width, header.height
    eighths = _eighths(width, height, target)
    scaled = (_scaled(width, eighths), _scaled(height, eighths))
    if scaled[0] * scaled[1] * (4 if header.components == 3 else 1) > MAX_DECODE_BYTES:
        return None
    try:
        pixels = simplejpeg.decode_jpeg(
            data,
            "RGB" if header.components == 3 else "GRAY",
            min_width=target[0],
            min_height=target[1],
            strict=True,  # a warning (corrupt data, a premature end) sends the file to Pillow
        )
    except (ValueError, MemoryError):
        return None
    picture = Image.fromarray(pixels if header.components == 3 else pixels[:, :, 0])
    box = (0, 0, width * eighths / 8, height * eighths / 8) if picture.size == scaled else None
    return picture, box, jpeg_upright_turn(header.exif, header.xmp)


def _eighths(width: int, height: int, target: tuple[int, int]) -> int:
    """The scale libjpeg-turbo picks for ``min_width`` and ``min_height``: the smallest n/8
    whose sides, rounded up, cover ``target`` (8/8 does: thumbnails are never enlarged)."""
    for eighths in range(1, 8):
        if _scaled(width, eighths) >= target[0] and _scaled(height, eighths) >= target[1]:
            return eighths
    return 8


def _scaled(side: int, eighths: int) -> int:
    return -(-side * eighths // 8)
