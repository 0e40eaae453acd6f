"""The taxonomy cache answers the one-shot commands without the graph (issue 19): the same
descriptions, names, senses, subtrees, counts and coverage gaps as the loaded Taxonomy, on
the real WordNet 3.0."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
from manifests import write_manifest

from explorer.core.analysis import compute_counts, coverage
from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.errors import TaxonomyError
from explorer.core.exports import nested_subtree, subtree_rows
from explorer.core.wordnet.lookup import open_cached_lookup

DOG, ANIMAL, ENTITY = "n02084071", "n00015388", "n00001740"


@pytest.fixture(scope="module")
def lookup(taxonomy, session_data_dir):
    opened = open_cached_lookup(data_dir=session_data_dir)
    assert opened is not None, "the session's taxonomy left a current cache"
    yield opened
    opened.close()


def test_every_multi_parent_synset_and_a_sample_are_described_alike(lookup, taxonomy):
    several = [w for w in taxonomy.wnids if taxonomy.parent_count(w) > 1]
    assert len(several) == 2_213
    sample = random.Random(19).sample(taxonomy.wnids, 300)
    for wnid in [*several, *sample, "n00001740", "n02084071"]:
        assert lookup.describe(wnid) == taxonomy.describe(wnid), wnid


def test_names_offsets_words_and_errors_resolve_alike(lookup, taxonomy):
    for query in ("dog.n.01", "n02084071", "2084071", " Dog.N.01 ", "entity.n.01"):
        assert lookup.resolve(query) == taxonomy.resolve(query)
    for word in ("dog", "crane", "golden retriever", "entity"):
        assert lookup.lemma_senses(word) == taxonomy.lemma_senses(word)
    for bad in ("n99999999", "wn31-02086723-n", "no such thing"):
        with pytest.raises(TaxonomyError) as ours:
            lookup.resolve(bad)
        with pytest.raises(TaxonomyError) as theirs:
            taxonomy.resolve(bad)
        assert str(ours.value) == str(theirs.value)


def test_the_taxonomy_view_is_the_taxonomys(lookup, taxonomy):
    """What counts, coverage, trees and exports read: node order, the stored arrays, and
    each synset's attributes, children, kinds, parents, descendants and ancestors."""
    assert lookup.wnids == taxonomy.wnids
    assert len(lookup) == len(taxonomy) == 82_115
    for ours, theirs in zip(lookup.ancestor_closure(), taxonomy.ancestor_closure(), strict=True):
        assert np.array_equal(ours, theirs)
    for ours, theirs in zip(
        lookup.depth_and_name_rank(), taxonomy.depth_and_name_rank(), strict=True
    ):
        assert np.array_equal(ours, theirs)
    assert set(zip(*lookup.edge_arrays(), strict=True)) == set(
        zip(*taxonomy.edge_arrays(), strict=True)
    )
    several = [w for w in taxonomy.wnids if taxonomy.parent_count(w) > 1][::20]
    for wnid in [*several, *random.Random(7).sample(taxonomy.wnids, 200), DOG, ENTITY]:
        assert lookup.node(wnid) == taxonomy.node(wnid), wnid
        assert lookup.children(wnid) == taxonomy.children(wnid), wnid
        assert (lookup.child_count(wnid), lookup.parent_count(wnid)) == (
            taxonomy.child_count(wnid),
            taxonomy.parent_count(wnid),
        )
        for child in lookup.children(wnid):
            assert lookup.edge_kind(wnid, child) == taxonomy.edge_kind(wnid, child)
        assert lookup.ancestors(wnid) == taxonomy.ancestors(wnid), wnid
    for wnid in (DOG, ANIMAL, ENTITY):
        assert lookup.descendants(wnid) == taxonomy.descendants(wnid)
    assert "n99999999" not in lookup and DOG in lookup
    with pytest.raises(TaxonomyError):
        lookup.node("n99999999")


@pytest.fixture(scope="module")
def fall11_direct(shared_data) -> dict[str, int]:
    """ImageNet-21k's real images per synset (21,841 synsets)."""
    lines = (shared_data / "imagenet21k" / "fall11_synset_image_counts.tsv").read_text()
    return {w: int(n) for w, n in (line.split() for line in lines.splitlines() if line.strip())}


def test_counts_coverage_trees_and_subtree_lists_alike(lookup, taxonomy, fall11_direct):
    ours, theirs = compute_counts(lookup, fall11_direct), compute_counts(taxonomy, fall11_direct)
    assert np.array_equal(ours.subtree, theirs.subtree)
    assert np.array_equal(ours.synsets_with_images, theirs.synsets_with_images)
    assert int(ours.subtree[ours.index[ENTITY]]) == sum(fall11_direct.values())
    for under, sort in ((DOG, "priority"), (ANIMAL, "name"), (None, "count")):
        a = coverage(lookup, ours, under=under, min_images=500, sort=sort)
        b = coverage(taxonomy, theirs, under=under, min_images=500, sort=sort)
        assert a.rows == b.rows and a.summary == b.summary, under
    for top, depth in ((DOG, None), (ANIMAL, 3), (ENTITY, 2)):
        assert nested_subtree(lookup, top, depth) == nested_subtree(taxonomy, top, depth)
        assert subtree_rows(lookup, top, counts=ours, depth=depth) == subtree_rows(
            taxonomy, top, counts=theirs, depth=depth
        )
    assert subtree_rows(lookup, ANIMAL, leaves_only=True) == subtree_rows(
        taxonomy, ANIMAL, leaves_only=True
    )


@pytest.fixture(scope="module")
def dog_catalogue(taxonomy, tmp_path_factory):
    """A manifest of 5,000 images of real dog synsets (the files absent), indexed."""
    folder = tmp_path_factory.mktemp("dogs")
    wnids = sorted(taxonomy.descendants(DOG))[:40]
    manifest = write_manifest(folder / "dogs.csv", wnids, 5_000)
    index_catalogue(manifest, nouns=taxonomy.graph, catalogue=folder / "dogs.sqlite")
    return folder / "dogs.sqlite"


@pytest.mark.parametrize(
    "command",
    [
        ["show", "dog.n.01"],
        ["tree", "dog.n.01", "--depth", "3"],
        ["counts", DOG, "--catalogue", "CATALOGUE"],
        ["coverage", "--under", DOG, "--catalogue", "CATALOGUE", "--format", "json"],
        ["export", "subtree", DOG, "--catalogue", "CATALOGUE", "--format", "tree-json"],
        ["export", "images", DOG, "--catalogue", "CATALOGUE"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_one_shot_commands_build_no_graph(command, session_data_dir, dog_catalogue, taxonomy):
    """Each command in a fresh interpreter: networkx is never imported, and it prints what the
    loaded taxonomy makes of the same question."""
    args = [str(dog_catalogue) if a == "CATALOGUE" else a for a in command]
    script = (
        "import sys\n"
        "from explorer.cli import main\n"
        f"status = main(['--data-dir', {str(session_data_dir)!r}, *{args!r}])\n"
        "print('networkx' in sys.modules, status)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    *printed, last = result.stdout.strip().splitlines()
    assert last == "False 0", result.stderr
    if command[0] == "show":
        assert printed[0].startswith("dog.n.01  n02084071")
    elif command[0] == "tree":
        assert printed[0] == "n02084071 dog.n.01"
        assert any("Chihuahua" not in line and "chihuahua.n.03" in line for line in printed)
    elif command[0] == "counts":
        with Catalogue.open(dog_catalogue) as catalogue:
            dog = compute_counts(taxonomy, catalogue.direct_counts(taxonomy.graph)).of(DOG)
        assert dog == {"direct": 0, "subtree": 5_000, "synsets_with_images": 40}
        assert printed[1].split()[:4] == [DOG, "0", "5,000", "40"]
    elif command[0] == "coverage":
        assert '"judged": 190' in result.stdout
    elif command[1] == "subtree":
        assert '"wnid": "n02084071"' in result.stdout and '"subtree": 5000' in result.stdout
    else:
        assert printed[0] == "path,wnid,class_index,class_wnid" and len(printed) == 1 + 5_000
        assert all(row.endswith(",0,n02084071") for row in printed[1:])
