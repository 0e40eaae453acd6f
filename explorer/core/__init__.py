"""The domain: WordNet, taxonomy, catalogue, curation and exports, and the Workspace (the
open session, with events) that the window shows. No Qt here.

The public names below load on first use (PEP 562), so importing one small
module (``explorer.core.paths``, say) does not pull in networkx and numpy:
the window's start-up time counts every import.
"""

from importlib import import_module

_PUBLIC = {
    "Cancelled": "explorer.core.errors",
    "CatalogueError": "explorer.core.errors",
    "ExplorerError": "explorer.core.errors",
    "ExportError": "explorer.core.errors",
    "StoreError": "explorer.core.errors",
    "TaxonomyError": "explorer.core.errors",
    "WordNetError": "explorer.core.errors",
    "JobState": "explorer.core.jobs",
    "ListingJob": "explorer.core.workspace",
    "SearchHit": "explorer.core.wordnet.search",
    "Taxonomy": "explorer.core.wordnet.taxonomy",
    "Workspace": "explorer.core.workspace",
    "load_taxonomy": "explorer.core.wordnet.taxonomy",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'explorer.core' has no attribute {name!r}")
