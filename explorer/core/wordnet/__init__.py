"""WordNet 3.0's noun hierarchy: finding WordNet, the taxonomy cache, the graph, search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.wordnet.cache import (
        EDGE_KINDS,
        CachedHierarchy,
        CacheInvalid,
        EdgeKind,
        SynsetAttrs,
        SynsetSummary,
        cache_path_for,
        normalise,
        open_cached_hierarchy,
        read_cache,
    )
    from explorer.core.wordnet.lookup import (
        CachedLookup,
        TaxonomyView,
        not_a_synset,
        open_cached_lookup,
    )
    from explorer.core.wordnet.search import MAX_QUERY_CHARS, TIERS, SearchHit
    from explorer.core.wordnet.source import (
        INSTALL_METHODS,
        InstallMethod,
        WordNetLocation,
        find_or_install_wordnet,
        install_wordnet,
        locate_wordnet,
        open_reader,
    )
    from explorer.core.wordnet.taxonomy import (
        SynsetDescription,
        Taxonomy,
        load_noun_wnids,
        load_synset_names,
        load_taxonomy,
    )

__all__ = [
    "EDGE_KINDS",
    "INSTALL_METHODS",
    "MAX_QUERY_CHARS",
    "TIERS",
    "CacheInvalid",
    "CachedHierarchy",
    "CachedLookup",
    "EdgeKind",
    "InstallMethod",
    "SearchHit",
    "SynsetAttrs",
    "SynsetDescription",
    "SynsetSummary",
    "Taxonomy",
    "TaxonomyView",
    "WordNetLocation",
    "cache_path_for",
    "find_or_install_wordnet",
    "install_wordnet",
    "load_noun_wnids",
    "load_synset_names",
    "load_taxonomy",
    "locate_wordnet",
    "normalise",
    "not_a_synset",
    "open_cached_hierarchy",
    "open_cached_lookup",
    "open_reader",
    "read_cache",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".cache": (
            "CacheInvalid",
            "CachedHierarchy",
            "EDGE_KINDS",
            "EdgeKind",
            "SynsetAttrs",
            "SynsetSummary",
            "cache_path_for",
            "normalise",
            "open_cached_hierarchy",
            "read_cache",
        ),
        ".lookup": ("CachedLookup", "TaxonomyView", "not_a_synset", "open_cached_lookup"),
        ".search": (
            "MAX_QUERY_CHARS",
            "SearchHit",
            "TIERS",
        ),
        ".source": (
            "INSTALL_METHODS",
            "InstallMethod",
            "WordNetLocation",
            "find_or_install_wordnet",
            "install_wordnet",
            "locate_wordnet",
            "open_reader",
        ),
        ".taxonomy": (
            "SynsetDescription",
            "Taxonomy",
            "load_noun_wnids",
            "load_synset_names",
            "load_taxonomy",
        ),
    },
)
