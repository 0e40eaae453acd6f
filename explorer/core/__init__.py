"""The domain: WordNet, taxonomy, catalogue, curation and exports. No Qt here."""

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
from explorer.core.search import SearchHit
from explorer.core.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "Cancelled",
    "CatalogueError",
    "ExplorerError",
    "ExportError",
    "JobState",
    "SearchHit",
    "StoreError",
    "Taxonomy",
    "TaxonomyError",
    "WordNetError",
    "load_taxonomy",
]
