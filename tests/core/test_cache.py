"""The taxonomy cache: used when current, rebuilt when WordNet changes or the cache is damaged."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from explorer.core.wordnet import (
    CachedHierarchy,
    CacheInvalid,
    WordNetLocation,
    cache_path_for,
    load_taxonomy,
    open_cached_hierarchy,
    read_cache,
)

DOG = "n02084071"


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(b"\x00garbage" * 1000)
    elif how == "zeroed-middle":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + b"\x00" * 65536 + data[middle + 65536 :])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "wrong-schema":
        path.write_bytes(data)
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    elif how == "rows-missing":
        path.write_bytes(data)
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM edges WHERE rowid % 100 = 0")


@pytest.mark.parametrize(
    "how", ["truncated", "garbage", "zeroed-middle", "empty", "wrong-schema", "rows-missing"]
)
def test_damaged_cache_is_detected(taxonomy, wordnet_dir, tmp_path, how):
    copy = tmp_path / "cache.sqlite"
    copy.write_bytes(taxonomy.cache_path.read_bytes())
    fingerprint = WordNetLocation(str(wordnet_dir), "test").fingerprint()
    read_cache(copy, fingerprint)  # the intact copy reads
    _damage(copy, how)
    with pytest.raises(CacheInvalid):
        read_cache(copy, fingerprint)


def test_stale_fingerprint_is_refused(taxonomy):
    with pytest.raises(CacheInvalid, match="changed"):
        read_cache(taxonomy.cache_path, "another fingerprint")


def test_damaged_cache_is_rebuilt_not_crashed_on(taxonomy, tmp_path, caplog):
    data_dir = tmp_path / "data"
    path = cache_path_for(taxonomy.source, data_dir)
    path.write_bytes(taxonomy.cache_path.read_bytes())
    _damage(path, "zeroed-middle")
    tax = load_taxonomy(data_dir=data_dir)
    assert tax.graph.number_of_nodes() == 82115
    assert tax.search("dog", limit=1)[0].wnid == DOG
    assert "Rebuilding the taxonomy cache" in caplog.text
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary files left"
    tax.close()


def test_wordnet_change_rebuilds_the_cache(wordnet_copy, tmp_path):
    """Edit dog's gloss in place (same length, so offsets stay valid): no stale answer."""
    data_dir = tmp_path / "data"
    before = load_taxonomy(wordnet_copy, data_dir)
    assert "domesticated by man" in before.graph.nodes[DOG]["gloss"]
    before.close()
    data_noun = wordnet_copy / "data.noun"
    content = data_noun.read_bytes()
    assert content.count(b"domesticated by man since prehistoric") == 1
    data_noun.write_bytes(content.replace(b"by man since", b"by MAN since"))
    after = load_taxonomy(wordnet_copy, data_dir)
    assert "domesticated by MAN since" in after.graph.nodes[DOG]["gloss"]
    assert DOG in [hit.wnid for hit in after.search("domesticated by MAN since", limit=5)]
    after.close()


def test_warm_load_does_not_import_nltk(taxonomy, session_data_dir):
    """A warm start reads only the cache; nltk (0.3 s to import) stays out of the process."""
    script = (
        "import sys\n"
        "from explorer.core.wordnet import load_taxonomy\n"
        f"tax = load_taxonomy(data_dir={str(session_data_dir)!r})\n"
        "print(len(tax), 'nltk' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["82115", "False"]


# --- CachedHierarchy: the tree's answers before the graph is loaded -------------------------


def test_cached_hierarchy_answers_like_the_taxonomy(taxonomy, session_data_dir):
    hierarchy = open_cached_hierarchy(data_dir=session_data_dir)
    assert hierarchy is not None
    graph = taxonomy.graph
    multi_parent = [w for w in graph if graph.in_degree(w) > 1]
    sample = sorted(set(multi_parent) | set(taxonomy.wnids[::20]) | {DOG, "n00001740"})
    try:
        for wnid in sample:
            assert wnid in hierarchy
            assert hierarchy.children(wnid) == taxonomy.children(wnid), wnid
            assert hierarchy.parents(wnid) == taxonomy.parents(wnid), wnid
            assert hierarchy.child_count(wnid) == taxonomy.child_count(wnid), wnid
            assert hierarchy.parent_count(wnid) == taxonomy.parent_count(wnid), wnid
            node, full = hierarchy.node(wnid), taxonomy.node(wnid)
            assert node == {key: full[key] for key in ("name", "lemmas", "gloss")}, wnid
        assert "n99999999" not in hierarchy
        # a wnid it lacks is a KeyError, as the graph's is (child_count was a TypeError)
        for lookup in (hierarchy.node, hierarchy.child_count, hierarchy.parent_count):
            with pytest.raises(KeyError):
                lookup("n99999999")
        with pytest.raises(KeyError):
            taxonomy.child_count("n99999999")
    finally:
        hierarchy.close()
    print(f"\nCachedHierarchy matched the graph on {len(sample):,} synsets")


def test_cached_hierarchy_refuses_what_load_taxonomy_would_rebuild(taxonomy, tmp_path):
    assert open_cached_hierarchy(data_dir=tmp_path / "no-cache-yet") is None
    with pytest.raises(CacheInvalid, match="stale"):
        CachedHierarchy(taxonomy.cache_path, "another fingerprint")
    copy = tmp_path / "cache.sqlite"
    copy.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(CacheInvalid, match="damaged"):
        CachedHierarchy(copy, "any")


def test_a_cache_that_cannot_be_written_says_where_and_what_to_do(tmp_path):
    from explorer.core.errors import DataDirError
    from explorer.core.wordnet.cache import build_cache

    (tmp_path / "file").write_text("a file where the cache folder should be")
    path = tmp_path / "file" / "taxonomy.sqlite"
    with pytest.raises(DataDirError, match=r"Cannot write the taxonomy cache .*--data-dir"):
        build_cache([], path, {"fingerprint": "x"})
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
