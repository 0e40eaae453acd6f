"""Thumbnails for the image grid: decoded fast, never raising for a bad file, cached on disk.

:func:`make_thumbnail` decodes one file into a small JPEG (PNG when it has transparency)
ready for ``QImage.fromData``. JPEGs are decoded at 1/2, 1/4 or 1/8 scale (libjpeg's
``draft`` mode) to the smallest size that still covers the thumbnail, then resized with
Pillow's antialiased bilinear filter; EXIF orientation is applied, and every mode (CMYK,
grayscale, 16-bit, palette) comes out as RGB or RGBA. A file that cannot be thumbnailed
gives a :class:`Thumbnail` with ``data=None`` and a short ``error``, never an exception;
its ``missing`` says whether there was no file at all (moved or deleted since it was
listed: the window shows "missing") or a file that cannot be shown (damaged, not an image,
unreadable: "cannot show").

:class:`ThumbnailCache` keeps the results in a folder, one file per (path, file size, mtime,
thumbnail size), written atomically so that threads and processes sharing the folder never
see half a file. Both are safe to call from several threads at once: Pillow releases the GIL
while it decodes, resizes and encodes, so two workers make about twice as many thumbnails
a second as one (``bench/bench_thumbnails.py``).

>>> tench = catalogue.absolute_path("n01440764/n01440764_0.JPEG")     # 320×240
>>> thumb = make_thumbnail(tench, 128)
>>> thumb.width, thumb.height, thumb.error, thumb.data[:2]
(128, 96, '', b'\\xff\\xd8')
>>> cache = ThumbnailCache(tmp / "thumbnails")
>>> row = catalogue.images_by_path(["n01440764/n01440764_0.JPEG"])[0]
>>> [cache.get_or_make(tench, row.size, row.mtime_ns, 128).from_cache for _ in range(2)]
[False, True]
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import struct
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, cast

from PIL import Image, ImageFile, UnidentifiedImageError

from explorer.core import paths
from explorer.core.files import write_file
from explorer.core.images.decoding import decode_refusal, open_header, upright_turn
from explorer.core.images.safe_open import FilePath, is_missing_file, open_regular_file

__all__ = [
    "SIZES",
    "Thumbnail",
    "ThumbnailCache",
    "default_thumbnail_cache",
    "make_thumbnail",
]

SIZES = (64, 96, 128, 192, 256)  # the sizes the grid offers; cache entries are per size
DEFAULT_MAX_BYTES = 512 * 2**20
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
    needed.
    """

    data: bytes | None
    width: int
    height: int
    error: str
    from_cache: bool
    missing: bool = False


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
        return _failed(exc)
    try:
        with file:
            if os.fstat(file.fileno()).st_size == 0:
                return _failed("empty file")
            with open_header(file) as image:
                return _render(image, file, size)
    except _FILE_ERRORS as exc:
        return _failed(exc)
    except Exception as exc:  # last resort: Pillow plugins raise odd things on hostile data
        return _failed(exc)


def _render(image: ImageFile.ImageFile, file: BinaryIO, size: int) -> Thumbnail:
    width, height = image.size
    if width < 1 or height < 1:
        return _failed("the image has no pixels")
    limit = Image.MAX_IMAGE_PIXELS  # of the header's size: open_header does not apply it
    if limit and width * height > limit:
        return _failed(f"too many pixels to decode ({width}×{height})")
    target = _fitted(width, height, size)
    box = None  # the part of the decoded image that holds the picture
    if image.format in ("JPEG", "MPO"):
        # Decode at the smallest 1/2^k scale that still covers the thumbnail in both sides.
        drafted = image.draft("RGB", target)
        box = drafted[1] if drafted else None
    refusal = decode_refusal(image, file, (width, height))
    if refusal is not None:
        return _failed(refusal[1])
    image.load()  # errors (truncation...) surface here, inside the caller's try
    turn = upright_turn(image)
    picture = _resizable(image)
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
    return Thumbnail(buffer.getvalue(), picture.width, picture.height, "", False)


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


def _failed(why: BaseException | str) -> Thumbnail:
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


# --- the disk cache -------------------------------------------------------------------

_KEY_VERSION = b"thumb-1"  # change when the rendering changes: old entries then miss
_SUFFIXES = (".jpg", ".png")
_TOUCH_AFTER = 3600.0  # a hit refreshes an entry's mtime (its LRU clock) at most hourly
_STALE_TEMP = 3600.0  # temp files older than this were left by a crash: pruned
_ERROR_TTL = 30.0  # a failure is remembered this long (in memory), then tried again
_MAX_ERRORS = 4096
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


class ThumbnailCache:
    """Thumbnails on disk under ``folder``, at most about ``max_bytes`` of them.

    An entry is ``<folder>/<2 hex>/<key>.jpg`` (or ``.png``) where the key hashes the file's
    absolute path, its size and mtime and the thumbnail size, so an edited file misses by
    itself. Entries are written to a temp file and renamed into place; one that is damaged
    or unreadable anyway counts as a miss and is replaced. An entry's mtime is its
    last use: :meth:`prune` drops the least recently used entries above ``max_bytes``,
    and runs by itself after about ``max_bytes / 16`` of new entries. Failures are not
    written to disk; they are remembered in memory for half a minute so that a grid
    scrolling over a broken file does not decode it again and again.

    Safe to share between threads; several processes may share the folder.
    """

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._errors: dict[str, tuple[float, Thumbnail]] = {}
        self._lock = threading.Lock()
        self._prune_lock = threading.Lock()
        self._written = 0
        with contextlib.suppress(OSError):  # read-only: thumbnails are made, not kept
            self.folder.mkdir(parents=True, exist_ok=True)

    def get_or_make(
        self,
        path: FilePath,
        file_size: int | None,
        mtime_ns: int | None,
        size: int,
    ) -> Thumbnail:
        """The cached thumbnail of ``path`` at ``size``, made and stored on a miss.

        ``file_size`` and ``mtime_ns`` are the file's as the catalogue recorded them (they
        key the entry); pass ``None`` to have the file stat'ed, as for a file the catalogue
        last found gone (its recorded ones are of a version no longer there, whose entry
        would hide that). A hit does not look at the file. Never raises for a bad file or a
        damaged cache; a file that is not there gives ``missing=True``.
        """
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"thumbnail size must be a positive integer, not {size!r}")
        if file_size is None or mtime_ns is None:
            try:
                stat = os.stat(path)
            except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
                return _failed(exc)
            file_size, mtime_ns = stat.st_size, stat.st_mtime_ns
        key = self.key(path, file_size, mtime_ns, size)
        cached = self._read(key)
        if cached is not None:
            return cached
        failure = self._remembered_error(key)
        if failure is not None:
            return failure
        thumb = make_thumbnail(path, size)
        if thumb.data is None:
            self._remember_error(key, thumb)
        else:
            self.store(key, thumb.data)
        return thumb

    @staticmethod
    def key(path: FilePath, file_size: int, mtime_ns: int, size: int) -> str:
        """The hex key of an entry: it changes when any of its four parts does."""
        digest = hashlib.blake2b(digest_size=16)
        for part in (
            _KEY_VERSION,
            os.path.abspath(os.fsencode(path)),
            str(file_size).encode(),
            str(mtime_ns).encode(),
            str(size).encode(),
        ):
            digest.update(part + b"\0")
        return digest.hexdigest()

    def entry_paths(self, key: str) -> tuple[Path, ...]:
        """Where the entry of ``key`` may be (a JPEG or a PNG)."""
        shard = self.folder / key[:2]
        return tuple(shard / (key + suffix) for suffix in _SUFFIXES)

    def _read(self, key: str) -> Thumbnail | None:
        for entry in self.entry_paths(key):
            try:
                with open(entry, "rb") as file:
                    data = file.read()
                    modified = os.fstat(file.fileno()).st_mtime
            except FileNotFoundError:
                continue
            except OSError:
                return None  # unreadable: a miss; the write that follows replaces it
            dimensions = _entry_size(data, entry.suffix)
            if dimensions is None:  # damaged: drop it so it cannot shadow the new entry
                with contextlib.suppress(OSError):
                    entry.unlink()
                return None
            if time.time() - modified > _TOUCH_AFTER:
                with contextlib.suppress(OSError):
                    os.utime(entry)
            return Thumbnail(data, *dimensions, "", True)
        return None

    def store(self, key: str, data: bytes) -> None:
        """Keep ``data`` (an encoded thumbnail) as the entry of ``key``: what a miss does,
        and what the precompute job does with the thumbnails its workers made."""
        jpeg, png = self.entry_paths(key)
        target = png if data.startswith(_PNG_SIGNATURE) else jpeg
        try:  # parents: the shard's first entry makes its folder; prune clears stale ".tmp-"
            write_file(target, data, parents=True, sync=False, prefix=".tmp-")
        except OSError:
            return  # a read-only or full cache folder: the thumbnail is still returned
        with self._lock:
            self._written += len(data)
            due = self._written > max(self.max_bytes // 16, 1)
            if due:
                self._written = 0
        if due:
            self.prune()

    def _remembered_error(self, key: str) -> Thumbnail | None:
        with self._lock:
            remembered = self._errors.get(key)
            if remembered is None:
                return None
            when, thumb = remembered
            if time.monotonic() - when > _ERROR_TTL:
                del self._errors[key]
                return None
        return replace(thumb, from_cache=True)

    def _remember_error(self, key: str, thumb: Thumbnail) -> None:
        with self._lock:
            if len(self._errors) >= _MAX_ERRORS:
                self._errors.clear()
            self._errors[key] = (time.monotonic(), thumb)

    def prune(self) -> int:
        """Drop the least recently used entries until at most ``max_bytes`` remain.

        Also removes temp files a crashed writer left behind. Returns the bytes freed.
        Runs in the calling thread; a prune already running in another thread makes this
        call return 0 at once.
        """
        if not self._prune_lock.acquire(blocking=False):
            return 0
        try:
            return self._prune()
        finally:
            self._prune_lock.release()

    def _prune(self) -> int:
        entries: list[tuple[float, int, str]] = []
        freed = 0
        now = time.time()
        try:
            shards = [e.path for e in os.scandir(self.folder) if e.is_dir() and len(e.name) == 2]
        except OSError:
            return 0
        for shard in shards:
            try:
                with os.scandir(shard) as found:
                    for entry in found:
                        try:
                            stat = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        if entry.name.startswith(".tmp-"):
                            if now - stat.st_mtime > _STALE_TEMP and _unlink(entry.path):
                                freed += stat.st_size
                        elif entry.name.endswith(_SUFFIXES):
                            entries.append((stat.st_mtime, stat.st_size, entry.path))
            except OSError:
                continue
        total = sum(size for _, size, _ in entries)
        entries.sort()
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            if _unlink(path):
                freed += size
            total -= size  # gone, or another process removed it first
        return freed


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


def _entry_size(data: bytes, suffix: str) -> tuple[int, int] | None:
    """(width, height) of a cache entry whose structure is whole; None if damaged."""
    if suffix == ".png":
        if len(data) < 33 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
            return None
        if not data.endswith(_PNG_END):
            return None
        width, height = struct.unpack(">II", data[16:24])
    else:
        if not (data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")):
            return None
        found = _jpeg_frame_size(data)
        if found is None:
            return None
        width, height = found
    return (width, height) if 0 < width <= 65535 and 0 < height <= 65535 else None


def _jpeg_frame_size(data: bytes) -> tuple[int, int] | None:
    """The size in a JPEG's start-of-frame segment, walking the segments before it."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            at += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        if marker in (0xD9, 0xDA):  # end of image or scan data before any frame header
            return None
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None


def default_thumbnail_cache(data_dir: str | os.PathLike[str] | None = None) -> ThumbnailCache:
    """The app's thumbnail cache: ``<cache dir>/thumbnails`` (see :mod:`explorer.core.paths`).

    >>> default_thumbnail_cache(tmp).folder.relative_to(tmp).as_posix()   # tmp: the data folder
    'cache/thumbnails'
    """
    return ThumbnailCache(paths.cache_dir(data_dir) / "thumbnails")
