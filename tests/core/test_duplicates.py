"""Near-duplicates (issue 17): hashes stored per file version and incremental, the pair
search exact against brute force, the planted set from the real ILSVRC samples found and
judged by the real WordNet hierarchy, leakage between two catalogues, pairs marked not
duplicates left out, and every kind of bad file a reason, never a crash."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hostile_corpus import make_hostile_corpus
from planted_duplicates import ALTERATIONS, plant, source_of

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.duplicates import RELATIONS, find_duplicates
from explorer.core.duplicates.hashing import hash_catalogue
from explorer.core.duplicates.search import near_pairs
from explorer.core.images.phash import perceptual_hash
from explorer.core.jobs import JobState

TESTS = Path(__file__).resolve().parents[1]


def _codes_with_neighbours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random hashes, and copies of some of them with 1 to 12 bits flipped."""
    base = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    copies = []
    for flips in range(0, 13):
        chosen = base[rng.choice(n, size=n // 20, replace=False)].copy()
        for i in range(len(chosen)):
            for bit in rng.choice(64, size=flips, replace=False):
                chosen[i] ^= np.uint64(1) << np.uint64(int(bit))
        copies.append(chosen)
    codes = np.concatenate([base, *copies])
    rng.shuffle(codes)
    return codes


@pytest.mark.parametrize("max_distance", [0, 2, 5, 8, 10, 13])
def test_the_multi_index_search_finds_exactly_what_brute_force_finds(max_distance):
    rng = np.random.default_rng(max_distance)
    codes = _codes_with_neighbours(rng, 2000)
    other = _codes_with_neighbours(rng, 700)
    for against in (None, other):
        index = near_pairs(codes, max_distance, against=against, method="index")
        brute = near_pairs(codes, max_distance, against=against, method="brute")
        if against is None:  # the planted copies (the other set is unrelated to this one)
            assert len(brute) >= 100
        assert np.array_equal(index.first, brute.first)
        assert np.array_equal(index.second, brute.second)
        assert np.array_equal(index.distance, brute.distance)
        assert (index.distance <= max_distance).all()
        if against is None:
            assert (index.first < index.second).all()


def test_the_pair_search_can_be_cancelled():
    state = JobState()
    state.cancel()
    codes = np.random.default_rng(0).integers(0, 2**64, size=5000, dtype=np.uint64)
    from explorer.core.errors import Cancelled

    with pytest.raises(Cancelled):
        near_pairs(codes, 8, method="index", state=state)


@pytest.fixture(scope="module")
def planted(taxonomy, shared_data, tmp_path_factory):
    """40 samples and 7 altered copies of each, indexed and hashed."""
    samples = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))[::25]
    root = tmp_path_factory.mktemp("planted") / "data"
    pairs = plant(samples, root, taxonomy)
    catalogue = root.parent / "planted.sqlite"
    index_catalogue(root, nouns=taxonomy.graph, catalogue=catalogue)
    summary = hash_catalogue(catalogue)
    assert summary.hashed == summary.images == len(samples) * (1 + len(ALTERATIONS))
    return catalogue, pairs


def test_planted_copies_are_found_and_judged_by_the_hierarchy(planted, taxonomy):
    catalogue_path, planted_pairs = planted
    with Catalogue.open(catalogue_path) as catalogue:
        report = find_duplicates(catalogue, taxonomy)
        rows = list(report.rows(catalogue))
    found = {frozenset((row.a, row.b)): row for row in rows}
    recall = defaultdict(list)
    for pair in planted_pairs:
        row = found.get(frozenset((pair.original, pair.copy)))
        recall[pair.alteration].append(row is not None)
        if row is not None:
            assert row.relation == pair.relation, (pair, row)
            assert row.exact == (pair.alteration == "exact copy"), row
            assert row.distance <= 8
    for alteration, hits in recall.items():
        assert sum(hits) / len(hits) >= 0.95, (alteration, hits)
    assert all(recall["exact copy"]) and all(recall["grayscale"])
    # 40 different ILSVRC classes: no pair between two of them
    assert [row for row in rows if source_of(row.a) != source_of(row.b)] == []
    assert set(report.summary.by_relation) == set(RELATIONS)
    assert sum(report.summary.by_relation.values()) == report.summary.pairs == len(rows)
    assert report.summary.exact == sum(row.exact for row in rows) >= 40


def test_a_relation_filter_keeps_only_that_relation(planted, taxonomy):
    catalogue_path, _ = planted
    with Catalogue.open(catalogue_path) as catalogue:
        everything = find_duplicates(catalogue, taxonomy)
        conflicts = find_duplicates(catalogue, taxonomy, relations=["different"])
        rows = list(conflicts.rows(catalogue))
        assert rows and {row.relation for row in rows} == {"different"}
        assert len(rows) == everything.summary.by_relation["different"]
        with pytest.raises(ValueError, match="unknown relation"):
            find_duplicates(catalogue, taxonomy, relations=["cousin"])


def test_pairs_marked_not_duplicates_are_left_out(planted, taxonomy):
    catalogue_path, planted_pairs = planted
    first = planted_pairs[1]  # the half-size copy
    with Catalogue.open(catalogue_path) as catalogue:
        before = find_duplicates(catalogue, taxonomy)
        marked = [(first.copy, first.original)]  # either way round
        after = find_duplicates(catalogue, taxonomy, not_duplicates=marked)
        assert len(after) == len(before) - 1 and after.summary.not_duplicates == 1
        assert frozenset((first.original, first.copy)) not in {
            frozenset((row.a, row.b)) for row in after.rows(catalogue)
        }


def test_leakage_between_two_catalogues_reports_only_pairs_across(planted, taxonomy, tmp_path):
    """Originals as "train", their copies as "val": a in train, b in val, and nothing else."""
    catalogue_path, planted_pairs = planted
    with Catalogue.open(catalogue_path) as catalogue:
        root = Path(catalogue.root)
    train, val = tmp_path / "train", tmp_path / "val"
    for pair in planted_pairs:
        for path, target in ((pair.original, train), (pair.copy, val)):
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / path, target / path)
    for folder in (train, val):
        index_catalogue(folder, nouns=taxonomy.graph, catalogue=tmp_path / f"{folder.name}.sqlite")
        hash_catalogue(tmp_path / f"{folder.name}.sqlite")
    with (
        Catalogue.open(tmp_path / "train.sqlite") as c1,
        Catalogue.open(tmp_path / "val.sqlite") as c2,
    ):
        report = find_duplicates(c1, taxonomy, against=c2)
        rows = list(report.rows(c1, c2))
        train_paths = {row.path for row in c1.images(taxonomy.wnids)}
    assert rows and all(row.a in train_paths for row in rows)
    assert {(row.a, row.b) for row in rows} >= {
        (p.original, p.copy) for p in planted_pairs if p.alteration == "exact copy"
    }
    assert all(source_of(row.a) == source_of(row.b) for row in rows)
    assert report.summary.against_with_copy == len({row.b for row in rows})
    assert report.summary.against_images == len(planted_pairs)


def test_hashes_are_kept_per_file_version_and_only_new_files_are_read(
    taxonomy, shared_data, tmp_path
):
    root = tmp_path / "data" / "n01440764"
    root.mkdir(parents=True)
    samples = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))[:3]
    for sample in samples:
        shutil.copyfile(sample, root / sample.name)
    catalogue = tmp_path / "c.sqlite"
    index_catalogue(root.parent, nouns=taxonomy.graph, catalogue=catalogue)
    assert hash_catalogue(catalogue).hashed == 3
    assert hash_catalogue(catalogue).hashed == 0  # nothing changed: nothing read
    # one file replaced by another picture, and one added: a rescan, then only those two
    changed = root / samples[0].name
    shutil.copyfile(samples[1], changed)
    os.utime(changed, ns=(1, 1))
    shutil.copyfile(samples[2], root / "new.JPEG")
    index_catalogue(root.parent, nouns=taxonomy.graph, catalogue=catalogue)
    again = hash_catalogue(catalogue)
    assert (again.hashed, again.already_current) == (2, 2)
    with sqlite3.connect(catalogue) as db:
        value = db.execute(
            "SELECT h.value FROM phash h JOIN images i ON i.id = h.image_id WHERE i.path = ?",
            (f"n01440764/{samples[0].name}",),
        ).fetchone()[0]
    assert value % 2**64 == perceptual_hash(samples[1]).value
    assert hash_catalogue(catalogue, rehash=True).hashed == 4


def test_a_cancelled_hashing_keeps_its_batches_and_goes_on_from_there(
    planted, tmp_path, monkeypatch
):
    from explorer.core.duplicates import hashing

    monkeypatch.setattr(hashing, "_BATCH", 64)
    catalogue_path, _ = planted
    copy = tmp_path / "c.sqlite"
    shutil.copyfile(catalogue_path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("DELETE FROM phash")

    class CancelAfterFirstBatch(JobState):
        def progress(self, done, total=None, message=""):
            if done:
                self.cancel()

    first = hash_catalogue(copy, state=CancelAfterFirstBatch())
    assert first.cancelled and first.hashed == 64
    rest = hash_catalogue(copy)
    assert rest.hashed == first.images - first.hashed and not rest.cancelled


def test_bad_files_get_a_reason_and_never_stop_the_job(taxonomy, tmp_path):
    folder = tmp_path / "data" / "n01440764"
    expected = make_hostile_corpus(folder)
    catalogue = tmp_path / "c.sqlite"
    index_catalogue(folder.parent, nouns=taxonomy.graph, catalogue=catalogue)
    summary = hash_catalogue(catalogue)
    assert summary.hashed == summary.images
    with Catalogue.open(catalogue) as opened:
        reasons = dict(opened.unhashable(limit=1000))
        indexed = {row.path.removeprefix("n01440764/") for row in opened.images(["n01440764"])}
    # the links to /dev/zero and /dev/urandom lead out of the dataset: never read
    outside = {name for name in expected if name.endswith("_link.JPEG")}
    assert outside and not any(f"n01440764/{name}" in reasons for name in outside)
    assert summary.images == len(indexed) - len(outside)
    bad = ({name for name, codes in expected.items() if codes & _UNHASHABLE} & indexed) - outside
    assert {"fifo.JPEG", "dangling.JPEG", "bomb.png", "truncated.png"} <= bad
    for name in bad:  # special files, bombs, damaged and unreadable files: each a reason
        assert reasons.get(f"n01440764/{name}"), name
    assert "n01440764/clean.JPEG" not in reasons and "n01440764/clean.png" not in reasons
    assert summary.unhashable == len(reasons)


# what makes a file impossible to hash (the audit's codes for them)
_UNHASHABLE = {
    "zero_byte",
    "truncated",
    "decompression_bomb",
    "too_large_to_decode",
    "too_many_scans",
    "not_an_image",
    "unreadable",
}


def test_an_old_catalogue_gets_the_hash_table_on_opening(taxonomy, tmp_path):
    """tests/data/catalogue-0004.sqlite, written by schema 0004 (a folder in /tmp/fx4/data
    of the tench and golden retriever samples): it opens, and asks for both to be hashed."""
    old = tmp_path / "old.sqlite"
    old.write_bytes((TESTS / "data" / "catalogue-0004.sqlite").read_bytes())
    with Catalogue.open(old, write=True) as catalogue:
        assert catalogue.hash_pending_count() == 2
        assert catalogue.hash_arrays()[0].size == 0


def test_decisions_on_pairs_are_journaled_undoable_and_survive_a_lost_store(tmp_path):
    from explorer.core.curation import FlagStore, ImageRef, UndoStack, clear_images
    from explorer.core.duplicates.decisions import flag_duplicate, mark_not_duplicate

    path = tmp_path / "c.flags.sqlite"
    with FlagStore.open(path) as store:
        stack = UndoStack(store)
        stack.push(mark_not_duplicate(store, "n01/a.JPEG", "n01/b.JPEG"))
        stack.push(mark_not_duplicate(store, "n01/a.JPEG", "/val/n02/c.JPEG"))
        stack.push(flag_duplicate(store, ImageRef("n01/a.JPEG"), "n01/z.JPEG"))
        # flagging, then clearing the flags, keeps what was judged about its pairs
        stack.push(clear_images(store, [ImageRef("n01/a.JPEG")]))
        assert store.state("n01/a.JPEG").distinct == ("/val/n02/c.JPEG", "n01/b.JPEG")
        stack.undo()
        assert store.state("n01/a.JPEG").flags[0].note == "duplicate of n01/z.JPEG"
    path.unlink()  # the database lost: the journal rebuilds it
    with FlagStore.open(path) as store:
        assert sorted(store.not_duplicates()) == [
            ("n01/a.JPEG", "/val/n02/c.JPEG"),
            ("n01/a.JPEG", "n01/b.JPEG"),
        ]
        assert store.state("n01/a.JPEG").reasons == ("duplicate",)


def test_a_state_with_too_many_or_bad_twins_is_refused():
    from explorer.core.curation.states import ImageState, check_state

    with pytest.raises(ValueError, match="not a short list"):
        check_state("a.JPEG", ImageState(distinct=tuple(f"{i}.JPEG" for i in range(65))))
    with pytest.raises(ValueError, match="NUL"):
        check_state("a.JPEG", ImageState(distinct=("b\0.JPEG",)))
    with pytest.raises(ValueError, match="empty path"):
        check_state("a.JPEG", ImageState(distinct=("",)))


def test_hashes_made_on_a_dask_cluster_are_those_made_here(planted, tmp_path):
    pytest.importorskip("distributed", reason="the Dask distributed package is not installed")
    from explorer.core.cluster import ClusterSpec

    catalogue_path, _ = planted
    copy = tmp_path / "c.sqlite"
    shutil.copyfile(catalogue_path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("DELETE FROM phash")
    summary = hash_catalogue(copy, cluster=ClusterSpec(workers=2))
    assert summary.hashed == summary.images and not summary.cancelled
    query = "SELECT image_id, size, mtime_ns, value, content, error FROM phash ORDER BY 1"
    with sqlite3.connect(copy) as ours, sqlite3.connect(catalogue_path) as here:
        assert ours.execute(query).fetchall() == here.execute(query).fetchall()


def test_a_confirmed_duplicate_is_left_out_of_exports(planted, taxonomy, tmp_path):
    from explorer.core.curation import FlagStore, ImageRef
    from explorer.core.duplicates import flag_duplicate
    from explorer.core.exports import ExportRequest, run_export

    catalogue_path, planted_pairs = planted
    copy = tmp_path / "c.sqlite"
    shutil.copyfile(catalogue_path, copy)
    pair = planted_pairs[0]  # an exact copy of the first sample
    folder = pair.copy.split("/")[0]
    request = ExportRequest("images", [folder])
    before = run_export(request, taxonomy, copy).text
    assert pair.copy in before
    with FlagStore.open_for(copy) as store:
        store.apply(flag_duplicate(store, ImageRef(pair.copy), pair.original).after)
    after = run_export(request, taxonomy, copy).text
    assert pair.copy not in after and len(after.splitlines()) == len(before.splitlines()) - 1
