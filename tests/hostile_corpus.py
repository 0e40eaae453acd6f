"""A folder of hostile image files, made with Pillow, for any test that walks images.

``make_hostile_corpus(folder)`` writes the files and returns ``{name: expected codes}``, the
codes of :data:`explorer.core.images.check.PROBLEM_CODES` that ``check_image`` must report
for each (at least). Names are relative to ``folder``; the one name that is not UTF-8 is given
as ``os.fsdecode`` makes it (with a surrogate escape). Cases the platform cannot make (symlinks,
FIFOs, sockets, odd names on a strict file system) are left out rather than faked.

Special files (a FIFO, links to /dev/zero and /dev/urandom, a socket, a folder) must give a
reason at once, never block. Nothing may print a warning (Pillow warns of a corrupt EXIF IFD
or a size over its pixel limit): the code says it. The files costly to decode
(:func:`many_scans_jpeg`, a 9,400² RGBA :func:`blank_png`) must be judged from the file in
milliseconds; their bytes are made once per test process.

Tests import it as ``from hostile_corpus import make_hostile_corpus`` (tests/ is on the path).
"""

from __future__ import annotations

import functools
import io
import os
import random
import socket
import struct
import zlib
from pathlib import Path

from PIL import ExifTags, Image

CLEAN = ("clean.JPEG", "clean.png")
NON_UTF8_NAME = b"bad_\xff_name.JPEG"
BOMB_SIDE = 100_000
BIG_RGBA_SIDE = 9_400  # 88 megapixels: under Pillow's limit, 353 MB decoded as RGBA
MANY_SCANS = 3_000  # at 2048², about 7 s to decode with Pillow on the dev-vm


def photo(size: tuple[int, int] = (96, 64)) -> Image.Image:
    """A deterministic RGB picture with enough detail that JPEG does not squash it to nothing."""
    red = Image.linear_gradient("L").resize(size)
    green = Image.effect_mandelbrot(size, (-2.0, -1.2, 0.8, 1.2), 64)
    blue = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (red, green, blue))


def encode(image: Image.Image, format: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **params)
    return buffer.getvalue()


def png_bytes(width: int, height: int, bit_depth: int, colour_type: int, raw: bytes) -> bytes:
    """A PNG written chunk by chunk, so its header can say anything (with valid CRCs)."""
    return _png(width, height, bit_depth, colour_type, zlib.compress(raw))


@functools.cache
def blank_png(width: int, height: int, colour_type: int = 6, channels: int = 4) -> bytes:
    """A PNG of zeros compressed a row at a time: 9,400² RGBA in 0.34 MB, in about 1 s."""
    packer = zlib.compressobj(9)
    row = bytes(1 + width * channels)  # filter byte 0, then the samples
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return _png(width, height, 8, colour_type, idat)


def _png(width: int, height: int, bit_depth: int, colour_type: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@functools.cache
def many_scans_jpeg(side: int = 2048, scans: int = MANY_SCANS) -> bytes:
    """A progressive JPEG whose last scan (an AC refinement of every luma block) is repeated
    until it has ``scans`` scans: each is a pass over the whole image, 16 bytes at 2048².
    libjpeg only warns about the repeated refinement, and decodes it all."""
    data = encode(Image.new("RGB", (side, side), (120, 140, 160)), "JPEG", progressive=True)
    last = data.rindex(b"\xff\xda")
    repeats = scans - data.count(b"\xff\xda")
    return data[:-2] + data[last:-2] * repeats + b"\xff\xd9"


def exif_bytes(entries: bytes, count: int = 1, ifd_offset: int = 8) -> bytes:
    """An APP1 EXIF payload (little-endian TIFF) whose first IFD is at ``ifd_offset``."""
    return b"Exif\x00\x00II*\x00" + struct.pack("<IH", ifd_offset, count) + entries + bytes(4)


def make_hostile_corpus(folder: Path) -> dict[str, set[str]]:
    """Write the hostile files (and two clean ones) into ``folder``; return the expectations."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, set[str]] = {}

    def write(name: str, data: bytes, codes: set[str]) -> None:
        (folder / name).write_bytes(data)
        expected[name] = codes

    picture = photo()
    jpeg = encode(picture, "JPEG", quality=90)
    png = encode(picture, "PNG")
    write("clean.JPEG", jpeg, set())
    write("clean.png", png, set())

    write("zero_byte.JPEG", b"", {"zero_byte"})
    big_jpeg = encode(photo((256, 192)), "JPEG", quality=95)
    write("truncated.JPEG", big_jpeg[: len(big_jpeg) // 2], {"truncated"})
    write("truncated.png", png[: len(png) // 2], {"truncated"})
    # ILSVRC train holds one of these: n02105855_2933.JPEG is a PNG.
    write("png_named.JPEG", png, {"extension_mismatch"})
    write("jpeg_named.png", jpeg, {"extension_mismatch"})
    write("cmyk.JPEG", encode(picture.convert("CMYK"), "JPEG"), {"cmyk"})
    write("gray.JPEG", encode(picture.convert("L"), "JPEG"), {"grayscale"})
    gray16 = picture.convert("L").point(lambda v: v * 257, "I").convert("I;16")
    write("gray16.png", encode(gray16, "PNG"), {"grayscale", "high_bit_depth"})
    rows = b"".join(b"\0" + bytes(range(6)) * 40 for _ in range(40))  # 40×40, 16-bit RGB
    write("rgb16.png", png_bytes(40, 40, 16, 2, rows), {"high_bit_depth"})
    write("tiny.png", encode(photo((16, 16)), "PNG"), {"tiny"})
    # The header claims 10^10 pixels; the data is a few bytes. Must be judged undecoded.
    write("bomb.png", png_bytes(BOMB_SIDE, BOMB_SIDE, 8, 2, b"\0" * 64), {"decompression_bomb"})
    # Over Pillow's limit, under twice it: Pillow opens it with a warning on stderr.
    side = int(Image.MAX_IMAGE_PIXELS**0.5) + 10
    write("just_over_limit.png", png_bytes(side, side, 8, 2, b"\0" * 64), {"decompression_bomb"})
    big = blank_png(BIG_RGBA_SIDE, BIG_RGBA_SIDE)
    write("big_rgba.png", big, {"too_large_to_decode"})
    write("many_scans.JPEG", many_scans_jpeg(), {"too_many_scans"})
    # Markers in a comment are not scans: only the first scan of this file counts.
    markers = encode(picture, "JPEG", comment=b"\xff\xda" * 500)
    write("scan_markers_in_comment.JPEG", markers, set())

    def exif(orientation: int) -> Image.Exif:
        tags = Image.Exif()
        tags[ExifTags.Base.Orientation] = orientation
        return tags

    write("rotated.JPEG", encode(picture, "JPEG", exif=exif(6)), {"exif_rotated"})
    write("orientation_0.JPEG", encode(picture, "JPEG", exif=exif(0)), {"exif_invalid"})
    garbage = b"Exif\x00\x00this is not a TIFF header"
    write("exif_garbage.JPEG", encode(picture, "JPEG", exif=garbage), {"exif_invalid"})
    # Pillow only warns (on stderr) about these two, and reads no orientation.
    lost_ifd = exif_bytes(b"", count=0, ifd_offset=0x7FFF0000)
    write("exif_ifd_offset.JPEG", encode(picture, "JPEG", exif=lost_ifd), {"exif_invalid"})
    make = struct.pack("<HHII", 0x010F, 2, 100, 5000)  # Make: 100 characters at byte 5000
    write(
        "exif_value_offset.JPEG", encode(picture, "JPEG", exif=exif_bytes(make)), {"exif_invalid"}
    )
    frames = [picture, picture.rotate(90), picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    write("animated.gif", gif, {"animated"})
    write("notes.jpg", b"this is a text file, not a picture\n" * 4, {"not_an_image"})
    noise = random.Random(0).randbytes(5 * 1024 * 1024 // 2)  # hashed in several chunks
    write("noise.bin", noise, {"not_an_image"})

    (folder / "directory.JPEG").mkdir()
    expected["directory.JPEG"] = {"unreadable"}
    locked = folder / "no_permission.JPEG"
    locked.write_bytes(jpeg)
    locked.chmod(0)
    # root (as in CI containers) reads it anyway; then it is a clean JPEG.
    expected[locked.name] = set() if os.access(locked, os.R_OK) else {"unreadable"}

    def special(name: str, make) -> None:
        try:
            make(folder / name)
        except (OSError, NotImplementedError):  # no symlinks or FIFOs on this platform
            return
        expected[name] = {"unreadable"}

    special("dangling.JPEG", lambda path: path.symlink_to("missing.JPEG"))
    special("loop_a.JPEG", lambda path: path.symlink_to("loop_b.JPEG"))
    special("loop_b.JPEG", lambda path: path.symlink_to("loop_a.JPEG"))
    if hasattr(os, "mkfifo"):  # opening a FIFO for reading blocks unless done with care
        special("fifo.JPEG", lambda path: os.mkfifo(path))
    # Endless files: a read never ends.
    for device in ("zero", "urandom"):
        if os.path.exists(f"/dev/{device}"):
            special(f"{device}_link.JPEG", lambda path, d=device: path.symlink_to(f"/dev/{d}"))
    if hasattr(socket, "AF_UNIX"):
        special("socket.JPEG", make_socket)

    for name in (NON_UTF8_NAME, b"bell_\a_name.JPEG"):
        try:
            fd = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError:  # e.g. macOS refuses names that are not UTF-8
            continue
        with os.fdopen(fd, "wb") as file:
            file.write(jpeg)
        expected[os.fsdecode(name)] = {"odd_filename"}
    return expected


def make_socket(path: Path) -> None:
    """Leave a Unix socket file at ``path`` (open() of it fails with ENXIO)."""
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(os.fspath(path))  # OSError when the path is too long for a socket
