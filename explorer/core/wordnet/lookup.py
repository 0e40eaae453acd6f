"""``wnexplorer show`` and ``search`` answered from the taxonomy cache by SQL, without the
graph: a one-shot command needs one synset, and building the 82,115-node networkx graph
(about 0.8 s) to print it cost ten times an interpreter's start.

:class:`CachedLookup` answers ``resolve``, ``lemma_senses``, ``search`` and ``describe``
exactly as :class:`~explorer.core.wordnet.taxonomy.Taxonomy` does (a test compares them on
every multi-parent synset and a sample of the rest).

>>> lookup = open_cached_lookup()            # None when there is no current cache
>>> info = lookup.describe(lookup.resolve("dog.n.01"))
>>> info["name"], [len(p) for p in info["paths"]], info["descendants"]
('dog.n.01', [9, 14], 189)
>>> lookup.close()
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.core.errors import TaxonomyError
from explorer.core.wordnet.cache import (
    EDGE_KINDS,
    LEMMA_SEPARATOR,
    CachedHierarchy,
    CacheInvalid,
    EdgeKind,
    bundled_fingerprint,
    cache_path_for,
)

if TYPE_CHECKING:
    from explorer.core.wordnet.search import SearchHit, SynsetSearch
    from explorer.core.wordnet.taxonomy import SynsetDescription

_WNID = re.compile(r"^n\d{8}$")
_OFFSET = re.compile(r"^\d{1,8}$")
_OTHER_WORDNET_ID = re.compile(r"^(?:wn31|oewn|ewn|omw-en31)-(\d{8})-n$", re.IGNORECASE)


def not_a_synset(query: str) -> str:
    """Why ``query`` names no WordNet 3.0 noun synset, and what to give instead."""
    text = query.strip()
    mapping = (
        "ImageNet's wnids are WordNet 3.0 offsets, and WordNet 3.1 and Open English WordNet "
        "number synsets differently: map such ids through the Interlingual Index (ILI), or "
        "find the synset by word with `wnexplorer search WORD`"
    )
    if _OTHER_WORDNET_ID.match(text):
        return f"{query!r} is an id of another WordNet than 3.0. {mapping}."
    if _WNID.match(text) or _OFFSET.match(text):
        return (
            f"{query!r} is not a noun synset of WordNet 3.0: no noun has that offset there. "
            f"If it comes from another WordNet: {mapping}."
        )
    return (
        f"{query!r} is not a noun synset of WordNet 3.0 (give a wnid like n02084071, an offset "
        "like 2084071 or a synset name like dog.n.01; `wnexplorer search` finds them by word)"
    )


def paths_up(wnid: str, parents: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """Every path from a root down to ``wnid`` (``parents``: a synset's direct hypernyms),
    each a list of wnids; shortest first, then in wnid order."""
    memo: dict[str, list[tuple[str, ...]]] = {}

    def up(node: str) -> list[tuple[str, ...]]:
        if node not in memo:
            above = list(parents(node))
            if not above:
                memo[node] = [(node,)]
            else:
                memo[node] = [(*path, node) for p in above for path in up(p)]
        return memo[node]

    return sorted((list(p) for p in up(wnid)), key=lambda p: (len(p), p))


class CachedLookup(CachedHierarchy):
    """A synset's whole description, and search, from the cache file alone."""

    _FULL_SQL = (
        "SELECT name, lemmas, gloss, lexname, min_depth, max_depth FROM synsets WHERE wnid = ?"
    )
    _KIND_SQL = (
        "SELECT e.kind FROM edges e JOIN synsets p ON p.id = e.parent "
        "JOIN synsets c ON c.id = e.child WHERE p.wnid = ? AND c.wnid = ?"
    )
    _DESCENDANTS_SQL = (
        "WITH RECURSIVE below(id) AS ("
        " SELECT e.child FROM edges e JOIN synsets s ON s.id = e.parent WHERE s.wnid = ?"
        " UNION SELECT e.child FROM edges e JOIN below b ON e.parent = b.id)"
        " SELECT count(*) FROM below"
    )

    def __init__(self, path: Path, fingerprint: str) -> None:
        super().__init__(path, fingerprint)
        self.path = path
        self._search: SynsetSearch | None = None

    def close(self) -> None:
        if self._search is not None:
            self._search.close()
        super().close()

    def resolve(self, query: str) -> str:
        """The wnid ``query`` names: a wnid, an offset or a synset name (Taxonomy.resolve)."""
        text = query.strip()
        if _WNID.match(text):
            wnid = text
        elif _OFFSET.match(text):
            wnid = "n%08d" % int(text)
        else:
            row = self._db.execute("SELECT wnid FROM synsets WHERE name = ?", (text,)).fetchone()
            if row is None:
                row = self._db.execute(
                    "SELECT wnid FROM synsets WHERE name = ?", (text.lower(),)
                ).fetchone()
            wnid = row[0] if row else ""
        if wnid not in self:
            raise TaxonomyError(not_a_synset(query))
        return wnid

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        if self._search is None:
            from explorer.core.wordnet.search import SynsetSearch

            self._search = SynsetSearch(self.path)
        return self._search.search(text, limit)

    def lemma_senses(self, lemma: str) -> list[str]:
        """The noun synsets with this lemma, commonest sense first (Taxonomy.lemma_senses)."""
        return [hit.wnid for hit in self.search(lemma, limit=100) if hit.match == "exact"]

    def describe(self, wnid: str) -> SynsetDescription:
        """Everything ``wnexplorer show`` prints about a synset (Taxonomy.describe)."""
        row = self._db.execute(self._FULL_SQL, (wnid,)).fetchone()
        if row is None:
            raise TaxonomyError(not_a_synset(wnid))
        name, lemmas, gloss, lexname, low, high = row
        parents = sorted(self.parents(wnid))
        children = self.children(wnid)
        (descendants,) = self._db.execute(self._DESCENDANTS_SQL, (wnid,)).fetchone()
        return {
            "wnid": wnid,
            "name": name,
            "lemmas": lemmas.split(LEMMA_SEPARATOR),
            "gloss": gloss,
            "lexname": lexname,
            "parents": [
                {"wnid": p, "name": self.node(p)["name"], "kind": self._kind(p, wnid)}
                for p in parents
            ],
            "children": [
                {"wnid": c, "name": self.node(c)["name"], "kind": self._kind(wnid, c)}
                for c in children
            ],
            "paths": self.paths_to_root(wnid),
            "depth": low,
            "min_depth": low,
            "max_depth": high,
            "descendants": descendants,
        }

    def paths_to_root(self, wnid: str) -> list[list[str]]:
        """Every path from a root down to ``wnid``; shortest first (Taxonomy.paths_to_root)."""
        return paths_up(wnid, self.parents)

    def _kind(self, parent: str, child: str) -> EdgeKind:
        (kind,) = self._db.execute(self._KIND_SQL, (parent, child)).fetchone()
        edge: EdgeKind = EDGE_KINDS[int(kind)]
        return edge


def open_cached_lookup(
    wordnet: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None
) -> CachedLookup | None:
    """The lookup of the current cache; None when there is none (then the caller loads the
    taxonomy, which builds it, or says what is wrong)."""
    from explorer.core import paths
    from explorer.core.errors import WordNetError
    from explorer.core.wordnet import source as wordnet_source

    shipped = paths.shipped_taxonomy() if wordnet is None else None
    try:
        if shipped is not None:
            bundled = paths.bundled_taxonomy_cache(data_dir, unpack=False)
            if bundled is None:
                return None
            return CachedLookup(bundled, bundled_fingerprint(bundled))
        location = wordnet_source.locate_wordnet(wordnet, paths.data_dir(data_dir))
        return CachedLookup(cache_path_for(location.path, data_dir), location.fingerprint())
    except (WordNetError, CacheInvalid):
        return None
