"""Exports for training code: subtree lists, image lists, class maps, superclass subsets, folders.

Every export is sorted (the same inputs give the same bytes), written to a
temporary name and renamed into place (a reader never sees half a file), and
returns an :class:`ExportReport` of what it wrote. Files and folders get the
modes the umask gives (0644 and 0755 with umask 022), as ``cp`` and ``mkdir``
make them; an output's folder must exist unless ``parents`` asks for it.

Images under several chosen nodes (easy in a DAG: a dog is under both
"domestic animal" and "carnivore") are *overlaps*. ``on_overlap="fail"``
raises an ExportError that lists them; ``"specific"`` gives each to its most
specific chosen node: one that descends from every other chosen node it is
under, else the deepest (greatest minimum depth), else the first chosen.

Images are left out when they lie outside the catalogue root
(:meth:`Catalogue.outside_root_paths`; keep them with
``allow_outside_root=True``, except in hard links, which are never made to
a file outside the root), when flagged (``flagged="exclude"``, the default;
``"include"`` keeps them, ``"only"`` keeps only them) or when their audit
found them unusable (:data:`explorer.core.images.audit.FAILURE_CODES`; keep them
with ``audit_failures=True``).

The kinds, formats and options are spelled once, in :mod:`.choices`; another value
is a ValueError.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO, TypedDict

from explorer.core.csv_cells import csv_text
from explorer.core.errors import ExportError
from explorer.core.exports.choices import (
    CLASSMAP_FORMATS,
    EXPORT_KINDS,
    FLAGGED_CHOICES,
    FOLDER_MODES,
    FORMATS,
    IMAGE_FORMATS,
    IMAGE_KINDS,
    OVERLAP_CHOICES,
    SUBTREE_FORMATS,
    ExportFormat,
    ExportKind,
    Flagged,
    FolderMode,
    ImageFormat,
    OnOverlap,
    SubtreeFormat,
    check_choice,
)
from explorer.core.exports.classmaps import classmap_text
from explorer.core.exports.images import (
    _NO_HARD_LINKS_OUT,
    Selection,
    _check_balance,
    _check_new_folder,
    _write_folders,
    _write_superclasses,
    select_images,
    write_image_list,
)
from explorer.core.exports.tree import TreeNode, nested_subtree
from explorer.core.exports.writing import (
    ExportReport,
    _check_folder_of,
    _json,
    write_atomically,
    write_streaming,
)
from explorer.core.text import plural

if TYPE_CHECKING:
    from explorer.core.analysis import Counts
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import TaxonomyView

PREVIEW_ROWS = 1000  # rows of an image list a preview (no output) holds in its text


# --- subtree lists -------------------------------------------------------------------------


class SubtreeRow(TypedDict):
    """A synset of a subtree list (:func:`subtree_rows`), as its JSON and CSV show it."""

    wnid: str
    name: str
    lemmas: list[str]
    gloss: str
    depth: int  # the synset's own depth in WordNet (its shortest path to the top)
    level: int  # its fewest steps down from the subtree's top
    direct: int | None  # images of the synset itself (None: not counted)
    subtree: int | None  # images of it and everything under it, each once


def subtree_rows(
    taxonomy: TaxonomyView,
    wnid: str,
    leaves_only: bool = False,
    counts: Counts | None = None,
    with_images: bool = False,
    depth: int | None = None,
) -> list[SubtreeRow]:
    """The synsets under ``wnid`` (itself included), by wnid, with their details.

    ``depth``: at most this many levels below ``wnid`` (along the shortest path);
    ``with_images``: only synsets whose subtree holds images (needs ``counts``).

    >>> rows = subtree_rows(taxonomy, "n02085374", counts=counts, with_images=True)  # toy dog
    >>> [(row["name"], row["level"], row["direct"], row["subtree"]) for row in rows]
    [('toy_dog.n.01', 0, 4, 37), ('chihuahua.n.03', 1, 18, 18), ('pekinese.n.01', 1, 15, 15)]
    """
    if with_images and counts is None:
        raise ExportError("Only synsets with images: give a catalogue to count them.")
    below = _levels_below(taxonomy, wnid, depth)
    rows: list[SubtreeRow] = []
    for node in sorted(below):
        if leaves_only and taxonomy.child_count(node):
            continue
        direct = subtree = None
        if counts is not None:
            direct, subtree = (
                int(counts.direct[counts.index[node]]),
                int(counts.subtree[counts.index[node]]),
            )
            if with_images and not subtree:
                continue
        data = taxonomy.node(node)
        rows.append(
            {
                "wnid": node,
                "name": data["name"],
                "lemmas": list(data["lemmas"]),
                "gloss": data["gloss"],
                "depth": data["min_depth"],
                "level": below[node],
                "direct": direct,
                "subtree": subtree,
            }
        )
    return rows


def _levels_below(taxonomy: TaxonomyView, wnid: str, depth: int | None) -> dict[str, int]:
    """Every synset under ``wnid`` with its fewest steps down from it (breadth first)."""
    taxonomy.node(wnid)  # a clear error for an unknown wnid
    levels = {wnid: 0}
    frontier = [wnid]
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        nxt = []
        for node in frontier:
            for child in taxonomy.children(node):
                if child not in levels:
                    levels[child] = level
                    nxt.append(child)
        frontier = nxt
    return levels


def format_subtree(
    taxonomy: TaxonomyView,
    wnid: str,
    rows: list[SubtreeRow],
    fmt: SubtreeFormat,
    depth: int | None = None,
) -> str:
    """``rows`` (:func:`subtree_rows` of ``wnid``) as a wnid list, CSV, JSON list, or the
    nested tree (:func:`nested_subtree`, ``depth`` levels deep)."""
    check_choice("format", fmt, SUBTREE_FORMATS)
    if fmt == "txt":
        return "".join(f"{row['wnid']}\n" for row in rows)
    if fmt == "csv":
        flat = [{**row, "lemmas": "; ".join(row["lemmas"])} for row in rows]
        fields = ("wnid", "name", "lemmas", "gloss", "depth", "level", "direct", "subtree")
        return csv_text(flat, fields)
    if fmt == "json":
        return _json(rows)
    return _json(nested_subtree(taxonomy, wnid, depth, {row["wnid"]: row for row in rows}))


# --- one entry for every export: the window's dialog and the CLI ---------------------------


@dataclass
class ExportRequest:
    """One export, as the window's dialog or a command line describes it.

    ValueError at once for a choice not in :mod:`.choices` (a format the kind has not,
    say), a negative depth or a balance under 1.
    """

    kind: ExportKind
    wnids: list[str]
    output: str | None = None  # a file (a folder for superclasses and folders); None: preview
    fmt: ExportFormat | None = None  # one of FORMATS[kind]; None: the kind's first
    leaves_only: bool = False  # subtree
    with_images: bool = False  # subtree
    depth: int | None = None  # subtree
    flagged: Flagged = "exclude"  # image kinds
    audit_failures: bool = False
    on_overlap: OnOverlap = "specific"
    balance: int | None = None  # superclasses
    seed: int = 0
    absolute: bool = False  # images
    allow_outside_root: bool = False  # image kinds; never in hard links
    mode: FolderMode = "symlink"  # folders
    parents: bool = False  # create the output's missing folders (else they are an error)

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, EXPORT_KINDS)
        if self.fmt is not None:
            check_choice(f"format of a {self.kind} export", self.fmt, FORMATS[self.kind])
        check_choice("flagged", self.flagged, FLAGGED_CHOICES)
        check_choice("on_overlap", self.on_overlap, OVERLAP_CHOICES)
        check_choice("mode", self.mode, FOLDER_MODES)
        if self.depth is not None and self.depth < 0:
            raise ValueError(f"depth: {self.depth} is negative")
        _check_balance(self.balance)

    @property
    def format(self) -> ExportFormat | None:
        """The format written: ``fmt``, else the kind's first (None for the folder kinds)."""
        formats = FORMATS[self.kind]
        return self.fmt or (formats[0] if formats else None)

    def needs_catalogue(self) -> bool:
        return self.kind in IMAGE_KINDS or self.with_images


@dataclass
class ExportResult:
    report: ExportReport
    # the export itself, for kinds that are one text (not folders); for the image kinds'
    # preview its first PREVIEW_ROWS rows (report.rows says how many there are)
    text: str | None = None
    overlapping: list[tuple[str, list[str]]] = field(default_factory=list)


def run_export(
    request: ExportRequest,
    taxonomy: TaxonomyView,
    catalogue_path: str | os.PathLike[str] | None = None,
    stream: TextIO | None = None,
    state: JobState | None = None,
) -> ExportResult:
    """Compute ``request`` and write it when it names an output (else: a preview).

    Opens its own catalogue and flag store (``catalogue_path``), so it can run on
    a worker thread. Image lists are written as they are read, in natural path
    order, memory bounded whatever the catalogue's size; ``state`` reports their
    progress and may cancel them. Without an output, the text goes to ``stream``
    when given (the command line's stdout), else the result holds it: whole for
    the small kinds, its first :data:`PREVIEW_ROWS` rows for the image kinds.

    >>> request = ExportRequest("images", ["n02512053"], output="fish.csv")  # the demo's fish
    >>> report = run_export(request, taxonomy, catalogue_path).report
    >>> report.outputs, report.rows, report.left_out
    (['fish.csv'], 47, {'audit_failure': 2})
    >>> dogs_birds = ExportRequest("folders", ["n02084071", "n01503061"], output="out", balance=5)
    >>> report = run_export(dogs_birds, taxonomy, catalogue_path).report
    >>> report.per_class, sorted(os.listdir("out")), len(os.listdir("out/n01503061"))
    ({'n02084071': 5, 'n01503061': 5}, ['n01503061', 'n02084071'], 5)
    """
    from contextlib import ExitStack

    if not request.wnids:
        raise ExportError("Choose at least one synset.")
    if request.needs_catalogue() and catalogue_path is None:
        raise ExportError("This export needs a catalogue: open or index one first.")
    if request.output is not None:  # before the work, not after it
        _check_folder_of(request.output, request.parents)
        if request.kind == "folders":
            _check_new_folder(request.output)
    with ExitStack() as stack:
        catalogue: Catalogue | None = None
        store: FlagStore | None = None
        if catalogue_path is not None and (request.needs_catalogue() or request.kind == "subtree"):
            from explorer.core.catalogue import Catalogue  # not for a subtree list alone
            from explorer.core.curation import FlagStore

            catalogue = stack.enter_context(Catalogue.open(catalogue_path))
            stack.enter_context(catalogue.cancelled_by(state))  # Cancel stops a query, too
            store = stack.enter_context(FlagStore.open_for(catalogue_path))
        return _run(request, taxonomy, catalogue, store, stream, state)


def _run(
    request: ExportRequest,
    taxonomy: TaxonomyView,
    catalogue: Catalogue | None,
    store: FlagStore | None,
    stream: TextIO | None,
    state: JobState | None,
) -> ExportResult:
    kind, output = request.kind, request.output
    if kind == "subtree":
        counts = None
        if catalogue is not None:
            from explorer.core.analysis import compute_counts

            counts = compute_counts(taxonomy, catalogue.direct_counts(taxonomy))
        fmt = check_choice("format", request.format, SUBTREE_FORMATS)
        trees: list[TreeNode] = []
        rows_by_wnid: dict[str, SubtreeRow] = {}
        for wnid in request.wnids:  # several nodes: the union of their subtrees
            rows = subtree_rows(
                taxonomy, wnid, request.leaves_only, counts, request.with_images, request.depth
            )
            rows_by_wnid.update((row["wnid"], row) for row in rows)
            if fmt == "tree-json":
                chosen = {row["wnid"]: row for row in rows}
                trees.append(nested_subtree(taxonomy, wnid, request.depth, chosen))
        rows = [rows_by_wnid[w] for w in sorted(rows_by_wnid)]
        if fmt == "tree-json":
            text = _json(trees[0] if len(trees) == 1 else trees)
        else:
            text = format_subtree(taxonomy, request.wnids[0], rows, fmt)
        result = ExportResult(ExportReport(rows=len(rows)), text)
    elif kind == "classmap":
        text = classmap_text(
            taxonomy, request.wnids, check_choice("format", request.format, CLASSMAP_FORMATS)
        )
        result = ExportResult(ExportReport(rows=len(request.wnids)), text)
    else:
        assert catalogue is not None  # opened by run_export: every image kind needs one
        hard_links = kind == "folders" and request.mode == "hardlink"
        selection = select_images(
            taxonomy,
            catalogue,
            request.wnids,
            store=store,
            flagged=request.flagged,
            audit_failures=request.audit_failures,
            on_overlap=request.on_overlap,
            balance=request.balance,
            seed=request.seed,
            allow_outside_root=request.allow_outside_root and not hard_links,
            state=state,
        )
        outside = selection.report.left_out.get("outside_root")
        if hard_links and request.allow_outside_root and outside:
            selection.report.warnings.append(_NO_HARD_LINKS_OUT.format(plural(outside, "image")))
        result = ExportResult(selection.report, None, selection.overlapping)
        if kind == "images":
            image_format = check_choice("format", request.format, IMAGE_FORMATS)
            if output is not None:
                with write_streaming(output, request.parents) as file:
                    write_image_list(
                        catalogue, selection, file, image_format, request.absolute, state
                    )
                result.report.outputs.append(str(output))
            elif stream is not None:
                write_image_list(
                    catalogue, selection, stream, image_format, request.absolute, state
                )
            else:
                result.text = _preview(catalogue, selection, image_format, request.absolute)
        elif output is not None and kind == "superclasses":
            _write_superclasses(taxonomy, catalogue, selection, output, request.parents, state)
        elif kind == "superclasses":
            result.text = _preview(catalogue, selection, "csv", False)
        elif output is not None and kind == "folders":
            _write_folders(
                catalogue,
                selection,
                output,
                request.mode,
                request.parents,
                request.allow_outside_root,
                state,
            )
        return result
    if output is not None:
        assert result.text is not None  # every kind but the image ones is one small text
        write_atomically(output, result.text, request.parents)
        result.report.outputs.append(str(output))
    elif stream is not None and result.text is not None:
        stream.write(result.text)
        result.text = None
    return result


def _preview(catalogue: Catalogue, selection: Selection, fmt: ImageFormat, absolute: bool) -> str:
    text = io.StringIO()
    write_image_list(catalogue, selection, text, fmt, absolute, limit=PREVIEW_ROWS)
    return text.getvalue()
