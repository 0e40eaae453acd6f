"""Thumbnails for the image grid: decoded fast, never raising for a bad file, cached on disk.

:func:`make_thumbnail` decodes one file into a small JPEG (PNG when it has transparency)
ready for ``QImage.fromData``. A plain JPEG (sequential, grey or YCbCr: nearly every photo)
is decoded by libjpeg-turbo through simplejpeg at the smallest n/8 scale that still covers
the thumbnail (:mod:`explorer.core.images.fast_jpeg`, 1.25x as fast as Pillow's path);
every other file by Pillow, a JPEG at 1/2, 1/4 or 1/8 scale (libjpeg's ``draft`` mode). Both
resize with Pillow's antialiased bilinear filter; EXIF orientation is applied, and every
mode (CMYK, grayscale, 16-bit, palette) comes out as RGB or RGBA. A file that cannot be thumbnailed
gives a :class:`Thumbnail` with ``data=None`` and a short ``error``, never an exception;
its ``missing`` says whether there was no file at all (moved or deleted since it was
listed: the window shows "missing") or a file that cannot be shown (damaged, not an image,
unreadable: "cannot show").

It is safe to call from several threads at once: simplejpeg and Pillow release the GIL while
they decode, resize and encode, so two workers make about twice as many thumbnails a second as one
(``bench/bench_thumbnails.py``). :class:`~explorer.core.images.thumbnail_cache.ThumbnailCache`
keeps the results on disk.

>>> tench = catalogue.absolute_path("n01440764/n01440764_0.JPEG")     # 320×240
>>> thumb = make_thumbnail(tench, 128)
>>> thumb.width, thumb.height, thumb.error, thumb.data[:2], thumb.decoder
(128, 96, '', b'\\xff\\xd8', 'simplejpeg')
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import BinaryIO, cast

from PIL import Image, ImageFile, UnidentifiedImageError

from explorer.core.images import fast_jpeg
from explorer.core.images.decoding import decode_refusal, open_header, upright_turn
from explorer.core.images.safe_open import FilePath, is_missing_file, open_regular_file

__all__ = ["DECODERS", "SIZES", "Thumbnail", "failed_thumbnail", "make_thumbnail"]

DECODERS = ("simplejpeg", "pillow")  # Thumbnail.decoder: the fast path, everything else

SIZES = (64, 96, 128, 192, 256)  # the sizes the grid offers; cache entries are per size
JPEG_QUALITY = 85
# Measured on the 1000 ILSVRC samples at 128 px (bench/bench_thumbnails.py, bench/README.md):
# decoding at the draft scale (~1.5 ms a file) dominates; after draft() the image is at most
# about twice the thumbnail, and resizing it costs ~0.26 ms bilinear, ~0.40 bicubic, ~0.62
# Lanczos. Bilinear (Pillow's is antialiased: its kernel widens with the reduction) makes
# the whole call ~10% faster than bicubic for a slightly softer picture (mean difference
# from a full-size Lanczos reference 5.2 against 4.6 levels of 255; JPEG q85 alone adds
# about 0.7). reducing_gap only matters for formats without draft (PNG, GIF...): reduce()
# first when the image is over twice the thumbnail, several times faster for a large PNG.
RESAMPLE = Image.Resampling.BILINEAR
REDUCING_GAP = 2.0

_ERROR_LENGTH = 120
# What Pillow raises for a hostile file (image_check.py meets the same): caught per file.
_FILE_ERRORS = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    ValueError,
    SyntaxError,
    EOFError,
    MemoryError,
)


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """One thumbnail, or why there is none.

    ``data`` is an encoded image (JPEG when opaque, PNG when it has transparency) for
    ``QImage.fromData``; ``None`` when the file could not be thumbnailed, and then
    ``error`` says why in a few words and ``width``/``height`` are 0. ``missing`` is True
    when that is because there is no file at the path (:func:`is_missing_file`), False
    when a file is there but cannot be shown. ``from_cache`` is True when no decoding was
    needed. ``decoder`` names what decoded it (one of :data:`DECODERS`); "" when nothing did
    (a failure, a cache hit).
    """

    data: bytes | None
    width: int
    height: int
    error: str
    from_cache: bool
    missing: bool = False
    decoder: str = ""


def make_thumbnail(path: FilePath, size: int) -> Thumbnail:
    """A thumbnail of the image at ``path`` that fits ``size`` × ``size``, keeping its aspect.

    Never raises because of the file, and never blocks on it: a missing, unreadable,
    truncated or non-image file, a decompression bomb (over ``PIL.Image.MAX_IMAGE_PIXELS``),
    an image too costly to decode (:func:`explorer.core.images.decoding.decode_refusal`: too many
    JPEG scans, too many bytes of pixels; both judged from the file, never decoded) or a
    FIFO, device or folder gives ``Thumbnail(None, 0, 0, reason, False)``; no file at all
    gives ``missing=True`` as well. Images smaller than ``size`` are not enlarged. Prints
    nothing. Safe to call from several threads at once.

    >>> thumb = make_thumbnail(catalogue.absolute_path("n04285008/n04285008_20.JPEG"), 128)
    >>> (thumb.width, thumb.height)                    # stored 500×375, EXIF-rotated: upright
    (96, 128)
    >>> empty = make_thumbnail(catalogue.absolute_path("n01440764/n01440764_17.JPEG"), 128)
    >>> empty.error, empty.missing                     # a file is there: "cannot show"
    ('empty file', False)
    >>> gone = make_thumbnail(catalogue.absolute_path("n01440764/moved_away.JPEG"), 128)
    >>> gone.data, gone.error, gone.missing             # no file: "missing"
    (None, 'file not found', True)

    Raises ``ValueError`` only if ``size`` is not a positive integer.
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"thumbnail size must be a positive integer, not {size!r}")
    try:
        file = open_regular_file(path)  # never blocks on a FIFO, refuses folders and devices
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return failed_thumbnail(exc)
    try:
        with file:
            file_bytes = os.fstat(file.fileno()).st_size
            if file_bytes == 0:
                return failed_thumbnail("empty file")
            if file_bytes <= fast_jpeg.MAX_FILE_BYTES and file.read(2) == b"\xff\xd8":
                file.seek(0)
                thumb = _render_plain_jpeg(file.read(), size)
                if thumb is not None:
                    return thumb
            with open_header(file) as image:  # from the start of the file
                return _render(image, file, size)
    except _FILE_ERRORS as exc:
        return failed_thumbnail(exc)
    except Exception as exc:  # last resort: Pillow plugins raise odd things on hostile data
        return failed_thumbnail(exc)


def _render_plain_jpeg(data: bytes, size: int) -> Thumbnail | None:
    """The fast path's thumbnail of the JPEG ``data``; None sends it to Pillow (:func:`_render`),
    which decodes it or says why not."""
    header = fast_jpeg.plain_jpeg(data)
    if header is None:
        return None
    limit = Image.MAX_IMAGE_PIXELS
    if limit and header.width * header.height > limit:
        return None  # Pillow's path refuses it from the header too, and says why
    target = _fitted(header.width, header.height, size)
    decoded = fast_jpeg.decode(data, header, target)
    if decoded is None:
        return None
    picture, box, turn = decoded
    return _finished(picture, target, box, turn, "simplejpeg")


def _render(image: ImageFile.ImageFile, file: BinaryIO, size: int) -> Thumbnail:
    width, height = image.size
    if width < 1 or height < 1:
        return failed_thumbnail("the image has no pixels")
    limit = Image.MAX_IMAGE_PIXELS  # of the header's size: open_header does not apply it
    if limit and width * height > limit:
        return failed_thumbnail(f"too many pixels to decode ({width}×{height})")
    target = _fitted(width, height, size)
    box = None  # the part of the decoded image that holds the picture
    if image.format in ("JPEG", "MPO"):
        # Decode at the smallest 1/2^k scale that still covers the thumbnail in both sides.
        drafted = image.draft("RGB", target)
        box = drafted[1] if drafted else None
    refusal = decode_refusal(image, file, (width, height))
    if refusal is not None:
        return failed_thumbnail(refusal[1])
    image.load()  # errors (truncation...) surface here, inside the caller's try
    return _finished(_resizable(image), target, box, upright_turn(image), "pillow")


def _finished(
    picture: Image.Image,
    target: tuple[int, int],
    box: tuple[float, float, float, float] | None,
    turn: Image.Transpose | None,
    decoder: str,
) -> Thumbnail:
    """The decoded ``picture`` resized to ``target`` (``box``: the part holding the picture),
    made displayable, turned upright and encoded."""
    if picture.size != target:
        # Not thumbnail(): it takes the aspect ratio from the drafted size, whose sides were
        # rounded up, and can come out a pixel off; resize() with draft's box is exact.
        picture = picture.resize(target, RESAMPLE, box=box, reducing_gap=REDUCING_GAP)
    picture = _displayable(picture)
    if turn is not None:
        picture = picture.transpose(turn)
    buffer = io.BytesIO()
    if picture.mode == "RGBA":
        picture.save(buffer, "PNG", compress_level=1)
    else:
        picture.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return Thumbnail(buffer.getvalue(), picture.width, picture.height, "", False, False, decoder)


def _fitted(width: int, height: int, size: int) -> tuple[int, int]:
    """The thumbnail's size: the longer side ``size`` (never enlarged), the aspect kept."""
    if width <= size and height <= size:
        return width, height
    if width >= height:
        return size, max(1, round(height * size / width))
    return max(1, round(width * size / height)), size


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "La", "PA", "RGBa") or (
        image.info.get("transparency") is not None
    )


def _resizable(image: Image.Image) -> Image.Image:
    """A mode resize() handles smoothly; cheap conversions are left for the small image."""
    mode = image.mode
    if mode in ("RGB", "L", "CMYK") and not _has_transparency(image):
        return image
    if mode == "RGBA":
        return image
    if mode in ("I", "F") or mode.startswith("I;16"):
        return image if mode in ("I", "F") else image.convert("I")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if _has_transparency(image) else "RGB")


def _displayable(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when some pixel is not opaque."""
    if image.mode in ("I", "F"):
        # 16/32-bit samples: stretch the thumbnail's own range over 0-255.
        low, high = cast(tuple[float, float], image.getextrema())  # one band: (min, max)
        scale = 255 / (high - low) if high > low else 1.0
        image = image.point(lambda value: value * scale - low * scale).convert("L")
    if image.mode == "RGBA":
        if image.getchannel("A").getextrema()[0] == 255:
            return image.convert("RGB")
        return image
    return image if image.mode == "RGB" else image.convert("RGB")


def failed_thumbnail(why: BaseException | str) -> Thumbnail:
    """The Thumbnail of a file that gives none, with ``why`` in a few words."""
    missing = isinstance(why, BaseException) and is_missing_file(why)
    return Thumbnail(None, 0, 0, _reason(why), False, missing)


def _reason(why: BaseException | str) -> str:
    if isinstance(why, str):
        text = why
    elif isinstance(why, Image.DecompressionBombError | Image.DecompressionBombWarning):
        text = "too many pixels to decode (a decompression bomb?)"
    elif isinstance(why, UnidentifiedImageError):
        text = "not an image Pillow can read"
    elif is_missing_file(why):  # also ENOTDIR: a file where a folder of the path should be
        text = "file not found"
    elif isinstance(why, PermissionError):
        text = "permission denied"
    elif isinstance(why, MemoryError):
        text = "out of memory"
    elif isinstance(why, OSError) and why.strerror:
        text = why.strerror  # without the path, which the caller already has
    else:
        text = str(why) or type(why).__name__
    return text if len(text) <= _ERROR_LENGTH else text[: _ERROR_LENGTH - 1] + "…"
