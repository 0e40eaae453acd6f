"""What every export shares: its report, and writing a file whole or not at all."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from explorer.core.errors import ExportError
from explorer.core.files import UMASK, atomic_path, write_file


@dataclass
class ExportReport:
    """What an export wrote, for the user."""

    outputs: list[str] = field(default_factory=list)
    rows: int = 0
    classes: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> images
    overlaps: int = 0  # images under several chosen nodes (given to the most specific)
    per_class: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. a class left empty, and why


# --- writing ------------------------------------------------------------------------------


def write_atomically(path: str | os.PathLike[str], text: str, parents: bool = False) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync, rename over ``path``
    (:func:`explorer.core.files.atomic_path`); an ExportError when it cannot be written.

    The file gets the umask's mode (a temporary file is 0600: a file written for
    others to read must be readable by them). ``parents``: create the missing
    folders (``mkdir -p``); else a missing folder is an error.
    """
    path = Path(path)
    _check_folder_of(path, parents)
    try:
        write_file(path, text, mode=UMASK, parents=parents)
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def write_streaming(path: str | os.PathLike[str], parents: bool = False) -> Iterator[TextIO]:
    """A text stream (UTF-8, lines as written) onto a temporary file beside ``path``,
    renamed over ``path`` when the block ends: :func:`write_atomically` for an export
    written as it is read. An ExportError when it cannot be written.

    >>> with write_streaming(tmp / "list.txt") as stream:
    ...     _ = stream.write("n01440764/n01440764_0.JPEG 0\\n")
    >>> (tmp / "list.txt").read_text()
    'n01440764/n01440764_0.JPEG 0\\n'
    """
    path = Path(path)
    _check_folder_of(path, parents)
    try:
        with (
            atomic_path(path, mode=UMASK, parents=parents) as tmp,
            open(
                tmp, "w", encoding="utf-8", newline="", buffering=io.DEFAULT_BUFFER_SIZE * 64
            ) as stream,
        ):
            yield stream
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from exc


def _check_folder_of(output: str | os.PathLike[str], parents: bool) -> None:
    """The folder ``output`` goes into must exist, unless ``parents`` will create it."""
    folder = Path(output).parent
    if not parents and not folder.exists():
        raise ExportError(f"The folder {folder} does not exist; create it or pass --parents.")


def _json(data: object) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
