"""What a user may hand to ``--catalogue`` or *Open* that is not a catalogue, for every layer.

``make(case, folder)`` writes one case into ``folder`` (which must exist) and returns the
path to give. ``snapshot(folder)`` records every file's bytes, to show nothing was written.
The catalogue-shaped cases start from tests/data/catalogue-0001.sqlite, whose meta names
its dataset as /tmp/fx/data.

Tests import it as ``from not_catalogues import CASES, make, snapshot`` (tests/ is on the path).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from hostile_corpus import encode, photo

TESTS = Path(__file__).parent
OLD_CATALOGUE = TESTS / "data" / "catalogue-0001.sqlite"
OLD_SOURCE = "/tmp/fx/data"
TENCH = "n01440764"


def _write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return path


def _foreign(folder: Path) -> Path:
    path = folder / "other.db"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('not ours')")
    return path


def _damaged(table: str):
    """The old catalogue with the first page of ``table`` overwritten."""

    def make(folder: Path) -> Path:
        data = bytearray(OLD_CATALOGUE.read_bytes())
        with contextlib.closing(sqlite3.connect(OLD_CATALOGUE)) as db:
            query = "SELECT rootpage FROM sqlite_master WHERE name = ?"
            page = db.execute(query, (table,)).fetchone()[0]
        data[(page - 1) * 4096 : page * 4096] = b"\xa5" * 4096
        return _write(folder / f"damaged-{table}.sqlite", bytes(data))

    return make


def _newer(folder: Path) -> Path:
    path = _write(folder / "newer.sqlite", OLD_CATALOGUE.read_bytes())
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('wnexplorer.catalogue', '9999_future', 'now')"
        )
    return path


def _folder(folder: Path) -> Path:
    (folder / "train" / TENCH).mkdir(parents=True)
    _write(folder / "train" / TENCH / "a.JPEG", encode(photo(), "JPEG"))
    return folder / "train"


CASES = {
    "text file": lambda f: _write(f / "notes.md", "# Notes\nnothing about images here\n"),
    "README.md": lambda f: _write(f / "README.md", (TESTS.parent / "README.md").read_bytes()),
    ".lst list": lambda f: _write(f / "train_cls.lst", f"{TENCH}/{TENCH}_1 1\n{TENCH}/x 2\n"),
    "JPEG image": lambda f: _write(f / "photo.JPEG", encode(photo(), "JPEG")),
    "binary file": lambda f: _write(f / "blob.sqlite", bytes(range(256)) * 16),
    "empty file": lambda f: _write(f / "empty.sqlite", b""),  # SQLite: an empty database
    "foreign SQLite": _foreign,
    "truncated catalogue": lambda f: _write(f / "cut.sqlite", OLD_CATALOGUE.read_bytes()[:4096]),
    "damaged meta": _damaged("meta"),
    "damaged rows": _damaged("images"),  # its meta still reads: the source is known
    "newer schema": _newer,
    "folder without catalogue": _folder,
    "nonexistent path": lambda f: f / "trian",
}


def make(case: str, folder: Path) -> Path:
    return CASES[case](folder)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }
