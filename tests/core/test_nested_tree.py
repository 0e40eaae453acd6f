"""The one nested-tree schema of `wnexplorer tree --json` and the tree-json export."""

from __future__ import annotations

import json

import pytest

from explorer.core.analysis import compute_counts
from explorer.core.errors import TaxonomyError
from explorer.core.exports import nested_subtree, subtree_rows

DOG, CANINE, MAMMAL, GOLDEN = "n02084071", "n02083346", "n01861778", "n02099601"
EUROPEAN_COUNTRY = "n08696931"
KEYS = ["wnid", "name", "lemmas", "kind", "parents", "selected", "children"]


def _nodes(node):
    yield node
    for child in node["children"]:
        yield from _nodes(child)


def test_every_node_has_the_schemas_keys_in_order(taxonomy):
    tree = nested_subtree(taxonomy, DOG)
    assert list(tree) == KEYS
    assert tree["kind"] is None and tree["parents"] == 2 and tree["selected"] is True
    assert tree["lemmas"] == ["dog", "domestic dog", "Canis familiaris"]
    nodes = list(_nodes(tree))
    assert len(nodes) == 190  # dog and its 189 descendants, none of them twice
    assert all(list(node) == KEYS for node in nodes)
    assert {node["kind"] for node in nodes[1:]} == {"hypernym"}
    children = [child["wnid"] for child in tree["children"]]
    assert children == taxonomy.children(DOG)  # by name
    json.dumps(tree)  # plain data


def test_a_depth_cuts_children_and_says_how_many(taxonomy):
    top = nested_subtree(taxonomy, DOG, depth=0)
    assert top["children"] == [] and top["children_not_shown"] == len(taxonomy.children(DOG))
    one = nested_subtree(taxonomy, DOG, depth=1)
    dalmatian = next(c for c in one["children"] if c["name"] == "dalmatian.n.02")
    assert dalmatian["children"] == [] and dalmatian["children_not_shown"] == 1
    leaf = next(c for c in one["children"] if c["name"] == "basenji.n.01")
    assert "children_not_shown" not in leaf  # nothing was cut
    with pytest.raises(ValueError, match="negative"):
        nested_subtree(taxonomy, DOG, depth=-1)
    with pytest.raises(TaxonomyError):
        nested_subtree(taxonomy, "n99999999")


def test_a_synset_with_several_parents_appears_under_each(taxonomy):
    mammal = nested_subtree(taxonomy, MAMMAL)
    dogs = [node for node in _nodes(mammal) if node["wnid"] == DOG]
    expected = [p for p in taxonomy.paths_to_root(DOG) if MAMMAL in p]
    assert len(dogs) == len(expected) and all(d["parents"] == 2 for d in dogs)
    countries = nested_subtree(taxonomy, EUROPEAN_COUNTRY, depth=1)
    spain = next(child for child in countries["children"] if child["name"] == "spain.n.01")
    assert spain["kind"] == "instance"  # an instance of a European country, not a kind of it


def test_filters_keep_the_way_to_chosen_synsets_and_counts_come_along(taxonomy):
    counts = compute_counts(taxonomy, {GOLDEN: 3})
    rows = subtree_rows(taxonomy, DOG, counts=counts, with_images=True)
    tree = nested_subtree(taxonomy, DOG, rows={row["wnid"]: row for row in rows})
    path = [node["wnid"] for node in _nodes(tree)]
    from_dog = {tuple(p[p.index(DOG) :]) for p in taxonomy.paths_to_root(GOLDEN)}
    assert from_dog == {tuple(path)}  # dog > hunting dog > ... > golden retriever, once
    assert all(node["selected"] for node in _nodes(tree))
    assert [(node["direct"], node["subtree"]) for node in _nodes(tree)] == [(0, 3)] * 4 + [(3, 3)]
    assert list(tree) == [*KEYS[:6], "direct", "subtree", "children"]
    leaves = subtree_rows(taxonomy, DOG, leaves_only=True, depth=2)
    tree = nested_subtree(taxonomy, DOG, depth=2, rows={row["wnid"]: row for row in leaves})
    assert tree["selected"] is False  # dog is no leaf: there as the way down
    nodes = list(_nodes(tree))
    assert all(node["selected"] == (not taxonomy.children(node["wnid"])) for node in nodes)
    assert all(node["children"] or node["selected"] for node in nodes)  # no dead ends
    nothing = nested_subtree(taxonomy, DOG, rows={})
    assert nothing["selected"] is False and nothing["children"] == []
