"""A duplicate report written out, pair by pair as made (millions of pairs, bounded memory):
JSON as ``wnexplorer duplicates --json`` prints it, and CSV for a spreadsheet or a script.

>>> report = find_duplicates(catalogue, taxonomy, max_distance=0)
>>> import io; out = io.StringIO(); write_pairs_csv(report, out)
>>> out.getvalue().splitlines()[0]
'a,b,wnid_a,wnid_b,distance,exact,relation'
"""

from __future__ import annotations

import csv
import json
from typing import TextIO

from explorer.core.csv_cells import write_cell
from explorer.core.duplicates.pairs import DuplicateReport

CSV_FIELDS = ("a", "b", "wnid_a", "wnid_b", "distance", "exact", "relation")


def write_pairs_csv(report: DuplicateReport, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for pair in report.rows():
        row = pair.as_json()
        row["exact"] = "yes" if pair.exact else "no"
        writer.writerow([write_cell(row[field]) for field in CSV_FIELDS])


def write_pairs_json(report: DuplicateReport, out: TextIO) -> None:
    """``{"pairs": [...], "summary": {...}}``, one pair per line."""
    out.write('{"pairs": [')
    for number, pair in enumerate(report.rows()):
        out.write(",\n  " if number else "\n  ")
        out.write(json.dumps(pair.as_json(), ensure_ascii=False))
    out.write("\n],\n" if len(report) else "],\n")
    out.write(f' "summary": {json.dumps(report.summary.as_json(), ensure_ascii=False)}}}\n')
