"""What an export can be: its kinds, formats and options, each spelled once.

Each choice is a ``Literal`` type and the one tuple of its values (read from the
type), which the command line's ``click.Choice`` and the window's export dialog
both list: a new format is added here and nowhere else. A value outside them is
a ValueError (a bug in the caller: neither front end offers one).

>>> FORMATS["classmap"], FOLDER_MODES
(('loc', 'json'), ('symlink', 'hardlink', 'copy'))
>>> file_suffix("tree-json"), file_suffix("csv")
('json', 'csv')
"""

from __future__ import annotations

from typing import Literal, TypeVar, get_args

ExportKind = Literal["subtree", "images", "classmap", "superclasses", "folders"]
SubtreeFormat = Literal["txt", "csv", "json", "tree-json"]
ImageFormat = Literal["csv", "txt"]
ClassmapFormat = Literal["loc", "json"]
FolderMode = Literal["symlink", "hardlink", "copy"]
Flagged = Literal["exclude", "include", "only"]  # flagged images: left out, kept, or only they
OnOverlap = Literal["specific", "fail"]  # an image under several chosen nodes
ExportFormat = SubtreeFormat | ImageFormat | ClassmapFormat

EXPORT_KINDS: tuple[ExportKind, ...] = get_args(ExportKind)
SUBTREE_FORMATS: tuple[SubtreeFormat, ...] = get_args(SubtreeFormat)
IMAGE_FORMATS: tuple[ImageFormat, ...] = get_args(ImageFormat)
CLASSMAP_FORMATS: tuple[ClassmapFormat, ...] = get_args(ClassmapFormat)
FOLDER_MODES: tuple[FolderMode, ...] = get_args(FolderMode)
FLAGGED_CHOICES: tuple[Flagged, ...] = get_args(Flagged)
OVERLAP_CHOICES: tuple[OnOverlap, ...] = get_args(OnOverlap)

# each kind's formats: the first is the default; () writes a folder
FORMATS: dict[ExportKind, tuple[ExportFormat, ...]] = {
    "subtree": SUBTREE_FORMATS,
    "images": IMAGE_FORMATS,
    "classmap": CLASSMAP_FORMATS,
    "superclasses": (),
    "folders": (),
}
IMAGE_KINDS: tuple[ExportKind, ...] = ("images", "superclasses", "folders")  # need a catalogue
FOLDER_KINDS: tuple[ExportKind, ...] = ("superclasses", "folders")  # write a folder, not a file

_SUFFIXES: dict[ExportFormat, str] = {"loc": "txt", "tree-json": "json"}  # else its own name


def file_suffix(fmt: ExportFormat) -> str:
    """The file name suffix (without the dot) for an export in format ``fmt``."""
    return _SUFFIXES.get(fmt, fmt)


_Choice = TypeVar("_Choice", bound=str)


def check_choice(name: str, value: object, choices: tuple[_Choice, ...]) -> _Choice:
    """``value``, one of ``choices`` (typed as they are); a ValueError if it is not.

    >>> check_choice("mode", "copy", FOLDER_MODES)
    'copy'
    >>> check_choice("mode", "move", FOLDER_MODES)
    Traceback (most recent call last):
    ValueError: mode: 'move' is not one of symlink, hardlink, copy
    """
    for choice in choices:
        if value == choice:
            return choice
    raise ValueError(f"{name}: {value!r} is not one of {', '.join(choices)}")
