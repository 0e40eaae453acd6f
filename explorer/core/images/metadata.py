"""What the image viewer shows beside a picture: format, size, mode and EXIF, never raising
and never printing (Pillow's warnings about a corrupt EXIF stay quiet)."""

from __future__ import annotations

import os

from PIL import ExifTags, Image, UnidentifiedImageError

from explorer.core.images.decoding import open_header, quiet_pillow
from explorer.core.images.safe_open import open_regular_file

_MAX_VALUE = 120  # characters of one EXIF value shown; maker notes can be kilobytes


def image_metadata(path: str | bytes | os.PathLike) -> dict:
    """``{"format", "width", "height", "mode", "frames", "icc_profile", "exif": {name: text}}``.

    On a file Pillow cannot read: ``{"error": "..."}`` (plus what was learnt before); a FIFO
    or a device gives its error at once (see :mod:`explorer.core.images.safe_open`).

    >>> image_metadata("n02951585_can_opener.JPEG")["exif"]["Orientation"]   # doctest: +SKIP
    '6'
    """
    info: dict = {}
    try:
        with open_regular_file(path) as file, open_header(file) as image:
            with quiet_pillow():  # frames and EXIF are parsed here
                frames = getattr(image, "n_frames", 1)
                # A PNG's getexif decodes every pixel, looking for an eXIf chunk after them.
                unread = image.format == "PNG" and "exif" not in image.info
                tags = [] if unread else list(image.getexif().items())
            info.update(
                format=image.format,
                width=image.width,
                height=image.height,
                mode=image.mode,
                frames=frames,
                icc_profile=bool(image.info.get("icc_profile")),
            )
            exif = {}
            for tag, value in tags:
                name = ExifTags.TAGS.get(tag, f"0x{tag:04x}")
                text = (
                    value.decode("latin-1", "replace") if isinstance(value, bytes) else str(value)
                )
                exif[name] = text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "…"
            info["exif"] = exif
    except (
        OSError,
        UnidentifiedImageError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        info["error"] = f"{type(exc).__name__}: {exc}"
    return info
