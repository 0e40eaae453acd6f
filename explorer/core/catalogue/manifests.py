"""Reading a manifest: a CSV or TSV file of path and wnid rows, in any encoding, with or
without a header (see sources).
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Iterator
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from explorer.core.csv_cells import read_cell
from explorer.core.errors import CatalogueError

if TYPE_CHECKING:
    from _csv import Reader

from explorer.core.catalogue.sources import (
    WNID,
    Batch,
    ManifestRow,
    MarkedManifestRow,
    SourceReport,
    _display_path,
    is_image_name,
    is_outside,
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
