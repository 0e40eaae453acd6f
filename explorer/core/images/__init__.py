"""Image files: the guarded opener, bounded decoding, checks, hashes, thumbnails, the audit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.images.audit import (
        WORKERS,
        AuditEntry,
        AuditReport,
        AuditSummary,
        AuditTotals,
        audit_catalogue,
        audit_report,
        iter_audit_report,
        write_audit_json,
    )
    from explorer.core.images.check import ImageCheck, check_image
    from explorer.core.images.checkers import TIME_LIMIT, Checkers
    from explorer.core.images.codes import (
        AUDIT_CODES,
        FAILURE_CODES,
        PROBLEM_CODES,
        AuditCode,
        ProblemCode,
        problem_name,
    )
    from explorer.core.images.decoding import MAX_SCANS, viewable_bytes
    from explorer.core.images.digest import file_digest
    from explorer.core.images.fast_jpeg import fast_jpeg_available
    from explorer.core.images.metadata import ImageMetadata, image_metadata
    from explorer.core.images.phash import FileHashes, PerceptualHash, hash_file, perceptual_hash
    from explorer.core.images.precompute import THREADS, PrecomputeSummary, precompute_thumbnails
    from explorer.core.images.safe_open import (
        FilePath,
        NotRegularFileError,
        is_missing_file,
        open_regular_file,
    )
    from explorer.core.images.thumbnail_cache import ThumbnailCache, default_thumbnail_cache
    from explorer.core.images.thumbnails import SIZES, Thumbnail, make_thumbnail

__all__ = [
    "AUDIT_CODES",
    "FAILURE_CODES",
    "MAX_SCANS",
    "PROBLEM_CODES",
    "SIZES",
    "THREADS",
    "TIME_LIMIT",
    "WORKERS",
    "AuditCode",
    "AuditEntry",
    "AuditReport",
    "AuditSummary",
    "AuditTotals",
    "Checkers",
    "FileHashes",
    "FilePath",
    "ImageCheck",
    "ImageMetadata",
    "NotRegularFileError",
    "PerceptualHash",
    "PrecomputeSummary",
    "ProblemCode",
    "Thumbnail",
    "ThumbnailCache",
    "audit_catalogue",
    "audit_report",
    "check_image",
    "default_thumbnail_cache",
    "fast_jpeg_available",
    "file_digest",
    "hash_file",
    "image_metadata",
    "is_missing_file",
    "iter_audit_report",
    "make_thumbnail",
    "open_regular_file",
    "perceptual_hash",
    "precompute_thumbnails",
    "problem_name",
    "viewable_bytes",
    "write_audit_json",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".audit": (
            "WORKERS",
            "AuditEntry",
            "AuditReport",
            "AuditSummary",
            "AuditTotals",
            "audit_catalogue",
            "audit_report",
            "iter_audit_report",
            "write_audit_json",
        ),
        ".check": (
            "ImageCheck",
            "check_image",
        ),
        ".checkers": (
            "Checkers",
            "TIME_LIMIT",
        ),
        ".codes": (
            "AUDIT_CODES",
            "FAILURE_CODES",
            "PROBLEM_CODES",
            "AuditCode",
            "ProblemCode",
            "problem_name",
        ),
        ".decoding": (
            "MAX_SCANS",
            "viewable_bytes",
        ),
        ".digest": ("file_digest",),
        ".phash": ("FileHashes", "PerceptualHash", "hash_file", "perceptual_hash"),
        ".metadata": (
            "ImageMetadata",
            "image_metadata",
        ),
        ".safe_open": (
            "FilePath",
            "NotRegularFileError",
            "is_missing_file",
            "open_regular_file",
        ),
        ".precompute": ("THREADS", "PrecomputeSummary", "precompute_thumbnails"),
        ".thumbnails": ("SIZES", "Thumbnail", "make_thumbnail"),
        ".fast_jpeg": ("fast_jpeg_available",),
        ".thumbnail_cache": ("ThumbnailCache", "default_thumbnail_cache"),
    },
)
