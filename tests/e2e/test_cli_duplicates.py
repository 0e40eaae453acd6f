"""``wnexplorer duplicates`` on real ILSVRC samples: the JSON shape the issue names, the
relation filter, leakage with --against, the CSV export, pairs marked not duplicates,
and usage errors."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from cli_run import ok, run
from planted_duplicates import plant, source_of

from explorer.core.curation import FlagStore
from explorer.core.duplicates.decisions import mark_not_duplicate

PAIR_KEYS = {"a", "b", "wnid_a", "wnid_b", "distance", "exact", "relation"}


@pytest.fixture(scope="module")
def planted(taxonomy, shared_data, tmp_path_factory):
    """12 samples and their altered copies, as "train"; the originals alone as "val"."""
    samples = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))[5::80][:12]
    base = tmp_path_factory.mktemp("dups")
    pairs = plant(samples, base / "train", taxonomy)
    for pair in pairs[:: len(pairs) // len(samples)]:
        target = base / "val" / pair.original
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base / "train" / pair.original, target)
    return base, pairs


def _index(capsys, base, name):
    catalogue = base / f"{name}-{id(capsys)}.sqlite"
    ok(capsys, "index", base / name, "--catalogue", catalogue)
    return catalogue


def test_json_has_the_pairs_and_summary_the_issue_names(capsys, planted):
    base, pairs = planted
    catalogue = _index(capsys, base, "train")
    out, err = ok(capsys, "duplicates", "--catalogue", catalogue, "--json")
    data = json.loads(out)
    assert "Hashing images" in err  # hashed first, progress on stderr
    assert data["pairs"] and all(set(p) == PAIR_KEYS for p in data["pairs"])
    found = {frozenset((p["a"], p["b"])): p for p in data["pairs"]}
    exact = [found[frozenset((p.original, p.copy))] for p in pairs if p.alteration == "exact copy"]
    assert exact and all(p["exact"] and p["distance"] == 0 for p in exact)
    assert all(source_of(p["a"]) == source_of(p["b"]) for p in data["pairs"])
    summary = data["summary"]
    assert summary["pairs"] == len(data["pairs"]) and summary["max_distance"] == 8
    assert summary["images"] == 12 * 8 and summary["not_hashed"] == 0
    assert sum(summary["by_relation"].values()) == summary["pairs"]
    # a second run reads no file: the hashes are current
    _, err = ok(capsys, "duplicates", "--catalogue", catalogue, "--json")
    assert "Hashing images: 0" in err or "Hashing images" not in err


def test_relation_filter_distance_and_csv_export(capsys, planted, tmp_path):
    base, _ = planted
    catalogue = _index(capsys, base, "train")
    out, _ = ok(capsys, "duplicates", "--catalogue", catalogue, "--json", "--relation", "different")
    conflicts = json.loads(out)["pairs"]
    assert conflicts and {p["relation"] for p in conflicts} == {"different"}
    out, _ = ok(capsys, "duplicates", "--catalogue", catalogue, "--json", "--max-distance", "0")
    assert {p["distance"] for p in json.loads(out)["pairs"]} == {0}
    target = tmp_path / "out" / "pairs.csv"
    _, err = ok(capsys, "duplicates", "--catalogue", catalogue, "-o", target, "--parents")
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows and set(rows[0]) == PAIR_KEYS and {r["exact"] for r in rows} == {"yes", "no"}
    assert f"Wrote {target}" in err and "pairs within 8 bits" in err


def test_against_reports_only_pairs_across_and_the_share_of_val_with_a_copy(capsys, planted):
    base, _ = planted
    train, val = _index(capsys, base, "train"), _index(capsys, base, "val")
    out, _ = ok(capsys, "duplicates", "--catalogue", train, "--against", val, "--json")
    data = json.loads(out)
    val_paths = {p.relative_to(base / "val").as_posix() for p in (base / "val").rglob("*.JPEG")}
    assert data["pairs"] and all(p["b"] in val_paths for p in data["pairs"])
    assert data["summary"]["against_images"] == 12 == data["summary"]["against_with_copy"]
    out, _ = ok(capsys, "duplicates", "--catalogue", train, "--against", val)
    assert "12 of 12 images of" in out and "(100.0%) have a near copy" in out


def test_a_pair_marked_not_a_duplicate_is_never_reported_again(capsys, planted):
    base, _ = planted
    catalogue = _index(capsys, base, "train")
    before = json.loads(ok(capsys, "duplicates", "--catalogue", catalogue, "--json")[0])
    first = before["pairs"][0]
    with FlagStore.open_for(catalogue) as store:
        mark_not_duplicate(store, first["a"], first["b"]).redo(store)
    after = json.loads(ok(capsys, "duplicates", "--catalogue", catalogue, "--json")[0])
    assert len(after["pairs"]) == len(before["pairs"]) - 1
    assert (first["a"], first["b"]) not in {(p["a"], p["b"]) for p in after["pairs"]}
    assert after["summary"]["not_duplicates"] == 1


def test_usage_errors(capsys, planted):
    base, _ = planted
    catalogue = _index(capsys, base, "train")
    status, _, err = run(capsys, "duplicates", "--catalogue", catalogue, "--against", catalogue)
    assert status == 2 and "same catalogue" in err
    status, _, err = run(capsys, "duplicates", "--catalogue", catalogue, "--relation", "cousin")
    assert status == 2 and "cousin" in err
    status, _, err = run(capsys, "duplicates", "--catalogue", catalogue, "--max-distance", "65")
    assert status == 2
    status, _, err = run(capsys, "duplicates", "--catalogue", catalogue, "--path-map", "a=b")
    assert status == 2 and "--path-map" in err
