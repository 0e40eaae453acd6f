"""The one-shot commands answered from the taxonomy cache by SQL, without the graph:
``show`` needs one synset, ``tree`` and a subtree list a few hundred, ``counts`` the
ancestor arrays, and building the 82,115-node networkx graph (about 0.8 s) for them cost
ten times an interpreter's start.

:class:`CachedLookup` answers ``resolve``, ``lemma_senses``, ``search``, ``describe`` and
everything :class:`TaxonomyView` names exactly as :class:`~explorer.core.wordnet.taxonomy.
Taxonomy` does (tests compare them on every multi-parent synset and a sample of the rest).
Counts, coverage gaps, the nested tree and the exports take a :class:`TaxonomyView`: the
window gives them its loaded taxonomy, a command the lookup.

>>> lookup = open_cached_lookup()            # None when there is no current cache
>>> info = lookup.describe(lookup.resolve("dog.n.01"))
>>> info["name"], [len(p) for p in info["paths"]], info["descendants"]
('dog.n.01', [9, 14], 189)
>>> lookup.edge_kind("n02083346", "n02084071"), lookup.node("n02084071")["min_depth"]
('hypernym', 8)
>>> lookup.close()
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from explorer.core.errors import TaxonomyError
from explorer.core.wordnet.cache import (
    EDGE_KINDS,
    CachedHierarchy,
    CacheInvalid,
    EdgeKind,
    SynsetAttrs,
    bundled_fingerprint,
    cache_path_for,
    synset_attrs,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from explorer.core.wordnet.search import SearchHit, SynsetSearch
    from explorer.core.wordnet.taxonomy import SynsetDescription

    ClosureArrays = tuple[NDArray[np.int32], NDArray[np.int32]]

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


def resolve_query(query: str, named: Callable[[str], str | None], known: Container[str]) -> str:
    """The wnid ``query`` names: a wnid, an offset or a synset name (``named`` gives a name's
    wnid, or None; tried as given, then in lower case); TaxonomyError when ``known`` lacks
    it. What the Taxonomy and the cache's lookup both resolve by."""
    text = query.strip()
    if _WNID.match(text):
        wnid = text
    elif _OFFSET.match(text):
        wnid = "n%08d" % int(text)
    else:
        wnid = named(text) or named(text.lower()) or ""
    if wnid not in known:
        raise TaxonomyError(not_a_synset(query))
    return wnid


def description(
    taxonomy: TaxonomyView, wnid: str, attrs: SynsetAttrs, descendants: int
) -> SynsetDescription:
    """A synset's ``describe()`` (what ``wnexplorer show`` prints), from its ``attrs`` and
    the number of synsets below it: the one shape for the Taxonomy and the cache's lookup."""
    return {
        "wnid": wnid,
        "name": attrs["name"],
        "lemmas": list(attrs["lemmas"]),
        "gloss": attrs["gloss"],
        "lexname": attrs["lexname"],
        "parents": [
            {"wnid": p, "name": taxonomy.node(p)["name"], "kind": taxonomy.edge_kind(p, wnid)}
            for p in taxonomy.parents(wnid)
        ],
        "children": [
            {"wnid": c, "name": taxonomy.node(c)["name"], "kind": taxonomy.edge_kind(wnid, c)}
            for c in taxonomy.children(wnid)
        ],
        "paths": taxonomy.paths_to_root(wnid),
        "depth": attrs["min_depth"],
        "min_depth": attrs["min_depth"],
        "max_depth": attrs["max_depth"],
        "descendants": descendants,
    }


class TaxonomyView(Protocol):
    """What counts, coverage gaps, the nested tree and the exports ask of a taxonomy: the
    loaded :class:`~explorer.core.wordnet.taxonomy.Taxonomy` (its graph) or a
    :class:`CachedLookup` (SQL on the cache) answer it alike."""

    cache_path: Path

    def __contains__(self, wnid: object) -> bool: ...
    def __len__(self) -> int: ...
    def resolve(self, query: str) -> str: ...
    def node(self, wnid: str) -> SynsetAttrs: ...
    def children(self, wnid: str) -> list[str]: ...
    def parents(self, wnid: str) -> list[str]: ...
    def paths_to_root(self, wnid: str) -> list[list[str]]: ...
    def child_count(self, wnid: str) -> int: ...
    def parent_count(self, wnid: str) -> int: ...
    def edge_kind(self, parent: str, child: str) -> EdgeKind: ...
    def descendants(self, wnid: str) -> set[str]: ...
    def ancestors(self, wnid: str) -> set[str]: ...
    @property
    def wnids(self) -> list[str]: ...
    def ancestor_closure(self) -> ClosureArrays: ...
    def edge_arrays(self) -> ClosureArrays: ...
    def depth_and_name_rank(self) -> ClosureArrays: ...


@dataclass
class _Whole:
    """The hierarchy read in one pass: what a whole-tree command asks of every synset."""

    attrs: dict[str, SynsetAttrs]
    children: dict[str, list[str]]  # by name, as Taxonomy.children
    kinds: dict[tuple[str, str], EdgeKind]
    parent_counts: dict[str, int]


# Single-synset queries answered before the whole hierarchy is read at once (~0.4 s): a tree
# of dog asks ~1,000, one of entity ~400,000 (4.4 s one by one, against 1.0 s for the graph)
BULK_AFTER = 5_000
SET_AFTER = 1_000  # membership queries before the 82,115 wnids are read as a set (~25 ms)


class CachedLookup(CachedHierarchy):
    """A synset's whole description, search, and the :class:`TaxonomyView`, from the cache
    file alone. Use it from one thread."""

    _ATTRS_SQL = "SELECT name, lemmas, gloss, lexname, frequency, min_depth, max_depth FROM synsets"
    _KIND_SQL = (
        "SELECT e.kind FROM edges e JOIN synsets p ON p.id = e.parent "
        "JOIN synsets c ON c.id = e.child WHERE p.wnid = ? AND c.wnid = ?"
    )
    _BELOW_SQL = (
        "WITH RECURSIVE below(id) AS ("
        " SELECT e.child FROM edges e JOIN synsets s ON s.id = e.parent WHERE s.wnid = ?"
        " UNION SELECT e.child FROM edges e JOIN below b ON e.parent = b.id)"
    )
    _ABOVE_SQL = (
        "WITH RECURSIVE above(id) AS ("
        " SELECT e.parent FROM edges e JOIN synsets s ON s.id = e.child WHERE s.wnid = ?"
        " UNION SELECT e.parent FROM edges e JOIN above a ON e.child = a.id)"
    )

    def __init__(self, path: Path, fingerprint: str) -> None:
        super().__init__(path, fingerprint)
        self.path = self.cache_path = path
        self._search: SynsetSearch | None = None
        self._attrs: dict[str, SynsetAttrs] = {}
        self._wnids: list[str] | None = None
        self._known: frozenset[str] | None = None  # the wnids as a set, once they are read
        self._arrays: dict[str, Any] = {}
        self._queries = 0  # single-synset ones, until BULK_AFTER
        self._asked = 0  # membership queries, until SET_AFTER
        self._whole: _Whole | None = None

    def close(self) -> None:
        if self._search is not None:
            self._search.close()
        super().close()

    def resolve(self, query: str) -> str:
        """The wnid ``query`` names: a wnid, an offset or a synset name (Taxonomy.resolve)."""

        def named(name: str) -> str | None:
            row = self._db.execute("SELECT wnid FROM synsets WHERE name = ?", (name,)).fetchone()
            return row[0] if row else None

        return resolve_query(query, named, self)

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
        attrs = self.node(wnid)  # a clear error for an unknown wnid, before the count
        below = self._BELOW_SQL + " SELECT count(*) FROM below"
        (descendants,) = self._db.execute(below, (wnid,)).fetchone()
        return description(self, wnid, attrs, descendants)

    def paths_to_root(self, wnid: str) -> list[list[str]]:
        """Every path from a root down to ``wnid``; shortest first (Taxonomy.paths_to_root)."""
        return paths_up(wnid, self.parents)

    def _kind(self, parent: str, child: str) -> EdgeKind:
        (kind,) = self._db.execute(self._KIND_SQL, (parent, child)).fetchone()
        edge: EdgeKind = EDGE_KINDS[int(kind)]
        return edge

    # --- the TaxonomyView ------------------------------------------------------------

    def __contains__(self, wnid: object) -> bool:
        if self._known is None:
            self._asked += 1
            if self._asked > SET_AFTER:  # a catalogue's 21,841 labels: a set, not queries
                self.wnids  # noqa: B018 (reads the set too)
        if self._known is not None:
            return isinstance(wnid, str) and wnid in self._known
        return super().__contains__(wnid)

    def __len__(self) -> int:
        return len(self.wnids)

    def node(self, wnid: str) -> SynsetAttrs:  # a SynsetSummary and more
        """All of a synset's attributes, as Taxonomy.node; TaxonomyError for an unknown one."""
        whole = self._bulk()
        attrs = whole.attrs.get(wnid) if whole is not None else self._attrs.get(wnid)
        if attrs is None:
            row = None
            if whole is None:
                row = self._db.execute(self._ATTRS_SQL + " WHERE wnid = ?", (wnid,)).fetchone()
            if row is None:
                raise TaxonomyError(not_a_synset(wnid))
            attrs = self._attrs[wnid] = synset_attrs(*row)
        return attrs

    def children(self, wnid: str) -> list[str]:
        whole = self._bulk()
        return list(whole.children.get(wnid, ())) if whole else super().children(wnid)

    def parent_count(self, wnid: str) -> int:
        whole = self._bulk()
        return whole.parent_counts.get(wnid, 0) if whole else super().parent_count(wnid)

    def edge_kind(self, parent: str, child: str) -> EdgeKind:
        whole = self._bulk()
        return whole.kinds[parent, child] if whole else self._kind(parent, child)

    def _bulk(self) -> _Whole | None:
        """The whole hierarchy once BULK_AFTER single queries have been made; else None."""
        if self._whole is None:
            self._queries += 1
            if self._queries <= BULK_AFTER:
                return None
            self._whole = self._read_whole()
        return self._whole

    def _read_whole(self) -> _Whole:
        rows = self._db.execute("SELECT wnid, " + self._ATTRS_SQL[7:]).fetchall()
        attrs = {wnid: synset_attrs(*columns) for wnid, *columns in rows}
        children: dict[str, list[str]] = {}
        kinds: dict[tuple[str, str], EdgeKind] = {}
        parent_counts: dict[str, int] = {}
        edges = self._db.execute(
            "SELECT p.wnid, c.wnid, e.kind FROM edges e JOIN synsets p ON p.id = e.parent"
            " JOIN synsets c ON c.id = e.child ORDER BY p.id, c.name"
        )
        for parent, child, kind in edges:
            children.setdefault(parent, []).append(child)
            kinds[parent, child] = EDGE_KINDS[int(kind)]
            parent_counts[child] = parent_counts.get(child, 0) + 1
        return _Whole(attrs, children, kinds, parent_counts)

    def descendants(self, wnid: str) -> set[str]:
        self.node(wnid)
        sql = self._BELOW_SQL + " SELECT s.wnid FROM below JOIN synsets s ON s.id = below.id"
        return {w for (w,) in self._db.execute(sql, (wnid,))}

    def ancestors(self, wnid: str) -> set[str]:
        self.node(wnid)
        sql = self._ABOVE_SQL + " SELECT s.wnid FROM above JOIN synsets s ON s.id = above.id"
        return {w for (w,) in self._db.execute(sql, (wnid,))}

    @property
    def wnids(self) -> list[str]:
        """Every wnid in node-index order (the cache's ids), as Taxonomy.wnids."""
        if self._wnids is None:
            self._wnids = [w for (w,) in self._db.execute("SELECT wnid FROM synsets ORDER BY id")]
            self._known = frozenset(self._wnids)
        return self._wnids

    def ancestor_closure(self) -> ClosureArrays:
        """(sizes, ancestors), as Taxonomy.ancestor_closure: stored in the cache."""
        return self._array_pair("closure", self._read_closure)

    def edge_arrays(self) -> ClosureArrays:
        """(parents, children) node indices of every edge, as Taxonomy.edge_arrays."""
        return self._array_pair("edges", self._read_edges)

    def depth_and_name_rank(self) -> ClosureArrays:
        """(min_depth, name_rank) per node, as Taxonomy.depth_and_name_rank."""
        return self._array_pair("ranks", self._read_ranks)

    def _array_pair(self, name: str, read: Callable[[], ClosureArrays]) -> ClosureArrays:
        if name not in self._arrays:
            self._arrays[name] = read()
        pair: ClosureArrays = self._arrays[name]
        return pair

    def _read_closure(self) -> ClosureArrays:
        import numpy as np

        blobs = dict(self._db.execute("SELECT name, data FROM arrays"))
        try:
            sizes, ancestors = blobs["closure_sizes"], blobs["closure_ancestors"]
        except KeyError as missing:
            raise TaxonomyError(
                f"The taxonomy cache {self.path} has no {missing}; "
                "run `wnexplorer setup --rebuild`."
            ) from None
        return np.frombuffer(sizes, np.int32), np.frombuffer(ancestors, np.int32)

    def _read_edges(self) -> ClosureArrays:
        import numpy as np

        pairs = self._db.execute("SELECT parent, child FROM edges").fetchall()
        both = np.array(pairs, dtype=np.int32).reshape(-1, 2)
        return both[:, 0].copy(), both[:, 1].copy()

    def _read_ranks(self) -> ClosureArrays:
        import numpy as np

        rows = self._db.execute("SELECT min_depth FROM synsets ORDER BY id").fetchall()
        depth = np.array([d for (d,) in rows], dtype=np.int32)
        by_name = [i for (i,) in self._db.execute("SELECT id FROM synsets ORDER BY name")]
        rank = np.empty(len(by_name), np.int32)
        rank[by_name] = np.arange(len(by_name), dtype=np.int32)
        return depth, rank


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
