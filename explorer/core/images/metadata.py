"""What the image viewer shows beside a picture: format, size, mode and EXIF, never raising
and never printing (Pillow's warnings about a corrupt EXIF stay quiet)."""

from __future__ import annotations

from typing import TypedDict

from PIL import ExifTags, Image, UnidentifiedImageError

from explorer.core.images.decoding import open_header, quiet_pillow
from explorer.core.images.safe_open import FilePath, is_missing_file, open_regular_file

_MAX_VALUE = 120  # characters of one EXIF value shown; maker notes can be kilobytes


class ImageMetadata(TypedDict, total=False):
    """What :func:`image_metadata` learnt: every key but ``error`` when the file was read."""

    format: str | None
    width: int
    height: int
    mode: str
    frames: int
    icc_profile: bool
    exif: dict[str, str]  # tag name (or hex number) -> value as text, cut to 120 characters
    error: str  # why the file could not be read: "OSError: ..."
    missing: bool  # with error, True when there is no file at all (is_missing_file)


def exif_text(value: object) -> str:
    """An EXIF value as text to show: bytes that are not plain text summarised, not dumped as
    box glyphs; long values cut to 120 characters.

    >>> exif_text(b"Canon\\x00"), exif_text(b"\\x00\\x01\\x02" * 500), exif_text(72.0)
    ('Canon', '(binary, 1,500 bytes)', '72.0')
    >>> exif_text("x" * 200)[-3:], len(exif_text("x" * 200))
    ('xx…', 121)
    """
    if isinstance(value, bytes):
        stripped = value.rstrip(b"\x00 ")
        if not all(32 <= byte < 127 or byte in b"\t\n\r" for byte in stripped):
            return f"(binary, {len(value):,} bytes)"
        text = stripped.decode("ascii")
    else:
        text = str(value)
        if not text.replace("\n", " ").replace("\t", " ").rstrip("\x00").isprintable():
            return f"(binary, {len(text):,} characters)"
        text = text.rstrip("\x00")
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "…"


def image_metadata(path: FilePath) -> ImageMetadata:
    """``{"format", "width", "height", "mode", "frames", "icc_profile", "exif": {name: text}}``.

    On a file Pillow cannot read: ``{"error": "..."}`` (plus what was learnt before); a FIFO
    or a device gives its error at once (see :mod:`explorer.core.images.safe_open`); no
    file at all adds ``"missing": True``.

    >>> image_metadata(catalogue.absolute_path("n04285008/n04285008_20.JPEG"))  # EXIF-rotated
    {'format': 'JPEG', 'width': 500, 'height': 375, 'mode': 'RGB', 'frames': 1,
     'icc_profile': False, 'exif': {'Orientation': '6'}}
    >>> image_metadata("/dev/zero")
    {'error': "NotRegularFileError: [Errno 22] not a regular file: a character device: ..."}
    >>> image_metadata(tmp / "gone.JPEG")
    {'error': "FileNotFoundError: [Errno 2] No such file or directory: '.../gone.JPEG'",
     'missing': True}
    """
    info: ImageMetadata = {}
    try:
        with open_regular_file(path) as file, open_header(file) as image:
            with quiet_pillow():  # frames and EXIF are parsed here
                frames = getattr(image, "n_frames", 1)
                # A PNG's getexif decodes every pixel, looking for an eXIf chunk after them.
                unread = image.format == "PNG" and "exif" not in image.info
                tags = [] if unread else list(image.getexif().items())
            info.update(
                {
                    "format": image.format,
                    "width": image.width,
                    "height": image.height,
                    "mode": image.mode,
                    "frames": frames,
                    "icc_profile": bool(image.info.get("icc_profile")),
                }
            )
            exif: dict[str, str] = {}
            for tag, value in tags:
                name = ExifTags.TAGS.get(tag, f"0x{tag:04x}")
                exif[name] = exif_text(value)
            info["exif"] = exif
    except (
        OSError,
        UnidentifiedImageError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        info["error"] = f"{type(exc).__name__}: {exc}"
        if is_missing_file(exc):
            info["missing"] = True
    return info
