"""The taxonomy cache answers ``show`` and ``search`` without the graph (issue 19): the same
descriptions, names and senses as the loaded Taxonomy, on the real WordNet 3.0."""

from __future__ import annotations

import random

import pytest

from explorer.core.errors import TaxonomyError
from explorer.core.wordnet.lookup import open_cached_lookup


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


def test_show_builds_no_graph(tmp_path, session_data_dir):
    """`wnexplorer show` in a fresh interpreter: networkx is never imported."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from explorer.cli import main\n"
        f"status = main(['--data-dir', {str(session_data_dir)!r}, 'show', 'dog.n.01'])\n"
        "print('networkx' in sys.modules, status)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False 0"
    assert "dog.n.01  n02084071" in result.stdout
