"""The content hash of an image file: the audit's duplicate key and the flags' relink key."""

from __future__ import annotations

import hashlib
import os

_CHUNK = 1 << 20


def new_digest():
    """The hash every content key uses: BLAKE2b, 16 bytes (fast, and no collisions in practice)."""
    return hashlib.blake2b(digest_size=16)


def file_digest(path: str | bytes | os.PathLike) -> str | None:
    """Hex content hash of a file; None when it cannot be read."""
    digest = new_digest()
    try:
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
