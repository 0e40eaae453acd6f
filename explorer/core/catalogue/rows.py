"""What a catalogue answers: its rows and records as typed values (the store reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TypedDict

if TYPE_CHECKING:
    from explorer.core.catalogue.labels import LabelKind
    from explorer.core.catalogue.sources import Layout


@dataclass(frozen=True, slots=True)
class ImageRow:
    """One image as the GUI and exports see it, with its audit findings when it has been audited."""

    id: int
    path: str
    wnid: str | None
    size: int | None
    present: bool
    raw_path: bytes | None = None
    mtime_ns: int | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    problems: tuple[str, ...] = ()
    audited: bool = False
    outside_root: bool = False  # listed, but outside the root: see Catalogue.outside_root_paths


class AuditRecord(NamedTuple):
    """What an audit found in one image's file, as :meth:`Catalogue.record_audit` stores it."""

    image_id: int
    size: int | None  # the file version the result is for (None: a manifest row)
    mtime_ns: int | None
    content_hash: str | None  # None: unreadable
    problems: tuple[str, ...]
    detail: str | None
    format: str | None
    width: int | None
    height: int | None
    mode: str | None


class AuditFinding(NamedTuple):
    """An audited image (present, inside the root), as the audit report lists it."""

    path: str
    wnid: str | None
    problems: tuple[str, ...]
    content_hash: str | None
    detail: str | None
    format: str | None
    width: int | None
    height: int | None
    mode: str | None


class SizedImage(NamedTuple):
    """A present image of a given size, with its audit's content hash when that audit is of
    the file as it is now (else None): what a moved file may have become."""

    path: str
    raw_path: bytes | None
    size: int
    content_hash: str | None


class CatalogueSummary(TypedDict):
    """What a catalogue holds, as :meth:`Catalogue.summary` gives it (and the index command
    prints it)."""

    catalogue: str
    source: str
    root: str
    layout: Layout
    images: int  # present images, labelled or not
    synsets: int  # distinct labels that are WordNet 3.0 nouns
    labelled: int  # images with such a label
    unknown: int  # unknown_wnid + not_noun
    unknown_wnid: int
    not_noun: int
    no_label: int
    missing: int  # images the last scan no longer found
    outside_root: int


class OddLabel(TypedDict):
    """An image whose label is not a WordNet 3.0 noun, as :meth:`Catalogue.odd_labels` gives it."""

    path: str
    label: str | None
    problem: LabelKind
    note: str


def _image_row(
    image_id: int,
    path: str,
    wnid: str | None,
    size: int | None,
    present: int,
    raw: bytes | None,
    mtime: int | None,
    fmt: str | None,
    width: int | None,
    height: int | None,
    mode: str | None,
    problems: str | None,
    outside: int,
) -> ImageRow:
    codes = tuple(code for code in (problems or "").split(",") if code)
    return ImageRow(
        image_id,
        path,
        wnid,
        size,
        bool(present),
        raw,
        mtime,
        fmt,
        width,
        height,
        mode,
        codes,
        problems is not None,
        bool(outside),
    )
