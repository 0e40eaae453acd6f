"""Rescans of a folder: the folders whose digest is unchanged are passed over, and every
change is still found (a touched file leaves its folder's mtime as it was)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from hostile_corpus import encode, photo
from trees import write_tree

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.catalogue import rescan as rescan_module
from explorer.core.catalogue.orders import read_order

TENCH, GOLDFISH, DOG = "n01440764", "n01443537", "n02084071"
JPEG = encode(photo((16, 12)), "JPEG")


@pytest.fixture(scope="module")
def nouns(taxonomy):
    return taxonomy.graph


FILES = {
    **{f"{TENCH}/{TENCH}_{i}.JPEG": JPEG for i in range(4)},
    **{f"{GOLDFISH}/{GOLDFISH}_{i}.JPEG": JPEG for i in range(3)},
    **{f"dogs/{DOG}/{DOG}_{i}.JPEG": JPEG for i in range(2)},  # a folder in a folder
}


@pytest.fixture
def indexed(nouns, tmp_path):
    """(dataset root, catalogue) of FILES, indexed once."""
    root = write_tree(tmp_path / "data", FILES)
    path = tmp_path / "c.sqlite"
    assert index_catalogue(root, nouns=nouns, catalogue=path).images == 9
    return root, path


@pytest.fixture
def writes_of():
    """For a catalogue, the image rows the next scans insert or update, as a trigger
    records them."""
    return _record_writes


@pytest.fixture
def writes(indexed):
    return _record_writes(indexed[1])


def _record_writes(path: Path):
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE written (what TEXT, path TEXT);
            CREATE TRIGGER images_inserted AFTER INSERT ON images
                BEGIN INSERT INTO written VALUES ('insert', new.path); END;
            CREATE TRIGGER images_updated AFTER UPDATE ON images
                BEGIN INSERT INTO written VALUES ('update', new.path); END;
            """
        )

    def written() -> list[tuple[str, str]]:
        with sqlite3.connect(path) as db:
            return sorted(db.execute("SELECT what, path FROM written"))

    return written


@pytest.fixture
def orders_written(monkeypatch):
    """How many times a scan has rewritten the stored orders."""
    calls = []
    real = rescan_module.write_orders

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(rescan_module, "write_orders", counted)
    return calls


@pytest.fixture
def compared(monkeypatch):
    """How many rows each scan put in its table to compare with the catalogue's."""
    rows = []
    real = rescan_module._insert

    def counted(conn, table, batch):
        if table == "temp.scan":
            rows.append(len(batch))
        return real(conn, table, batch)

    monkeypatch.setattr(rescan_module, "_insert", counted)
    return rows


def _figures(summary) -> tuple[int, ...]:
    return summary.seen, summary.added, summary.changed, summary.newly_missing, summary.restored


def test_a_rescan_with_nothing_changed_writes_no_image_and_keeps_the_orders(
    nouns, indexed, writes, orders_written, compared
):
    root, path = indexed
    with Catalogue.open(path) as catalogue:
        before = read_order(catalogue, "name")[0].tolist()
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary) == (9, 0, 0, 0, 0)
    assert (summary.images, summary.synsets, summary.missing) == (9, 3, 0)
    assert writes() == []
    assert orders_written == []
    assert compared == []  # every folder passed over
    with Catalogue.open(path) as catalogue:
        assert read_order(catalogue, "name")[0].tolist() == before
        assert catalogue.direct_counts(nouns) == {TENCH: 4, GOLDFISH: 3, DOG: 2}


def test_a_touched_file_is_found_though_its_folder_mtime_is_unchanged(
    nouns, indexed, writes, orders_written, compared
):
    root, path = indexed
    folder = root / TENCH
    folder_mtime = folder.stat().st_mtime_ns
    touched = folder / f"{TENCH}_2.JPEG"
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert folder.stat().st_mtime_ns == folder_mtime  # what a folder's mtime would miss
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary) == (9, 0, 1, 0, 0)
    assert writes() == [("update", f"{TENCH}/{TENCH}_2.JPEG")]
    assert orders_written == [1]
    assert compared == [1]  # the touched row alone: its folder was compared by path
    with Catalogue.open(path) as catalogue:
        (row,) = catalogue.images_by_path([f"{TENCH}/{TENCH}_2.JPEG"])
        assert row.mtime_ns == stat.st_mtime_ns + 1_000_000_000

    touched.write_bytes(JPEG + b"longer")  # new content: a new size
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert index_catalogue(root, nouns=nouns, catalogue=path).changed == 1


def test_files_gone_added_and_back_in_folders_passed_over_and_not(nouns, indexed):
    root, path = indexed
    with Catalogue.open(path) as catalogue:
        ids = {row.path: row.id for row in catalogue.images_by_path(FILES)}
    (root / GOLDFISH / f"{GOLDFISH}_0.JPEG").unlink()
    for name in os.listdir(root / "dogs" / DOG):  # a whole folder gone, its parent unchanged
        (root / "dogs" / DOG / name).unlink()
    (root / "dogs" / DOG).rmdir()
    write_tree(root, {f"{TENCH}/new/{TENCH}_9.JPEG": JPEG})  # a new folder in an unchanged one
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary) == (7, 1, 0, 3, 0)
    with Catalogue.open(path) as catalogue:
        assert catalogue.direct_counts(nouns) == {TENCH: 5, GOLDFISH: 2}
        assert catalogue.missing_count() == 3
        assert len(read_order(catalogue, "path")[0]) == 7

    write_tree(root, {f"{GOLDFISH}/{GOLDFISH}_0.JPEG": JPEG})
    write_tree(root, {name: JPEG for name in FILES if DOG in name})
    back = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(back) == (10, 0, 0, 0, 3)
    with Catalogue.open(path) as catalogue:
        assert {row.path: row.id for row in catalogue.images_by_path(FILES)} == ids
        assert catalogue.missing_count() == 0


def test_the_root_folder_changed_leaves_its_folders_images_alone(nouns, tmp_path):
    root = write_tree(
        tmp_path / "data", {**FILES, "loose.JPEG": JPEG, "notes.txt": b"not an image"}
    )
    path = tmp_path / "c.sqlite"
    index_catalogue(root, nouns=nouns, catalogue=path)
    (root / "loose.JPEG").unlink()  # the root's images are every image's path range
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary) == (9, 0, 0, 1, 0)
    with Catalogue.open(path) as catalogue:
        assert catalogue.missing_images() == [("loose.JPEG", None)]


def test_a_catalogue_without_digests_is_compared_whole_then_gets_them(nouns, indexed, writes):
    root, path = indexed
    with sqlite3.connect(path) as db:  # as a catalogue of the version before them
        db.execute("DELETE FROM folder_digests")
    (root / TENCH / f"{TENCH}_3.JPEG").unlink()
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary) == (8, 0, 0, 1, 0)
    with sqlite3.connect(path) as db:
        folders = [folder for (folder,) in db.execute("SELECT folder FROM folder_digests")]
    assert sorted(folders) == sorted(["", "dogs/", f"dogs/{DOG}/", f"{GOLDFISH}/", f"{TENCH}/"])
    assert writes() == [("update", f"{TENCH}/{TENCH}_3.JPEG")]


def test_images_no_digest_accounts_for_are_found_by_a_whole_comparison(nouns, indexed):
    root, path = indexed
    with sqlite3.connect(path) as db:  # a present image in a folder no scan listed
        db.execute("INSERT INTO images (path, wnid) VALUES ('elsewhere/x.JPEG', ?)", (DOG,))
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary) == (9, 0, 0, 1, 0)
    with Catalogue.open(path) as catalogue:
        assert catalogue.missing_images() == [("elsewhere/x.JPEG", DOG)]
    assert _figures(index_catalogue(root, nouns=nouns, catalogue=path)) == (9, 0, 0, 0, 0)


def test_another_label_file_relabels_unchanged_files(nouns, tmp_path):
    root = write_tree(tmp_path / "val", {f"ILSVRC2012_val_{i:08d}.JPEG": JPEG for i in (1, 2, 3)})
    labels = tmp_path / "labels.txt"
    labels.write_text(f"{TENCH}\n{TENCH}\n{GOLDFISH}\n")
    path = tmp_path / "c.sqlite"
    index_catalogue(root, nouns=nouns, catalogue=path, labels=labels)
    assert index_catalogue(root, nouns=nouns, catalogue=path).changed == 0
    labels.write_text(f"{TENCH}\n{DOG}\n{GOLDFISH}\n")  # the same files, one label new
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (summary.changed, summary.labels_reused) == (1, True)
    with Catalogue.open(path) as catalogue:
        assert catalogue.direct_counts(nouns) == {TENCH: 1, DOG: 1, GOLDFISH: 1}


def test_odd_names_links_and_failed_stats_compare_as_they_were(nouns, tmp_path, writes_of):
    from hostile_corpus import make_hostile_corpus

    root = tmp_path / "data"
    folder = root / TENCH
    make_hostile_corpus(folder)  # a name that is not UTF-8, dangling and looping links...
    (tmp_path / "outside.JPEG").write_bytes(JPEG)
    (folder / "link_out.JPEG").symlink_to(tmp_path / "outside.JPEG")  # marked outside the root
    path = tmp_path / "c.sqlite"
    first = index_catalogue(root, nouns=nouns, catalogue=path)
    assert first.outside_root >= 1 and first.stat_failed >= 3
    written = writes_of(path)

    write_tree(root, {f"{TENCH}/added.JPEG": JPEG})  # the folder changes: compared row by row
    assert _figures(index_catalogue(root, nouns=nouns, catalogue=path))[1:] == (1, 0, 0, 0)
    assert written() == [("insert", f"{TENCH}/added.JPEG")]

    (tmp_path / "outside.JPEG").write_bytes(JPEG + b"longer")  # the link's target changes
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary)[1:] == (0, 1, 0, 0)
    assert summary.outside_root == first.outside_root


def test_a_folder_too_large_to_hold_is_compared_whole(nouns, indexed, monkeypatch, compared):
    root, path = indexed
    monkeypatch.setattr(rescan_module, "_FOLDER_ROWS_HELD", 2)  # TENCH has 4 images
    (root / TENCH / f"{TENCH}_0.JPEG").unlink()
    stat = (root / TENCH / f"{TENCH}_1.JPEG").stat()
    os.utime(root / TENCH / f"{TENCH}_1.JPEG", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    (root / f"{GOLDFISH}" / f"{GOLDFISH}_0.JPEG").unlink()  # 3 images: 2 held, 1 more read
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(summary) == (7, 0, 1, 2, 0)
    assert sorted(compared) == [2, 3]  # both folders' rows, whole
    with Catalogue.open(path) as catalogue:
        assert catalogue.direct_counts(nouns) == {TENCH: 3, GOLDFISH: 2, DOG: 2}


def test_folders_passed_over_count_in_the_progress_and_a_cancel_stops_the_rescan(nouns, indexed):
    from explorer.core.errors import Cancelled
    from explorer.core.jobs import JobState

    class Recorded(JobState):
        def __init__(self) -> None:
            super().__init__()
            self.reported: list[tuple[int, int | None]] = []

        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            self.reported.append((done, total))

    root, path = indexed
    state = Recorded()
    index_catalogue(root, nouns=nouns, catalogue=path, state=state)
    assert (9, None) in state.reported  # the scan's own count, before the summary's

    def content() -> list[list[tuple]]:
        with sqlite3.connect(path) as db:
            return [db.execute(f"SELECT * FROM {t}").fetchall() for t in ("images", "scans")]

    before = content()
    (root / TENCH / f"{TENCH}_0.JPEG").unlink()
    cancelled = JobState()
    cancelled.cancel()
    with pytest.raises(Cancelled):
        index_catalogue(root, nouns=nouns, catalogue=path, state=cancelled)
    assert content() == before


def test_a_catalogue_of_schema_0004_is_compared_whole_once_then_by_folder(
    nouns, tmp_path, compared
):
    """tests/data/catalogue-0004.sqlite (a folder of a tench and a golden retriever, before
    folder digests), pointed at a copy of that folder: ids kept, digests written."""
    root = write_tree(
        tmp_path / "data",
        {
            f"{TENCH}/{TENCH}_tench.JPEG": JPEG,
            "n02099601/n02099601_golden_retriever.JPEG": JPEG + b"other",
            "n02099601/n02099601_new.JPEG": JPEG,
        },
    )
    path = tmp_path / "old.sqlite"
    path.write_bytes((Path(__file__).parents[1] / "data" / "catalogue-0004.sqlite").read_bytes())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key IN ('source', 'root')", (str(root),))
    first = index_catalogue(root, nouns=nouns, catalogue=path)
    assert _figures(first) == (3, 1, 2, 0, 0)  # other sizes and mtimes than the original files
    assert sum(compared) == 3  # no digests yet: every row compared in SQL
    with Catalogue.open(path) as catalogue:
        assert [row.id for row in catalogue.images_by_path([f"{TENCH}/{TENCH}_tench.JPEG"])] == [1]
    compared.clear()
    assert _figures(index_catalogue(root, nouns=nouns, catalogue=path)) == (3, 0, 0, 0, 0)
    assert compared == []
