"""The catalogue's tables and their history: sqlite-utils migrations, one per schema version
(tests/data holds a catalogue of each past version)."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from explorer.core.catalogue.sources import (
    is_outside,
)

MIGRATIONS = Migrations("wnexplorer.catalogue")

_WNID_INDEX = "CREATE INDEX IF NOT EXISTS images_wnid ON images (wnid)"
_IMAGE_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS images_path ON images (path)",
    _WNID_INDEX,
    "CREATE INDEX IF NOT EXISTS images_missing ON images (present) WHERE present = 0",
    "CREATE INDEX IF NOT EXISTS images_outside ON images (outside_root) WHERE outside_root = 1",
)


@MIGRATIONS(name="0001_initial")
def _m0001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE images (
            id INTEGER PRIMARY KEY,  -- stable: rows are never deleted, so ids are never reused
            path TEXT NOT NULL,        -- relative to the root, '/' separators
            raw_path BLOB,             -- exact bytes when the name is not valid UTF-8
            wnid TEXT,                 -- the label as the source gives it (checked on read)
            size INTEGER,              -- bytes; NULL for manifest rows
            mtime_ns INTEGER,
            format TEXT, width INTEGER, height INTEGER, mode TEXT,  -- known after an audit
            present INTEGER NOT NULL DEFAULT 1  -- 0 once a rescan no longer finds it
        );
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, layout TEXT NOT NULL,
            seen INTEGER, added INTEGER, changed INTEGER, restored INTEGER, missing INTEGER
        );
        -- present images per distinct label (NULL: no label), refreshed by every scan
        CREATE TABLE label_counts (wnid TEXT UNIQUE, images INTEGER NOT NULL);
        CREATE TABLE audit (
            image_id INTEGER PRIMARY KEY REFERENCES images (id),
            size INTEGER, mtime_ns INTEGER,  -- the file version the result is for
            hash TEXT, problems TEXT NOT NULL, detail TEXT, checked TEXT NOT NULL
        );
        CREATE INDEX audit_hash ON audit (hash);
        """
    )
    db.execute("CREATE UNIQUE INDEX images_path ON images (path)")
    db.execute("CREATE INDEX images_wnid ON images (wnid)")


@MIGRATIONS(name="0002_missing_index")
def _m0002_missing_index(db: sqlite_utils.Database) -> None:
    # holds only the missing rows: counting them costs nothing on a 14-million-row catalogue
    db.execute("CREATE INDEX images_missing ON images (present) WHERE present = 0")


@MIGRATIONS(name="0003_outside_root")
def _m0003_outside_root(db: sqlite_utils.Database) -> None:
    # Images outside the root are left out of audits and exports unless asked; the partial
    # index holds only them, so counting them costs nothing on a 14-million-row catalogue.
    db.execute("ALTER TABLE images ADD COLUMN outside_root INTEGER NOT NULL DEFAULT 0")
    # A manifest's paths that lead out are marked now, from the paths alone (a folder's
    # links out, at its next rescan); in SQL first: "/" or ".." in few paths, if any.
    root = db.execute("SELECT value FROM meta WHERE key = 'root'").fetchone()
    if root is not None:
        db.conn.executemany(
            "UPDATE images SET outside_root = 1 WHERE id = ?",
            [
                (image_id,)
                for image_id, path in db.execute(
                    "SELECT id, path FROM images WHERE path GLOB '/*' OR path GLOB '*..*'"
                )
                if is_outside(root[0], path)
            ],
        )
    db.execute("CREATE INDEX images_outside ON images (outside_root) WHERE outside_root = 1")


@MIGRATIONS(name="0004_image_order")
def _m0004_image_order(db: sqlite_utils.Database) -> None:
    # every present image in each sort order, by chunks, so that a grid reads any position of
    # a 14-million-image listing at once (see orders.py); written by every scan, and for a
    # catalogue indexed before, by the first listing (on a worker, with its progress)
    db.executescript(
        """
        CREATE TABLE image_order (
            sort TEXT NOT NULL, chunk INTEGER NOT NULL,
            ids BLOB NOT NULL, labels BLOB NOT NULL,  -- int32 arrays: image ids, label numbers
            PRIMARY KEY (sort, chunk)
        ) WITHOUT ROWID;
        CREATE TABLE order_labels (number INTEGER PRIMARY KEY, wnid TEXT NOT NULL UNIQUE);
        """
    )


@MIGRATIONS(name="0005_perceptual_hashes")
def _m0005_perceptual_hashes(db: sqlite_utils.Database) -> None:
    # one perceptual hash per image, keyed to the file version it was made from, as audit
    # results are; the partial index lists the hashed images' values for the pair search
    db.executescript(
        """
        CREATE TABLE phash (
            image_id INTEGER PRIMARY KEY REFERENCES images (id),
            size INTEGER, mtime_ns INTEGER,  -- the file version hashed
            value INTEGER,  -- the 64-bit pHash as SQLite's signed integer; NULL: not hashable
            content TEXT,   -- BLAKE2b-16 of the file's bytes: equal for exact copies
            error TEXT NOT NULL DEFAULT ''  -- why not hashable
        );
        """
    )


@MIGRATIONS(name="0006_folder_digests")
def _m0006_folder_digests(db: sqlite_utils.Database) -> None:
    # a digest of what each folder held at the last scan (folders.Listing.digest): a rescan
    # passes over the folders whose digest is the same, their rows being what it would write
    db.executescript(
        """
        CREATE TABLE folder_digests (
            folder TEXT PRIMARY KEY,  -- as image paths begin: relative, ending in '/'; '' the root
            digest BLOB NOT NULL
        ) WITHOUT ROWID;
        """
    )


def _names() -> tuple[str, ...]:
    # sqlite-utils lists a set's migrations only as those pending on a database
    empty = sqlite_utils.Database(memory=True)
    try:
        return tuple(migration.name for migration in MIGRATIONS.pending(empty))
    finally:
        empty.close()


MIGRATION_NAMES = _names()
"""Every migration of this version's schema, in order: a catalogue that has applied one not
listed here was written by a newer version."""
