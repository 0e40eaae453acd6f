"""Bounded decoding: what the checker, the thumbnails and the viewer do before they decode.

A decode runs in C: no thread can stop it, so what it will cost is judged from the file
before it starts. :func:`decode_refusal` refuses two kinds of image the pixel limit lets
through: a JPEG of more than :data:`MAX_SCANS` scans (issue 12's 218 KB progressive JPEG of
thousands of scans took about 3 minutes to decode; bench/bench_hostile_decode.py's, 40 s)
and an image whose decoded pixels need more than :data:`MAX_DECODE_BYTES` (a 9,400² RGBA
PNG, under Pillow's pixel limit, took 675 MB for one thumbnail). Both become problem codes
of the audit (:data:`explorer.core.images.codes.PROBLEM_CODES`), the reason a thumbnail
shows, and the reason the viewer shows (:func:`viewable_bytes`: Qt decodes once they pass).

Pillow's warnings are never printed: the parsing that gives them (headers, EXIF, frames)
runs under :func:`quiet_pillow`, and :func:`open_header` opens without Pillow's pixel limit
(the callers judge the size it reads). What a warning meant is found from the bytes instead:
:func:`exif_orientation` checks the EXIF the way Pillow reads it, where Pillow would only warn
and skip a corrupt IFD.

>>> tench = catalogue.absolute_path("n01440764/n01440764_0.JPEG")   # a 320×240 JPEG
>>> with open_regular_file(tench) as file, open_header(file) as image:
...     _ = image.draft(None, (40, 30))                    # decode it at 1/8 scale
...     decode_bytes(image, (320, 240)), decode_refusal(image, file, (320, 240))
(4800, None)
"""

from __future__ import annotations

import contextlib
import mmap
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from PIL import ExifTags, Image, ImageFile, UnidentifiedImageError

from explorer.core.images.codes import ProblemCode
from explorer.core.images.safe_open import FilePath, open_regular_file

__all__ = [
    "MAX_DECODE_BYTES",
    "MAX_SCANS",
    "DecodeRefused",
    "decode_bytes",
    "decode_refusal",
    "exif_orientation",
    "jpeg_scan_count",
    "jpeg_upright_turn",
    "open_header",
    "quiet_pillow",
    "viewable_bytes",
]

# Each scan of a progressive JPEG walks every block of the image: 10 ms a scan for a
# 4096² grey JPEG on the dev-vm, even at 1/8 draft scale. Encoders write far fewer:
# libjpeg's progressive script 10 (6 for grey, 18 for CMYK), mozjpeg picks among 64
# candidates, the 1000 ILSVRC samples have 1 each. 100 leaves that margin, and at that rate
# bounds the worst JPEG under the pixel limit (5.3x the blocks) to about 5 s; libjpeg-turbo's
# fuzzers stop at 500, nvImageCodec at 256.
MAX_SCANS = 100
# Pillow sized MAX_IMAGE_PIXELS as a quarter GiB of 24-bit pixels, and Qt 6 (the viewer's
# decoder) allocates at most 256 MB for one image. The same quarter GiB, counted in the bytes
# Pillow really allocates (4 a pixel for RGB and RGBA), stops the 9,400² RGBA PNG (337 MiB
# to decode, 675 MB for a thumbnail) and lets through RGB(A) up to 67 megapixels.
MAX_DECODE_BYTES = 256 * 2**20
_MAX_SEGMENTS = 10_000  # JPEG segments walked to count scans (a big XMP spans a few hundred)
_JPEG = ("JPEG", "MPO")
# The next JPEG marker: in entropy-coded data an FF is followed by 00 (a stuffed byte), a
# restart marker D0-D7 or another FF (fill), never by a marker that starts a segment.
_MARKER = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
_SOS, _EOI = 0xDA, 0xD9
_ORIENTATION = ExifTags.Base.Orientation
_TIFF_VALUE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
}  # bytes a value, of the types Pillow reads
_EXIF_PREFIX = re.compile(b"^(Exif\x00\x00){1,2}")
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(="|>)([0-9])')  # as Image.getexif reads it
_QUIET = threading.Lock()
_IGNORE = ("ignore", None, Warning, None, 0)  # the filter entry simplefilter("ignore") makes


@contextlib.contextmanager
def quiet_pillow() -> Iterator[None]:
    """Run Pillow code that may warn (header, EXIF, frames) without printing its warnings.

    Python 3.11 has one list of warning filters for the whole process, and
    ``warnings.catch_warnings`` restores a snapshot of it: interleaved with another thread's
    (the taxonomy loader has one) it can leave the other's filters in place for good. So an
    "ignore" entry goes to the front of the list for the call and is taken out of that same
    list after, under a lock: one parse at a time (a header takes about 0.1 ms; decodes run
    outside). Whatever the caller's filters, even "error", nothing is printed or raised; a
    warning another thread gives meanwhile is ignored too. Not re-entrant.
    """
    with _QUIET:
        filters = cast(list[Any], warnings.filters)  # a list; typeshed says Sequence
        filters.insert(0, _IGNORE)
        try:
            yield
        finally:
            filters.remove(_IGNORE)


def open_header(file: BinaryIO) -> ImageFile.ImageFile:
    """``Image.open(file)`` without Pillow's pixel limit or warnings; plugins read the header.

    Pillow warns above ``MAX_IMAGE_PIXELS`` and refuses twice that before the size can be
    read; the callers judge the size themselves. A JPEG plugin also parses the EXIF (for its
    DPI) and warns when it is corrupt. Raises ``UnidentifiedImageError`` when no plugin
    recognises the file.
    """
    Image.preinit()
    Image.init()  # every plugin, in the order Image.open tries them
    file.seek(0)
    prefix = file.read(16)
    for name in Image.ID:
        factory, accept = Image.OPEN[name]
        try:
            verdict = accept(prefix) if accept else True
            if not verdict or isinstance(verdict, str):  # a str is Pillow's "almost": not this
                continue
            file.seek(0)
            with quiet_pillow():
                return factory(file, "")
        except (SyntaxError, IndexError, TypeError, struct.error):  # what Image.open skips
            continue
    raise UnidentifiedImageError("Pillow does not recognise this content")


def jpeg_scan_count(file: BinaryIO, limit: int = MAX_SCANS) -> int:
    """The scans of the JPEG in ``file`` up to its first end of image, counted to ``limit`` + 1.

    A bounded marker walk over the mapped file: segments are skipped by their length, so
    EXIF or ICC bytes never count; entropy-coded data is searched for the next marker by
    ``re`` (about 75 µs for an ILSVRC sample). More than ``_MAX_SEGMENTS`` segments count as
    too many scans: walking them would cost more than the limit saves.

    >>> from PIL import Image
    >>> Image.new("RGB", (64, 64), "teal").save(tmp / "p.JPEG", progressive=True)
    >>> with open(tmp / "p.JPEG", "rb") as file:
    ...     jpeg_scan_count(file)                          # libjpeg's progressive script
    10
    """
    with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        scans, at = 0, 2  # after the start-of-image marker
        for _ in range(_MAX_SEGMENTS):
            found = _MARKER.search(data, at)
            if found is None or data[found.start() + 1] == _EOI:
                return scans
            start = found.start()
            at = start + 2 + int.from_bytes(data[start + 2 : start + 4], "big")
            if data[start + 1] == _SOS:
                scans += 1
                if scans > limit:
                    break
        return limit + 1


def decode_bytes(image: Image.Image, full_size: tuple[int, int], scans: int = 1) -> int:
    """Bytes a decode of ``image`` allocates, at its size now (after ``draft``).

    Pillow keeps 1 byte a pixel for 1, L and P, 2 for I;16 and 4 for every other mode (RGB
    too). A JPEG of several scans also holds every DCT coefficient of the full image (2
    bytes a sample, whatever the draft scale: 40 MB for a 4096² grey one at 1/8).
    """
    width, height = image.size
    mode = image.mode
    pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    total = width * height * pixel
    layers = getattr(image, "layer", None)
    if scans > 1 and layers:  # (id, horizontal, vertical sampling, table) per component
        most = max(h for _, h, _, _ in layers) * max(v for _, _, v, _ in layers)
        samples = sum(h * v for _, h, v, _ in layers) / most
        total += int(2 * full_size[0] * full_size[1] * samples)
    return total


def decode_refusal(
    image: ImageFile.ImageFile,
    file: BinaryIO,
    full_size: tuple[int, int],
    max_bytes: int = MAX_DECODE_BYTES,
) -> tuple[ProblemCode, str] | None:
    """``(code, reason)`` when decoding ``image`` as it stands would cost too much, else None.

    ``image`` is open on ``file`` with its draft set; ``full_size`` is its header's size.
    The codes are ``too_many_scans`` and ``too_large_to_decode``. Costs about 75 µs for an
    ILSVRC sample (the scan count); raises ``OSError`` if the file cannot be mapped.
    """
    scans = jpeg_scan_count(file) if image.format in _JPEG else 1
    if scans > MAX_SCANS:
        return "too_many_scans", f"too many JPEG scans to decode: more than {MAX_SCANS}"
    cost = decode_bytes(image, full_size, scans)
    if cost > max_bytes:
        width, height = full_size
        return "too_large_to_decode", (
            f"too large to decode: {width}×{height} {image.mode} needs "
            f"{cost / 2**20:,.0f} MiB, over {max_bytes / 2**20:,.0f} MiB"
        )
    return None


class DecodeRefused(ValueError):
    """An image the bounds say not to decode; the message says why."""


def viewable_bytes(path: FilePath, max_side: int) -> bytes:
    """The bytes of the image at ``path`` for a decoder other than Pillow (the viewer's Qt),
    once they pass the checks a thumbnail's decode passes, at the size that decoder decodes
    (a JPEG scaled by 1/2^k to about ``max_side``, any other format in full).

    Raises ``OSError`` (a FIFO or device:
    :class:`~explorer.core.images.safe_open.NotRegularFileError`; ``UnidentifiedImageError``
    for a file Pillow does not know) or :class:`DecodeRefused`.

    >>> tench = catalogue.absolute_path("n01440764/n01440764_0.JPEG")
    >>> viewable_bytes(tench, 256)[:2]                 # the JPEG's own bytes, once checked
    b'\\xff\\xd8'
    """
    with open_regular_file(path) as file:
        with open_header(file) as image:
            width, height = image.size
            limit = Image.MAX_IMAGE_PIXELS
            if limit and width * height > limit:
                raise DecodeRefused(f"too many pixels to decode ({width}×{height})")
            if image.format in _JPEG and max(width, height) > max_side:
                scale = max_side / max(width, height)
                image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
            refusal = decode_refusal(image, file, (width, height))
        if refusal is not None:
            raise DecodeRefused(refusal[1])
        file.seek(0)
        return file.read()


def exif_orientation(image: Image.Image) -> int | None:
    """The EXIF (or XMP) orientation of ``image``, None when it has none; never a warning.

    Raises ``ValueError`` (or what Pillow raises) when the EXIF cannot be parsed. Pillow
    only warns, and skips, where the first IFD or a value lies outside the EXIF bytes (and
    does it once per image: already while opening a JPEG), so those are checked here first,
    the way Pillow reads them.

    >>> rotated = catalogue.absolute_path("n04285008/n04285008_20.JPEG")
    >>> with open_regular_file(rotated) as file, open_header(file) as image:
    ...     exif_orientation(image)                        # shown turned 90° clockwise
    6
    """
    raw = image.info.get("exif")
    if raw is None and "Raw profile type exif" in image.info:  # PNG text, as getexif reads it
        raw = bytes.fromhex("".join(image.info["Raw profile type exif"].split("\n")[3:]))
    if isinstance(raw, bytes):
        _check_first_ifd(_EXIF_PREFIX.sub(b"", raw))
    with quiet_pillow():
        return image.getexif().get(_ORIENTATION)


_UPRIGHT = {  # EXIF orientation -> the transposition that shows the image upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def upright_turn(image: Image.Image) -> Image.Transpose | None:
    """The transposition that shows ``image`` as its EXIF orientation says (None: as stored,
    also when the EXIF cannot be parsed); never raises."""
    try:
        return _UPRIGHT.get(exif_orientation(image) or 1)
    except Exception:  # unparsable EXIF: the image as stored
        return None


def jpeg_upright_turn(exif: bytes | None, xmp: bytes | None) -> Image.Transpose | None:
    """:func:`upright_turn` of a JPEG from its metadata bytes, without opening it with Pillow.

    ``exif`` and ``xmp`` are what Pillow's JPEG plugin keeps as ``info["exif"]`` (the first
    ``Exif`` APP1 segment, later ones appended without their prefix) and ``info["xmp"]``;
    they are read as ``getexif()`` reads them: the EXIF orientation, else the XMP one.

    >>> rotated = catalogue.absolute_path("n04285008/n04285008_20.JPEG")
    >>> with open_regular_file(rotated) as file, open_header(file) as image:
    ...     jpeg_upright_turn(image.info.get("exif"), None) == upright_turn(image)
    True
    """
    try:
        found = None
        if exif:
            _check_first_ifd(_EXIF_PREFIX.sub(b"", exif))
            parsed = Image.Exif()
            with quiet_pillow():
                parsed.load(exif)
                found = parsed.get(_ORIENTATION)
        if found is None and xmp:
            match = _XMP_ORIENTATION.search(xmp)
            found = int(match[2]) if match else None
        return _UPRIGHT.get(found or 1)
    except Exception:  # unparsable EXIF: the image as stored, as upright_turn does
        return None


def _check_first_ifd(tiff: bytes) -> None:
    """Raise ValueError where Pillow would warn about the first IFD of the TIFF bytes."""
    if not tiff:
        return  # Pillow reads no EXIF at all
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        raise ValueError("EXIF does not start with a TIFF header")
    order = "<" if tiff[:2] == b"II" else ">"
    (offset,) = struct.unpack_from(order + "L", tiff, 4)
    if offset + 2 > len(tiff):
        raise ValueError(f"EXIF's first IFD is at byte {offset:,}, past its end ({len(tiff):,})")
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    end = offset + 2 + 12 * count
    if end + 4 > len(tiff):
        raise ValueError(f"EXIF's first IFD of {count:,} entries runs past its end")
    total = 0
    for entry in range(offset + 2, end, 12):
        tag, kind, number, where = struct.unpack_from(order + "HHLL", tiff, entry)
        size = number * _TIFF_VALUE_SIZES.get(kind, 0)
        if tag == _ORIENTATION and number != 1:
            raise ValueError(f"EXIF orientation has {number:,} values")
        if size > 4:
            total += size
            if where + size > len(tiff) or total > len(tiff):
                raise ValueError(f"EXIF tag {tag:#06x} points past the end of the EXIF")
