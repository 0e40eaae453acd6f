"""Check one image file the way a training pipeline will meet it: the catalogue audit's unit.

:func:`check_image` opens a file, hashes its bytes, reads the header with Pillow, decodes it
(JPEG at 1/8 scale, which still reads the whole stream) and returns an :class:`ImageCheck`
listing the problems found, as codes from :data:`PROBLEM_CODES`. It never raises for a
hostile file: a file that cannot be opened, identified or decoded is a finding, not an error.
Cost per file is bounded: bytes are hashed in 1 MiB chunks, files over ``max_bytes`` are not
read in full, and images over ``max_pixels``, or whose decode would cost too much
(:func:`explorer.core.images.decoding.decode_refusal`), are judged from their header, not decoded.

>>> check = check_image(catalogue.absolute_path("n04285008/n04285008_20.JPEG"))
>>> check.format, check.width, check.height, check.problems
('JPEG', 500, 375, ('exif_rotated',))
"""

from __future__ import annotations

import os
import threading
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO, get_args

from PIL import Image, ImageFile, UnidentifiedImageError

from explorer.core.images.codes import PROBLEM_CODES, AuditCode, ProblemCode
from explorer.core.images.decoding import (
    MAX_DECODE_BYTES,
    decode_refusal,
    exif_orientation,
    open_header,
    quiet_pillow,
)
from explorer.core.images.digest import new_digest
from explorer.core.images.safe_open import FilePath, open_regular_file

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MAX_DECODE_BYTES",
    "PROBLEM_CODES",
    "ImageCheck",
    "check_image",
]

DEFAULT_MAX_PIXELS: int = Image.MAX_IMAGE_PIXELS or 1024 * 1024 * 1024 // 4 // 3
DEFAULT_MAX_BYTES: int = 512 * 1024 * 1024
TINY_SIDE = 32

EXTENSION_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".bmp": "BMP",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
_SAME_FORMAT = {"MPO": "JPEG"}  # a JPEG with extra frames (stereo, previews) opens as MPO
_GRAYSCALE_MODES = {"1", "L", "LA", "La", "I", "F"}
_WIDE_MODES = {"I", "F"}
_CHUNK = 1024 * 1024
_PROBLEM_ORDER: tuple[ProblemCode, ...] = get_args(ProblemCode)  # PROBLEM_CODES' order
_DETAIL_LENGTH = 160


@dataclass(frozen=True, slots=True)
class ImageCheck:
    """What :func:`check_image` learnt about one file.

    ``format``, ``width``, ``height`` and ``mode`` come from the header, so they are kept even
    when decoding fails; they are ``None`` when the header could not be read. ``problems`` are
    codes from :data:`PROBLEM_CODES` in that order; ``()`` means the file is fine.
    ``content_hash`` is the hex blake2b (16-byte digest) of the file's bytes, ``None`` when the
    file was not read in full; ``size`` is the byte count (the file system's figure for a
    ``too_large`` file). ``detail`` is a short text of the first error met, ``""`` if none.
    """

    format: str | None
    width: int | None
    height: int | None
    mode: str | None
    problems: tuple[AuditCode, ...]
    content_hash: str | None
    size: int | None
    detail: str


def check_image(
    path: FilePath,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_decode_bytes: int = MAX_DECODE_BYTES,
) -> ImageCheck:
    """Open, hash and decode the image at ``path`` and report its problems.

    Never raises because of the file, and never blocks on it: every failure becomes a problem
    code with its message in ``detail``, and a FIFO, device, socket or folder is
    ``unreadable`` ("not a regular file: a FIFO"). Images of more than ``max_pixels``
    (default: Pillow's ``MAX_IMAGE_PIXELS``) are flagged ``decompression_bomb`` from the
    header alone; JPEGs of more than ``MAX_SCANS`` scans ``too_many_scans`` and images whose
    decode needs more than ``max_decode_bytes`` ``too_large_to_decode``, neither decoded;
    files of more than ``max_bytes`` are flagged ``too_large`` and neither hashed nor decoded.
    Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` is held False while checks run, so a
    truncated file is always found; its previous value comes back when the last running
    check ends. Nothing is printed, and nothing raised whatever the warning filters: a
    corrupt EXIF, or a header over Pillow's pixel limit, is a problem code, not a warning.

    Safe to call from several threads at once.

    >>> check_image(catalogue.absolute_path("n02110958/n02110958_20.JPEG")).problems  # a PNG
    ('extension_mismatch',)
    >>> check_image(b"gone_\\xff.JPEG").problems               # not there, nor named in UTF-8
    ('unreadable', 'odd_filename')

    Raises ``TypeError`` only if ``path`` is not a path at all.
    """
    os.fspath(path)  # a non-path is the caller's bug, not a finding about a file
    report = _Report()
    if _odd_file_name(path):
        report.add("odd_filename")
    try:
        file = open_regular_file(path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        report.add("unreadable", exc)
        return report.freeze()
    limits = _Limits(max_pixels, max_bytes, max_decode_bytes)
    try:
        with file, _refuse_truncated:
            _check_open_file(file, report, _extension_format(path), limits)
    except Exception as exc:  # last resort: one hostile file must never stop an audit
        report.add("truncated" if report.size else "unreadable", exc)
    return report.freeze()


@dataclass(frozen=True, slots=True)
class _Limits:
    pixels: int
    bytes: int
    decode_bytes: int


class _Report:
    """The mutable draft of an :class:`ImageCheck`."""

    def __init__(self) -> None:
        self.format: str | None = None
        self.width: int | None = None
        self.height: int | None = None
        self.mode: str | None = None
        self.problems: set[ProblemCode] = set()
        self.content_hash: str | None = None
        self.size: int | None = None
        self.detail = ""

    def add(self, code: ProblemCode, why: BaseException | str = "") -> None:
        if isinstance(why, BaseException) and _is_bomb(why):
            code = "decompression_bomb"
        self.problems.add(code)
        if why and not self.detail:
            self.detail = _describe(why)

    def freeze(self) -> ImageCheck:
        return ImageCheck(
            format=self.format,
            width=self.width,
            height=self.height,
            mode=self.mode,
            problems=tuple(code for code in _PROBLEM_ORDER if code in self.problems),
            content_hash=self.content_hash,
            size=self.size,
            detail=self.detail,
        )


def _check_open_file(
    file: BinaryIO, report: _Report, expected: str | None, limits: _Limits
) -> None:
    size = os.fstat(file.fileno()).st_size
    too_large = size > limits.bytes
    try:
        if not too_large:
            report.content_hash, report.size = _hash(file, limits.bytes)
            too_large = report.content_hash is None  # the file grew while it was read
    except OSError as exc:
        report.add("unreadable", exc)
        return
    if too_large:
        report.size = max(size, report.size or 0)
        report.add("too_large", f"{report.size:,} bytes, over the limit of {limits.bytes:,}")
    elif report.size == 0:
        report.add("zero_byte")
        return
    try:
        image = open_header(file)
    except UnidentifiedImageError:
        report.add("not_an_image", "Pillow does not recognise this content")
        return
    except Exception as exc:  # a header Pillow recognised but could not parse
        report.add("truncated", exc)
        return
    with image:
        _inspect(image, file, report, expected, limits, decode=not too_large)


def _hash(file: BinaryIO, max_bytes: int) -> tuple[str | None, int]:
    """(hex digest, bytes read); the digest is None once more than ``max_bytes`` were read."""
    digest = new_digest()
    size = 0
    while chunk := file.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            return None, size
        digest.update(chunk)
    return digest.hexdigest(), size


def _inspect(
    image: ImageFile.ImageFile,
    file: BinaryIO,
    report: _Report,
    expected: str | None,
    limits: _Limits,
    decode: bool,
) -> None:
    width, height = image.size
    report.width, report.height = width, height
    report.format, report.mode = image.format, image.mode
    found = image.format and _SAME_FORMAT.get(image.format, image.format)
    if expected and found != expected:
        report.add("extension_mismatch")
    if image.mode == "CMYK":
        report.add("cmyk")
    if image.mode in _GRAYSCALE_MODES or image.mode.startswith("I;16"):
        report.add("grayscale")
    if image.mode in _WIDE_MODES or image.mode.startswith("I;16") or _wide_raw_samples(image):
        report.add("high_bit_depth")
    if min(width, height) < TINY_SIDE:
        report.add("tiny")
    if width * height > limits.pixels:
        report.add("decompression_bomb", f"{width}×{height} pixels, over {limits.pixels:,}")
        return
    if not decode:
        return
    try:
        if found == "JPEG":
            # libjpeg still reads every byte at 1/8 scale, so truncation is still caught.
            image.draft(None, (max(1, width // 8), max(1, height // 8)))
        refusal = decode_refusal(image, file, (width, height), limits.decode_bytes)
        if refusal is not None:
            report.add(*refusal)
            return
        image.load()
    except Exception as exc:
        report.add("truncated", exc)
        return  # what follows would only trip over the same damage
    _check_exif(image, report)
    try:
        with quiet_pillow():  # counting frames parses them: MPO, GIF and TIFF can warn
            animated = getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1
        if animated:
            report.add("animated")
    except Exception as exc:  # a later frame is damaged
        report.add("truncated", exc)


def _check_exif(image: Image.Image, report: _Report) -> None:
    try:
        orientation = exif_orientation(image)
    except Exception as exc:
        report.add("exif_invalid", exc)
        return
    if orientation is None or orientation == 1:
        return
    if isinstance(orientation, int) and 2 <= orientation <= 8:
        report.add("exif_rotated")
    else:
        report.add("exif_invalid", f"EXIF orientation {orientation!r} is not 1-8")


def _wide_raw_samples(image: ImageFile.ImageFile) -> bool:
    """Pillow opens 16-bit RGB(A) in 8-bit modes; the raw mode of its data still says ';16'."""
    if not image.tile:
        return False
    args = image.tile[0].args
    raw_mode = args if isinstance(args, str) else args[0] if isinstance(args, tuple) else None
    return isinstance(raw_mode, str) and ";16" in raw_mode


def _odd_file_name(path: FilePath) -> bool:
    try:
        name = os.path.basename(os.fsencode(path)).decode("utf-8")
    except UnicodeError:  # raw bytes, surrogate escapes or lone surrogates
        return True
    return any(unicodedata.category(char) == "Cc" for char in name)


def _extension_format(path: FilePath) -> str | None:
    return EXTENSION_FORMATS.get(os.path.splitext(os.fsdecode(path))[1].lower())


def _is_bomb(exc: BaseException) -> bool:
    return isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning))


def _describe(why: BaseException | str) -> str:
    if isinstance(why, OSError) and why.strerror:
        text = why.strerror  # without the path, which the caller already has
    elif isinstance(why, BaseException):
        text = str(why) or type(why).__name__
    else:
        text = why
    return text if len(text) <= _DETAIL_LENGTH else text[: _DETAIL_LENGTH - 1] + "…"


class _TruncationGuard:
    """Holds ImageFile.LOAD_TRUNCATED_IMAGES False while any check runs, in any thread.

    Counted so that overlapping checks do not restore the flag under each other's feet; the
    caller's True (if it set one) comes back when the last check ends. Meanwhile other Pillow
    users in the process see False too: they get an error rather than a silently padded image.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = False

    def __enter__(self) -> None:
        with self._lock:
            if self._running == 0:
                self._saved = ImageFile.LOAD_TRUNCATED_IMAGES
            self._running += 1
            ImageFile.LOAD_TRUNCATED_IMAGES = False

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0 and self._saved:
                ImageFile.LOAD_TRUNCATED_IMAGES = True


_refuse_truncated = _TruncationGuard()
