"""The export commands: subtree lists, image lists, class maps, superclass subsets, folders.

Each builds an ExportRequest for the core's run_export, as the window's export
dialog does, from the same choices (explorer.core.exports).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypedDict

import click

from explorer.cli.context import Context, catalogue_option, parents_option, pass_context
from explorer.cli.render import plural, warn
from explorer.core.exports import (
    CLASSMAP_FORMATS,
    FOLDER_MODES,
    IMAGE_FORMATS,
    OVERLAP_CHOICES,
    SUBTREE_FORMATS,
)

if TYPE_CHECKING:
    from click.decorators import FC

    from explorer.core.exports import (
        ClassmapFormat,
        ExportReport,
        ExportRequest,
        Flagged,
        FolderMode,
        ImageFormat,
        OnOverlap,
        SubtreeFormat,
    )


@click.group()
def export() -> None:
    """Write synset lists, image lists, class maps, superclass subsets and folder trees.

    Every file is sorted (the same input gives the same bytes) and written to a
    temporary name, then renamed into place. Image exports leave out images
    outside the catalogue root, flagged images and images whose audit found
    them unusable, unless asked.
    """


def _resolved(obj: Context, wnids: tuple[str, ...]) -> list[str]:
    taxonomy = obj.lookup()
    return [taxonomy.resolve(w) for w in wnids]


class _Selection(TypedDict):
    flagged: Flagged
    audit_failures: bool
    on_overlap: OnOverlap


def _selection(
    flagged: Flagged | None, include_audit_failures: bool, on_overlap: OnOverlap
) -> _Selection:
    """ExportRequest's fields from the options of :func:`_selection_options`."""
    return {
        "flagged": flagged or "exclude",
        "audit_failures": include_audit_failures,
        "on_overlap": on_overlap,
    }


def _selection_options(function: FC) -> FC:
    """The options every image export shares."""
    for option in reversed(
        [
            click.option(
                "--include-flagged",
                "flagged",
                flag_value="include",
                help="Keep flagged images (left out by default).",
            ),
            click.option(
                "--only-flagged",
                "flagged",
                flag_value="only",
                help="Only flagged images (for a review or a removal list).",
            ),
            click.option(
                "--include-audit-failures",
                is_flag=True,
                help="Keep images the audit found unusable (truncated, unreadable...).",
            ),
            click.option(
                "--allow-outside-root",
                is_flag=True,
                help="Keep images outside the catalogue root (left out by default); "
                "--mode hardlink never links them.",
            ),
            click.option(
                "--on-overlap",
                type=click.Choice(OVERLAP_CHOICES),
                default=OVERLAP_CHOICES[0],
                show_default=True,
                help="An image under several chosen nodes: fail, or give it to the "
                "most specific one.",
            ),
            catalogue_option,
        ]
    ):
        function = option(function)
    return function


def _report(report: ExportReport) -> None:
    """What an export wrote, on stderr (stdout may be the export itself)."""
    left = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in report.left_out.items())
    click.echo(
        plural(report.rows, "row")
        + (f" in {plural(report.classes, 'class', 'classes')}" if report.classes else "")
        + (f"; left out: {left}" if left else "")
        + (
            f"; {plural(report.overlaps, 'image')} under several chosen nodes went to the most "
            "specific"
            if report.overlaps
            else ""
        ),
        err=True,
    )
    for warning in report.warnings:
        warn(warning)
    for output in report.outputs:
        click.echo(f"Wrote {output}", err=True)


def _export(obj: Context, request: ExportRequest, catalogue: str | None) -> None:
    """Run an export; the text goes to stdout when there is no output file, written as it
    is read, with progress on stderr for the image kinds."""
    from explorer.core.exports import IMAGE_KINDS, run_export
    from explorer.core.jobs import StderrProgress

    path = obj.catalogue_file(catalogue) if catalogue else None
    taxonomy = obj.lookup()
    progress = StderrProgress() if request.kind in IMAGE_KINDS else None
    try:
        result = run_export(request, taxonomy, path, sys.stdout, progress)
    finally:
        if progress is not None:
            progress.close()
    _report(result.report)
    if request.kind == "superclasses":
        for wnid, number in result.report.per_class.items():
            click.echo(f"{wnid}\t{number}")


@export.command("subtree")
@click.argument("wnids", nargs=-1, required=True)
@click.option("--leaves-only", is_flag=True, help="Only synsets without hyponyms.")
@click.option("--with-images", is_flag=True, help="Only synsets whose subtree holds images.")
@click.option("--catalogue", metavar="FILE", help="Count images from this catalogue.")
@click.option("--depth", type=click.IntRange(0), help="At most N levels below WNID.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(SUBTREE_FORMATS),
    default=SUBTREE_FORMATS[0],
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File [default: stdout].")
@parents_option
@pass_context
def export_subtree(
    obj: Context,
    wnids: tuple[str, ...],
    leaves_only: bool,
    with_images: bool,
    catalogue: str | None,
    depth: int | None,
    fmt: SubtreeFormat,
    output: str | None,
    parents: bool,
) -> None:
    """The synsets under WNID (several: the union): wnid, name, lemmas, gloss, depth, counts."""
    from explorer.core.exports import ExportRequest

    if with_images and not catalogue:
        raise click.UsageError("--with-images needs --catalogue")
    request = ExportRequest(
        "subtree",
        _resolved(obj, wnids),
        output,
        fmt,
        leaves_only=leaves_only,
        with_images=with_images,
        depth=depth,
        parents=parents,
    )
    _export(obj, request, catalogue)


@export.command("images")
@click.argument("wnids", nargs=-1, required=True)
@_selection_options
@click.option("--absolute", is_flag=True, help="Absolute paths (default: relative to the root).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMAGE_FORMATS),
    default=IMAGE_FORMATS[0],
    show_default=True,
    help="csv: path,wnid,class_index,class_wnid; txt: path index.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File [default: stdout].")
@parents_option
@pass_context
def export_images(
    obj: Context,
    wnids: tuple[str, ...],
    flagged: Flagged | None,
    include_audit_failures: bool,
    allow_outside_root: bool,
    on_overlap: OnOverlap,
    catalogue: str,
    absolute: bool,
    fmt: ImageFormat,
    output: str | None,
    parents: bool,
) -> None:
    """The images under the WNIDs, each with the index of the WNID it is under."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest(
        "images",
        _resolved(obj, wnids),
        output,
        fmt,
        **_selection(flagged, include_audit_failures, on_overlap),
        absolute=absolute,
        allow_outside_root=allow_outside_root,
        parents=parents,
    )
    _export(obj, request, catalogue)


@export.command("classmap")
@click.argument("wnids", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(CLASSMAP_FORMATS),
    default=CLASSMAP_FORMATS[0],
    show_default=True,
    help='loc: LOC_synset_mapping.txt lines; json: {"0": [wnid, name]}.',
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File [default: stdout].")
@parents_option
@pass_context
def export_classmap(
    obj: Context, wnids: tuple[str, ...], fmt: ClassmapFormat, output: str | None, parents: bool
) -> None:
    """Class indexes for the WNIDs, in the order given."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest("classmap", _resolved(obj, wnids), output, fmt, parents=parents)
    _export(obj, request, None)


@export.command("superclasses")
@click.argument("wnids", nargs=-1, required=True)
@_selection_options
@click.option("--balance", type=click.IntRange(1), help="At most N images per superclass.")
@click.option("--seed", type=int, default=0, show_default=True, help="For --balance's sample.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for images.csv, classes.txt, classes.json, overlaps.json.",
)
@parents_option
@pass_context
def export_superclasses(
    obj: Context,
    wnids: tuple[str, ...],
    flagged: Flagged | None,
    include_audit_failures: bool,
    allow_outside_root: bool,
    on_overlap: OnOverlap,
    catalogue: str,
    balance: int | None,
    seed: int,
    output: str,
    parents: bool,
) -> None:
    """A BREEDS-style subset: each image goes to the chosen node it descends from."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest(
        "superclasses",
        _resolved(obj, wnids),
        output,
        **_selection(flagged, include_audit_failures, on_overlap),
        balance=balance,
        seed=seed,
        allow_outside_root=allow_outside_root,
        parents=parents,
    )
    _export(obj, request, catalogue)


@export.command("folders")
@click.argument("wnids", nargs=-1, required=True)
@_selection_options
@click.option("--mode", type=click.Choice(FOLDER_MODES), default=FOLDER_MODES[0], show_default=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False),
    help="A new folder: <output>/<wnid>/<file>.",
)
@parents_option
@pass_context
def export_folders(
    obj: Context,
    wnids: tuple[str, ...],
    flagged: Flagged | None,
    include_audit_failures: bool,
    allow_outside_root: bool,
    on_overlap: OnOverlap,
    catalogue: str,
    mode: FolderMode,
    output: str,
    parents: bool,
) -> None:
    """An ImageNet-style folder tree of links (or copies) for the WNIDs' images."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest(
        "folders",
        _resolved(obj, wnids),
        output,
        **_selection(flagged, include_audit_failures, on_overlap),
        mode=mode,
        allow_outside_root=allow_outside_root,
        parents=parents,
    )
    _export(obj, request, catalogue)
