"""The noun DAG against WordNet 3.0's known figures and ImageNet's own files."""

from __future__ import annotations

import networkx as nx
import pytest

from explorer.core.errors import TaxonomyError
from explorer.core.wordnet import EDGE_KINDS

ENTITY = "n00001740"
DOG = "n02084071"


def test_graph_holds_every_noun_synset_with_both_kinds_of_edges(taxonomy):
    stats = taxonomy.stats()
    assert stats.synsets == 82115
    assert stats.hypernym_edges == 75850
    assert stats.instance_edges == 8577
    assert stats.edges == stats.hypernym_edges + stats.instance_edges
    assert stats.multi_parent == 2213
    assert stats.roots == [ENTITY]
    assert stats.leaves == sum(1 for n in taxonomy.graph if taxonomy.graph.out_degree(n) == 0)
    assert nx.is_directed_acyclic_graph(taxonomy.graph)
    assert {kind for _, _, kind in taxonomy.graph.edges(data="kind")} == set(EDGE_KINDS)


def test_node_keys_and_attributes(taxonomy):
    assert all(len(w) == 9 and w[0] == "n" and w[1:].isdigit() for w in taxonomy.graph)
    dog = taxonomy.graph.nodes[DOG]
    assert dog["name"] == "dog.n.01"
    assert dog["lemmas"] == ("dog", "domestic dog", "Canis familiaris")
    assert dog["gloss"].startswith("a member of the genus Canis")
    assert dog["lexname"] == "noun.animal"
    assert taxonomy.graph.nodes[ENTITY]["min_depth"] == 0


def test_hypernym_edges_equal_imagenet_is_a(taxonomy, shared_data):
    """ImageNet's wordnet.is_a.txt lists the hypernym (not instance) links of WordNet 3.0."""
    lines = (shared_data / "imagenet-hierarchy" / "is_a.txt").read_text().split("\n")
    is_a = {tuple(line.split()) for line in lines if line.strip()}
    ours = {(p, c) for p, c, kind in taxonomy.graph.edges(data="kind") if kind == "hypernym"}
    assert ours == is_a


def test_lemmas_equal_imagenet_words_txt(taxonomy, shared_data):
    words = {}
    for line in (shared_data / "imagenet-hierarchy" / "words.txt").read_text().split("\n"):
        if line.strip():
            wnid, lemmas = line.split("\t")
            words[wnid] = lemmas
    assert set(words) == set(taxonomy.graph)
    differing = [
        w for w, text in words.items() if ", ".join(taxonomy.graph.nodes[w]["lemmas"]) != text
    ]
    assert differing == []


def test_imagenet_parentless_synsets_hang_from_instance_edges(taxonomy):
    """is_a.txt leaves 11 instance synsets parentless; here each has an instance parent."""
    for wnid in ("n08860123", "n09023321", "n09572425"):  # United Kingdom, Spain, Titan
        parents = taxonomy.parents(wnid)
        assert parents
        assert {taxonomy.edge_kind(p, wnid) for p in parents} == {"instance"}


def test_multi_parent_synsets_have_all_parents_and_all_paths(taxonomy):
    graph = taxonomy.graph
    multi = sorted(n for n in graph if graph.in_degree(n) >= 2)
    assert len(multi) == 2213
    for wnid in [*multi[::150], DOG]:  # all_simple_paths is slow: a sample of 16
        paths = taxonomy.paths_to_root(wnid)
        expected = sorted(nx.all_simple_paths(graph, ENTITY, wnid), key=lambda p: (len(p), p))
        assert paths == expected
        assert {path[-2] for path in paths} == set(taxonomy.parents(wnid))
        lengths = [len(p) - 1 for p in paths]
        assert min(lengths) == taxonomy.min_depth(wnid)
        assert max(lengths) == taxonomy.max_depth(wnid)


def test_dog_sits_under_domestic_animal_and_canine(taxonomy):
    assert taxonomy.parents(DOG) == ["n01317541", "n02083346"]  # domestic animal, canine
    names = [[taxonomy.graph.nodes[w]["name"] for w in p] for p in taxonomy.paths_to_root(DOG)]
    assert names[0][-2:] == ["domestic_animal.n.01", "dog.n.01"]
    assert names[1][-3:] == ["carnivore.n.01", "canine.n.02", "dog.n.01"]
    assert all(p[0] == "entity.n.01" for p in names)


def test_ancestors_descendants_and_leaves(taxonomy):
    descendants = taxonomy.descendants(DOG)
    assert len(descendants) == 189
    assert "n02099601" in descendants  # golden retriever
    assert all(DOG in taxonomy.ancestors(d) for d in descendants)
    leaves = taxonomy.leaves(DOG)
    assert leaves and set(leaves) <= descendants
    assert all(taxonomy.is_leaf(leaf) for leaf in leaves)
    assert not taxonomy.is_leaf(DOG)
    assert ENTITY in taxonomy.ancestors(DOG)


def test_lowest_common_hypernyms(taxonomy):
    cat = "n02121620"
    assert taxonomy.lowest_common_hypernyms(DOG, cat) == ["n02075296"]  # carnivore
    assert taxonomy.lowest_common_hypernyms(DOG, DOG) == [DOG]
    golden = "n02099601"
    assert taxonomy.lowest_common_hypernyms(golden, DOG) == [DOG]


def test_resolve_accepts_wnid_offset_and_name(taxonomy):
    assert taxonomy.resolve("n02084071") == DOG
    assert taxonomy.resolve("2084071") == DOG
    assert taxonomy.resolve("02084071") == DOG
    assert taxonomy.resolve("dog.n.01") == DOG
    assert taxonomy.resolve(" Dog.n.01 ") == DOG
    for bad in ("n99999999", "dog", "dog.v.01", ""):
        with pytest.raises(TaxonomyError):
            taxonomy.resolve(bad)


def test_describe_lists_children_with_edge_kinds(taxonomy):
    info = taxonomy.describe("n09023321")  # Spain: an instance of a European country
    assert info["parents"][0]["kind"] == "instance"
    info = taxonomy.describe(DOG)
    assert len(info["children"]) == 18
    assert len(info["paths"]) == 2 and info["depth"] == 8


def test_fast_graph_build_equals_networkx_build(taxonomy):
    """load_taxonomy fills the DiGraph's dicts directly; it must equal a plain networkx build."""
    graph = taxonomy.graph
    plain = nx.DiGraph()
    plain.add_nodes_from(graph.nodes(data=True))
    plain.add_edges_from(graph.edges(data=True))
    assert nx.utils.graphs_equal(plain, graph)
    assert dict(plain.in_degree()) == dict(graph.in_degree())


def test_ancestor_closure_counts_each_ancestor_once(taxonomy):
    import numpy as np

    sizes, ancestors = taxonomy.ancestor_closure()
    wnids = taxonomy.wnids
    assert len(sizes) == len(wnids) == 82115
    starts = np.cumsum(sizes) - sizes
    for wnid in (DOG, "n02099601", "n09023321", ENTITY):
        i = wnids.index(wnid)
        mine = [wnids[a] for a in ancestors[starts[i] : starts[i] + sizes[i]]]
        assert sorted(mine) == sorted(taxonomy.ancestors(wnid) | {wnid})
        assert len(mine) == len(set(mine))


def test_load_noun_wnids_reads_only_the_wnids(taxonomy, session_data_dir):
    from explorer.core.wordnet import load_noun_wnids

    wnids = load_noun_wnids(data_dir=session_data_dir)
    assert wnids == frozenset(taxonomy.graph)
