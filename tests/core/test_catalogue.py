"""Indexing image collections: layouts, odd labels, rescans, and a damaged catalogue."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from pathlib import Path

import not_catalogues
import pytest
import sqlite_utils
from hostile_corpus import encode, photo
from read_only import make_read_only
from trees import write_tree

from explorer.core.catalogue import (
    LABEL_NONE,
    LABEL_NOT_NOUN,
    LABEL_OK,
    LABEL_UNKNOWN,
    MIGRATION_NAMES,
    MIGRATIONS,
    AuditRecord,
    Catalogue,
    classify_label,
    default_catalogue_path,
    detect_layout,
    index_catalogue,
    resolve_catalogue,
)
from explorer.core.errors import CatalogueDamagedError, CatalogueError, NotIndexedError
from explorer.core.images import audit_catalogue

TENCH, GOLDFISH, DOG = "n01440764", "n01443537", "n02084071"
JPEG = encode(photo((48, 40)), "JPEG")


@pytest.fixture(scope="module")
def nouns(taxonomy):
    return taxonomy.graph


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    )


def test_real_samples_flat_layout(shared_data, nouns, tmp_path):
    samples = shared_data / "imagenet-samples"
    before = _listing(samples)
    summary = index_catalogue(samples, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    assert summary.layout == "flat"
    assert (summary.images, summary.synsets, summary.labelled) == (1000, 1000, 1000)
    assert summary.unknown == summary.no_label == summary.missing == 0
    wanted = (shared_data / "ilsvrc2012" / "imagenet_synsets.txt").read_text().split()
    with Catalogue.open(summary.catalogue) as catalogue:
        assert set(catalogue.direct_counts(nouns)) == set(wanted)
        assert all(n == 1 for n in catalogue.direct_counts(nouns).values())
    assert _listing(samples) == before, "the dataset folder must never be written"


def test_folders_layout_at_any_depth(nouns, tmp_path):
    root = write_tree(
        tmp_path / "data",
        {
            f"train/{TENCH}/{TENCH}_1.JPEG": JPEG,
            f"train/{TENCH}/{TENCH}_2.JPEG": JPEG,
            f"train/{TENCH}/extra/deeper.jpg": JPEG,  # nearest wnid folder above it: tench
            f"train/{GOLDFISH}/a.png": JPEG,
            f"train/{GOLDFISH}/README.txt": b"not an image",
            "train/misc/unlabelled.JPEG": JPEG,
            "train/n99999999/unknown.JPEG": JPEG,
        },
    )
    assert detect_layout(root) == "folders"
    summary = index_catalogue(root, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    assert summary.layout == "folders"
    assert (summary.images, summary.synsets, summary.labelled) == (6, 2, 4)
    assert (summary.unknown_wnid, summary.no_label, summary.other_files) == (1, 1, 1)
    problems = {e["path"]: e["problem"] for e in summary.odd_labels}
    assert problems == {
        "train/misc/unlabelled.JPEG": LABEL_NONE,
        "train/n99999999/unknown.JPEG": LABEL_UNKNOWN,
    }
    with Catalogue.open(summary.catalogue) as catalogue:
        assert catalogue.direct_counts(nouns) == {TENCH: 3, GOLDFISH: 1}
        paths = [row.path for row in catalogue.images([TENCH])]
        assert paths == [
            f"train/{TENCH}/extra/deeper.jpg",
            f"train/{TENCH}/{TENCH}_1.JPEG",
            f"train/{TENCH}/{TENCH}_2.JPEG",
        ]


def test_ilsvrc_val_layout_with_real_labels(shared_data, nouns, tmp_path):
    labels = (shared_data / "ilsvrc2012" / "validation_synset_labels.txt").read_text().split()
    root = write_tree(
        tmp_path / "val",
        {f"ILSVRC2012_val_{i:08d}.JPEG": JPEG for i in (1, 2, 3, 50000)},
    )
    assert detect_layout(root) == "ilsvrc-val"
    with pytest.raises(CatalogueError, match="--labels"):
        index_catalogue(root, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    label_file = shared_data / "ilsvrc2012" / "validation_synset_labels.txt"
    summary = index_catalogue(root, nouns=nouns, catalogue=tmp_path / "c.sqlite", labels=label_file)
    assert summary.images == summary.labelled == 4
    with Catalogue.open(summary.catalogue) as catalogue:
        by_path = {r.path: r.wnid for r in catalogue.images(set(labels[:3]) | {labels[-1]})}
    assert by_path["ILSVRC2012_val_00000001.JPEG"] == labels[0]
    assert by_path["ILSVRC2012_val_00050000.JPEG"] == labels[49999]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_manifest_keeps_every_row_and_reports_odd_labels(nouns, tmp_path, delimiter):
    rows = [
        ("path", "wnid"),
        (f"train/{TENCH}/a.JPEG", TENCH),
        (f"train/{TENCH}/b, with comma.JPEG", TENCH),
        (f"train/{DOG}/c.JPEG", DOG),
        ("verb/d.JPEG", "v01234567"),
        ("word/e.JPEG", "dog"),
        ("none/f.JPEG", ""),
    ]
    import csv

    manifest = tmp_path / ("m.tsv" if delimiter == "\t" else "m.csv")
    with manifest.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, delimiter=delimiter).writerows(rows)
    assert detect_layout(manifest) == "manifest"
    summary = index_catalogue(manifest, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    assert summary.layout == "manifest"
    assert summary.images == 6  # nothing dropped: the images need not exist
    assert (summary.labelled, summary.synsets) == (3, 2)
    assert (summary.not_noun, summary.unknown_wnid, summary.no_label) == (1, 1, 1)
    with Catalogue.open(summary.catalogue) as catalogue:
        assert catalogue.direct_counts(nouns) == {TENCH: 2, DOG: 1}
        assert catalogue.root == manifest.parent


def test_manifest_with_a_repeated_path_is_refused(nouns, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"a.JPEG,{TENCH}\nb.JPEG,{TENCH}\na.JPEG,{DOG}\n")
    with pytest.raises(CatalogueError, match=r"more than once \(a.JPEG\)"):
        index_catalogue(manifest, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    assert not (tmp_path / "c.sqlite").exists(), "a failed first index leaves no file"


def test_classify_label(nouns):
    assert classify_label(DOG, nouns) == LABEL_OK
    assert classify_label("n99999999", nouns) == LABEL_UNKNOWN
    assert classify_label("v01234567", nouns) == LABEL_NOT_NOUN
    assert classify_label("dog", nouns) == LABEL_UNKNOWN
    assert classify_label(None, nouns) == LABEL_NONE


def test_rescan_adds_updates_marks_missing_and_keeps_ids(nouns, tmp_path):
    files = {f"{TENCH}/{TENCH}_{i}.JPEG": JPEG for i in range(5)}
    root = write_tree(tmp_path / "data", files)
    path = tmp_path / "c.sqlite"
    first = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (first.added, first.images) == (5, 5)
    with Catalogue.open(path) as catalogue:
        ids = {r.path: r.id for r in catalogue.images([TENCH])}

    (root / TENCH / f"{TENCH}_0.JPEG").unlink()  # gone
    (root / TENCH / f"{TENCH}_1.JPEG").write_bytes(JPEG + b"changed")  # changed
    write_tree(root, {f"{GOLDFISH}/{GOLDFISH}_9.JPEG": JPEG})  # new
    second = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (second.added, second.changed, second.newly_missing) == (1, 1, 1)
    assert (second.images, second.missing, second.synsets) == (5, 1, 2)
    with Catalogue.open(path) as catalogue:
        rows = {r.path: r for r in catalogue.images_by_path(ids)}  # present or not
        assert all(rows[p].id == i for p, i in ids.items()), "ids stay stable"
        assert rows[f"{TENCH}/{TENCH}_0.JPEG"].present is False
        assert rows[f"{TENCH}/{TENCH}_1.JPEG"].size == len(JPEG) + 7
        assert catalogue.direct_counts(nouns) == {TENCH: 4, GOLDFISH: 1}

    (root / TENCH / f"{TENCH}_0.JPEG").write_bytes(JPEG)  # back again
    third = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (third.restored, third.added, third.missing) == (1, 0, 0)
    with Catalogue.open(path) as catalogue:
        assert catalogue.images([TENCH])[0].id == ids[f"{TENCH}/{TENCH}_0.JPEG"]

    unchanged = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (unchanged.added, unchanged.changed, unchanged.newly_missing) == (0, 0, 0)


def test_relabel_by_moving_a_file_between_wnid_folders(nouns, tmp_path):
    root = write_tree(tmp_path / "data", {f"{TENCH}/x.JPEG": JPEG})
    path = tmp_path / "c.sqlite"
    index_catalogue(root, nouns=nouns, catalogue=path)
    (root / GOLDFISH).mkdir()
    shutil.move(root / TENCH / "x.JPEG", root / GOLDFISH / "x.JPEG")
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (summary.added, summary.newly_missing) == (1, 1)
    with Catalogue.open(path) as catalogue:
        assert catalogue.direct_counts(nouns) == {GOLDFISH: 1}


def test_hostile_tree_is_indexed_without_hanging(nouns, tmp_path):
    from hostile_corpus import NON_UTF8_NAME, make_hostile_corpus

    folder = tmp_path / "data" / TENCH
    expected = make_hostile_corpus(folder)
    (folder / "loop_dir").symlink_to(folder)  # a folder loop: must not be followed
    summary = index_catalogue(tmp_path / "data", nouns=nouns, catalogue=tmp_path / "c.sqlite")
    images = {n for n in expected if n != "directory.JPEG" and not n.endswith(".bin")}
    assert summary.images == len(images)
    assert summary.stat_failed >= 3  # the dangling link and the two-link loop
    with Catalogue.open(summary.catalogue) as catalogue:
        stored = {r.path for r in catalogue.images([TENCH])}
        raw = [r.raw_path for r in catalogue.images([TENCH]) if r.raw_path is not None]
        assert raw == [os.fsencode(TENCH) + b"/" + NON_UTF8_NAME]
    assert f"{TENCH}/bad_\\xff_name.JPEG" in stored  # shown with an escape, opened by bytes


def test_cancel_leaves_no_catalogue(nouns, tmp_path):
    from explorer.core.errors import Cancelled
    from explorer.core.jobs import JobState

    root = write_tree(tmp_path / "data", {f"{TENCH}/{i}.JPEG": JPEG for i in range(3)})
    state = JobState()
    state.cancel()
    with pytest.raises(Cancelled):
        index_catalogue(root, nouns=nouns, catalogue=tmp_path / "c.sqlite", state=state)
    assert list(tmp_path.glob("c.sqlite*")) == []


def test_catalogue_of_another_dataset_is_refused(nouns, tmp_path):
    one = write_tree(tmp_path / "one", {f"{TENCH}/a.JPEG": JPEG})
    two = write_tree(tmp_path / "two", {f"{TENCH}/a.JPEG": JPEG})
    index_catalogue(one, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    with pytest.raises(CatalogueError, match="choose another --catalogue"):
        index_catalogue(two, nouns=nouns, catalogue=tmp_path / "c.sqlite")


def test_default_location_is_in_the_data_dir(nouns, tmp_path, session_data_dir):
    root = write_tree(tmp_path / "my data", {f"{TENCH}/a.JPEG": JPEG})
    summary = index_catalogue(root, nouns=nouns)
    assert Path(summary.catalogue) == default_catalogue_path(root)
    assert Path(summary.catalogue).parent == session_data_dir / "catalogues"


def test_schema_has_its_migrations_and_refuses_a_newer_one(nouns, tmp_path):
    root = write_tree(tmp_path / "data", {f"{TENCH}/a.JPEG": JPEG})
    path = tmp_path / "c.sqlite"
    index_catalogue(root, nouns=nouns, catalogue=path)
    Catalogue.open(path).close()  # the file as opening leaves it
    assert _applied(path) == list(MIGRATION_NAMES)
    assert _stored(path, "PRAGMA journal_mode") == "wal"
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('wnexplorer.catalogue', '9999_future', 'now')"
        )
    with pytest.raises(CatalogueError, match="newer version"):
        Catalogue.open(path)


def _applied(path: Path) -> list[str]:
    """The migrations the catalogue file at ``path`` records, read past the Catalogue."""
    db = sqlite_utils.Database(path)
    try:
        return [m.name for m in MIGRATIONS.applied(db)]
    finally:
        db.close()


def _stored(path: Path, sql: str) -> object:
    """The first value ``sql`` reads from the catalogue file at ``path``, past the Catalogue
    (the storage itself, which no public method shows)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchone()[0]


def _migrated(name: str, tmp_path) -> Catalogue:
    """A copy of the fixture catalogue ``name``, opened: migrated to the current schema."""
    path = tmp_path / "old.sqlite"
    path.write_bytes((Path(__file__).parents[1] / "data" / name).read_bytes())
    catalogue = Catalogue.open(path)
    assert _applied(path) == list(MIGRATION_NAMES)
    with contextlib.closing(sqlite3.connect(path)) as db:
        indexes = {row[1] for row in db.execute("PRAGMA index_list(images)")}
    assert {"images_missing", "images_outside"} <= indexes
    return catalogue


def test_a_catalogue_of_schema_0001_is_migrated(nouns, tmp_path):
    """tests/data/catalogue-0001.sqlite was written by the first schema: 3 images, 1 missing."""
    with _migrated("catalogue-0001.sqlite", tmp_path) as catalogue:
        assert catalogue.outside_root_count() == 0
        summary = catalogue.summary(nouns)
        assert (summary["images"], summary["missing"], summary["synsets"]) == (3, 1, 2)
        assert catalogue.direct_counts(nouns) == {TENCH: 2, "n02099601": 1}
        # storage itself: the audit rows the migration kept (a missing image's too)
        assert _stored(catalogue.path, "SELECT count(*) FROM audit") == 3


def test_a_catalogue_of_schema_0002_is_migrated_and_marks_what_is_outside(nouns, tmp_path):
    """tests/data/catalogue-0002.sqlite, written by schema 0002: a manifest in /tmp/fx/data
    listing ../../../etc/shadow and /etc/passwd among six paths. The migration marks those
    two from their paths alone, and nothing else (an absolute path under the root, a ``..``
    that stays within it, a name with two dots)."""
    with _migrated("catalogue-0002.sqlite", tmp_path) as catalogue:
        assert catalogue.outside_root_paths() == ["../../../etc/shadow", "/etc/passwd"]
        assert catalogue.summary(nouns)["outside_root"] == 2
        inside = {r.path for r in catalogue.images([TENCH, "n02099601"]) if not r.outside_root}
        assert inside == {
            f"{TENCH}/a.JPEG",
            "/tmp/fx/data/n02099601/b.JPEG",
            f"{TENCH}/../{TENCH}/c.JPEG",
            f"{TENCH}/x..y.JPEG",
        }


# --- opening: everything that is not a catalogue, told apart -----------------------------

NOT_INDEXED = r"^{p} has not been indexed yet: run `wnexplorer index {p}`\.$"
NOT_A_CATALOGUE = r"^{p} is not a catalogue "
DAMAGED = r"^The catalogue {p} is damaged \(database disk image is malformed\)\. It holds no "
# case (not_catalogues.CASES): the error, and its message with {p} for the path given
EXPECTED = {
    "text file": (
        CatalogueError,
        NOT_A_CATALOGUE + r"\(it looks like a text file\); if it lists images \(path,wnid "
        r"rows\), index it with `wnexplorer index {p}`\.$",
    ),
    "README.md": (CatalogueError, NOT_A_CATALOGUE + r"\(it looks like a text file\)"),
    ".lst list": (NotIndexedError, NOT_INDEXED),
    "JPEG image": (
        CatalogueError,
        NOT_A_CATALOGUE + r"\(it looks like a JPEG image\); open a catalogue file, or the dataset "
        r"folder or manifest it was indexed from\.$",
    ),
    "binary file": (CatalogueError, NOT_A_CATALOGUE + r"\(it looks like a binary file\)"),
    "empty file": (CatalogueError, NOT_A_CATALOGUE + r"\(it is empty\)"),
    "foreign SQLite": (
        CatalogueError,
        r"^{p} is a SQLite database but not a WordNet Explorer catalogue \(it has no catalogue "
        r"tables\); it was left unchanged\.",
    ),
    "truncated catalogue": (
        CatalogueError,
        r"^{p} is a damaged SQLite database \(.+\)\. If it is a catalogue, move it aside, then "
        r"rebuild it with `wnexplorer index ROOT --catalogue {p}` \(catalogues hold no "
        r"curation\)\.$",
    ),
    "damaged meta": (
        CatalogueDamagedError,
        DAMAGED + r"curation .*: rebuild it with `wnexplorer index ROOT --catalogue {p}`, which "
        r"keeps the damaged file aside\.$",
    ),
    "damaged rows": (
        CatalogueDamagedError,
        DAMAGED + r".*`wnexplorer index /tmp/fx/data --catalogue {p}`, which keeps the",
    ),
    "newer schema": (
        CatalogueError,
        r"^The catalogue {p} was written by a newer version of WordNet Explorer \(schema "
        r"9999_future\); upgrade the app to open it\.$",
    ),
    "folder without catalogue": (NotIndexedError, NOT_INDEXED),
    "nonexistent path": (CatalogueError, r"^No such file or folder: {p}$"),
}


def test_every_case_is_expected():
    assert set(EXPECTED) == set(not_catalogues.CASES)


@pytest.mark.parametrize("case", list(EXPECTED))
def test_opening_what_is_not_a_catalogue_says_what_it_is(tmp_path, case):
    error, message = EXPECTED[case]
    given = not_catalogues.make(case, tmp_path)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    before = not_catalogues.snapshot(tmp_path)
    with pytest.raises(error) as raised:
        Catalogue.open(resolve_catalogue(given, data_dir))
    assert re.match(message.format(p=re.escape(str(given))), str(raised.value)), raised.value
    assert "delete" not in str(raised.value)
    after = not_catalogues.snapshot(tmp_path)
    assert after == before, "nothing written: no journal, no WAL, no catalogue"
    if error is NotIndexedError:
        assert raised.value.source == given


@pytest.mark.parametrize("case", ["foreign SQLite", "empty file", "newer schema", "text file"])
def test_catalogue_open_on_its_own_leaves_the_file_alone(tmp_path, case):
    """What the window's recent list, or index's --catalogue, hands straight to open."""
    given = not_catalogues.make(case, tmp_path)
    before = not_catalogues.snapshot(tmp_path)
    with pytest.raises(EXPECTED[case][0]):
        Catalogue.open(given)
    assert not_catalogues.snapshot(tmp_path) == before


@pytest.mark.parametrize("source", ["folder", "manifest.csv", "list.lst"])
def test_an_indexed_folder_or_manifest_resolves_to_its_catalogue(nouns, tmp_path, source):
    if source == "folder":
        given = write_tree(tmp_path / "train", {f"{TENCH}/a.JPEG": JPEG})
    else:
        given = tmp_path / source
        given.write_text(f"{TENCH}/a.JPEG,{TENCH}\n")
    data_dir = tmp_path / "data"
    summary = index_catalogue(given, nouns=nouns, data_dir=data_dir)
    assert resolve_catalogue(given, data_dir) == Path(summary.catalogue)
    assert resolve_catalogue(summary.catalogue, data_dir) == Path(summary.catalogue)
    with Catalogue.open(resolve_catalogue(given, data_dir)) as catalogue:
        assert catalogue.source == given.resolve()


def test_a_catalogue_that_cannot_be_upgraded_is_not_called_damaged(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite"  # schema 0001: opening it applies a migration
    path.write_bytes(not_catalogues.OLD_CATALOGUE.read_bytes())

    def refuse(_db):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(MIGRATIONS, "apply", refuse)
    with pytest.raises(
        CatalogueError, match=r"^Cannot open the catalogue .* for writing .*readonly"
    ) as raised:
        Catalogue.open(path)
    assert "damaged" not in str(raised.value)


def _non_utf8_file(folder: Path, name: bytes) -> bytes:
    """Create ``folder/name`` (a name that is not UTF-8); skip where the file system refuses."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        Path(os.fsdecode(os.path.join(os.fsencode(folder), name))).write_bytes(JPEG)
    except OSError as exc:
        pytest.skip(f"this file system refuses names that are not UTF-8: {exc}")
    return name


def test_manifest_that_is_not_utf8_finds_its_files_as_a_folder_scan_does(nouns, tmp_path):
    data = tmp_path / "data"
    name = _non_utf8_file(data / DOG, b"caf\xe9.JPEG")  # Latin-1 "café"
    manifest = data / "latin1.csv"
    manifest.write_bytes(
        b"path,wnid\n" + DOG.encode() + b"/" + name + b"," + DOG.encode() + b"\n"
        b"odd/label.JPEG,dog\xff\n"
    )
    summary = index_catalogue(manifest, nouns=nouns, catalogue=tmp_path / "m.sqlite")
    assert (summary.images, summary.labelled) == (2, 1)
    scanned = index_catalogue(data, nouns=nouns, catalogue=tmp_path / "f.sqlite", layout="folders")
    assert scanned.images == 1
    with Catalogue.open(summary.catalogue) as listed, Catalogue.open(scanned.catalogue) as walked:
        (row,) = listed.images([DOG])
        assert (row.path, row.raw_path) == (f"{DOG}/caf\\xe9.JPEG", os.fsencode(DOG) + b"/" + name)
        assert [(r.path, r.raw_path) for r in walked.images([DOG])] == [(row.path, row.raw_path)]
        on_disk = listed.absolute_path(row.path, row.raw_path)
        assert on_disk == os.path.join(os.fsencode(data), os.fsencode(DOG), name)
        assert os.path.isfile(on_disk)
        assert {e["label"] for e in summary.odd_labels} == {"dog\\xff"}  # kept, shown escaped


@pytest.mark.parametrize(
    "name",
    [
        "ilsvrc2012/imagenet_synsets.txt",
        "ilsvrc2012/LOC_synset_mapping.txt",
        "imagenet21k/fall11_synset_image_counts.tsv",
    ],
)
def test_a_list_of_wnids_is_not_a_manifest(shared_data, nouns, tmp_path, name):
    with pytest.raises(CatalogueError, match=r"looks like a list of wnids .* not a manifest"):
        index_catalogue(
            shared_data / name, nouns=nouns, catalogue=tmp_path / "c.sqlite", layout="manifest"
        )
    assert not (tmp_path / "c.sqlite").exists()


def test_a_headed_list_of_wnids_is_not_a_manifest(nouns, tmp_path):
    manifest = tmp_path / "wnids.csv"
    manifest.write_text(f"wnid\n{TENCH}\n{DOG}\n")
    with pytest.raises(CatalogueError, match="looks like a list of wnids"):
        index_catalogue(manifest, nouns=nouns, catalogue=tmp_path / "c.sqlite")


@pytest.mark.parametrize(
    "text",
    [
        f"wnid,path\n{TENCH},a.JPEG\n{DOG},b/c.JPEG\n",  # header, reversed
        f"\ufeffPath,WNID\na.JPEG,{TENCH}\nb/c.JPEG,{DOG}\n",  # Excel's BOM, capitals
        f"Label\tsplit\tImage Path\n{TENCH}\tval\ta.JPEG\n{DOG}\tval\tb/c.JPEG\n",  # 3 columns
        f"{TENCH},a.JPEG\n{DOG},b/c.JPEG\n",  # no header: the cells tell the label column
        "file_name\na.JPEG\nb/c.JPEG\n",  # paths only: no labels
    ],
    ids=["reversed-header", "bom", "named-among-three", "reversed-no-header", "paths-only"],
)
def test_manifest_columns_are_found_by_name_or_by_their_cells(nouns, tmp_path, text):
    manifest = tmp_path / "m.csv"
    manifest.write_text(text, encoding="utf-8")
    summary = index_catalogue(manifest, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    assert summary.images == 2 and summary.bad_rows == 0
    with Catalogue.open(summary.catalogue) as catalogue:
        labels = {r.path: r.wnid for r in catalogue.images_by_path(["a.JPEG", "b/c.JPEG"])}
    if "file_name" in text:
        assert labels == {"a.JPEG": None, "b/c.JPEG": None}
    else:
        assert labels == {"a.JPEG": TENCH, "b/c.JPEG": DOG}


def test_a_short_label_file_is_reported(shared_data, nouns, tmp_path):
    real = (shared_data / "ilsvrc2012" / "validation_synset_labels.txt").read_text().split()
    labels = tmp_path / "five.txt"
    labels.write_text("\n".join(real[:5]) + "\n")
    root = write_tree(
        tmp_path / "val", {f"ILSVRC2012_val_{i:08d}.JPEG": JPEG for i in range(1, 13)}
    )
    summary = index_catalogue(root, nouns=nouns, catalogue=tmp_path / "c.sqlite", labels=labels)
    assert (summary.images, summary.labelled, summary.no_label) == (12, 5, 7)
    assert summary.warnings == [
        f"5 labels in {labels} for files numbered up to 12: 7 images have no label "
        "(is it the whole label file?)"
    ]
    whole = shared_data / "ilsvrc2012" / "validation_synset_labels.txt"
    assert index_catalogue(root, nouns=nouns, catalogue=tmp_path / "d", labels=whole).warnings == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("known-issues/imagenet_mturk.json", "is JSON, not one wnid per line"),
        ("known-issues/real.json", "is JSON, not one wnid per line"),
        ("known-issues/imagenet_val_set_original_labels.npy", "is not text"),
    ],
)
def test_a_label_file_that_is_not_one_is_refused(shared_data, nouns, tmp_path, name, message):
    root = write_tree(tmp_path / "val", {f"ILSVRC2012_val_{i:08d}.JPEG": JPEG for i in (1, 2)})
    with pytest.raises(CatalogueError, match=message):
        index_catalogue(
            root, nouns=nouns, catalogue=tmp_path / "c.sqlite", labels=shared_data / name
        )
    assert not (tmp_path / "c.sqlite").exists()


def _content(path: Path) -> tuple:
    """Everything a rescan could change in a catalogue."""
    with sqlite3.connect(path) as db:
        return tuple(
            db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("meta", "images", "scans", "label_counts")
        )


@pytest.fixture
def val_catalogue(shared_data, nouns, tmp_path):
    """(val folder, label file, catalogue) of four ILSVRC2012 val files and a copy of the
    real label file."""
    labels = tmp_path / "labels.txt"
    shutil.copyfile(shared_data / "ilsvrc2012" / "validation_synset_labels.txt", labels)
    root = write_tree(
        tmp_path / "val", {f"ILSVRC2012_val_{i:08d}.JPEG": JPEG for i in (1, 2, 3, 4)}
    )
    path = tmp_path / "c.sqlite"
    summary = index_catalogue(root, nouns=nouns, catalogue=path, labels=labels)
    assert (summary.labelled, summary.labels, summary.labels_reused) == (4, str(labels), False)
    return root, labels, path


def test_a_rescan_remembers_the_label_file(nouns, val_catalogue):
    root, labels, path = val_catalogue
    (root / "ILSVRC2012_val_00000005.JPEG").write_bytes(JPEG)
    summary = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (summary.added, summary.labelled, summary.no_label) == (1, 5, 0)
    assert (summary.labels, summary.labels_reused) == (str(labels), True)

    before = _content(path)
    labels.unlink()
    with pytest.raises(CatalogueError, match=r"label file .*labels.txt, which is gone; .*--labels"):
        index_catalogue(root, nouns=nouns, catalogue=path)
    assert _content(path) == before


def test_a_rescan_in_another_layout_is_refused_unless_asked_for(nouns, val_catalogue):
    root, labels, path = val_catalogue
    before = _content(path)
    with pytest.raises(CatalogueError, match=r"in the ilsvrc-val layout; .* as flat .*--relayout"):
        index_catalogue(root, nouns=nouns, catalogue=path, layout="flat")
    assert _content(path) == before, "a refused rescan leaves the catalogue as it was"
    with pytest.raises(CatalogueError, match="--labels is for the ilsvrc-val layout"):
        index_catalogue(
            root, nouns=nouns, catalogue=path, layout="flat", labels=labels, relayout=True
        )
    assert _content(path) == before

    same = index_catalogue(root, nouns=nouns, catalogue=path, layout="ilsvrc-val")
    assert (same.layout, same.changed, same.labelled) == ("ilsvrc-val", 0, 4)
    relabelled = index_catalogue(root, nouns=nouns, catalogue=path, layout="flat", relayout=True)
    assert (relabelled.layout, relabelled.changed, relabelled.no_label) == ("flat", 4, 4)
    assert relabelled.labels is None
    with Catalogue.open(path) as catalogue:
        assert "labels" not in catalogue.meta  # a rescan of a flat catalogue takes no --labels


def test_a_rescan_keeps_the_catalogues_layout(nouns, tmp_path):
    # wnid folders holding files named after their wnid: detected as folders, indexed as flat
    root = write_tree(tmp_path / "data", {f"{TENCH}/{DOG}_1.JPEG": JPEG})
    path = tmp_path / "c.sqlite"
    assert index_catalogue(root, nouns=nouns, catalogue=path, layout="flat").synsets == 1
    again = index_catalogue(root, nouns=nouns, catalogue=path)
    assert (again.layout, again.changed) == ("flat", 0)
    with Catalogue.open(path) as catalogue:
        assert catalogue.direct_counts(nouns) == {DOG: 1}
    detected = index_catalogue(root, nouns=nouns, catalogue=path, relayout=True)
    assert (detected.layout, detected.changed) == ("folders", 1)


LABEL_FORMS = {  # label as written -> what it is stored as
    TENCH: TENCH,
    "2084071": DOG,  # an offset, as `wnexplorer show 2084071` takes it
    "01443537": GOLDFISH,  # a zero-padded offset
    "dog.n.01": DOG,  # a synset name
    "Goldfish.N.01": GOLDFISH,  # in any case, as Taxonomy.resolve takes it
    "run.v.01": "run.v.01",  # a verb: no noun, kept as written
    "123": "123",  # no synset at that offset
    "n99999999": "n99999999",
    "wn31-02086723-n": "wn31-02086723-n",
}


def _forms_manifest(folder: Path) -> Path:
    manifest = folder / "forms.csv"
    rows = [f"{i}.JPEG,{label}" for i, label in enumerate(LABEL_FORMS)]
    manifest.write_text("path,label\n" + "\n".join(rows) + "\n")
    return manifest


def test_labels_in_every_form_the_cli_takes_are_stored_as_wnids(nouns, tmp_path):
    manifest = _forms_manifest(tmp_path)
    path = tmp_path / "c.sqlite"
    summary = index_catalogue(manifest, nouns=nouns, catalogue=path)
    assert (summary.images, summary.labelled, summary.synsets) == (9, 5, 3)
    assert summary.relabelled == 4
    assert summary.relabelled_examples == {
        "01443537": GOLDFISH,
        "2084071": DOG,
        "Goldfish.N.01": GOLDFISH,
        "dog.n.01": DOG,
    }
    with Catalogue.open(path) as catalogue:
        paths = [f"{i}.JPEG" for i in range(len(LABEL_FORMS))]
        stored = {r.path: r.wnid for r in catalogue.images_by_path(paths)}
    assert stored == {f"{i}.JPEG": wnid for i, wnid in enumerate(LABEL_FORMS.values())}
    notes = {e["label"]: e["note"] for e in summary.odd_labels}
    assert notes["n99999999"] == (
        "n99999999: no such noun in WordNet 3.0; a WordNet 3.1 id? ImageNet uses 3.0"
    )
    assert "a WordNet 3.1 or Open English WordNet id?" in notes["wn31-02086723-n"]
    assert notes["123"] == "123: not a WordNet 3.0 wnid, offset or synset name"

    again = index_catalogue(manifest, nouns=nouns, catalogue=path)
    assert (again.changed, again.added, again.relabelled, again.labelled) == (0, 0, 4, 5)


def test_synset_names_are_looked_up_only_when_a_label_looks_like_one(taxonomy, tmp_path):
    from explorer.core.wordnet import load_synset_names

    wnids = frozenset(taxonomy.graph)  # what the command line loads: the wnids alone
    manifest = tmp_path / "m.csv"
    rows = [f"{i}.JPEG,{TENCH}" for i in range(20)]  # one row in 22 relabelled: no index rebuilt
    manifest.write_text("\n".join([*rows, "b.JPEG,2084071", "c.JPEG,n99999999"]) + "\n")

    def never():
        raise AssertionError("no label looks like a synset name")

    summary = index_catalogue(manifest, nouns=wnids, catalogue=tmp_path / "a", synset_names=never)
    assert (summary.labelled, summary.relabelled, summary.synsets) == (21, 1, 2)

    manifest = _forms_manifest(tmp_path)
    without = index_catalogue(manifest, nouns=wnids, catalogue=tmp_path / "b")
    assert without.relabelled == 2  # the offsets; the names need synset_names
    summary = index_catalogue(
        manifest, nouns=wnids, catalogue=tmp_path / "c", synset_names=load_synset_names
    )
    assert (summary.labelled, summary.relabelled) == (5, 4)


def test_a_read_only_catalogue_is_read_and_never_written(nouns, tmp_path, request):
    """A read-only mount (as root) or someone else's folder: reading works, and every write
    says the catalogue is read-only, not damaged; not a byte changes (no -wal, no -shm)."""
    data = write_tree(tmp_path / "data", {f"{TENCH}/{i}.JPEG": JPEG for i in range(3)})
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    catalogue = shelf / "c.sqlite"
    index_catalogue(data, nouns=nouns, catalogue=catalogue)
    make_read_only(shelf, request)
    before = not_catalogues.snapshot(shelf)
    with Catalogue.open(catalogue) as opened:
        assert opened.direct_counts(nouns) == {TENCH: 3}
        assert len(opened.images([TENCH])) == 3
    writes = {
        "open to write": lambda: Catalogue.open(catalogue, write=True),
        "rescan": lambda: index_catalogue(data, nouns=nouns, catalogue=catalogue),
        "audit": lambda: audit_catalogue(catalogue),
    }
    for what, write in writes.items():
        with pytest.raises(CatalogueError) as raised:
            write()
        assert f"The catalogue {catalogue} is read-only" in str(raised.value), what
        assert "damaged" not in str(raised.value)
    assert not_catalogues.snapshot(shelf) == before


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        ("DROP TABLE images", "images missing"),
        ("DELETE FROM meta WHERE key = 'root'", "meta root missing"),
    ],
)
def test_a_damaged_catalogue_is_said_so_and_index_rebuilds_it_keeping_it_aside(
    nouns, tmp_path, damage, why
):
    data = write_tree(tmp_path / "data", {f"{TENCH}/{i}.JPEG": JPEG for i in range(3)})
    catalogue = tmp_path / "c.sqlite"
    index_catalogue(data, nouns=nouns, catalogue=catalogue)
    with sqlite3.connect(catalogue) as db:
        db.execute(damage)
    damaged = catalogue.read_bytes()
    with pytest.raises(CatalogueDamagedError, match=f"is damaged \\({why}\\)"):
        Catalogue.open(catalogue)
    summary = index_catalogue(data, nouns=nouns, catalogue=catalogue)  # not the same failure
    assert summary.images == 3 and summary.added == 3
    kept = [p for p in tmp_path.glob("c.sqlite.damaged-*") if not p.name.endswith(("wal", "shm"))]
    assert [p.read_bytes() for p in kept] == [damaged]
    assert any(f"moved aside as {kept[0].name} " in w for w in summary.warnings), summary.warnings
    with Catalogue.open(catalogue) as rebuilt:
        assert rebuilt.direct_counts(nouns) == {TENCH: 3}


# --- the catalogue as a store: its questions, and its failures said in words ----------------


def test_the_questions_other_packages_ask_by_method(nouns, tmp_path):
    root = write_tree(
        tmp_path / "data",
        {
            f"{TENCH}/a.JPEG": JPEG,
            f"{TENCH}/ILSVRC2012_val_00000001.JPEG": JPEG,
            f"{GOLDFISH}/ILSVRC2012Xval_00000002.JPEG": JPEG + b"x",  # "_" is no wildcard
            "misc/b.JPEG": JPEG,
            f"{GOLDFISH}/gone.JPEG": JPEG,
        },
    )
    path = tmp_path / "c.sqlite"
    index_catalogue(root, nouns=nouns, catalogue=path)
    (root / GOLDFISH / "gone.JPEG").unlink()
    index_catalogue(root, nouns=nouns, catalogue=path)
    asked = [f"{TENCH}/a.JPEG", "misc/b.JPEG", f"{GOLDFISH}/gone.JPEG", "nowhere.JPEG"]
    with Catalogue.open(path) as catalogue:
        assert catalogue.present_paths(iter(asked)) == {f"{TENCH}/a.JPEG", "misc/b.JPEG"}
        assert catalogue.labels_of(asked) == {f"{TENCH}/a.JPEG": TENCH}
        assert catalogue.present_paths_containing("ilsvrc2012_VAL_") == [
            f"{TENCH}/ILSVRC2012_val_00000001.JPEG"
        ]
        assert catalogue.missing_images() == [(f"{GOLDFISH}/gone.JPEG", GOLDFISH)]
        assert (catalogue.present_count(), catalogue.missing_count()) == (4, 1)
        sized = catalogue.images_of_sizes([len(JPEG)])
        assert sorted(s.path for s in sized) == [
            "misc/b.JPEG",
            f"{TENCH}/ILSVRC2012_val_00000001.JPEG",
            f"{TENCH}/a.JPEG",
        ]
        assert {s.content_hash for s in sized} == {None}  # not audited yet
        assert catalogue.audit_pending_count() == 4
    audit_catalogue(path, workers=1)
    with Catalogue.open(path) as catalogue:
        assert catalogue.audit_pending_count() == 0
        assert list(catalogue.images_to_audit()) == []
        assert catalogue.audit_pending_count(recheck=True) == catalogue.audited_count() == 4
        assert [len(b) for b in catalogue.images_to_audit(recheck=True, batch=3)] == [3, 1]
        hashes = {s.content_hash for s in catalogue.images_of_sizes([len(JPEG)])}
        assert len(hashes) == 1 and None not in hashes  # the audit's, current
        duplicates = catalogue.duplicate_paths()
        assert list(duplicates.values()) == [  # natural path order: letter case aside
            ["misc/b.JPEG", f"{TENCH}/a.JPEG", f"{TENCH}/ILSVRC2012_val_00000001.JPEG"]
        ]
        findings = catalogue.audit_findings(duplicates)
        assert [f.path for f in findings] == duplicates[next(iter(duplicates))]
        assert findings[0].problems == () and findings[0].format == "JPEG"


class _Failing:
    """A connection whose every statement fails as SQLite does when ``name`` happens."""

    def __init__(self, name: str, message: str) -> None:
        self.name, self.message = name, message

    def execute(self, *_args):
        exc = sqlite3.OperationalError(self.message)
        exc.sqlite_errorname = self.name
        raise exc

    executemany = execute

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        pass

    @property
    def conn(self):
        return self

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("name", "message", "error", "said"),
    [
        (
            "SQLITE_BUSY",
            "database is locked",
            CatalogueError,
            r"is busy \(database is locked\): another program .* try again when it has finished",
        ),
        (
            "SQLITE_FULL",
            "database or disk is full",
            CatalogueError,
            r"^The disk holding the catalogue .* is full .*; free some space",
        ),
        (
            "SQLITE_READONLY",
            "attempt to write a readonly database",
            CatalogueError,
            r"cannot be written .*; make it and its folder writable",
        ),
        (
            "SQLITE_CORRUPT",
            "database disk image is malformed",
            CatalogueDamagedError,
            r"is damaged .* rebuild it with `wnexplorer index .* --catalogue",
        ),
    ],
)
def test_a_failure_of_sqlite_is_a_catalogue_error_that_says_what_to_do(
    nouns, tmp_path, name, message, error, said
):
    root = write_tree(tmp_path / "data", {f"{TENCH}/a.JPEG": JPEG})
    path = tmp_path / "c.sqlite"
    index_catalogue(root, nouns=nouns, catalogue=path)
    with Catalogue.open(path) as opened:
        meta = opened.meta
    catalogue = Catalogue(path, _Failing(name, message), meta)  # as opened, over a failing db
    asks = [
        lambda: catalogue.images([TENCH]),
        lambda: catalogue.summary(nouns),
        lambda: catalogue.present_paths(["a"]),
        lambda: catalogue.audit_pending_count(),
        lambda: list(catalogue.images_to_audit()),
        lambda: catalogue.record_audit([AuditRecord(1, 2, 3, None, (), None, *[None] * 4)]),
        lambda: audit_report_of(catalogue),
    ]
    for ask in asks:
        with pytest.raises(error, match=said) as raised:
            ask()
        assert isinstance(raised.value.__cause__, sqlite3.Error)


def audit_report_of(catalogue):
    from explorer.core.images import audit_report

    return audit_report(catalogue)


def test_a_catalogue_damaged_after_it_opened_is_said_so(nouns, tmp_path):
    root = write_tree(tmp_path / "data", {f"{TENCH}/{i:04d}.JPEG": JPEG for i in range(600)})
    path = tmp_path / "c.sqlite"
    index_catalogue(root, nouns=nouns, catalogue=path)
    with Catalogue.open(path) as catalogue:
        size = path.stat().st_size
        with open(path, "r+b") as file:  # every page after the first few: the images table
            file.seek(4 * 4096)
            file.write(b"\xa5" * (size - 4 * 4096))
        with pytest.raises(CatalogueDamagedError, match="is damaged"):
            catalogue.images([TENCH])


def test_failures_while_indexing_say_whether_the_source_or_the_catalogue_failed(
    nouns, tmp_path, monkeypatch
):
    import errno

    from explorer.core.catalogue import indexing

    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,label\na.JPEG,{TENCH}\n")
    real = indexing.read_manifest

    def broken_disk(*args):
        yield from real(*args)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(indexing, "read_manifest", broken_disk)
    with pytest.raises(CatalogueError, match=rf"^Cannot read {manifest} \(Input/output error\)"):
        index_catalogue(manifest, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    assert list(tmp_path.iterdir()) == [manifest]

    def full_disk(*args):
        yield from real(*args)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(indexing, "read_manifest", full_disk)
    with pytest.raises(CatalogueError, match=r"^The disk holding the catalogue .* is full"):
        index_catalogue(manifest, nouns=nouns, catalogue=tmp_path / "c.sqlite")
    assert list(tmp_path.iterdir()) == [manifest]


def test_an_unknown_layout_is_the_callers_mistake_found_before_anything_is_opened(nouns, tmp_path):
    catalogue = tmp_path / "c.sqlite"
    catalogue.write_bytes(b"")  # not even looked at
    with pytest.raises(ValueError, match="Unknown layout 'tree'; choose auto or one of folders"):
        index_catalogue(tmp_path, nouns=nouns, layout="tree", catalogue=catalogue)


def test_a_catalogue_that_cannot_be_made_there_is_a_catalogue_error(nouns, tmp_path):
    root = write_tree(tmp_path / "data", {f"{TENCH}/a.JPEG": JPEG})
    (tmp_path / "file").write_text("not a folder")
    target = tmp_path / "file" / "c.sqlite"
    said = rf"^Cannot use the catalogue {target} \(Not a directory\); check the disk"
    with pytest.raises(CatalogueError, match=said):
        index_catalogue(root, nouns=nouns, catalogue=target)
