"""Listing a dataset folder: the folders, flat and ilsvrc-val layouts (see sources).

Folders are walked by worker processes when the tree is large enough to split. Each
folder's listing has a digest (:meth:`Listing.digest`): a rescan passes over the folders
whose digest is the one the last scan stored (:class:`SeenFolders`).
"""

from __future__ import annotations

import csv
import multiprocessing
import os
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.core.errors import CatalogueError
from explorer.core.text import plural

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

from explorer.core.catalogue.sources import (
    _FLAT_PREFIX,
    _VAL_NUMBER,
    IMAGE_EXTENSIONS,
    WNID,
    Batch,
    FileRow,
    Folder,
    MarkedFileRow,
    SourceReport,
    _display_path,
    is_outside,
)


@dataclass(slots=True)
class Listing:
    """The image files of one folder, in a compact form that crosses a process boundary cheaply.

    ``names`` holds the file names joined by NUL (which no file name contains);
    ``sizes`` and ``mtimes`` are int64 arrays in the same order, -1 where stat failed.
    """

    prefix: str  # the folder's path relative to the root, ending in "/" (or "")
    parts: tuple[str, ...]  # the folder names from the root down
    names: str
    sizes: array[int]
    mtimes: array[int]
    subfolders: list[Folder]
    other_files: int = 0
    stat_failed: int = 0
    unreadable: bool = False
    outside: set[str] = field(default_factory=set)  # names of links that lead out of the root

    def rows(
        self, label: str | None = None, label_of: Callable[[str], str | None] | None = None
    ) -> Batch:
        """Rows (path, raw_path, label, size, mtime_ns) for the catalogue, and
        outside_root as a sixth value when the common case does not hold.

        Every file gets ``label``, or ``label_of(file name)`` when that is given.
        The common case (ASCII names without a backslash in a folder of a plain
        name, every stat worked, no link out of the root, one label) runs in C
        through zip(); a million rows cost a fraction of a second.
        """
        if not self.sizes:
            return []
        names = self.names.split("\0")
        labels: Iterator[str | None] = map(label_of, names) if label_of else repeat(label)
        plain = self.names.isascii() and "\\" not in self.names and not self.outside
        if plain and not self.stat_failed and _display_path(self.prefix)[1] is None:
            paths = [self.prefix + name for name in names] if self.prefix else names
            plain_rows: list[FileRow] = list(
                zip(paths, repeat(None), labels, self.sizes, self.mtimes)
            )
            return plain_rows
        rows: list[MarkedFileRow] = []
        for name, name_label, size, mtime in zip(
            names, labels, self.sizes, self.mtimes, strict=False
        ):
            path, raw = _display_path(self.prefix + name)
            stat = (size, mtime) if size >= 0 else (None, None)
            rows.append((path, raw, name_label, *stat, name in self.outside))
        return rows

    def digest(self, context: bytes) -> bytes:
        """16 bytes that change whenever this folder's rows would: its path, its names, their
        sizes and mtimes (each file is still stat-ed: a file's new content shows in them,
        which the folder's own mtime does not follow), its links out of the root, whether it
        could be read, and ``context`` (what else decides the labels)."""
        import hashlib  # here: the walker processes never digest (OpenSSL is 4 MB each)

        digest = hashlib.blake2b(digest_size=16)
        for part in (
            context,
            self.prefix.encode("utf-8", "surrogateescape"),
            self.names.encode("utf-8", "surrogateescape"),
            "\0".join(sorted(self.outside)).encode("utf-8", "surrogateescape"),
            self.sizes.tobytes(),
            self.mtimes.tobytes(),
            bytes([self.unreadable]),
        ):
            digest.update(len(part).to_bytes(8, "little"))  # no two listings run together alike
            digest.update(part)
        return digest.digest()


# a folder, as its images' paths begin (``_display_path`` of its prefix), and its rows; None
# for a folder passed over (unchanged: its rows are not made)
FolderBatch = tuple[str, Batch | None]


class SeenFolders:
    """The folders a scan lists, with their digests; the ones a rescan can pass over.

    ``stored`` maps each folder (as its images' paths begin) to the digest the last scan
    left. A folder listed with that same digest holds exactly the rows the catalogue has
    for it, so its rows are neither made nor compared. Filled on the scan's thread, read
    once the scan is over.
    """

    def __init__(self, layout: str, stored: Mapping[str, bytes]) -> None:
        self.layout = layout.encode()
        self.stored = stored
        self.found: dict[str, bytes] = {}
        self.unchanged_images = 0  # in the folders passed over

    def see(self, listing: Listing, labels: bytes = b"") -> tuple[str, bool]:
        """Record ``listing``'s folder: the folder, and whether its rows are the stored
        ones. ``labels``: what decides its labels besides its path and names (ilsvrc-val's
        label file)."""
        folder = _display_path(listing.prefix)[0]
        digest = listing.digest(self.layout + b"\0" + labels)
        self.found[folder] = digest
        if self.stored.get(folder) != digest:
            return folder, False
        self.unchanged_images += len(listing.sizes)
        return folder, True

    def vanished(self) -> list[str]:
        """The stored folders the scan did not list: their images are missing."""
        return [folder for folder in self.stored if folder not in self.found]


_SCAN_BY_DESCRIPTOR = os.scandir in os.supports_fd  # POSIX; Windows scans by path


def _list_folder(folder: Folder, root: str) -> Listing:
    """List and stat one folder of the tree under ``root`` (a real path).

    Scanning an open folder descriptor makes each stat a fstatat() relative to
    it, instead of a walk of the whole path from the root for every file.
    """
    path, prefix, parts = folder
    listing = Listing(prefix, parts, "", array("q"), array("q"), [])
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY) if _SCAN_BY_DESCRIPTOR else None
    except OSError:
        listing.unreadable = True
        return listing
    try:
        with os.scandir(path if fd is None else fd) as entries:
            found = sorted(entries, key=attrgetter("name"))
        names: list[str] = []
        sizes, mtimes = listing.sizes, listing.mtimes
        for entry in found:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):  # never follow: a link loop cannot trap us
                    listing.subfolders.append(
                        (os.path.join(path, name), prefix + name + "/", (*parts, name))
                    )
                    continue
                link = entry.is_symlink()  # free: the folder listing says so
            except OSError:
                link = False
            dot = name.rfind(".")
            if dot < 0 or name[dot:].lower() not in IMAGE_EXTENSIONS:
                listing.other_files += 1
                continue
            names.append(name)
            try:
                stat = entry.stat()  # follows a link to a file; a dangling or looping one fails
                sizes.append(stat.st_size)
                mtimes.append(stat.st_mtime_ns)
            except OSError:
                sizes.append(-1)
                mtimes.append(-1)
                listing.stat_failed += 1
            if link and is_outside(root, os.path.realpath(os.path.join(path, name))):
                listing.outside.add(name)
    except OSError:
        listing.unreadable = True
        return listing
    finally:
        if fd is not None:
            os.close(fd)
    listing.names = "\0".join(names)
    return listing


WALKERS = 2  # walker processes; the machine this is tuned on has two cores
_FOLDERS_PER_WALKER = 4  # split the tree into at least this many units per walker


def _walk(folder: Folder, root: str) -> Iterator[Listing]:
    """``folder`` and every folder under it, depth first in name order."""
    stack = [folder]
    while stack:
        listing = _list_folder(stack.pop(), root)
        stack.extend(reversed(listing.subfolders))
        yield listing


def _walk_and_send(units: list[Folder], root: str, connection: Connection) -> None:
    """Body of a walker process: each unit's listings, then None to close the unit."""
    try:
        for unit in units:
            for listing in _walk(unit, root):
                listing.subfolders = []  # the parent has no use for them
                connection.send(listing)
            connection.send(None)
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent went away or cancelled
    finally:
        connection.close()


UNREADABLE_EXAMPLES = 5


def _counted(listing: Listing, report: SourceReport) -> Listing:
    report.other_files += listing.other_files
    report.stat_failed += listing.stat_failed
    report.unreadable_dirs += listing.unreadable
    if listing.unreadable and len(report.unreadable_examples) < UNREADABLE_EXAMPLES:
        report.unreadable_examples.append(_display_path(listing.prefix.rstrip("/") or ".")[0])
    return listing


def walk_folders(root: Path, report: SourceReport, walkers: int = WALKERS) -> Iterator[Listing]:
    """Every folder under ``root`` with its image files, in the same order on every run.

    The walk costs one stat() per file. Threads of this process do not help:
    their Python half competes for the GIL with each other and with the
    catalogue writes (two walker threads were measured 2x slower than one).
    So the top of the tree is listed here, breadth first, until it splits
    into enough units; the units are walked by child processes, handed out
    round robin, and read back in unit order. A small tree never leaves this
    process.
    """
    real_root = os.path.realpath(root)
    pending: deque[Folder] = deque([(str(root), "", ())])
    while pending and len(pending) < walkers * _FOLDERS_PER_WALKER:
        listing = _list_folder(pending.popleft(), real_root)
        pending.extend(listing.subfolders)
        yield _counted(listing, report)
    units = list(pending)
    if not units:
        return
    context = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded Qt app
    receivers: list[Connection] = []
    processes: list[multiprocessing.process.BaseProcess] = []
    try:
        for number in range(min(walkers, len(units))):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_walk_and_send,
                args=(units[number::walkers], real_root, sender),
                name=f"catalogue-walk-{number}",
                daemon=True,
            )
            process.start()
            sender.close()
            receivers.append(receiver)
            processes.append(process)
        for number in range(len(units)):
            receiver = receivers[number % len(receivers)]
            while True:
                try:
                    listing = receiver.recv()
                except EOFError:
                    codes = [p.exitcode for p in processes]
                    raise CatalogueError(
                        f"The folder walk of {root} stopped unexpectedly (walker exit codes "
                        f"{codes}); run the index again."
                    ) from None
                if listing is None:
                    break
                yield _counted(listing, report)
    finally:
        for receiver in receivers:
            receiver.close()
        for walker in processes:
            if walker.is_alive():
                walker.terminate()
            walker.join()


def scan_folders(root: Path, report: SourceReport, folders: SeenFolders) -> Iterator[FolderBatch]:
    """Each folder's rows (path, raw_path, label, size, mtime_ns); label: the nearest wnid
    folder. Folders ``folders`` finds unchanged give None."""
    for listing in walk_folders(root, report):
        folder, unchanged = folders.see(listing)
        label = next((p for p in reversed(listing.parts) if WNID.match(p)), None)
        yield folder, None if unchanged else listing.rows(label)


def _flat_label(name: str) -> str | None:
    match = _FLAT_PREFIX.match(name)
    return match.group(1) if match else None


def scan_flat(root: Path, report: SourceReport, folders: SeenFolders) -> Iterator[FolderBatch]:
    """Each folder's rows (path, raw_path, label, size, mtime_ns); label: the wnid the name
    starts with. Folders ``folders`` finds unchanged give None."""
    for listing in walk_folders(root, report):
        folder, unchanged = folders.see(listing)
        yield folder, None if unchanged else listing.rows(label_of=_flat_label)


def read_val_labels(labels: Path) -> list[str]:
    """Labels in file-number order: one wnid per line, or LOC_val_solution.csv."""
    try:
        data = labels.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"Cannot read the label file {labels}: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            f"The label file {labels} is not text (byte {exc.start:,} is not UTF-8); --labels "
            "wants one wnid per line, in file-number order."
        ) from exc
    if text.lstrip()[:1] in ("[", "{"):
        raise CatalogueError(
            f"The label file {labels} is JSON, not one wnid per line. --labels wants the "
            "validation labels in file-number order, one wnid per line (like "
            "validation_synset_labels.txt), or LOC_val_solution.csv; cleanlab's "
            "imagenet_mturk.json is read by `wnexplorer flags import-label-errors`."
        )
    lines = text.splitlines()
    if lines and lines[0].lower().startswith("imageid,"):
        by_number: dict[int, str] = {}
        for row in csv.reader(lines[1:]):
            number = _VAL_NUMBER.search(row[0]) if row else None
            if number and len(row) > 1 and row[1].split():
                by_number[int(number.group(1))] = row[1].split()[0]
        return [by_number.get(i, "") for i in range(1, max(by_number, default=0) + 1)]
    return [line.strip() for line in lines]


def scan_ilsvrc_val(
    root: Path, labels: Path | None, report: SourceReport, folders: SeenFolders
) -> Iterator[FolderBatch]:
    """Each folder's rows (path, raw_path, label, size, mtime_ns); label: line N of the
    label file. Folders ``folders`` finds unchanged give None.

    The label file is read (and refused when it is not one) before the walk starts.
    """
    if labels is None:
        raise CatalogueError(
            "The ilsvrc-val layout needs the label file (one wnid per line, in file-number "
            "order, e.g. ILSVRC2012_validation_ground_truth mapped to wnids): pass --labels FILE."
        )
    return _val_rows(root, labels, read_val_labels(labels), report, folders)


def _val_rows(
    root: Path, labels: Path, wnids: list[str], report: SourceReport, folders: SeenFolders
) -> Iterator[FolderBatch]:
    beyond = highest = 0  # files numbered past the label file's last line
    import hashlib

    # the labels a file's number gives: a new label file changes every folder's digest
    given = hashlib.blake2b("\n".join(wnids).encode(), digest_size=16).digest()

    def label_of(name: str) -> str | None:
        nonlocal beyond, highest
        number = _VAL_NUMBER.search(name)
        if number:
            if 1 <= int(number.group(1)) <= len(wnids):
                return wnids[int(number.group(1)) - 1] or None
            beyond += 1
            highest = max(highest, int(number.group(1)))
        return None

    for listing in walk_folders(root, report):
        rows = listing.rows(label_of=label_of)  # even when unchanged: label_of counts beyond
        folder, unchanged = folders.see(listing, given)
        yield folder, None if unchanged else rows
    if beyond:
        report.warnings.append(
            f"{plural(len(wnids), 'label')} in {labels} for files numbered up to {highest:,}: "
            f"{plural(beyond, 'image')} {'has' if beyond == 1 else 'have'} no label (is it "
            "the whole label file?)"
        )
