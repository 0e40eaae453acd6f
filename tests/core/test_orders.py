"""The stored orders (orders.py) against their rule, written out in Python: natural path
order (ties by id), natural name order (ties in path order), size (unknown last, ties in
path order); on a corpus of odd names, read in several chunks, with the packed integer keys
and with the column-by-column fallback."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from manifests import write_manifest

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.catalogue import orders as orders_module
from explorer.core.catalogue.orders import NO_LABEL, read_order, write_orders
from explorer.core.text import natural_key, natural_path_key

ODD = [
    "n01440764/n01440764_10026.JPEG",
    "n01440764/n01440764_9.JPEG",
    "n01440764/n01440764_10.jpeg",
    "n01440764/N01440764_10.JPEG",  # equal to the one above but for case: ties by id
    "readme.txt",  # no folder, no number
    "a/README",
    "a/b",
    "a/",  # no name at all
    "a/x007.jpg",  # leading zeros: equal to x7 as a number
    "a/x7.jpg",
    "a/x123456789012345678.jpg",  # 18 digits: the last read by numpy
    "a/x1234567890123456789.jpg",  # 19: the slow way, still an int64
    "a/x99999999999999999999.jpg",  # 20 digits: more than an int64
    "a/x123456789012345678901234567890.jpg",
    "a/x123456789012345678901234567891.jpg",
    "é/été10.jpg",
    "é/été9.jpg",
    "ß/Straße2.JPG",
    "ß/STRASSE2.jpg",  # casefold: equal to the one above
    "x/a٣12.jpg",  # an Arabic-Indic digit before ASCII ones: the number is 312
    "x/a١٢.jpg",  # Arabic-Indic digits only
    "x/ｆ１２.jpg",  # fullwidth
    "x/🙂3.png",
    "img9/x.jpg",  # numbers in folders
    "img10/x.jpg",
    "IMG9/y1.jpg",
    "img10/x1.jpg",
    "a/x1.mp4",  # digits in the extension
    "a/x1.tar.gz",
    "a/.hidden",
    "a/x1.",
    "a/x.1",
    "a/1.jpg",
    "a/1",
    "a/x1.j p g",
    "a/x1.abcdefghijklmnopqrstuvwxyz",  # a long extension
    "a/x1.Jpg",
    "a/x1.jpé",
    "b/x1.jpg",  # the same name in other folders: name ties in path order
    "c/x1.jpg",
    "a/new\nline3.jpg",  # a line break: its chunk read row by row
    "deep/er/still/n1_2.JPEG",
    "deep/er/n1_10.JPEG",
]
WNIDS = ["n01440764", "n02084071", "n02085620", None]


def _corpus(rows: int, seed: int) -> list[tuple[str, str | None, int | None, int]]:
    """(path, wnid, size, present) rows: the odd names, then many ordinary and mixed ones."""
    rng = random.Random(seed)
    paths = list(ODD)
    stems = ["n02084071_", "img", "IMG_", "a", "", "x-y.", "é"]
    folders = ["n02084071/", "dogs/", "Dogs/", "f2/", "f10/", "", "é/"]
    while len(paths) < rows:
        number = str(rng.choice([rng.randrange(100), rng.randrange(10**6), 10**19 + 7]))
        extension = rng.choice([".JPEG", ".jpg", ".png", "", ".7z"])
        path = rng.choice(folders) + rng.choice(stems) + number + extension
        if path not in paths:
            paths.append(path)
    rng.shuffle(paths)
    sizes = [None, 0, 7, 7, 100, 2**40, 12345]
    return [
        (path, rng.choice(WNIDS), rng.choice(sizes), int(rng.random() > 0.05)) for path in paths
    ]


def _catalogue(tmp_path: Path, taxonomy, rows, sparse: bool) -> Path:
    """A catalogue whose images are exactly ``rows`` (ids with gaps if ``sparse``)."""
    manifest = write_manifest(tmp_path / "m.csv", ["n01440764"], 1)
    summary = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite")
    db = sqlite3.connect(summary.catalogue)
    with db:
        db.execute("DELETE FROM images")
        image = 0
        for path, wnid, size, present in rows:
            image += 3 if sparse else 1
            db.execute(
                "INSERT INTO images (id, path, wnid, size, present) VALUES (?, ?, ?, ?, ?)",
                (image, path, wnid, size, present),
            )
        db.execute("DELETE FROM label_counts")
        db.execute(
            "INSERT INTO label_counts SELECT wnid, count(*) FROM images WHERE present = 1 "
            "GROUP BY wnid"
        )
        write_orders(db)
    db.close()
    return summary.catalogue


def _expected(catalogue: Path) -> dict[str, tuple[list[int], list[int]]]:
    """Each order's ids and label numbers by the rule, in plain Python."""
    db = sqlite3.connect(catalogue)
    rows = db.execute(
        "SELECT id, path, wnid, size FROM images WHERE present = 1 ORDER BY id"
    ).fetchall()
    labels = [w for (w,) in db.execute("SELECT wnid FROM label_counts WHERE wnid IS NOT NULL")]
    db.close()
    number = {wnid: i for i, wnid in enumerate(sorted(labels))}
    by_path = sorted(rows, key=lambda row: natural_path_key(row[1]))
    by_name = sorted(by_path, key=lambda row: natural_key(row[1][row[1].rfind("/") + 1 :]))
    by_size = sorted((row for row in by_path if row[3] is not None), key=lambda row: row[3]) + [
        row for row in by_path if row[3] is None
    ]
    return {
        order: ([row[0] for row in ordered], [number.get(row[2], NO_LABEL) for row in ordered])
        for order, ordered in (("path", by_path), ("name", by_name), ("size", by_size))
    }


@pytest.mark.parametrize(
    ("read", "key_bits", "sparse", "empty_label"),
    [
        (1 << 16, 63, False, False),  # one read, packed keys
        (7, 63, True, False),  # reads of 7 ids, ids with gaps
        (64, 0, False, False),  # no key fits: column by column
        (64, 63, False, True),  # a label "": label numbers looked up in SQL
    ],
)
def test_stored_orders_follow_the_natural_order_rule(
    tmp_path, taxonomy, monkeypatch, read, key_bits, sparse, empty_label
):
    monkeypatch.setattr(orders_module, "_READ", read)
    monkeypatch.setattr(orders_module, "_KEY_BITS", key_bits)
    monkeypatch.setattr(orders_module, "CHUNK", 100)
    rows = _corpus(1500, seed=read + key_bits)
    if empty_label:
        rows[0] = (rows[0][0], "", rows[0][2], 1)
    catalogue = _catalogue(tmp_path, taxonomy, rows, sparse)
    expected = _expected(catalogue)
    with Catalogue.open(catalogue) as opened:
        for order, (ids, labels) in expected.items():
            got_ids, got_labels = read_order(opened, order)
            assert got_ids.tolist() == ids, order
            assert got_labels.tolist() == labels, order


def test_the_common_names_take_the_numpy_way_and_the_odd_ones_the_slow_way():
    """Which rows the byte-level split reads (the rest go through natural_key)."""
    import numpy as np

    keys = orders_module._NaturalKeys(10, ["n01440764"])
    paths = ["n01440764/n01440764_10026.JPEG", "a/x٣12.jpg", "a/x1.mp4", "b/c12.Jpg"]
    odd: list[str] = []
    keys._add_odd = lambda image, path: odd.append(path)  # type: ignore[method-assign]
    keys.add(np.arange(1, 5), b"n01440764\n\n\n", None, "\n".join(paths).encode())
    assert odd == ["a/x٣12.jpg", "a/x1.mp4"]
    assert keys.number.values[[1, 4]].tolist() == [10026, 12]
    assert keys.label.values[1:5].tolist() == [0, NO_LABEL, NO_LABEL, NO_LABEL]
    assert list(keys.heads) == [("n01440764/", "n01440764_"), ("b/", "c")]


def test_a_cancelled_build_stops_between_reads_and_writes_nothing(tmp_path, taxonomy, monkeypatch):
    """Cancelled while the splitting thread has a chunk: it finishes that chunk, the build
    raises, and the caller's transaction holds no order."""
    from explorer.core.errors import Cancelled
    from explorer.core.jobs import JobState

    monkeypatch.setattr(orders_module, "_READ", 50)
    catalogue = _catalogue(tmp_path, taxonomy, _corpus(400, seed=3), sparse=False)

    class CancelAtThirdRead(JobState):
        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if done >= 100:
                self.cancel()

    state = CancelAtThirdRead()
    db = sqlite3.connect(catalogue)
    with pytest.raises(Cancelled), db:
        write_orders(db, state)
    assert state.done == 100
    with Catalogue.open(catalogue) as opened:  # the orders written before, untouched
        assert read_order(opened, "path")[0].tolist() == _expected(catalogue)["path"][0]
    db.close()
