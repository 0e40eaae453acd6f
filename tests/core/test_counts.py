"""Counts over the DAG (each image once per ancestor) and coverage gaps, on real data."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest

from explorer.core.analysis import (
    CountPropagator,
    compute_counts,
    coverage,
    coverage_status,
    format_coverage,
    read_targets,
)
from explorer.core.errors import CatalogueError

DOG, ANIMAL, ENTITY = "n02084071", "n00015388", "n00001740"


@pytest.fixture(scope="module")
def propagate(taxonomy):
    return CountPropagator(taxonomy)


@pytest.fixture(scope="module")
def fall11(shared_data) -> dict[str, int]:
    """ImageNet fall11's images per synset: 21,841 synsets, 14,197,122 images."""
    text = (shared_data / "imagenet21k" / "fall11_synset_image_counts.tsv").read_text()
    return {wnid: int(n) for wnid, n in (line.split("\t") for line in text.splitlines())}


def _brute_force(graph: nx.DiGraph, direct: dict[str, int], wnid: str) -> tuple[int, int]:
    below = nx.descendants(graph, wnid) | {wnid}
    return sum(direct.get(n, 0) for n in below), sum(1 for n in below if direct.get(n, 0))


def test_fall11_counts_match_imagenet_published_figures(propagate, fall11):
    counts = propagate(fall11)
    # the figures ../shared/data/README.md derives from ImageNet's own is_a.txt
    assert counts.of(DOG) == {"direct": 1603, "subtree": 222142, "synsets_with_images": 190}
    assert counts.of(ANIMAL)["subtree"] == 2798930
    assert counts.of(ANIMAL)["synsets_with_images"] == 3822
    # with instance edges too, entity holds every image (is_a.txt's tree misses 1,366)
    assert counts.of(ENTITY) == {"direct": 0, "subtree": 14197122, "synsets_with_images": 21841}


def test_multi_parent_images_count_once_in_shared_ancestors(taxonomy, propagate):
    graph = taxonomy.graph
    assert graph.in_degree(DOG) == 2  # domestic animal and canine
    counts = propagate({DOG: 5})
    paths = taxonomy.paths_to_root(DOG)
    shared = set(paths[0]) & set(paths[1])
    assert ANIMAL in shared
    for ancestor in shared:
        assert counts.of(ancestor)["subtree"] == 5, ancestor  # a tree sum would say 10
    assert counts.of("n01317541")["subtree"] == 5  # domestic animal
    assert counts.of("n02083346")["subtree"] == 5  # canine


def test_counts_equal_brute_force_on_real_multi_parent_synsets(taxonomy, propagate, fall11):
    graph = taxonomy.graph
    counts = propagate(fall11)
    multi = sorted(n for n in graph if graph.in_degree(n) >= 2 and n in fall11)[:25]
    sample = {a for n in multi for a in taxonomy.ancestors(n)} | set(multi)
    for wnid in sorted(sample)[::3]:
        subtree, synsets = _brute_force(graph, fall11, wnid)
        assert counts.of(wnid)["subtree"] == subtree, wnid
        assert counts.of(wnid)["synsets_with_images"] == synsets, wnid


def test_compute_counts_and_with_images(taxonomy):
    counts = compute_counts(taxonomy, {"n02099601": 3})  # golden retriever
    with_images = set(counts.with_images())
    assert with_images == taxonomy.ancestors("n02099601") | {"n02099601"}


def test_image_synsets_under(taxonomy, propagate, fall11):
    counts = propagate(fall11)
    for wnid in (DOG, ANIMAL, "n02099601", ENTITY):
        below = taxonomy.descendants(wnid) | {wnid}
        assert sorted(counts.image_synsets_under(wnid)) == sorted(w for w in below if w in fall11)


def test_coverage_under_a_subtree(taxonomy, propagate):
    counts = propagate({"n02099601": 150, "n02099712": 20})  # golden, Labrador retriever
    result = coverage(taxonomy, counts, under="n02099029", min_images=50)  # retriever
    rows = result.rows
    by_wnid = {r.wnid: r for r in rows}
    assert by_wnid["n02099712"].status == "thin"
    assert "n02099601" not in by_wnid  # 150 >= 50: not a gap
    empty = [r for r in rows if r.status == "empty"]
    assert empty and all(r.subtree == 0 for r in empty)
    assert set(by_wnid) <= taxonomy.descendants("n02099029") | {"n02099029"}
    leaves = [r for r in rows if r.leaf and r.status == "empty"]
    assert result.summary["empty_leaves"] == len(leaves)
    assert result.summary["judged"] == len(taxonomy.descendants("n02099029")) + 1
    assert result.summary["ok"] == 2 and result.summary["rows"] == len(rows)  # golden, retriever
    assert [r.subtree for r in rows] == sorted(r.subtree for r in rows)
    everything = coverage(taxonomy, counts, under="n02099029", include_ok=True, sort="wnid").rows
    assert len(everything) == len(taxonomy.descendants("n02099029")) + 1
    assert [r.wnid for r in everything] == sorted(r.wnid for r in everything)


def test_coverage_of_ilsvrc_targets_with_real_samples(taxonomy, propagate, shared_data, tmp_path):
    targets = read_targets(shared_data / "ilsvrc2012" / "imagenet_synsets.txt")
    assert len(targets) == 1000
    counts = propagate({w: 1 for w in targets[:990]})
    rows = coverage(taxonomy, counts, targets=[*targets, "n99999999"], basis="direct").rows
    statuses = {r.wnid: r.status for r in rows}
    assert {w for w, s in statuses.items() if s == "empty"} == set(targets[990:])
    assert statuses["n99999999"] == "not_in_wordnet"
    thin = coverage(taxonomy, counts, targets=targets, basis="direct", min_images=2)
    assert len(thin.rows) == 1000 and thin.summary["thin"] == 990
    covered = coverage(taxonomy, propagate(dict.fromkeys(targets, 3)), targets=targets)
    assert covered.rows == []  # nothing is a gap, and the summary says they were all judged
    assert covered.summary == {
        "judged": 1000,
        "rows": 0,
        "empty": 0,
        "thin": 0,
        "ok": 1000,
        "not_in_wordnet": 0,
        "empty_leaves": 0,
    }


def test_coverage_status_is_one_rule():
    assert [coverage_status(n, 10) for n in (0, 1, 9, 10, 11)] == [
        "empty",
        "thin",
        "thin",
        "ok",
        "ok",
    ]
    assert coverage_status(0, 0) == "empty" and coverage_status(1, 0) == "ok"


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda tax, counts: coverage(tax, counts, basis="both"), "basis: 'both'"),
        (lambda tax, counts: coverage(tax, counts, sort="size"), "sort: 'size'"),
        (
            lambda tax, counts: format_coverage(coverage(tax, counts, under=DOG), "xml", {}),
            "format: 'xml'",
        ),
    ],
)
def test_a_bad_choice_is_a_value_error(taxonomy, propagate, call, needle):
    """A caller's bug, not the data's: the command line offers only the valid choices."""
    with pytest.raises(ValueError, match=needle):
        call(taxonomy, propagate({}))


def test_coverage_formats_read_back(taxonomy, propagate):
    counts = propagate({"n02099712": 20})
    result = coverage(taxonomy, counts, under="n02099029", min_images=50)
    rows = result.rows
    table = list(csv.DictReader(io.StringIO(format_coverage(result, "csv", {}))))
    assert [r["wnid"] for r in table] == [r.wnid for r in rows]
    assert table[0].keys() >= {"wnid", "name", "direct", "subtree", "status"}
    payload = json.loads(format_coverage(result, "json", {"min": 50}))
    assert payload["settings"] == {"min": 50}
    assert payload["summary"]["rows"] == len(rows) == len(payload["rows"])


def test_read_targets_accepts_loc_style_and_refuses_an_empty_file(shared_data, tmp_path):
    loc = read_targets(shared_data / "ilsvrc2012" / "LOC_synset_mapping.txt")
    assert loc[0] == "n01440764" and len(loc) == 1000
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(CatalogueError, match="names no synsets"):
        read_targets(empty)
