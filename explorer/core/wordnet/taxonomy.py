"""WordNet 3.0's noun hierarchy as a networkx DAG, with the queries the app needs.

Nodes are wnid strings (``"n%08d" % offset``); edges go from parent to child
and carry ``kind``: ``"hypernym"`` or ``"instance"`` (instance hypernym).
Node attributes (:class:`SynsetAttrs`): ``name`` (``dog.n.01``), ``lemmas``
(tuple, spaces not underscores), ``gloss``, ``lexname`` (``noun.animal``),
``frequency`` (tagged count of all its lemmas), ``min_depth`` and
``max_depth`` (entity is 0).

With ``taxonomy = load_taxonomy()``:

>>> taxonomy.graph.nodes["n02084071"]["name"]
'dog.n.01'
>>> taxonomy.parents("n02084071")             # domestic animal, canine
['n01317541', 'n02083346']
>>> taxonomy.edge_kind("n01317541", "n02084071")
'hypernym'
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, cast

import networkx as nx

from explorer.core import paths
from explorer.core.errors import TaxonomyError
from explorer.core.jobs import JobState
from explorer.core.wordnet.cache import (
    EDGE_KINDS,
    CachedTaxonomy,
    CacheInvalid,
    EdgeKind,
    SynsetAttrs,
    SynsetRow,
    build_cache,
    bundled_fingerprint,
    cache_path_for,
    read_array,
    read_cache,
    read_wnids,
    synset_attrs,
)
from explorer.core.wordnet.lookup import description, not_a_synset, paths_up, resolve_query
from explorer.core.wordnet.search import SearchHit, SynsetSearch

if TYPE_CHECKING:  # numpy is imported when the closure is first asked for
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)


class Neighbour(TypedDict):
    """A parent or child in :meth:`Taxonomy.describe`, with the kind of its edge."""

    wnid: str
    name: str
    kind: EdgeKind


class SynsetDescription(TypedDict):
    """Everything ``wnexplorer show`` prints about a synset (:meth:`Taxonomy.describe`)."""

    wnid: str
    name: str
    lemmas: list[str]
    gloss: str
    lexname: str
    parents: list[Neighbour]
    children: list[Neighbour]
    paths: list[list[str]]
    depth: int
    min_depth: int
    max_depth: int
    descendants: int


# The graph's nodes are wnids; a node's attributes are a SynsetAttrs, an edge's {"kind":
# EdgeKind}. The stubs could say so, but networkx's functions accept only graphs whose data
# are plain dicts, so the graph keeps the default parameters and node() gives the TypedDict.
WordNetGraph: TypeAlias = "nx.DiGraph[str]"
ClosureArrays: TypeAlias = "tuple[NDArray[np.int32], NDArray[np.int32]]"


@dataclass(frozen=True)
class TaxonomyStats:
    synsets: int
    edges: int
    hypernym_edges: int
    instance_edges: int
    multi_parent: int
    roots: list[str]
    leaves: int
    max_depth: int

    def as_dict(self) -> dict[str, int | list[str]]:
        return dict(self.__dict__)


class Taxonomy:
    """The noun DAG (``.graph``) plus queries and search over it."""

    def __init__(self, graph: WordNetGraph, cache_path: Path, source: str) -> None:
        self.graph = graph
        self.cache_path = cache_path
        self.source = source  # where the WordNet files were found
        self._by_name: dict[str, str] = {
            data["name"]: wnid for wnid, data in graph.nodes(data=True)
        }
        self._search = SynsetSearch(cache_path)
        self._closure: ClosureArrays | None = None
        self._edges: ClosureArrays | None = None
        self._ranks: ClosureArrays | None = None

    def __contains__(self, wnid: object) -> bool:
        return wnid in self.graph

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def child_count(self, wnid: str) -> int:
        return len(self.graph.succ[wnid])

    def parent_count(self, wnid: str) -> int:
        return len(self.graph.pred[wnid])

    def close(self) -> None:
        self._search.close()

    # --- lookup --------------------------------------------------------------

    def resolve(self, query: str) -> str:
        """Return the wnid that ``query`` names: a wnid, an offset or a synset name.

        >>> taxonomy.resolve("dog.n.01"), taxonomy.resolve("2084071")
        ('n02084071', 'n02084071')
        >>> taxonomy.resolve("n99999999")
        Traceback (most recent call last):
        explorer.core.errors.TaxonomyError: 'n99999999' is not a noun synset of WordNet 3.0: ...
        """
        return resolve_query(query, self._by_name.get, self.graph)

    def lemma_senses(self, lemma: str) -> list[str]:
        """The noun synsets with this lemma, commonest sense first.

        >>> [taxonomy.node(w)["name"] for w in taxonomy.lemma_senses("dog")][:3]
        ['dog.n.01', 'frump.n.01', 'dog.n.03']
        """
        return [hit.wnid for hit in self.search(lemma, limit=100) if hit.match == "exact"]

    def node(self, wnid: str) -> SynsetAttrs:
        """The attributes of ``wnid``; TaxonomyError for a wnid WordNet 3.0 lacks.

        >>> dog = taxonomy.node("n02084071")
        >>> dog["lemmas"], dog["lexname"], dog["min_depth"], dog["max_depth"]
        (('dog', 'domestic dog', 'Canis familiaris'), 'noun.animal', 8, 13)
        """
        self._require(wnid)
        # the graph holds what _graph_from_cache put there: a SynsetAttrs per node
        return cast(SynsetAttrs, self.graph.nodes[wnid])

    def _require(self, wnid: str) -> None:
        if wnid not in self.graph:
            raise TaxonomyError(not_a_synset(wnid))

    # --- structure -------------------------------------------------------------

    def parents(self, wnid: str) -> list[str]:
        """Direct hypernyms and instance hypernyms, sorted."""
        self._require(wnid)
        return sorted(self.graph.predecessors(wnid))

    def children(self, wnid: str) -> list[str]:
        """Direct hyponyms and instances, sorted by name."""
        self._require(wnid)
        nodes = self.graph.nodes
        return sorted(self.graph.successors(wnid), key=lambda c: nodes[c]["name"])

    def edge_kind(self, parent: str, child: str) -> EdgeKind:
        kind: EdgeKind = self.graph.edges[parent, child]["kind"]
        return kind

    def ancestors(self, wnid: str) -> set[str]:
        self._require(wnid)
        return nx.ancestors(self.graph, wnid)

    def descendants(self, wnid: str) -> set[str]:
        self._require(wnid)
        return nx.descendants(self.graph, wnid)

    def paths_to_root(self, wnid: str) -> list[list[str]]:
        """Every path from a root down to ``wnid``, each a list of wnids; shortest first.

        A synset with several parents (a DAG, not a tree) has several paths:

        >>> [len(path) for path in taxonomy.paths_to_root("n02084071")]
        [9, 14]
        """
        self._require(wnid)
        return paths_up(wnid, self.graph.predecessors)

    def breadcrumb(self, wnid: str) -> list[str]:
        """The first lemma of each synset on a shortest path from a root down to ``wnid``.

        >>> taxonomy.breadcrumb("n02012849")[-4:]         # crane, the bird
        ['bird', 'aquatic bird', 'wading bird', 'crane']
        >>> taxonomy.breadcrumb("n00001740")              # the root
        ['entity']
        """
        self._require(wnid)
        graph, nodes = self.graph, self.graph.nodes
        names = []
        node: str | None = wnid
        while node is not None:  # up through the shallowest parent: min_depth falls by one
            names.append(nodes[node]["lemmas"][0])
            parents = list(graph.predecessors(node))
            node = min(parents, key=lambda p: (nodes[p]["min_depth"], p)) if parents else None
        return names[::-1]

    def short_path(self, wnid: str, last: int = 3) -> str:
        """The end of :meth:`breadcrumb`: its ``last`` names, "…" for those left out; what
        tells the senses of a word apart in a list.

        >>> taxonomy.short_path("n02012849"), taxonomy.short_path("n03126707")
        ('… › aquatic bird › wading bird › crane', '… › device › lifting device › crane')
        >>> taxonomy.short_path("n00002684", last=3)      # object: the whole path fits
        'entity › physical entity › object'
        """
        names = self.breadcrumb(wnid)
        shown = " › ".join(names[-last:])
        return shown if len(names) <= last else "… › " + shown

    def min_depth(self, wnid: str) -> int:
        return self.node(wnid)["min_depth"]

    def max_depth(self, wnid: str) -> int:
        return self.node(wnid)["max_depth"]

    def is_leaf(self, wnid: str) -> bool:
        return self.graph.out_degree(wnid) == 0

    def leaves(self, under: str | None = None) -> list[str]:
        """Synsets with no hyponyms or instances, in the whole graph or under ``under``."""
        nodes: Iterable[str] = (
            self.graph.nodes if under is None else self.descendants(under) | {under}
        )
        return sorted(n for n in nodes if self.graph.out_degree(n) == 0)

    def roots(self) -> list[str]:
        return sorted(n for n, d in self.graph.in_degree() if d == 0)

    def lowest_common_hypernyms(self, a: str, b: str) -> list[str]:
        """Common ancestors (a node counts as its own) that have no common descendant.

        >>> taxonomy.lowest_common_hypernyms("n02084071", "n02121620")   # dog, cat: carnivore
        ['n02075296']
        """
        common = (self.ancestors(a) | {a}) & (self.ancestors(b) | {b})
        lowest = [n for n in common if not any(c in common for c in self.graph.successors(n))]
        return sorted(lowest, key=lambda n: (-self.node(n)["max_depth"], n))

    def stats(self) -> TaxonomyStats:
        graph = self.graph
        kinds = [data["kind"] for _, _, data in graph.edges(data=True)]
        return TaxonomyStats(
            synsets=graph.number_of_nodes(),
            edges=len(kinds),
            hypernym_edges=kinds.count("hypernym"),
            instance_edges=kinds.count("instance"),
            multi_parent=sum(1 for _, d in graph.in_degree() if d >= 2),
            roots=self.roots(),
            leaves=sum(1 for _, d in graph.out_degree() if d == 0),
            max_depth=max(data["max_depth"] for _, data in graph.nodes(data=True)),
        )

    def describe(self, wnid: str) -> SynsetDescription:
        """Everything ``wnexplorer show`` prints about a synset, as plain data."""
        return description(self, wnid, self.node(wnid), len(self.descendants(wnid)))

    # --- vector form -------------------------------------------------------------

    @property
    def wnids(self) -> list[str]:
        """Every wnid in node-index order (sorted), the order of all per-node arrays."""
        return list(self.graph)

    def ancestor_closure(self) -> ClosureArrays:
        """(sizes, ancestors): int32 numpy arrays, every node's ancestors including itself.

        Node i's ancestors are ``ancestors[starts[i]:starts[i] + sizes[i]]`` with
        ``starts = cumsum(sizes) - sizes``; each ancestor appears once, however
        many paths lead to it. Built with the cache, so loading it costs nothing.
        """
        if self._closure is None:
            import numpy as np

            try:
                sizes = read_array(self.cache_path, "closure_sizes")
                ancestors = read_array(self.cache_path, "closure_ancestors")
            except CacheInvalid as why:
                raise TaxonomyError(
                    f"The taxonomy cache {self.cache_path} is {why}; "
                    "run `wnexplorer setup --rebuild`."
                ) from why
            self._closure = (np.frombuffer(sizes, np.int32), np.frombuffer(ancestors, np.int32))
        return self._closure

    def edge_arrays(self) -> ClosureArrays:
        """(parents, children): every hypernym and instance edge as int32 node indices.

        >>> parents, children = taxonomy.edge_arrays()
        >>> len(parents) == taxonomy.graph.number_of_edges()
        True
        """
        if self._edges is None:
            import numpy as np

            index = {wnid: i for i, wnid in enumerate(self.graph)}
            pairs = np.fromiter(
                (index[node] for edge in self.graph.edges() for node in edge), np.int32
            ).reshape(-1, 2)
            self._edges = (pairs[:, 0].copy(), pairs[:, 1].copy())
        return self._edges

    def depth_and_name_rank(self) -> ClosureArrays:
        """(min_depth, name_rank): int32 per node, the second each synset's place in name
        order: what a table of synsets sorts by without reading 82,115 dicts.

        >>> depth, rank = taxonomy.depth_and_name_rank()
        >>> int(depth[taxonomy.wnids.index("n02084071")])
        8
        """
        if self._ranks is None:
            import numpy as np

            nodes = self.graph.nodes
            depth = np.fromiter((nodes[w]["min_depth"] for w in self.graph), np.int32)
            names = [nodes[w]["name"] for w in self.graph]
            rank = np.empty(len(names), np.int32)
            rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
            self._ranks = (depth, rank)
        return self._ranks

    # --- search ----------------------------------------------------------------

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """Synsets matching ``text`` by wnid, offset, name, lemma or gloss; best first.

        >>> [(hit.name, hit.match) for hit in taxonomy.search("labrador", limit=3)]
        [('labrador.n.01', 'exact'), ('labrador-ungava_peninsula.n.01', 'prefix'),
         ('labrador_sea.n.01', 'prefix')]
        """
        return self._search.search(text, limit)


def _graph_from_cache(
    synsets: Iterable[SynsetRow], edges: Iterable[tuple[int, int, int]]
) -> WordNetGraph:
    """Build the DiGraph by filling its three dicts directly.

    add_nodes_from/add_edges_from copy every attribute dict and took 0.5 s of
    a 1.1 s start; this takes 0.2 s and gives the same graph (a test checks it
    against add_edges_from).
    """
    graph: WordNetGraph = nx.DiGraph()
    node: dict[str, SynsetAttrs] = {}
    succ: dict[str, dict[str, dict[str, Any]]] = {}
    pred: dict[str, dict[str, dict[str, Any]]] = {}
    wnids = []
    for wnid, name, lemmas, gloss, lexname, frequency, low, high in synsets:
        wnids.append(wnid)
        node[wnid] = synset_attrs(name, lemmas, gloss, lexname, frequency, low, high)
        succ[wnid] = {}
        pred[wnid] = {}
    for parent, child, kind in edges:
        data = {"kind": EDGE_KINDS[kind]}
        succ[wnids[parent]][wnids[child]] = data
        pred[wnids[child]][wnids[parent]] = data
    # networkx's own dicts, which its stubs leave out
    graph._node, graph._adj, graph._succ, graph._pred = node, succ, succ, pred  # type: ignore[attr-defined]
    return graph


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the garbage collector while a big heap is built, then freeze what was built.

    The collector would rescan the growing heap many times during the build,
    and the taxonomy's ~1M long-lived objects on every full collection after
    it (pauses a GUI would feel); gc.freeze() exempts them from both.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _current_cache(
    wordnet: str | os.PathLike[str] | None,
    data_dir: str | os.PathLike[str] | None,
    state: JobState | None,
    rebuild: bool = False,
) -> tuple[str, Path, CachedTaxonomy]:
    """Locate WordNet; return (its path, the cache path, the cache), rebuilt when stale."""
    from explorer.core.wordnet import source as wordnet_source

    bundled = paths.bundled_taxonomy_cache(data_dir) if wordnet is None else None
    if bundled is not None:
        try:
            with _gc_paused():
                cached = read_cache(bundled, bundled_fingerprint(bundled))
            source = f"WordNet 3.0 shipped with the program (from {cached.meta.get('source', '?')})"
            return source, bundled, cached
        except CacheInvalid as why:
            raise TaxonomyError(
                f"The WordNet 3.0 shipped with this program ({bundled}) is {why}; install "
                "it again, or give a WordNet directory with --wordnet."
            ) from why
    location = wordnet_source.locate_wordnet(wordnet, paths.data_dir(data_dir))
    cache_path = cache_path_for(location.path, data_dir)
    fingerprint = location.fingerprint()
    if not rebuild:
        try:
            with _gc_paused():
                return location.path, cache_path, read_cache(cache_path, fingerprint)
        except CacheInvalid as why:
            if cache_path.exists():
                log.warning("Rebuilding the taxonomy cache %s: %s", cache_path, why)
    records = wordnet_source.read_noun_synsets(location, state)
    meta = {"fingerprint": fingerprint, "source": location.path, "origin": location.origin}
    build_cache(records, cache_path, meta, state)
    with _gc_paused():
        return location.path, cache_path, read_cache(cache_path, fingerprint)


def load_noun_wnids(
    wordnet: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    state: JobState | None = None,
) -> frozenset[str]:
    """Just the set of noun wnids: what indexing needs, without the graph's memory.

    >>> wnids = load_noun_wnids()
    >>> len(wnids), "n02084071" in wnids
    (82115, True)
    """
    from explorer.core.wordnet import source as wordnet_source

    if wordnet is None and paths.shipped_taxonomy() is not None:
        _source, _cache_path, cached = _current_cache(wordnet, data_dir, state)
        return frozenset(row[0] for row in cached.synsets)
    location = wordnet_source.locate_wordnet(wordnet, paths.data_dir(data_dir))
    try:
        return frozenset(
            read_wnids(cache_path_for(location.path, data_dir), location.fingerprint())
        )
    except CacheInvalid:  # build (or rebuild) the cache the usual way
        _source, _cache_path, cached = _current_cache(wordnet, data_dir, state)
        return frozenset(row[0] for row in cached.synsets)


def load_synset_names(
    wordnet: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    state: JobState | None = None,
) -> dict[str, str]:
    """Every noun synset's name and wnid, read from the cache without building the graph.

    >>> load_synset_names()["dog.n.01"]
    'n02084071'
    """
    _source, _cache_path, cached = _current_cache(wordnet, data_dir, state)
    return {row[1]: row[0] for row in cached.synsets}


def load_taxonomy(
    wordnet: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    state: JobState | None = None,
    rebuild: bool = False,
) -> Taxonomy:
    """Load the WordNet 3.0 noun taxonomy, from the cache when it is current.

    ``wordnet`` names the WordNet directory (else it is searched for, see
    :mod:`explorer.core.wordnet.source`); ``data_dir`` the app's data
    directory. The first call builds the cache (about 10 s, reported through
    ``state``); later calls read it. A cache that is stale, damaged or
    ``rebuild``-requested is rebuilt, never trusted.

    >>> taxonomy = load_taxonomy()
    >>> len(taxonomy), taxonomy.stats().roots
    (82115, ['n00001740'])
    >>> taxonomy.close()                           # its search's SQLite connections
    """
    source, cache_path, cached = _current_cache(wordnet, data_dir, state, rebuild)
    with _gc_paused():
        graph = _graph_from_cache(cached.synsets, cached.edges)
        return Taxonomy(graph, cache_path, source)
