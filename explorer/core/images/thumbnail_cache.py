"""The thumbnails' disk cache: one file per (path, file size, mtime, thumbnail size).

:class:`ThumbnailCache` keeps what :func:`~explorer.core.images.thumbnails.make_thumbnail`
makes, written atomically so that threads and processes sharing the folder never see half a
file; it is safe to share between threads.

>>> tench = catalogue.absolute_path("n01440764/n01440764_0.JPEG")
>>> cache = ThumbnailCache(tmp / "thumbnails")
>>> row = catalogue.images_by_path(["n01440764/n01440764_0.JPEG"])[0]
>>> [cache.get_or_make(tench, row.size, row.mtime_ns, 128).from_cache for _ in range(2)]
[False, True]
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import threading
import time
from dataclasses import replace
from pathlib import Path

from explorer.core import paths
from explorer.core.files import write_file
from explorer.core.images.safe_open import FilePath
from explorer.core.images.thumbnails import Thumbnail, failed_thumbnail, make_thumbnail

__all__ = ["DEFAULT_MAX_BYTES", "ThumbnailCache", "default_thumbnail_cache"]

DEFAULT_MAX_BYTES = 512 * 2**20

# change when the rendering changes what a thumbnail shows (size, crop, turn, colours): old
# entries then miss. A decoder's rounding does not count (simplejpeg's thumbnails are within
# 1.9 levels of 255 of Pillow's on average), so the fast path kept thumb-1.
_KEY_VERSION = b"thumb-1"
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
                return failed_thumbnail(exc)
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
