"""A duplicate report written out, pair by pair as made (millions of pairs, bounded memory):
JSON as ``wnexplorer duplicates --json`` prints it, and CSV for a spreadsheet or a script.

The demo holds one exact copy, of a Chihuahua filed as a Pekinese too:

>>> import io
>>> from explorer.core.duplicates.hashing import hash_catalogue
>>> from explorer.core.duplicates.pairs import find_duplicates
>>> _ = hash_catalogue(catalogue_path)
>>> out = io.StringIO()
>>> write_pairs_csv(find_duplicates(catalogue, taxonomy), out, catalogue)
>>> print(out.getvalue())
a,b,wnid_a,wnid_b,distance,exact,relation
n02085620/n02085620_0.JPEG,n02086079/n02086079_14.JPEG,n02085620,n02086079,0,yes,different
"""

from __future__ import annotations

import csv
import json
from typing import TextIO

from explorer.core.catalogue import Catalogue
from explorer.core.csv_cells import write_cell
from explorer.core.duplicates.pairs import DuplicateReport

CSV_FIELDS = ("a", "b", "wnid_a", "wnid_b", "distance", "exact", "relation")


def write_pairs_csv(
    report: DuplicateReport,
    out: TextIO,
    catalogue: Catalogue,
    against: Catalogue | None = None,
) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for pair in report.rows(catalogue, against):
        row = pair.as_json()
        row["exact"] = "yes" if pair.exact else "no"
        writer.writerow([write_cell(row[field]) for field in CSV_FIELDS])


def write_pairs_json(
    report: DuplicateReport,
    out: TextIO,
    catalogue: Catalogue,
    against: Catalogue | None = None,
) -> None:
    """``{"pairs": [...], "summary": {...}}``, one pair per line."""
    out.write('{"pairs": [')
    for number, pair in enumerate(report.rows(catalogue, against)):
        out.write(",\n  " if number else "\n  ")
        out.write(json.dumps(pair.as_json(), ensure_ascii=False))
    out.write("\n],\n" if len(report) else "],\n")
    out.write(f' "summary": {json.dumps(report.summary.as_json(), ensure_ascii=False)}}}\n')
