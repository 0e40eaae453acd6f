"""The bundle's WordNet: a shipped, xz-compressed taxonomy cache used without WordNet's files."""

from __future__ import annotations

import lzma

import pytest

from explorer.core import paths
from explorer.core.errors import TaxonomyError
from explorer.core.wordnet import load_noun_wnids, load_taxonomy, open_cached_hierarchy


@pytest.fixture(scope="module")
def shipped(taxonomy, tmp_path_factory):
    """The session's cache, compressed as packaging/build.sh ships it (fast preset here)."""
    target = tmp_path_factory.mktemp("bundle") / "taxonomy.sqlite.xz"
    target.write_bytes(lzma.compress(taxonomy.cache_path.read_bytes(), preset=0))
    return target


def test_the_shipped_cache_is_unpacked_once_and_used(shipped, tmp_path, monkeypatch):
    monkeypatch.setenv(paths.BUNDLED_CACHE_ENV, str(shipped))
    data_dir = tmp_path / "data"
    # a first start: the window's tree does not wait for the unpacking, the load does it
    assert open_cached_hierarchy(data_dir=data_dir) is None
    assert paths.bundled_taxonomy_cache(data_dir, unpack=False) is None
    tax = load_taxonomy(wordnet=None, data_dir=data_dir)
    assert len(tax) == 82_115 and tax.resolve("dog.n.01") == "n02084071"
    assert tax.source.startswith("WordNet 3.0 shipped with the program")
    (unpacked,) = (data_dir / "cache").glob("bundled-taxonomy-*.sqlite")
    stamp = unpacked.stat().st_mtime_ns
    assert paths.bundled_taxonomy_cache(data_dir) == unpacked
    assert unpacked.stat().st_mtime_ns == stamp  # not unpacked again
    hierarchy = open_cached_hierarchy(data_dir=data_dir)
    assert hierarchy.children("n00001740") == tax.children("n00001740")
    hierarchy.close()
    assert "n02084071" in load_noun_wnids(data_dir=data_dir)
    tax.close()


def test_a_damaged_shipped_cache_says_what_to_do(taxonomy, tmp_path, monkeypatch):
    broken = tmp_path / "taxonomy.sqlite"
    broken.write_bytes(taxonomy.cache_path.read_bytes()[:100_000])
    monkeypatch.setenv(paths.BUNDLED_CACHE_ENV, str(broken))
    with pytest.raises(TaxonomyError, match=r"shipped with this program .* install it again"):
        load_taxonomy(data_dir=tmp_path / "data")


def test_a_full_data_folder_is_said_so_and_leaves_no_half_cache(shipped, tmp_path, monkeypatch):
    import errno
    import shutil

    from explorer.core.errors import DataDirError

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setenv(paths.BUNDLED_CACHE_ENV, str(shipped))
    monkeypatch.setattr(shutil, "copyfileobj", full)
    data_dir = tmp_path / "data"
    with pytest.raises(DataDirError, match=r"cache: No space left on device; free some space"):
        paths.bundled_taxonomy_cache(data_dir)
    assert list((data_dir / "cache").iterdir()) == []
