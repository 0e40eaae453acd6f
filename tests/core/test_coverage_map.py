"""The coverage picture's layout (an icicle of a subtree), the count histogram, and the gap
table's priority order, on the real WordNet 3.0 and ImageNet fall11's real per-synset counts
(14,197,122 images on 21,841 synsets)."""

from __future__ import annotations

import itertools
import math

import pytest

from explorer.core.analysis import (
    CountPropagator,
    count_histogram,
    coverage,
    coverage_status,
    icicle,
    priority,
)

ENTITY, ANIMAL, DOG = "n00001740", "n00015388", "n02084071"
DOMESTIC_ANIMAL, CANINE = "n01317541", "n02083346"
EPSILON = 1e-9


@pytest.fixture(scope="module")
def fall11_counts(taxonomy, shared_data):
    text = (shared_data / "imagenet21k" / "fall11_synset_image_counts.tsv").read_text()
    direct = {wnid: int(n) for wnid, n in (line.split("\t") for line in text.splitlines())}
    return CountPropagator(taxonomy)(direct)


def _children_of(cells, position):
    return [c for c in cells if c.parent == position]


@pytest.mark.parametrize("size_by", ["images", "synsets"])
def test_every_cell_lies_inside_its_parent_and_siblings_do_not_overlap(
    taxonomy, fall11_counts, size_by
):
    cells = icicle(taxonomy, fall11_counts, ENTITY, threshold=10, levels=8, size_by=size_by)
    assert cells[0].wnid == ENTITY and (cells[0].start, cells[0].width) == (0.0, 1.0)
    assert cells[0].images == 14_197_122
    assert max(c.level for c in cells) == 7
    for position, parent in enumerate(cells):
        children = sorted(_children_of(cells, position), key=lambda c: c.start)
        for child in children:
            assert child.level == parent.level + 1
            assert parent.start - EPSILON <= child.start
            assert child.start + child.width <= parent.start + parent.width + EPSILON
        for left, right in itertools.pairwise(children):
            assert left.start + left.width <= right.start + EPSILON, (left, right)


def test_a_child_is_as_wide_as_its_share_of_the_images(taxonomy, fall11_counts):
    cells = icicle(taxonomy, fall11_counts, ANIMAL, threshold=10, levels=2, empty_share=0.2)
    root, children = cells[0], [c for c in cells[1:] if c.wnid is not None and c.images]
    own = fall11_counts.of(ANIMAL)["direct"]
    empty = [c for c in cells[1:] if c.status == "empty"]
    held = [fall11_counts.of(c)["subtree"] for c in taxonomy.children(ANIMAL)]
    total = own + sum(held)
    room = 1.0 - sum(c.width for c in empty)
    assert empty, "animal has children without images: they get a grey block"
    assert sum(c.width for c in empty) <= 0.2 + EPSILON
    for child in children:
        assert child.width == pytest.approx(room * child.images / total)
        assert child.share == pytest.approx(child.images / root.images)
        assert child.status == coverage_status(child.images, 10)
    widths = [c.width for c in children]
    assert widths == sorted(widths, reverse=True)  # the widest first


def test_narrow_synsets_merge_into_one_block_and_the_picture_stays_small(taxonomy, fall11_counts):
    cells = icicle(taxonomy, fall11_counts, ENTITY, threshold=10, levels=8, min_width=3 / 1000)
    blocks = [c for c in cells if c.status == "several"]
    assert blocks and all(c.wnid is None and len(c.members) >= 1 for c in blocks)
    for block in blocks:  # a block holds the images of its members, each a narrow synset
        assert block.images == sum(fall11_counts.of(w)["subtree"] for w in block.members)
    assert len(cells) < 3000  # bounded by the pixels, not by entity's 82,115 synsets
    # nothing is opened below a block or a cell of own images
    opened = {c.parent for c in cells}
    assert not any(cells[p].wnid is None for p in opened if p >= 0)


def test_a_synset_with_two_parents_is_drawn_under_both(taxonomy, fall11_counts):
    cells = icicle(taxonomy, fall11_counts, ANIMAL, threshold=10, levels=8, min_width=0)
    parents = {cells[c.parent].wnid for c in cells if c.wnid == DOG}
    assert parents == {DOMESTIC_ANIMAL, CANINE}


def test_an_empty_subtree_shows_its_structure_in_grey(taxonomy):
    counts = CountPropagator(taxonomy)({})
    cells = icicle(taxonomy, counts, DOG, threshold=10, levels=2)
    children = taxonomy.children(DOG)
    assert {c.wnid for c in cells[1:]} == set(children)
    assert all(c.status == "empty" for c in cells)
    assert sum(c.width for c in cells[1:]) == pytest.approx(1.0)


def test_sized_by_synsets_follows_the_shape_of_wordnet(taxonomy, fall11_counts):
    cells = icicle(taxonomy, fall11_counts, DOG, threshold=10, levels=2, size_by="synsets")
    sizes = {w: len(taxonomy.descendants(w)) + 1 for w in taxonomy.children(DOG)}
    total = sum(sizes.values()) + 1  # dog itself
    for cell in cells[1:]:
        if cell.wnid is not None:
            assert cell.width == pytest.approx(sizes[cell.wnid] / total)
    with pytest.raises(ValueError, match="size_by"):
        icicle(taxonomy, fall11_counts, DOG, threshold=10, size_by="area")  # type: ignore[arg-type]


def test_the_histogram_counts_every_synset_once_in_bins_of_one_status(taxonomy, fall11_counts):
    nodes = fall11_counts.subtree_nodes(ANIMAL)
    assert len(nodes) == len(taxonomy.descendants(ANIMAL)) + 1
    values = fall11_counts.subtree[nodes].tolist()
    for threshold in (10, 37, 1000):
        bins = count_histogram(values, threshold)
        assert sum(b.synsets for b in bins) == len(values)
        assert any(b.low == threshold for b in bins)  # the threshold is an edge
        for b, after in itertools.pairwise(bins):
            assert b.high + 1 == after.low
        for b in bins:
            inside = [v for v in values if b.low <= v <= b.high]
            assert b.synsets == len(inside)
            assert {coverage_status(v, threshold) for v in inside} <= {b.status}
        assert bins[-1].high == max(values)
    assert count_histogram([], 10)[0].synsets == 0


def test_gaps_that_matter_come_first(taxonomy, fall11_counts):
    rows = coverage(taxonomy, fall11_counts, under=ANIMAL, min_images=10, sort="priority").rows
    assert rows and [priority(r) for r in rows] == sorted(priority(r) for r in rows)
    first = rows[0]
    assert first.status == "empty" and first.siblings_with_images > 0
    by_count = coverage(taxonomy, fall11_counts, under=ANIMAL, min_images=10).rows
    assert by_count[0].siblings_with_images == 0  # what the old order showed first
    ranks = [priority(r)[0] for r in rows]
    assert ranks == sorted(ranks)
    lonely = [r for r in rows if r.status == "empty" and not r.siblings_with_images]
    wanted_thin = [i for i, r in enumerate(rows) if r.status == "thin" and r.siblings_with_images]
    assert lonely and wanted_thin
    # an empty synset among empty siblings comes after a thin one among covered siblings
    assert rows.index(lonely[0]) > max(wanted_thin)


def test_siblings_with_images_equal_a_brute_force_count(taxonomy, fall11_counts):
    graph = taxonomy.graph
    rows = coverage(taxonomy, fall11_counts, under=ANIMAL, min_images=10, include_ok=True).rows
    by_wnid = {r.wnid: r for r in rows}
    multi = [w for w in by_wnid if graph.in_degree(w) > 1][:40]
    sample = [*list(by_wnid)[::400], *multi, DOG]
    assert any(graph.in_degree(w) > 1 for w in sample)
    for wnid in sample:
        siblings = {s for p in graph.pred[wnid] for s in graph.succ[p]} - {wnid}
        expected = sum(1 for s in siblings if fall11_counts.of(s)["subtree"] > 0)
        assert by_wnid[wnid].siblings_with_images == expected, wnid


def test_the_leaves_filter_lists_leaves_and_judges_everything(taxonomy, fall11_counts):
    every = coverage(taxonomy, fall11_counts, under=DOG, min_images=100)
    leaves = coverage(taxonomy, fall11_counts, under=DOG, min_images=100, leaves_only=True)
    assert leaves.rows and all(r.leaf for r in leaves.rows)
    assert {r.wnid for r in leaves.rows} == {r.wnid for r in every.rows if r.leaf}
    assert leaves.summary["judged"] == every.summary["judged"]
    assert math.isclose(leaves.summary["empty"], every.summary["empty"])
