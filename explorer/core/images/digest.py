"""The content hash of an image file: the audit's duplicate key and the flags' relink key."""

from __future__ import annotations

import hashlib
import os

from explorer.core.images.safe_open import open_regular_file

_CHUNK = 1 << 20


def new_digest():
    """The hash every content key uses: BLAKE2b, 16 bytes (fast, and no collisions in practice)."""
    return hashlib.blake2b(digest_size=16)


def file_digest(path: str | bytes | os.PathLike) -> str | None:
    """Hex content hash of a file; None when it cannot be read or is not a regular file (a
    FIFO, a link to /dev/zero...: returns at once, see :mod:`explorer.core.images.safe_open`)."""
    digest = new_digest()
    try:
        with open_regular_file(path) as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    return digest.hexdigest()
