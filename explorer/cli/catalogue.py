"""The catalogue commands: index, counts, coverage, audit."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Literal

import click

from explorer.cli.context import (
    Context,
    catalogue_option,
    cluster_options,
    cluster_spec,
    parents_option,
    pass_context,
    threads_option,
)
from explorer.cli.render import (
    CommandWithTable,
    plural,
    print_json,
    printable,
    tab_line,
    table,
    write_output,
)
from explorer.core.analysis import BASES, COVERAGE_FORMATS, SORT_KEYS
from explorer.core.images import AUDIT_CODES, FAILURE_CODES
from explorer.core.jobs import StderrProgress

# the grid's sizes (explorer.core.images.SIZES; not imported: Pillow is for the command
# that runs, not for every --help); tests/e2e checks that they agree
THUMBNAIL_SIZES = ("64", "96", "128", "192", "256")

if TYPE_CHECKING:
    from collections.abc import Iterable

    from explorer.core.analysis import Basis, Counts, CoverageFormat, SortKey
    from explorer.core.catalogue import Layout
    from explorer.core.images import AuditEntry, AuditSummary, AuditTotals
    from explorer.core.wordnet import TaxonomyView


@click.command()
@click.argument("root", type=click.Path(exists=True))
@click.option(
    "--catalogue",
    "catalogue",
    type=click.Path(dir_okay=False),
    help="Catalogue file to create or update [default: one per dataset in the data dir].",
)
@click.option(
    "--layout",
    type=click.Choice(["auto", "folders", "flat", "ilsvrc-val", "manifest"]),
    default="auto",
    show_default=True,
    help="folders: one folder per wnid; flat: names start with a wnid; ilsvrc-val: "
    "ILSVRC2012_val_* with --labels; manifest: a CSV/TSV of path,wnid.",
)
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False),
    help="ilsvrc-val label file: one wnid per line, in file-number order [default on a "
    "rescan: the one the catalogue was indexed with].",
)
@click.option(
    "--relayout",
    is_flag=True,
    help="Rescan in the layout of --layout (or detected anew), not the catalogue's own: "
    "relabels its images.",
)
@click.option(
    "--root",
    "manifest_root",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="A manifest's root: the folder its paths are relative to and must stay within "
    "[default: the manifest's folder; on a rescan: the catalogue's].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_context
def index(
    obj: Context,
    root: str,
    catalogue: str | None,
    layout: Layout | Literal["auto"],
    labels: str | None,
    relayout: bool,
    manifest_root: str | None,
    as_json: bool,
) -> None:
    """Index an image collection (ROOT: a dataset folder or a manifest file).

    Run it again to rescan: new files are added, changed ones updated, vanished
    ones marked missing (never deleted). A rescan keeps the catalogue's layout
    and label file. The dataset is only read. Images outside the root (a
    manifest's ../ or absolute path elsewhere, a link out of the folder) are
    kept and counted, but audits and exports leave them out.
    """
    from explorer.core.catalogue import index_catalogue
    from explorer.core.wordnet import load_noun_wnids, load_synset_names

    progress = StderrProgress()
    try:
        nouns = load_noun_wnids(obj.wordnet, obj.data_dir, progress)
        summary = index_catalogue(
            root,
            nouns=nouns,
            catalogue=catalogue,
            layout=layout,
            labels=labels,
            relayout=relayout,
            root=manifest_root,
            synset_names=lambda: load_synset_names(obj.wordnet, obj.data_dir),
            data_dir=obj.data_dir,
            state=progress,
        )
    finally:
        progress.close()
    from explorer.core.curation import relink_after_scan

    relinked = relink_after_scan(summary.catalogue, summary)
    if as_json:
        flags = None if relinked is None else asdict(relinked)
        print_json({**summary.as_dict(), "flags_relinked": flags})
        return

    def echo(line: str) -> None:  # file names from the dataset: escaped
        click.echo(printable(line))

    echo(f"Catalogue: {summary.catalogue}")
    echo(f"Source:    {summary.source} ({summary.layout})")
    if summary.layout == "manifest" and summary.root != os.path.dirname(summary.source):
        echo(f"Root:      {summary.root}")
    if summary.labels:
        reused = " (the last scan's; --labels FILE gives another)" if summary.labels_reused else ""
        echo(f"Labels:    {summary.labels}{reused}")
    echo(f"Images:    {plural(summary.images, 'image')} on {plural(summary.synsets, 'synset')}")
    echo(
        f"This scan: {summary.seen:,} seen, {summary.added:,} added, {summary.changed:,} "
        f"changed, {summary.restored:,} back, {summary.newly_missing:,} gone "
        f"({summary.seconds:.1f} s)"
    )
    odd = summary.unknown_wnid + summary.not_noun + summary.no_label
    if odd:
        echo(
            f"Not counted: {summary.unknown_wnid:,} with an unknown wnid, {summary.not_noun:,} "
            f"labelled with a non-noun synset, {summary.no_label:,} without a label; e.g.:"
        )
        for example in summary.odd_labels[:5]:
            echo(f"  {example['path']}  ({example['note']})")
    if summary.missing:
        listed = "image listed before is" if summary.missing == 1 else "images listed before are"
        echo(f"Missing:   {summary.missing:,} {listed} no longer found")
    if summary.outside_root:
        shown = ", ".join(summary.outside_root_examples)
        more = ", ..." if summary.outside_root > len(summary.outside_root_examples) else ""
        other = "; --root DIR gives the manifest another" if summary.layout == "manifest" else ""
        echo(
            f"Outside:   {plural(summary.outside_root, 'image')} outside the root {summary.root} "
            f"({shown}{more}): never audited, and left out of exports unless "
            f"--allow-outside-root{other}"
        )
    if summary.other_files or summary.stat_failed or summary.unreadable_dirs:
        unreadable = ""
        if summary.unreadable_dirs:
            named = ", ".join(summary.unreadable_examples)
            more = ", ..." if summary.unreadable_dirs > len(summary.unreadable_examples) else ""
            unreadable = f" ({named}{more}: check their permissions)"
        echo(
            f"Skipped:   {plural(summary.other_files, 'non-image file')}; "
            f"{plural(summary.stat_failed, 'image')} could not be stat'ed; "
            f"{plural(summary.unreadable_dirs, 'unreadable folder')}{unreadable}"
        )
    if summary.relabelled:
        examples = ", ".join(f"{a} → {b}" for a, b in summary.relabelled_examples.items())
        more = ", ..." if summary.relabelled > len(summary.relabelled_examples) else ""
        echo(
            f"Read as:   {plural(summary.relabelled, 'label')} given as an offset or synset "
            f"name, stored as wnids: {examples}{more}"
        )
    for warning in summary.warnings:
        echo(f"Warning:   {warning}")
    if relinked is not None and (relinked.relinked or relinked.ambiguous):
        echo(
            f"Flags:     {len(relinked.relinked):,} followed a moved or renamed file; "
            f"{len(relinked.ambiguous):,} left where they were (same bytes in several places: "
            f"`wnexplorer flags relink` lists them)"
        )


def _counts(obj: Context, catalogue_value: str) -> tuple[TaxonomyView, Counts]:
    from explorer.core.analysis import compute_counts
    from explorer.core.catalogue import Catalogue

    tax = obj.lookup()
    with Catalogue.open(obj.catalogue_file(catalogue_value)) as catalogue:
        direct = catalogue.direct_counts(tax)
    return tax, compute_counts(tax, direct)


@click.command()
@click.argument("wnids", nargs=-1)
@catalogue_option
@click.option("--json", "as_json", is_flag=True, help="Print {wnid: {direct, subtree, ...}}.")
@pass_context
def counts(obj: Context, wnids: tuple[str, ...], catalogue: str, as_json: bool) -> None:
    """Images per synset: its own (direct), its subtree's, and its synsets with images.

    An image counts once in every ancestor, however many paths lead there.
    With no WNID: every synset whose subtree holds an image.
    """
    tax, figures = _counts(obj, catalogue)
    chosen = [tax.resolve(w) for w in wnids] if wnids else figures.with_images()
    result = {wnid: figures.of(wnid) for wnid in chosen}
    if as_json:
        print_json(result)
        return
    rows = [
        (
            wnid,
            row["direct"],
            row["subtree"],
            row["synsets_with_images"],
            tax.node(wnid)["name"],
        )
        for wnid, row in result.items()
    ]
    for line in table(("wnid", "direct", "subtree", "synsets", "name"), rows, (10, -9, -10, -8)):
        click.echo(line)


@click.command()
@catalogue_option
@click.option("--under", metavar="WNID", help="Only this synset's subtree [default: all].")
@click.option(
    "--min",
    "min_images",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="A synset with fewer images than this is thin.",
)
@click.option(
    "--basis",
    type=click.Choice(BASES),
    default=BASES[0],
    show_default=True,
    help="Count the subtree's images or only the synset's own.",
)
@click.option(
    "--targets",
    type=click.Path(exists=True, dir_okay=False),
    help="Judge only these synsets: a file with one wnid per line (first field).",
)
@click.option("--all", "include_ok", is_flag=True, help="List synsets that are not gaps too.")
@click.option("--leaves-only", is_flag=True, help="List only leaves (synsets with no hyponym).")
@click.option(
    "--sort",
    type=click.Choice(SORT_KEYS),
    default=SORT_KEYS[0],
    show_default=True,
)
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(COVERAGE_FORMATS),
    default=COVERAGE_FORMATS[0],
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@parents_option
@pass_context
def coverage(
    obj: Context,
    catalogue: str,
    under: str | None,
    min_images: int,
    basis: Basis,
    targets: str | None,
    include_ok: bool,
    leaves_only: bool,
    sort: SortKey,
    desc: bool,
    fmt: CoverageFormat,
    output: str | None,
    parents: bool,
) -> None:
    """Coverage gaps: empty or thin synsets of a subtree, or of a target list.

    Leaves without images are always listed; so is every target missing from
    WordNet 3.0. `--sort priority` puts the gaps that matter first: missing
    targets, then empty and thin synsets whose siblings have images.
    """
    from explorer.core.analysis import coverage as find_gaps
    from explorer.core.analysis import format_coverage, read_targets

    tax, figures = _counts(obj, catalogue)
    target_list = read_targets(targets) if targets else None
    result = find_gaps(
        tax,
        figures,
        under=tax.resolve(under) if under else None,
        min_images=min_images,
        basis=basis,
        targets=target_list,
        include_ok=include_ok,
        leaves_only=leaves_only,
        sort=sort,
        descending=desc,
    )
    settings = {
        "catalogue": str(obj.catalogue_file(catalogue)),
        "under": under,
        "min": min_images,
        "basis": basis,
        "targets": targets,
        "sort": sort,
        "leaves_only": leaves_only,
        "descending": desc,
    }
    write_output(format_coverage(result, fmt, settings), output, parents)
    if output or fmt == "csv":
        summary = result.summary
        click.echo(
            f"{plural(summary['judged'], 'synset')} judged: {summary['ok']:,} covered, "
            f"{summary['empty']:,} empty ({plural(summary['empty_leaves'], 'leaf', 'leaves')}), "
            f"{summary['thin']:,} thin, {summary['not_in_wordnet']:,} not in WordNet; "
            f"{plural(summary['rows'], 'row')} listed",
            err=True,
        )


@click.command(
    cls=CommandWithTable,
    table_title="Problem codes",
    table={
        code: text + ("; unusable: exports leave it out" if code in FAILURE_CODES else "")
        for code, text in AUDIT_CODES.items()
    },
)
@catalogue_option
@click.option("--recheck", is_flag=True, help="Check every image again, not only new ones.")
@click.option(
    "--processes",
    type=click.IntRange(1, 32),
    default=None,
    metavar="N",
    help="In-process: check with N local processes [default: up to 4].",
)
@cluster_options
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop checking an image after this long (it is then too_slow).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary and every image.")
@pass_context
def audit(
    obj: Context,
    catalogue: str,
    recheck: bool,
    processes: int | None,
    workers: int | None,
    scheduler: str | None,
    path_map: tuple[str, ...],
    time_limit: float,
    as_json: bool,
) -> None:
    """Decode every image and report problems: unreadable, truncated, CMYK, duplicates, ...

    Resumable: a cancelled or repeated audit checks only what it has not
    checked yet (or what changed). Each image's problems are given as the codes below.
    In-process by default; --workers N or --scheduler ADDRESS run it on a Dask
    cluster (this process alone writes the catalogue, a shard at a time).
    """
    from explorer.core.catalogue import Catalogue
    from explorer.core.images import WORKERS, audit_catalogue, iter_audit_report, write_audit_json

    cluster = cluster_spec(workers, scheduler, path_map)
    path = obj.catalogue_file(catalogue)
    progress = StderrProgress()
    try:
        run = audit_catalogue(
            path,
            state=progress,
            recheck=recheck,
            workers=processes or WORKERS,
            time_limit=time_limit,
            cluster=cluster,
        )
    finally:
        progress.close()
    if as_json:  # written as read: the images with problems may be millions
        this_run = {
            "checked": run.checked,
            "already_current": run.already_current,
            "seconds": run.seconds,
        }
        # progress while the images are written to a file or pipe, not over them on a terminal
        writing = None if sys.stdout.isatty() else StderrProgress()
        try:
            with Catalogue.open(path) as opened:
                write_audit_json(opened, sys.stdout, this_run, writing)
        finally:
            if writing is not None:
                writing.close()
        return
    with Catalogue.open(path) as opened:  # the images written as read, as with --json
        summary, images = iter_audit_report(opened)
        _print_audit(run, summary, images)


def _print_audit(run: AuditSummary, summary: AuditTotals, images: Iterable[AuditEntry]) -> None:
    click.echo(
        f"{plural(summary['images'], 'image')}, {summary['audited']:,} audited "
        f"({run.checked:,} checked now in {run.seconds:.1f} s); "
        f"{summary['with_problems']:,} with problems, "
        f"{plural(summary['duplicate_groups'], 'group')} of duplicates, "
        f"{summary['missing']:,} missing"
        + (
            f", {summary['outside_root']:,} outside the root (not read)"
            if summary["outside_root"]
            else ""
        )
    )
    for code, number in summary["by_code"].items():
        click.echo(f"  {code:<20} {number:,}")
    for image in images:
        click.echo(tab_line(image["path"], image["wnid"], ",".join(image["problems"])))


@click.command()
@click.argument("wnids", nargs=-1)
@catalogue_option
@click.option(
    "--size",
    type=click.Choice(THUMBNAIL_SIZES),
    default="128",
    show_default=True,
    help="The thumbnail size: one of the grid's sizes.",
)
@threads_option("make them")
@cluster_options
@pass_context
def thumbnails(
    obj: Context,
    wnids: tuple[str, ...],
    catalogue: str,
    size: str,
    threads: int | None,
    workers: int | None,
    scheduler: str | None,
    path_map: tuple[str, ...],
) -> None:
    """Fill the window's thumbnail cache for the images of these subtrees (default: all).

    Only what is missing is made: a rerun, or one after Ctrl-C, goes on where it stopped.
    On a Dask cluster (--workers N, --scheduler ADDRESS) the workers make the thumbnails
    and this process writes the cache.
    """
    from explorer.core.analysis import compute_counts
    from explorer.core.catalogue import Catalogue
    from explorer.core.images import THREADS, default_thumbnail_cache, precompute_thumbnails

    cluster = cluster_spec(workers, scheduler, path_map)
    path = obj.catalogue_file(catalogue)
    labels = None
    if wnids:
        tax = obj.lookup()
        with Catalogue.open(path) as opened:
            figures = compute_counts(tax, opened.direct_counts(tax))
        labels = sorted({w for q in wnids for w in figures.image_synsets_under(tax.resolve(q))})
    progress = StderrProgress()
    try:
        made = precompute_thumbnails(
            path,
            default_thumbnail_cache(obj.data_dir),
            int(size),
            wnids=labels,
            state=progress,
            cluster=cluster,
            threads=threads or THREADS,
        )
    finally:
        progress.close()
    click.echo(
        f"{plural(made.images, 'image')}: {made.made:,} thumbnails made, "
        f"{made.already_cached:,} already cached, {made.failed:,} cannot be shown"
        + (" (cancelled: run again to go on)" if made.cancelled else "")
    )
