"""The audit's problem codes and what each means: one table for the checker, the audit, the
exports, the viewer and ``wnexplorer audit --help``. Imports only typing, so the CLI's help
stays fast."""

from typing import Literal

ProblemCode = Literal[
    "unreadable",
    "too_large",
    "zero_byte",
    "not_an_image",
    "truncated",
    "decompression_bomb",
    "too_many_scans",
    "too_large_to_decode",
    "extension_mismatch",
    "cmyk",
    "high_bit_depth",
    "grayscale",
    "animated",
    "exif_rotated",
    "exif_invalid",
    "tiny",
    "odd_filename",
]
"""What :func:`~explorer.core.images.check_image` finds in a file: the keys of
:data:`PROBLEM_CODES`, in its order."""
AuditCode = Literal[ProblemCode, "duplicate", "too_slow", "missing"]
"""What the audit says of an image: a problem code, or one it finds across files and time."""

PROBLEM_CODES: dict[str, str] = {
    "unreadable": "cannot be opened or read (permission, broken link, folder, FIFO, device...)",
    "too_large": "file is bigger than the size limit; not hashed or decoded",
    "zero_byte": "file is empty",
    "not_an_image": "Pillow does not recognise the content as an image",
    "truncated": "image data ends early or does not decode",
    "decompression_bomb": "header declares more pixels than the limit; not decoded",
    "too_many_scans": "JPEG of more than 100 scans (encoders write about 10); not decoded",
    "too_large_to_decode": "its pixels need more than 256 MiB to decode; not decoded",
    "extension_mismatch": "the extension names one format, the content is another",
    "cmyk": "CMYK colour: most loaders need a conversion to RGB",
    "high_bit_depth": "16- or 32-bit samples: most loaders reduce them to 8 bits",
    "grayscale": "single channel (1, L, LA, I, I;16, F): needs a conversion to RGB",
    "animated": "more than one frame (animation, pages, MPO): only the first is used",
    "exif_rotated": "EXIF orientation 2-8: shown rotated or mirrored, stored otherwise",
    "exif_invalid": "EXIF cannot be parsed or its orientation is not 1-8",
    "tiny": "a side is shorter than 32 pixels",
    "odd_filename": "file name is not valid UTF-8 or holds control characters",
}

AUDIT_CODES = {
    **PROBLEM_CODES,
    "duplicate": "the same bytes as another image of the catalogue",
    "too_slow": "checking it took longer than the audit's time limit; stopped",
    "missing": "listed by the catalogue but no longer found by the last scan",
}
_NAMES = {  # where the code's words are not its name
    "zero_byte": "Empty file",
    "not_an_image": "Not an image",
    "cmyk": "CMYK",
    "exif_rotated": "EXIF rotated",
    "exif_invalid": "EXIF invalid",
    "odd_filename": "Odd file name",
    "too_slow": "Too slow to check",
    "no_label": "No label",
}


def problem_name(code: str) -> str:
    """An audit code's short name for people (its meaning is :data:`AUDIT_CODES`'): the
    one way the window names a problem.

    >>> problem_name("exif_rotated"), problem_name("too_many_scans"), problem_name("cmyk")
    ('EXIF rotated', 'Too many scans', 'CMYK')
    """
    return _NAMES.get(code) or code.replace("_", " ").capitalize()


# Findings that make an image unusable for training: exports leave these out by default.
FAILURE_CODES = frozenset(
    {
        "unreadable",
        "too_large",
        "zero_byte",
        "not_an_image",
        "truncated",
        "decompression_bomb",
        "too_many_scans",
        "too_slow",
        "missing",
    }
)
