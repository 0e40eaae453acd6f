"""Search ranking on the real WordNet 3.0."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from explorer.core.errors import TaxonomyError
from explorer.core.wordnet import TIERS

DOG = "n02084071"


def _sense_key(taxonomy, hit, query):
    """(count, sense) of the lemma that matched, as the ranking sees it (in the cache)."""
    from explorer.core.wordnet import normalise

    with closing(sqlite3.connect(f"file:{taxonomy.cache_path}?mode=ro", uri=True)) as db:
        return db.execute(
            "SELECT max(l.count), min(l.sense) FROM lemma_index l "
            "JOIN synsets s ON s.id = l.synset WHERE s.wnid = ? AND l.norm = ?",
            (hit.wnid, normalise(query)),
        ).fetchone()


def test_exact_lemma_first_then_commoner_sense(taxonomy):
    hits = taxonomy.search("dog", limit=30)
    assert hits[0].wnid == DOG
    exact = [h for h in hits if h.match == "exact"]
    assert [h.name for h in exact][:3] == ["dog.n.01", "frump.n.01", "dog.n.03"]
    keys = [_sense_key(taxonomy, h, "dog") for h in exact]
    counts = [count for count, _ in keys]
    assert counts == sorted(counts, reverse=True)
    assert hits.index(exact[-1]) < min(i for i, h in enumerate(hits) if h.match != "exact")


@pytest.mark.parametrize(
    "query",
    ["retriever", "golden retriever", "Golden_Retriever", "GOLDEN  retriever", "bank", "tench"],
)
def test_tiers_come_in_order_and_never_repeat(taxonomy, query):
    hits = taxonomy.search(query, limit=50)
    assert hits
    tiers = [TIERS.index(h.match) for h in hits]
    assert tiers == sorted(tiers)
    assert len({h.wnid for h in hits}) == len(hits)


def test_case_spaces_and_underscores_do_not_matter(taxonomy):
    expected = taxonomy.search("golden retriever", limit=5)
    assert expected[0].name == "golden_retriever.n.01"
    for variant in ("Golden_Retriever", "  golden   RETRIEVER ", "golden_retriever"):
        assert taxonomy.search(variant, limit=5) == expected


def test_prefix_and_substring(taxonomy):
    prefix = taxonomy.search("golden ret", limit=5)
    assert prefix[0].name == "golden_retriever.n.01" and prefix[0].match == "prefix"
    substring = {h.name for h in taxonomy.search("retriever", limit=20) if h.match == "substring"}
    assert {"golden_retriever.n.01", "labrador_retriever.n.01"} <= substring


def test_shallower_first_among_equally_common_senses(taxonomy):
    hits = [h for h in taxonomy.search("retriever", limit=20) if h.match == "substring"]
    # every substring hit here has count 0 and sense 1, so depth decides
    depths = [h.depth for h in hits]
    assert depths == sorted(depths)


def test_wnid_offset_and_name(taxonomy):
    for query in ("n02084071", "2084071", "02084071", "dog.n.01", "DOG.N.01"):
        hits = taxonomy.search(query, limit=3)
        assert hits[0].wnid == DOG and hits[0].match == "id", query


def test_gloss_words(taxonomy):
    hits = taxonomy.search("domesticated by man since prehistoric", limit=10)
    assert DOG in [h.wnid for h in hits]
    assert all(h.match == "gloss" for h in hits)
    # the last word is matched as a prefix, for search as you type
    assert DOG in [h.wnid for h in taxonomy.search("domesticated by man since prehis", limit=10)]


def test_odd_queries_do_not_fail(taxonomy):
    odd = ('"', "'", "*", "a AND b", "NEAR(", "%", "_", "\\", "ÿ", "x" * 200, "(", ")", "-", "\0")
    for query in (*odd, "dog\x00cat", "\x1b[31m"):
        assert isinstance(taxonomy.search(query, limit=5), list)
    assert taxonomy.search("", limit=5) == []
    assert taxonomy.search("   ", limit=5) == []
    assert taxonomy.search("dog", limit=0) == []


def test_limit_is_respected(taxonomy):
    assert len(taxonomy.search("a", limit=7)) == 7
    assert len(taxonomy.search("ca", limit=100)) == 100


def test_search_works_from_another_thread(taxonomy):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda q: taxonomy.search(q, limit=3)[0].wnid, ["dog", "n02084071"])
        )
    assert results == [DOG, DOG]


def test_a_query_longer_than_any_lemma_and_gloss_words_is_refused(taxonomy):
    """1 MB took 10.5 GB and 71 s in the trigram and gloss matches; 10 MB was killed."""
    with pytest.raises(TaxonomyError, match="at most 200 characters; this one has 1,000,000"):
        taxonomy.search("x" * 1_000_000, limit=5)
