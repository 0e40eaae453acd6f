"""Image catalogues: indexing folders and manifests, the catalogue store, image listings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.catalogue.hashes import HashRecord
    from explorer.core.catalogue.image_list import (
        CURATION_FILTERS,
        FILTERS,
        SORTS,
        CurationFilter,
        Filter,
        Sort,
        arrange,
    )
    from explorer.core.catalogue.indexing import IndexSummary, index_catalogue
    from explorer.core.catalogue.labels import (
        LABEL_NONE,
        LABEL_NOT_NOUN,
        LABEL_OK,
        LABEL_UNKNOWN,
        LabelKind,
        classify_label,
    )
    from explorer.core.catalogue.listing import Listing, id_bitmap, list_images
    from explorer.core.catalogue.opening import default_catalogue_path, resolve_catalogue
    from explorer.core.catalogue.orders import ensure_orders, order_chunks
    from explorer.core.catalogue.rows import (
        AuditFinding,
        AuditRecord,
        CatalogueSummary,
        ImageRow,
        OddLabel,
        SizedImage,
    )
    from explorer.core.catalogue.schema import MIGRATION_NAMES, MIGRATIONS
    from explorer.core.catalogue.sources import LAYOUTS, Layout, detect_layout
    from explorer.core.catalogue.store import Catalogue

__all__ = [
    "CURATION_FILTERS",
    "FILTERS",
    "LABEL_NONE",
    "LABEL_NOT_NOUN",
    "LABEL_OK",
    "LABEL_UNKNOWN",
    "LAYOUTS",
    "MIGRATIONS",
    "MIGRATION_NAMES",
    "SORTS",
    "AuditFinding",
    "AuditRecord",
    "Catalogue",
    "CatalogueSummary",
    "CurationFilter",
    "Filter",
    "HashRecord",
    "ImageRow",
    "IndexSummary",
    "LabelKind",
    "Layout",
    "Listing",
    "OddLabel",
    "SizedImage",
    "Sort",
    "arrange",
    "classify_label",
    "default_catalogue_path",
    "detect_layout",
    "ensure_orders",
    "id_bitmap",
    "index_catalogue",
    "list_images",
    "order_chunks",
    "resolve_catalogue",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".image_list": (
            "CURATION_FILTERS",
            "FILTERS",
            "SORTS",
            "CurationFilter",
            "Filter",
            "Sort",
            "arrange",
        ),
        ".indexing": ("IndexSummary", "index_catalogue"),
        ".labels": (
            "LABEL_NONE",
            "LABEL_NOT_NOUN",
            "LABEL_OK",
            "LABEL_UNKNOWN",
            "LabelKind",
            "classify_label",
        ),
        ".hashes": ("HashRecord",),
        ".listing": ("Listing", "id_bitmap", "list_images"),
        ".opening": (
            "default_catalogue_path",
            "resolve_catalogue",
        ),
        ".orders": ("ensure_orders", "order_chunks"),
        ".schema": ("MIGRATIONS", "MIGRATION_NAMES"),
        ".sources": ("LAYOUTS", "Layout", "detect_layout"),
        ".rows": (
            "AuditFinding",
            "AuditRecord",
            "CatalogueSummary",
            "ImageRow",
            "OddLabel",
            "SizedImage",
        ),
        ".store": ("Catalogue",),
    },
)
