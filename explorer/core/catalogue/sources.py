"""Where a catalogue's images come from: four layouts, detected or chosen.

- ``folders``: one folder per wnid at any depth (``train/n01440764/x.JPEG``);
  a file takes the wnid of the nearest folder named like one.
- ``flat``: file names start with a wnid (``n01440764_10026.JPEG``).
- ``ilsvrc-val``: ``ILSVRC2012_val_00000001.JPEG`` ... plus a label file with
  one wnid per line in file-number order (or ``LOC_val_solution.csv``).
- ``manifest``: a CSV or TSV file of ``path,wnid`` rows; the images need not
  exist locally.

Every source yields batches of rows ``(path, raw_path, label, size,
mtime_ns)``: ``path`` relative to the root with '/', ``raw_path`` the exact
bytes of a name that is not valid UTF-8 (else None), ``label`` the wnid or
whatever the source says (None: no label), ``size``/``mtime_ns`` None when
not on disk or not stat-able. Files with a missing or odd label are
included: nothing is dropped silently. Sources only list and stat; they
never open an image and never write to the dataset folder.

An entry *outside the root* (:func:`is_outside`) is listed too, and marked:
a manifest's path that leads out of its root (``../../etc/shadow``, or an
absolute path elsewhere), read as written; a link in a folder whose target
lies outside the folder. Only link entries are resolved, so the mark costs
a folder walk nothing more than a stat for each of its links.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from explorer.core.errors import CatalogueError

if TYPE_CHECKING:
    pass

Layout = Literal["folders", "flat", "ilsvrc-val", "manifest"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)

# A source's rows, as the catalogue's index stores them (indexing._ROW_COLUMNS):
# (path, raw_path, label, size, mtime_ns) of a file on disk, with outside_root when a batch
# needs it; (path, label) of a manifest's row, with raw_path and outside_root when needed.
FileRow = tuple[str, bytes | None, str | None, int | None, int | None]
MarkedFileRow = tuple[str, bytes | None, str | None, int | None, int | None, bool]
ManifestRow = tuple[str, str | None]
MarkedManifestRow = tuple[str, str | None, bytes | None, bool]
Row = FileRow | MarkedFileRow | ManifestRow | MarkedManifestRow
Batch = Sequence[Row]  # one shape of row per batch

# a folder to list: (its path, its path relative to the root ending in "/", its names from
# the root down)
Folder = tuple[str, str, tuple[str, ...]]
IMAGE_EXTENSIONS = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".jpe",
        ".png",
        ".gif",
        ".bmp",
        ".webp",
        ".tif",
        ".tiff",
        ".ppm",
        ".pgm",
        ".pbm",
    ]
)
WNID = re.compile(r"^n\d{8}$")
_FLAT_PREFIX = re.compile(r"^(n\d{8})(?=[_.\-\s]|$)")
_VAL_NUMBER = re.compile(r"ILSVRC20\d\d_val_(\d{8})", re.IGNORECASE)


@dataclass
class SourceReport:
    """What a source passed over, so the index summary can say so."""

    other_files: int = 0  # files that are not images by extension
    unreadable_dirs: int = 0
    unreadable_examples: list[str] = field(default_factory=list)  # the first few, from the root
    stat_failed: int = 0  # images listed but not stat-able (dangling link, loop, ...)
    bad_rows: int = 0  # manifest rows without a path
    warnings: list[str] = field(default_factory=list)  # for the summary, in words


def is_outside(root: str, path: str) -> bool:
    """Whether ``path`` (absolute, or relative to the folder ``root``) lies outside ``root``.

    Read as written: ``..`` steps count, links are not followed (a caller that
    needs them followed gives ``os.path.realpath``'s answer and a real root).
    ``root`` is absolute and normalised.

    >>> is_outside("/data/train", "../../etc/shadow"), is_outside("/data/train", "/etc/passwd")
    (True, True)
    >>> is_outside("/data/train", "n01440764/../n01443537/a.JPEG")
    False
    """
    if ".." in path:  # rare: let normpath take the steps up
        path = os.path.normpath(os.path.join(root, path))
    elif not os.path.isabs(path):
        return False
    return not (path == root or path.startswith(os.path.join(root, "")))


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _display_path(relative: str) -> tuple[str, bytes | None]:
    """A storable text path, and the raw bytes when the path is not plain UTF-8.

    Bytes that are not UTF-8 are shown as ``\\xff``, and so that no other name can
    show the same, a backslash as ``\\\\``: ``x\\xff.JPEG`` is then the file whose name
    holds the byte 0xff, ``x\\\\xff.JPEG`` the one literally named so. Both are opened by
    their raw bytes; a path without either keeps its name and no raw bytes.
    """
    if "\\" not in relative:
        try:
            relative.encode("utf-8")
            return relative, None
        except UnicodeEncodeError:  # os.fsdecode left surrogate escapes for undecodable bytes
            pass
    raw = os.fsencode(relative)
    return raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace"), raw


def detect_layout(root: Path) -> Layout:
    """Guess the layout of ``root``; raise CatalogueError when nothing fits.

    >>> detect_layout(catalogue.source)  # the demo's images: one folder per wnid
    'folders'
    """
    if root.is_file():
        return "manifest"
    if not root.is_dir():
        raise CatalogueError(f"{root} is neither a folder nor a manifest file.")
    flat = val = 0
    # Breadth-first over the first levels: enough to see wnid folders under train/ or images/.
    queue = [root]
    seen_dirs = 0
    while queue and seen_dirs < 200:
        folder = queue.pop(0)
        seen_dirs += 1
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries[:5000]:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if WNID.match(name):
                    return "folders"
                queue.append(Path(entry.path))
            elif is_image_name(name):
                if _VAL_NUMBER.search(name):
                    val += 1
                elif _FLAT_PREFIX.match(name):
                    flat += 1
    if val and val >= flat:
        return "ilsvrc-val"
    if flat:
        return "flat"
    raise CatalogueError(
        f"Cannot tell the layout of {root}: no wnid folders (n01440764/), no files named "
        "like n01440764_*.JPEG and no ILSVRC2012_val_* files. Choose one with --layout."
    )
