"""What the checker, the thumbnails and the viewer do before they decode an image.

Pillow's warnings are never printed: the parsing that gives them (headers, EXIF, frames)
runs under :func:`quiet_pillow`, and :func:`open_header` opens without Pillow's pixel limit
(the callers judge the size it reads). What a warning meant is found from the bytes instead:
:func:`exif_orientation` checks the EXIF the way Pillow reads it, where Pillow would only warn
and skip a corrupt IFD.

>>> with open_regular_file(path) as file, open_header(file) as image:  # doctest: +SKIP
...     exif_orientation(image)
6
"""

from __future__ import annotations

import contextlib
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from typing import BinaryIO

from PIL import ExifTags, Image, ImageFile, UnidentifiedImageError

__all__ = ["exif_orientation", "open_header", "quiet_pillow"]

_ORIENTATION = ExifTags.Base.Orientation
_TIFF_VALUE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4,
                     12: 8, 13: 4, 16: 8}  # fmt: skip  # bytes a value, of the types Pillow reads
_EXIF_PREFIX = re.compile(b"^(Exif\x00\x00){1,2}")
_QUIET = threading.RLock()  # re-entered if one quiet call is made inside another


@contextlib.contextmanager
def quiet_pillow() -> Iterator[None]:
    """Run Pillow code that may warn (header, EXIF, frames) without printing its warnings.

    The warning filters are one list for the whole process in Python 3.11, so they are
    swapped under a lock: one thread at a time parses (a header takes about 0.1 ms; decodes
    run outside). A warning another thread gives meanwhile is dropped too: explorer prints
    none. Whatever the caller's filters, even "error", nothing is raised.
    """
    with _QUIET, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


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


def exif_orientation(image: Image.Image) -> int | None:
    """The EXIF (or XMP) orientation of ``image``, None when it has none; never a warning.

    Raises ``ValueError`` (or what Pillow raises) when the EXIF cannot be parsed. Pillow
    only warns, and skips, where the first IFD or a value lies outside the EXIF bytes (and
    does it once per image: already while opening a JPEG), so those are checked here first,
    the way Pillow reads them.
    """
    raw = image.info.get("exif")
    if raw is None and "Raw profile type exif" in image.info:  # PNG text, as getexif reads it
        raw = bytes.fromhex("".join(image.info["Raw profile type exif"].split("\n")[3:]))
    if isinstance(raw, bytes):
        _check_first_ifd(_EXIF_PREFIX.sub(b"", raw))
    with quiet_pillow():
        return image.getexif().get(_ORIENTATION)


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
