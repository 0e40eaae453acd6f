"""The taxonomy cache: WordNet's noun hierarchy and its search index in one SQLite file.

Reading WordNet through nltk takes about 8 s; this file loads in a fraction
of that. It is derived data, so it is never migrated: a file whose schema,
source fingerprint or contents do not check out is rebuilt. It is written to
a temporary file and renamed into place, so a reader never sees half a cache.

Plain ``sqlite3`` rather than sqlite-utils here: the file is write-once and
read on every start, where sqlite-utils' import time would count.

Tables: ``meta`` (key/value), ``synsets`` (one row per noun synset, rowid is
the node's index), ``edges`` (parent, child, kind; indexed both ways, so
:class:`CachedHierarchy` can answer a tree without loading it), ``lemma_index`` (one row
per lemma sense, for search) and two FTS5 indexes: ``lemma_trigram``
(substring search) and ``gloss_fts`` (words of the gloss). ``arrays`` holds
the ancestor closure as int32 blobs (see :func:`_ancestor_closure`), which
makes per-subtree image counts a vector operation.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict, get_args

from explorer.core import paths
from explorer.core.errors import DataDirError, WordNetError
from explorer.core.files import atomic_path
from explorer.core.jobs import JobState
from explorer.core.sql import why
from explorer.core.wordnet.source import FIX_HINT, SynsetRecord

SCHEMA_VERSION = 4
EdgeKind = Literal["hypernym", "instance"]  # hypernym, or instance hypernym
EDGE_KINDS: tuple[EdgeKind, ...] = get_args(EdgeKind)  # the cache stores each as its index
LEMMA_SEPARATOR = "\t"
# A synsets row, in node order: (wnid, name, lemmas, gloss, lexname, frequency, min_depth,
# max_depth); lemmas joined with LEMMA_SEPARATOR
SynsetRow = tuple[str, str, str, str, str, int, int, int]
# CachedHierarchy's row: (wnid, name, lemmas, gloss, children, parents)
_NodeRow = tuple[str, str, str, str, int, int]

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE synsets (
    id INTEGER PRIMARY KEY,
    wnid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    lemmas TEXT NOT NULL,
    gloss TEXT NOT NULL,
    lexname TEXT NOT NULL,
    frequency INTEGER NOT NULL,
    min_depth INTEGER NOT NULL,
    max_depth INTEGER NOT NULL
);
CREATE INDEX synsets_name_nocase ON synsets (name COLLATE NOCASE);
CREATE TABLE edges (parent INTEGER NOT NULL, child INTEGER NOT NULL, kind INTEGER NOT NULL);
-- For CachedHierarchy: the tree's first rows come from here, before the graph is loaded.
CREATE INDEX edges_parent ON edges (parent);
CREATE INDEX edges_child ON edges (child);
CREATE TABLE lemma_index (
    id INTEGER PRIMARY KEY,
    norm TEXT NOT NULL,
    synset INTEGER NOT NULL,
    count INTEGER NOT NULL,
    sense INTEGER NOT NULL,
    depth INTEGER NOT NULL
);
CREATE INDEX lemma_index_norm ON lemma_index (norm);
-- Search's ranking order: lets a 1-2 letter prefix stop after the first hits instead of
-- sorting the 16,000 lemmas that start with "s".
CREATE INDEX lemma_index_rank ON lemma_index (count DESC, sense, depth, synset);
CREATE VIRTUAL TABLE lemma_trigram USING fts5(
    norm, content='lemma_index', content_rowid='id', tokenize='trigram'
);
CREATE TABLE arrays (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE VIRTUAL TABLE gloss_fts USING fts5(
    gloss, content='synsets', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
"""


class CacheInvalid(Exception):
    """The cache file is missing, stale or damaged; the caller rebuilds it."""


class SynsetSummary(TypedDict):
    """What :meth:`CachedHierarchy.node` knows of a synset (lemmas with spaces)."""

    name: str
    lemmas: tuple[str, ...]
    gloss: str


class SynsetAttrs(SynsetSummary):
    """A node's attributes: ``taxonomy.node(wnid)``, ``graph.nodes[wnid]``, and the cache's
    ``CachedLookup.node(wnid)``."""

    lexname: str  # the lexicographer file, noun.animal
    frequency: int  # the tagged-corpus count of all its lemmas
    min_depth: int  # the shortest and the longest path from entity (0)
    max_depth: int


def synset_attrs(
    name: str, lemmas: str, gloss: str, lexname: str, frequency: int, low: int, high: int
) -> SynsetAttrs:
    """A synsets row's attributes (its columns after the wnid, in the table's order)."""
    return {
        "name": name,
        "lemmas": tuple(lemmas.split(LEMMA_SEPARATOR)),
        "gloss": gloss,
        "lexname": lexname,
        "frequency": frequency,
        "min_depth": low,
        "max_depth": high,
    }


@dataclass
class CachedTaxonomy:
    """What a warm load reads: rows in node order, and edges as index pairs."""

    synsets: list[SynsetRow]
    edges: list[tuple[int, int, int]]  # (parent index, child index, kind index)
    meta: dict[str, str]


def cache_path_for(source_path: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache file for one WordNet location (several can coexist)."""
    key = hashlib.sha256(source_path.encode()).hexdigest()[:12]
    return paths.cache_dir(data_dir) / f"taxonomy-{key}.sqlite"


def open_cached_hierarchy(
    wordnet: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None
) -> CachedHierarchy | None:
    """The hierarchy of the current cache, in milliseconds; None when there is no current
    cache (or no WordNet): then :func:`~explorer.core.wordnet.taxonomy.load_taxonomy` builds it,
    or says what is wrong."""
    from explorer.core.wordnet import source as wordnet_source

    shipped = paths.shipped_taxonomy() if wordnet is None else None
    try:
        if shipped is not None:
            bundled = paths.bundled_taxonomy_cache(data_dir, unpack=False)
            if bundled is None:
                return None  # a first start: the load unpacks it, off the caller's thread
            return CachedHierarchy(bundled, bundled_fingerprint(bundled))
        location = wordnet_source.locate_wordnet(wordnet, paths.data_dir(data_dir))
        return CachedHierarchy(cache_path_for(location.path, data_dir), location.fingerprint())
    except (WordNetError, CacheInvalid):
        return None


def normalise(text: str) -> str:
    """Search form of a lemma or query: lower case, underscores as spaces, single spaces.

    >>> normalise("  Golden_Retriever ")
    'golden retriever'
    """
    return " ".join(text.replace("_", " ").lower().split())


def _depths(order: list[str], parents: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    depths: dict[str, tuple[int, int]] = {}
    for wnid in order:
        above = [depths[p] for p in parents.get(wnid, ())]
        if above:
            depths[wnid] = (min(d[0] for d in above) + 1, max(d[1] for d in above) + 1)
        else:
            depths[wnid] = (0, 0)
    return depths


def _ancestor_closure(
    order: list[str], parents: dict[str, list[str]], index: dict[str, int]
) -> tuple[array[int], array[int]]:
    """Every node's ancestors, itself included, once each however many paths lead there.

    Returned as two int32 arrays in node-index order: ``sizes[i]`` is the
    number of ancestors of node i, and ``ancestors`` their indexes, node after
    node (sorted within each node).
    """
    closure: dict[str, frozenset[int]] = {}
    for wnid in order:
        mine = {index[wnid]}
        for parent in parents.get(wnid, ()):
            mine |= closure[parent]
        closure[wnid] = frozenset(mine)
    sizes, ancestors = array("i"), array("i")
    for wnid in sorted(index, key=index.__getitem__):
        sizes.append(len(closure[wnid]))
        ancestors.extend(sorted(closure[wnid]))
    return sizes, ancestors


def _topological(records: dict[str, SynsetRecord], parents: dict[str, list[str]]) -> list[str]:
    children: dict[str, list[str]] = {}
    pending: dict[str, int] = {}
    for wnid in records:
        pending[wnid] = len(parents.get(wnid, ()))
        for parent in parents.get(wnid, ()):
            children.setdefault(parent, []).append(wnid)
    queue = sorted(w for w, n in pending.items() if n == 0)
    order: list[str] = []
    while queue:
        wnid = queue.pop()
        order.append(wnid)
        for child in children.get(wnid, ()):
            pending[child] -= 1
            if pending[child] == 0:
                queue.append(child)
    if len(order) != len(records):
        raise WordNetError(
            f"WordNet's noun hypernyms contain a cycle ({_a_cycle(records, parents, pending)}): "
            f"data.noun is damaged. {FIX_HINT}"
        )
    return order


def _a_cycle(
    records: dict[str, SynsetRecord], parents: dict[str, list[str]], pending: dict[str, int]
) -> str:
    """One cycle among the synsets a topological sort could not place, by name."""
    stuck = {wnid for wnid, n in pending.items() if n > 0}
    path = [min(stuck)]
    while path.count(path[-1]) < 2:
        path.append(next(p for p in parents[path[-1]] if p in stuck))
    start = path.index(path[-1])
    return " → ".join(records[wnid].name for wnid in path[start:])


def build_cache(
    records: Iterable[SynsetRecord],
    path: Path,
    meta: dict[str, str],
    state: JobState | None = None,
) -> None:
    """Write the cache for ``records`` to ``path`` atomically."""
    state = state or JobState()
    by_wnid = {record.wnid: record for record in records}
    parents = {
        r.wnid: [p for p in (*r.hypernyms, *r.instance_hypernyms) if p in by_wnid]
        for r in by_wnid.values()
    }
    order = _topological(by_wnid, parents)
    depths = _depths(order, parents)
    index = {wnid: i for i, wnid in enumerate(sorted(by_wnid))}
    closure_sizes, closure_ancestors = _ancestor_closure(order, parents, index)
    state.progress(0, None, "Writing taxonomy cache")

    try:
        # rebuildable: not fsync'd (43 MB)
        with atomic_path(path, parents=True, sync=False, prefix=path.name + ".") as tmp_name:
            db = sqlite3.connect(tmp_name)
            try:
                db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
                synset_rows: list[tuple[int, str, str, str, str, str, int, int, int]] = []
                edge_rows: list[tuple[int, int, int]] = []
                lemma_rows: list[tuple[str, int, int, int, int]] = []
                for wnid, i in index.items():
                    r = by_wnid[wnid]
                    low, high = depths[wnid]
                    synset_rows.append(
                        (
                            i,
                            wnid,
                            r.name,
                            LEMMA_SEPARATOR.join(r.lemmas),
                            r.gloss,
                            r.lexname,
                            sum(r.lemma_counts),
                            low,
                            high,
                        )
                    )
                    for kind, ups in enumerate((r.hypernyms, r.instance_hypernyms)):
                        edge_rows.extend((index[p], i, kind) for p in ups if p in index)
                    for lemma, count, sense in zip(
                        r.lemmas, r.lemma_counts, r.lemma_senses, strict=True
                    ):
                        lemma_rows.append((normalise(lemma), i, count, sense, low))
                with db:
                    db.executemany("INSERT INTO synsets VALUES (?,?,?,?,?,?,?,?,?)", synset_rows)
                    db.executemany("INSERT INTO edges VALUES (?,?,?)", edge_rows)
                    db.executemany(
                        "INSERT INTO lemma_index (norm, synset, count, sense, depth) "
                        "VALUES (?,?,?,?,?)",
                        lemma_rows,
                    )
                    db.executemany(
                        "INSERT INTO arrays VALUES (?, ?)",
                        [
                            ("closure_sizes", closure_sizes.tobytes()),
                            ("closure_ancestors", closure_ancestors.tobytes()),
                        ],
                    )
                    db.execute("INSERT INTO lemma_trigram (lemma_trigram) VALUES ('rebuild')")
                    db.execute("INSERT INTO gloss_fts (gloss_fts) VALUES ('rebuild')")
                    full_meta = {
                        **meta,
                        "schema": str(SCHEMA_VERSION),
                        "synsets": str(len(synset_rows)),
                        "edges": str(len(edge_rows)),
                        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    }
                    db.executemany("INSERT INTO meta VALUES (?,?)", full_meta.items())
            finally:
                db.close()
    except (OSError, sqlite3.Error) as exc:  # a full disk, a read-only data folder
        raise DataDirError(
            f"Cannot write the taxonomy cache {path} ({why(exc)}); free some space, or choose "
            f"another data folder with --data-dir or {paths.DATA_DIR_ENV}."
        ) from exc
    state.progress(1, 1, "Writing taxonomy cache")


def read_cache(path: Path, fingerprint: str) -> CachedTaxonomy:
    """Read a cache built from the source with ``fingerprint``; raise CacheInvalid otherwise."""
    if not path.is_file():
        raise CacheInvalid("no cache yet")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise CacheInvalid(f"cannot open: {exc}") from exc
    try:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        if meta.get("schema") != str(SCHEMA_VERSION):
            raise CacheInvalid("built by another version of this program")
        if meta.get("fingerprint") != fingerprint:
            raise CacheInvalid("the WordNet files changed since it was built")
        synsets = db.execute(
            "SELECT wnid, name, lemmas, gloss, lexname, frequency, min_depth, max_depth "
            "FROM synsets ORDER BY id"
        ).fetchall()
        edges = db.execute("SELECT parent, child, kind FROM edges").fetchall()
        lemma_rows = db.execute("SELECT count(*) FROM lemma_index").fetchone()[0]
    except sqlite3.Error as exc:  # "file is not a database", "malformed", ...
        raise CacheInvalid(f"damaged: {exc}") from exc
    finally:
        db.close()
    if len(synsets) != int(meta.get("synsets", -1)) or len(edges) != int(meta.get("edges", -1)):
        raise CacheInvalid("damaged: row counts differ from the ones recorded")
    if lemma_rows == 0:
        raise CacheInvalid("damaged: the search index is empty")
    return CachedTaxonomy(synsets, edges, meta)


class CachedHierarchy:
    """A tree's questions answered by SQL on a current cache, without loading the graph.

    The window paints its tree from this while the graph (about 0.8 s) loads
    behind it; it answers like :class:`~explorer.core.wordnet.taxonomy.Taxonomy`'s
    ``children``, ``parents``, ``child_count``, ``parent_count`` and ``node``
    (only ``name``, ``lemmas`` and ``gloss``). Use it from one thread.

    >>> hierarchy = open_cached_hierarchy()        # None when there is no current cache
    >>> [hierarchy.node(w)["name"] for w in hierarchy.children("n00001740")]
    ['abstraction.n.06', 'physical_entity.n.01', 'thing.n.08']
    >>> hierarchy.child_count("n02084071"), hierarchy.parents("n02084071")
    (18, ['n01317541', 'n02083346'])
    >>> hierarchy.close()
    """

    _NODE_SQL = (
        "SELECT wnid, name, lemmas, gloss,"
        " (SELECT count(*) FROM edges WHERE parent = s.id),"
        " (SELECT count(*) FROM edges WHERE child = s.id) FROM synsets s WHERE wnid = ?"
    )
    _CHILDREN_SQL = (
        "SELECT c.wnid FROM synsets p JOIN edges e ON e.parent = p.id"
        " JOIN synsets c ON c.id = e.child WHERE p.wnid = ? ORDER BY c.name"
    )
    _PARENTS_SQL = (
        "SELECT p.wnid FROM synsets c JOIN edges e ON e.child = c.id"
        " JOIN synsets p ON p.id = e.parent WHERE c.wnid = ? ORDER BY p.wnid"
    )

    def __init__(self, path: Path, fingerprint: str) -> None:
        if not path.is_file():
            raise CacheInvalid("no cache yet")
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            meta = dict(self._db.execute("SELECT key, value FROM meta"))
        except sqlite3.Error as exc:
            raise CacheInvalid(f"damaged: {exc}") from exc
        if meta.get("schema") != str(SCHEMA_VERSION) or meta.get("fingerprint") != fingerprint:
            self._db.close()
            raise CacheInvalid("stale")
        self._nodes: dict[str, _NodeRow] = {}

    def close(self) -> None:
        self._db.close()

    def __contains__(self, wnid: object) -> bool:
        return isinstance(wnid, str) and self._row(wnid) is not None

    def node(self, wnid: str) -> SynsetSummary:
        _wnid, name, lemmas, gloss, _children, _parents = self._known_row(wnid)
        return {"name": name, "lemmas": tuple(lemmas.split(LEMMA_SEPARATOR)), "gloss": gloss}

    def child_count(self, wnid: str) -> int:
        return self._known_row(wnid)[4]

    def parent_count(self, wnid: str) -> int:
        return self._known_row(wnid)[5]

    def children(self, wnid: str) -> list[str]:
        """Sorted by synset name, like Taxonomy.children (SQLite's BINARY order on UTF-8
        is Python's order on code points)."""
        return [c for (c,) in self._db.execute(self._CHILDREN_SQL, (wnid,))]

    def parents(self, wnid: str) -> list[str]:
        return [p for (p,) in self._db.execute(self._PARENTS_SQL, (wnid,))]

    def _row(self, wnid: str) -> _NodeRow | None:
        row = self._nodes.get(wnid)
        if row is None:
            row = self._db.execute(self._NODE_SQL, (wnid,)).fetchone()
            if row is not None:
                self._nodes[wnid] = row
        return row

    def _known_row(self, wnid: str) -> _NodeRow:
        """The row of ``wnid``; KeyError for a wnid the cache lacks, as a graph's lookups."""
        row = self._row(wnid)
        if row is None:
            raise KeyError(wnid)
        return row


def bundled_fingerprint(path: Path) -> str:
    """The fingerprint a shipped cache was built with: it is trusted as it is (the bundle
    is read-only), and still checked for damage like any cache."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise CacheInvalid(f"damaged: {exc}") from exc
    if row is None:
        raise CacheInvalid("damaged: no fingerprint")
    fingerprint: str = row[0]
    return fingerprint


def read_wnids(path: Path, fingerprint: str) -> list[str]:
    """Only the wnids of a current cache (what indexing needs); CacheInvalid otherwise."""
    if not path.is_file():
        raise CacheInvalid("no cache yet")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
            wnids = [wnid for (wnid,) in db.execute("SELECT wnid FROM synsets")]
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise CacheInvalid(f"damaged: {exc}") from exc
    if meta.get("schema") != str(SCHEMA_VERSION) or meta.get("fingerprint") != fingerprint:
        raise CacheInvalid("stale")
    if len(wnids) != int(meta.get("synsets", -1)):
        raise CacheInvalid("damaged: row counts differ from the ones recorded")
    return wnids


def read_array(path: Path, name: str) -> bytes:
    """One stored int32 array, as bytes (the caller wraps it in numpy)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT data FROM arrays WHERE name = ?", (name,)).fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise CacheInvalid(f"damaged: {exc}") from exc
    if row is None:
        raise CacheInvalid(f"damaged: array {name} missing")
    data: bytes = row[0]
    return data
