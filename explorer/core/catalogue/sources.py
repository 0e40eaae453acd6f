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

import codecs
import csv
import multiprocessing
import os
import re
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO, get_args

from explorer.core.csv_cells import read_cell
from explorer.core.errors import CatalogueError
from explorer.core.text import plural

if TYPE_CHECKING:
    from _csv import Reader
    from multiprocessing.connection import Connection

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


def scan_folders(root: Path, report: SourceReport) -> Iterator[Batch]:
    """Rows (path, raw_path, label, size, mtime_ns); label: the nearest wnid folder."""
    for listing in walk_folders(root, report):
        label = next((p for p in reversed(listing.parts) if WNID.match(p)), None)
        yield listing.rows(label)


def _flat_label(name: str) -> str | None:
    match = _FLAT_PREFIX.match(name)
    return match.group(1) if match else None


def scan_flat(root: Path, report: SourceReport) -> Iterator[Batch]:
    """Rows (path, raw_path, label, size, mtime_ns); label: the wnid the name starts with."""
    for listing in walk_folders(root, report):
        yield listing.rows(label_of=_flat_label)


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


def scan_ilsvrc_val(root: Path, labels: Path | None, report: SourceReport) -> Iterator[Batch]:
    """Rows (path, raw_path, label, size, mtime_ns); label: line N of the label file.

    The label file is read (and refused when it is not one) before the walk starts.
    """
    if labels is None:
        raise CatalogueError(
            "The ilsvrc-val layout needs the label file (one wnid per line, in file-number "
            "order, e.g. ILSVRC2012_validation_ground_truth mapped to wnids): pass --labels FILE."
        )
    return _val_rows(root, labels, read_val_labels(labels), report)


def _val_rows(root: Path, labels: Path, wnids: list[str], report: SourceReport) -> Iterator[Batch]:
    beyond = highest = 0  # files numbered past the label file's last line

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
        yield listing.rows(label_of=label_of)
    if beyond:
        report.warnings.append(
            f"{plural(len(wnids), 'label')} in {labels} for files numbered up to {highest:,}: "
            f"{plural(beyond, 'image')} {'has' if beyond == 1 else 'have'} no label (is it "
            "the whole label file?)"
        )


# Header names of the two columns a manifest needs, compared in lower case with "_" for
# spaces and hyphens; any order, other columns ignored.
PATH_COLUMNS = frozenset(
    [
        "path",
        "file",
        "filename",
        "file_name",
        "filepath",
        "file_path",
        "fname",
        "relpath",
        "relative_path",
        "image",
        "image_path",
        "image_file",
        "image_name",
        "img",
        "img_path",
    ]
)
LABEL_COLUMNS = frozenset(
    [
        "wnid",
        "label",
        "labels",
        "synset",
        "synset_id",
        "wordnet_id",
        "class",
        "class_id",
        "category",
        "target",
    ]
)
_NO_COLUMN = 1 << 30  # an index no row reaches: the manifest has no label column
_LABEL_LIKE = re.compile(r"^(n\d{8}|\d{1,8}|\S+\.n\.\d\d)$")  # wnid, offset, synset name
_WNID_LINE = re.compile(r"^n\d{8}(\s|$)")  # imagenet_synsets.txt, LOC_synset_mapping.txt
_SNIFF_ROWS = 20

# Bytes that are not UTF-8 are decoded as the file system decodes names (surrogateescape),
# so a manifest row finds its file. The handler counts them: a reader checks its rows for
# escapes only once one was met, instead of twice per row of a 14-million-row manifest.
_escapes = [0]
_surrogateescape = codecs.lookup_error("surrogateescape")


def _escape_and_count(error: UnicodeError) -> tuple[str | bytes, int]:
    _escapes[0] += 1
    return _surrogateescape(error)


codecs.register_error("wnexplorer.manifest", _escape_and_count)


def read_manifest(
    manifest: Path, report: SourceReport, root: str, batch: int = 50_000
) -> Iterator[Batch]:
    """Rows of a CSV or TSV manifest of ``path,label`` rows, in batches.

    The first rows decide, once and before any row is yielded: the delimiter,
    whether a header names the columns (either order, see PATH_COLUMNS and
    LABEL_COLUMNS) and, without one, which column holds the paths. A list of
    wnids is refused with a CatalogueError. Paths may be relative to ``root``
    (absolute, normalised) or absolute. A path cell is read as our own CSV
    exports write it (:func:`read_cell`). Files are not stat'ed: a manifest of
    14 million rows must not touch 14 million files. Rows are (path, label),
    as binding three NULLs per row for size, mtime and raw path cost 14 million
    rows half their insert time; a batch that holds a name that is not UTF-8, a
    quoted cell, or a path that is absolute or has a ``..`` in it has rows
    (path, label, raw_path, outside_root).
    """
    try:
        with open(manifest, "rb") as sniff:
            encoding = _manifest_encoding(manifest, sniff.read(4096))
        stream = open(  # noqa: SIM115 - closed by the generator, or below on an error
            manifest,
            encoding=encoding,
            newline="",
            errors="strict" if encoding.startswith("utf-16") else "wnexplorer.manifest",
        )
    except OSError as exc:
        raise CatalogueError(f"Cannot read the manifest {manifest}: {exc}") from exc
    escapes = _escapes[0]
    try:
        first = stream.readline()
        stream.seek(0)
        rows = csv.reader(stream, delimiter="\t" if "\t" in first else ",")
        head = list(_csv_rows(manifest, rows, islice(rows, _SNIFF_ROWS)))
        header, path, label = _manifest_columns(manifest, head)
    except BaseException:
        stream.close()
        raise
    return _manifest_batches(
        manifest,
        stream,
        rows,
        chain(head[header:], rows),
        (header, path, label),
        escapes,
        report,
        batch,
        root,
    )


def _manifest_encoding(manifest: Path, head: bytes) -> str:
    """UTF-8 (a BOM skipped), or the UTF-16 a spreadsheet's "Unicode text" saves; NUL bytes in
    anything else mean it is not text at all."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\0" not in head:
        return "utf-8-sig"
    for encoding, nuls in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
        if nuls.count(0) > 0.9 * len(nuls):  # ASCII text in UTF-16: every other byte is 0
            return encoding
    raise CatalogueError(
        f"The manifest {manifest} is not text (it holds NUL bytes): a manifest is a CSV or TSV "
        "file of path,label rows, saved as UTF-8."
    )


def _manifest_batches(
    manifest: Path,
    stream: TextIO,
    reader: Reader,
    rows: Iterator[list[str]],
    columns: tuple[int, int, int],
    escapes: int,
    report: SourceReport,
    batch: int,
    root: str,
) -> Iterator[Batch]:
    header, path, label = columns
    with stream:
        out: list[ManifestRow] = []
        read = header  # rows the csv reader has given: one line each, checked once a batch
        for row in _csv_rows(manifest, reader, rows):
            if len(row) <= path or not row[path].strip():
                if row:
                    report.bad_rows += 1
                read += 1
                continue
            text = row[label].strip() if len(row) > label else ""
            out.append((row[path].replace("\\", "/"), text or None))
            if len(out) >= batch:
                read += len(out)
                read += _lines_beyond_one(manifest, reader, read, out)
                yield _stored(out, root, _escapes[0] != escapes)
                out = []
        _lines_beyond_one(manifest, reader, read + len(out), out)
        yield _stored(out, root, _escapes[0] != escapes)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as the file object splits the lines the reader counts


def _lines_beyond_one(manifest: Path, reader: Reader, read: int, batch: list[ManifestRow]) -> int:
    """The lines that quoted cells of ``batch`` hold beyond one per row (a file name may hold
    a line break), counted only when the reader's line count says there are some. A cell
    whose later lines look like rows is refused: a quote left open swallows the rows after it
    into one path."""
    if reader.line_num == read:
        return 0
    extra = 0
    for row in batch:
        for cell in row[:2]:
            if cell and ("\n" in cell or "\r" in cell):
                lines = _LINE_BREAK.split(cell)
                if any(reader.dialect.delimiter in line for line in lines[1:]):
                    raise CatalogueError(
                        f"The manifest {manifest} has a quoted field that runs over several "
                        f'lines, near line {reader.line_num:,}: {cell[:80]!r}. A quote (") is '
                        "probably left open: close it or remove it, then index again."
                    )
                extra += len(lines) - 1
    return extra


def _csv_rows(manifest: Path, reader: Reader, rows: Iterator[list[str]]) -> Iterator[list[str]]:
    try:
        yield from rows
    except (csv.Error, UnicodeDecodeError) as exc:
        hint = "; is it UTF-16 or binary? Save it as UTF-8 text" if "NUL" in str(exc) else ""
        raise CatalogueError(
            f"The manifest {manifest} is not a readable CSV/TSV (line {reader.line_num:,}): "
            f"{exc}{hint}."
        ) from exc


def _stored(rows: list[ManifestRow], root: str, escaped: bool) -> Batch:
    """A batch of (path, label) rows as the catalogue stores them.

    Most batches are kept as they are, as one search of their joined paths in C
    shows: relative paths without a ``..`` or a leading quote, or absolute ones
    all under the root. Else each row becomes (path, label, raw_path,
    outside_root): the path as our CSV exports write it (:func:`read_cell`) and
    as a folder scan keeps it (see _display_path), a label shown with the
    escapes of its bytes that are not UTF-8.
    """
    paths = "\n" + "\n".join(map(itemgetter(0), rows))
    # One character is found at memory speed, two are three times slower (every path has
    # a "." and a "\n"): a pair is looked for only where the cheaper count cannot rule it out.
    odd = (
        escaped
        or (paths.count(".") > len(rows) and ".." in paths)
        or ("'" in paths and "\n'" in paths)
    )
    if not odd and "\n/" not in paths:
        return rows
    under = os.path.join(root, "")
    if not odd and all(map(str.startswith, map(itemgetter(0), rows), repeat(under))):
        return rows
    fixed: list[MarkedManifestRow] = []
    for path, label in rows:
        path = read_cell(path)
        outside = is_outside(root, path)
        path, raw = _display_path(path)
        if label is not None and not label.isascii():
            label = label.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        fixed.append((path, label, raw, outside))
    return fixed


def _column_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _looks_like_path(cell: str) -> bool:
    return is_image_name(cell.strip()) or "/" in cell or "\\" in cell


def _manifest_columns(manifest: Path, head: list[list[str]]) -> tuple[int, int, int]:
    """(header rows, path column, label column) from a manifest's first rows."""
    names = [_column_name(cell) for cell in head[0]] if head else []
    header = int(
        any(n in PATH_COLUMNS or n in LABEL_COLUMNS for n in names)
        and not any(WNID.match(cell.strip()) for cell in head[0])
    )
    data = next((row for row in head[header:] if any(cell.strip() for cell in row)), None)
    if header:
        label = next((i for i, n in enumerate(names) if n in LABEL_COLUMNS), None)
        path = next((i for i, n in enumerate(names) if n in PATH_COLUMNS), None)
        if path is None:  # a label column named: the paths are in the first other one
            path = 1 if label == 0 and len(names) > 1 else 0
        if label is None:
            label = next((i for i in range(len(names)) if i != path), _NO_COLUMN)
    elif (
        data is not None
        and len(data) > 1
        and _LABEL_LIKE.match(data[0].strip())
        and _looks_like_path(data[1])
    ):
        path, label = 1, 0  # label,path without a header: the cells say which is which
    else:
        path, label = 0, 1
    if data is not None and len(data) > path:
        cell = data[path].strip()
        if _WNID_LINE.match(cell) and not _looks_like_path(cell):
            line = ",".join(data)
            raise CatalogueError(
                f"{manifest} looks like a list of wnids (a line reads {line!r}), not a manifest. "
                "A manifest lists images, one per line: a path, then its label, e.g. "
                "train/n01440764/n01440764_10026.JPEG,n01440764 (a first line path,wnid may "
                "name the columns). Index the images' folder or such a manifest; a list of "
                "wnids is what `wnexplorer coverage --targets` reads."
            )
    return header, path, label
