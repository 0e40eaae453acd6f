"""CSV a spreadsheet opens as data, never as formulas, and our readers read back as written.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or
``@`` (or a tab or carriage return before one) as a formula: a file name or a note can
carry ``=HYPERLINK(...)`` (OWASP, "CSV Injection"). Every CSV the app writes goes through
:func:`csv_text`, whose :func:`write_cell` prefixes such a text cell with a single quote,
as OWASP recommends; a cell that already starts with a quote gets one too, so that
:func:`read_cell` can take off exactly the quote that was added. Numbers are written as
they are.

>>> csv_text([{"path": "=cmd.JPEG", "index": -1}], ["path", "index"])
"path,index\\n'=cmd.JPEG,-1\\n"
>>> read_cell("'=cmd.JPEG"), read_cell("'quoted.JPEG")
('=cmd.JPEG', "'quoted.JPEG")
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence

_QUOTED_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def write_cell(value: object) -> object:
    """``value`` as a cell: a text that starts like a formula, or with a quote, gets a ``'``."""
    if isinstance(value, str) and value.startswith(_QUOTED_STARTS):
        return "'" + value
    return value


def read_cell(text: str) -> str:
    """A cell as it was before :func:`write_cell`: without the one quote it added."""
    if text.startswith("'") and text[1:].startswith(_QUOTED_STARTS):
        return text[1:]
    return text


def csv_text(rows: Iterable[Mapping[str, object]], fields: Sequence[str]) -> str:
    """``rows`` as CSV under a header of ``fields`` (other keys ignored, a missing one empty).

    Lines end in ``\\n``. The writer is given ``\\r\\n`` all the same: it quotes a cell
    only for the characters of its line end, and a cell with a carriage return left
    unquoted breaks the file for every reader.
    """
    lines: list[str] = []
    writer = csv.writer(_Lines(lines), lineterminator="\r\n")
    writer.writerow(fields)
    writer.writerows([write_cell(row.get(field)) for field in fields] for row in rows)
    return "".join(line[:-2] + "\n" for line in lines)


class _Lines:
    """A file for csv.writer that keeps each written line (the writer writes a line at once)."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append
