"""The content hash of an image file: the audit's duplicate key and the flags' relink key."""

from __future__ import annotations

import hashlib

from explorer.core.images.safe_open import FilePath, open_regular_file

_CHUNK = 1 << 20


def new_digest() -> hashlib.blake2b:
    """The hash every content key uses: BLAKE2b, 16 bytes (fast, and no collisions in practice)."""
    return hashlib.blake2b(digest_size=16)


def file_digest(path: FilePath) -> str | None:
    """Hex content hash of a file; None when it cannot be read or is not a regular file (a
    FIFO, a link to /dev/zero...: returns at once, see :mod:`explorer.core.images.safe_open`).

    >>> (tmp / "a.JPEG").write_bytes(b"not really a JPEG")
    17
    >>> file_digest(tmp / "a.JPEG")
    '00181828958a9ec0513af8572b897769'
    >>> file_digest(tmp / "gone.JPEG"), file_digest("/dev/zero")
    (None, None)
    """
    digest = new_digest()
    try:
        with open_regular_file(path) as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    return digest.hexdigest()
