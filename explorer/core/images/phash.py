"""Perceptual hashes: a 64-bit DCT hash (pHash) per image, what near-duplicate search compares.

The hash of Zauner's pHash as ``imagehash.phash`` computes it: the image in grayscale,
resized to 32×32, its 2-D DCT (the unnormalised DCT-II on each axis), the 8×8 lowest
frequencies, each bit 1 where its coefficient is above their median (of the image as
shown: its EXIF orientation applied, as the viewer shows it). Two images whose
hashes differ in few bits (the Hamming distance, :func:`distance`) look alike: a copy
resized, re-encoded, in grayscale, a little brighter or a few percent cropped stays
within a few bits, while unrelated photographs differ in about half of them.

Faster than imagehash where it matters: a JPEG is decoded at the smallest 1/2^k scale
that still covers 64×64 pixels (Pillow's ``draft``: a 500×375 photo is decoded at
1/4 scale), and the DCT is two 32×32 matrix products. The bounds of
:mod:`explorer.core.images.decoding` hold (bombs, too many scans, too many pixel bytes are
refused, never decoded), and a file that cannot be hashed gives ``None`` with the reason:
it never raises because of the file.

>>> tench = perceptual_hash(catalogue.absolute_path("n01440764/n01440764_10.JPEG"))
>>> f"{tench.value:016x}", tench.error
('...', '')
>>> empty = perceptual_hash(catalogue.absolute_path("n01440764/n01440764_17.JPEG"))
>>> empty.value, empty.error
(None, 'empty file')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image

from explorer.core.images.decoding import decode_refusal, open_header, upright_turn
from explorer.core.images.digest import new_digest
from explorer.core.images.safe_open import FilePath, open_regular_file

SIDE = 32  # the hashed image's side
LOW = 8  # the frequencies kept on each axis: 64 bits
_DECODE_AT_LEAST = 2 * SIDE  # a JPEG is decoded at the smallest scale covering this


def _dct_matrix(size: int) -> np.ndarray:
    """The unnormalised DCT-II as a matrix (scipy.fftpack.dct's, type 2, norm None)."""
    k = np.arange(size)[:, None]
    n = np.arange(size)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * n + 1) / (2 * size))


_DCT = _dct_matrix(SIDE)[:LOW]  # only the low rows are ever needed


@dataclass(frozen=True)
class PerceptualHash:
    value: int | None  # 64 bits; None when the file could not be hashed
    error: str = ""  # why not, in a few words


def distance(a: int, b: int) -> int:
    """The Hamming distance of two hashes: the bits in which they differ.

    >>> distance(0b1011, 0b0001)
    2
    """
    return (a ^ b).bit_count()


def hash_pixels(gray: np.ndarray) -> int:
    """The hash of a SIDE×SIDE grayscale array."""
    coefficients = _DCT @ gray.astype(np.float64) @ _DCT.T  # the LOW×LOW lowest frequencies
    bits = (coefficients > np.median(coefficients)).ravel()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def perceptual_hash(path: FilePath) -> PerceptualHash:
    """The pHash of the image at ``path``; never raises because of the file."""
    hashes = hash_file(path, content=False)
    return PerceptualHash(hashes.value, hashes.error)


@dataclass(frozen=True)
class FileHashes:
    """What hashing one file gives: the perceptual hash and the content hash of the version
    read (its size and mtime), or why not."""

    value: int | None  # the perceptual hash; None when the file could not be hashed
    content: str | None  # BLAKE2b-16 of the bytes (None: not asked, or unreadable)
    size: int | None  # the file version read (None: it could not be opened)
    mtime_ns: int | None
    error: str = ""


def hash_file(path: FilePath, content: bool = True) -> FileHashes:
    """The perceptual hash of the image at ``path`` and (``content``) the hash of its bytes,
    from one opening of the file; never raises because of the file."""
    try:
        file = open_regular_file(path)
    except (OSError, ValueError) as exc:
        return FileHashes(None, None, None, None, _reason(exc))
    with file:
        try:
            stat = os.fstat(file.fileno())
            digest = _digest(file) if content else None
        except OSError as exc:
            return FileHashes(None, None, None, None, _reason(exc))
        value, error = _image_hash(file, stat.st_size)
        return FileHashes(value, digest, stat.st_size, stat.st_mtime_ns, error)


def _digest(file: BinaryIO) -> str:
    digest = new_digest()
    while chunk := file.read(1 << 20):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _image_hash(file: BinaryIO, size: int) -> tuple[int | None, str]:
    if size == 0:
        return None, "empty file"
    try:
        with open_header(file) as image:
            width, height = image.size
            limit = Image.MAX_IMAGE_PIXELS
            if width < 1 or height < 1 or (limit and width * height > limit):
                return None, f"cannot decode {width}×{height} pixels"
            if image.format in ("JPEG", "MPO"):
                image.draft("L", (_DECODE_AT_LEAST, _DECODE_AT_LEAST))
            refusal = decode_refusal(image, file, (width, height))
            if refusal is not None:
                return None, refusal[1]
            turn = upright_turn(image)
            image.load()
            small = image.convert("L").resize((SIDE, SIDE), Image.Resampling.LANCZOS)
            # as shown: a rotated camera photo pairs with an upright copy (on the 32×32
            # square the turn commutes with the resize)
            if turn is not None:
                small = small.transpose(turn)
            return hash_pixels(np.asarray(small)), ""
    except Exception as exc:  # Pillow raises odd things on hostile data: the file's problem
        return None, _reason(exc)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
