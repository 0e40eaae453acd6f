"""The domain: WordNet, taxonomy, catalogue, curation and exports, and the Workspace (the
open session, with events) that the window shows. No Qt here.

The public names below load on first use (PEP 562, :mod:`explorer.core._lazy`), so
importing one small module (``explorer.core.paths``, say) does not pull in networkx and
numpy: the window's start-up time counts every import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.errors import (
        Cancelled,
        CatalogueError,
        ExplorerError,
        ExportError,
        StoreError,
        TaxonomyError,
        WordNetError,
    )
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import SearchHit, Taxonomy, load_taxonomy
    from explorer.core.workspace import ListingJob, Scope, Workspace

__all__ = [
    "Cancelled",
    "CatalogueError",
    "ExplorerError",
    "ExportError",
    "JobState",
    "ListingJob",
    "Scope",
    "SearchHit",
    "StoreError",
    "Taxonomy",
    "TaxonomyError",
    "WordNetError",
    "Workspace",
    "load_taxonomy",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".errors": (
            "Cancelled",
            "CatalogueError",
            "ExplorerError",
            "ExportError",
            "StoreError",
            "TaxonomyError",
            "WordNetError",
        ),
        ".jobs": ("JobState",),
        ".wordnet": ("SearchHit", "Taxonomy", "load_taxonomy"),
        ".workspace": ("ListingJob", "Scope", "Workspace"),
    },
)
