"""``wnexplorer duplicates``: near-duplicate pairs, and leakage between two catalogues."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
from explorer.cli.render import CommandWithTable
from explorer.core.duplicates import DEFAULT_DISTANCE, RELATIONS
from explorer.core.jobs import StderrProgress
from explorer.core.text import plural

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue
    from explorer.core.duplicates import DuplicateSummary

RELATION_MEANINGS = {
    "same_synset": "both images have the same label: a redundant copy",
    "ancestor": "one label is an ancestor of the other: redundant, or labelled too coarsely",
    "different": "unrelated labels: the same picture under two synsets, a label conflict",
    "unknown_label": "an image without a label, or with one that is not a WordNet noun",
}


@click.command(cls=CommandWithTable, table_title="Relations", table=RELATION_MEANINGS)
@catalogue_option
@click.option(
    "--against",
    metavar="FILE",
    help="Only pairs of one image here and one in this catalogue (train against val).",
)
@click.option(
    "--max-distance",
    type=click.IntRange(0, 64),
    default=DEFAULT_DISTANCE,
    show_default=True,
    metavar="BITS",
    help="Pairs whose 64-bit perceptual hashes differ in at most this many bits.",
)
@click.option(
    "--relation",
    "relations",
    type=click.Choice(RELATIONS),
    multiple=True,
    help="Only pairs judged so (repeatable) [default: all].",
)
@click.option("--under", metavar="WNID", help="Only pairs with an image in this subtree.")
@click.option("--rehash", is_flag=True, help="Hash every image again, not only new ones.")
@threads_option("hash")
@cluster_options
@click.option("--json", "as_json", is_flag=True, help='Print {"pairs": [...], "summary": {...}}.')
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write the pairs to FILE as CSV."
)
@parents_option
@pass_context
def duplicates(
    obj: Context,
    catalogue: str,
    against: str | None,
    max_distance: int,
    relations: tuple[str, ...],
    under: str | None,
    rehash: bool,
    threads: int | None,
    workers: int | None,
    scheduler: str | None,
    path_map: tuple[str, ...],
    as_json: bool,
    output: str | None,
    parents: bool,
) -> None:
    """Near-duplicate images, each pair judged by where its labels sit in the hierarchy.

    Images not hashed yet are hashed first (a perceptual hash and a content hash
    each, kept in the catalogue: a rerun reads only new or changed files), here or
    on a Dask cluster (--workers N, --scheduler ADDRESS). A pair is exact when the
    bytes are the same. Pairs marked not duplicates in the window are left out.
    """
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore, flags_path_for
    from explorer.core.duplicates import (
        THREADS,
        find_duplicates,
        hash_catalogue,
        write_pairs_csv,
        write_pairs_json,
    )
    from explorer.core.exports import write_streaming

    cluster = cluster_spec(workers, scheduler, path_map)
    first = obj.catalogue_file(catalogue)
    second = obj.catalogue_file(against) if against else None
    if second is not None and second.resolve() == first.resolve():
        raise click.UsageError("--against names the same catalogue as --catalogue.")
    tax = obj.taxonomy()
    subtree = tax.resolve(under) if under else None
    progress = StderrProgress()
    try:
        for path in (first, second):
            if path is not None:
                hash_catalogue(
                    path,
                    state=progress,
                    rehash=rehash,
                    threads=threads or THREADS,
                    cluster=cluster,
                )
        marked: list[tuple[str, str]] = []
        if flags_path_for(first).exists():
            with FlagStore.open_for(first) as store:
                marked = store.not_duplicates()
        with Catalogue.open(first) as opened, _open(second) as other:
            report = find_duplicates(
                opened,
                tax,
                against=other,
                max_distance=max_distance,
                relations=relations or None,
                not_duplicates=marked,
                state=progress,
            )
            if subtree is not None:
                report = report.subset(report.pairs_of_label(tax.descendants(subtree) | {subtree}))
            progress.close()
            if as_json:
                write_pairs_json(report, sys.stdout, opened, other)
            elif output:
                with write_streaming(output, parents) as stream:
                    write_pairs_csv(report, stream, opened, other)
                click.echo(f"Wrote {output}", err=True)
            else:
                for pair in report.rows(opened, other):
                    click.echo(
                        f"{pair.distance:>2}  {'exact' if pair.exact else 'near '}  "
                        f"{pair.relation:<13}  {pair.a}  {pair.b}"
                    )
            if not as_json:
                click.echo(_summary_line(report.summary, first, second), err=bool(output))
    finally:
        progress.close()


def _open(path: Path | None) -> contextlib.AbstractContextManager[Catalogue | None]:
    from explorer.core.catalogue import Catalogue

    return contextlib.nullcontext() if path is None else Catalogue.open(path)


def _summary_line(summary: DuplicateSummary, first: Path, second: Path | None) -> str:
    by_relation = ", ".join(f"{n:,} {r}" for r, n in summary.by_relation.items() if n)
    text = (
        f"{plural(summary.pairs, 'pair')} within {summary.max_distance} bits "
        f"({summary.exact:,} exact, {summary.near:,} near"
        + (f"; {by_relation}" if by_relation else "")
        + f") among {plural(summary.images, 'hashed image')}"
    )
    if second is not None and summary.against_images and summary.against_with_copy is not None:
        share = summary.against_with_copy / summary.against_images
        text += (
            f"; {summary.against_with_copy:,} of {summary.against_images:,} images of "
            f"{second.name} ({share:.1%}) have a near copy in {first.name}"
        )
    if summary.not_hashed:
        text += f"; {plural(summary.not_hashed, 'image')} not hashed (not compared)"
    if summary.unhashable:
        text += f"; {plural(summary.unhashable, 'image')} could not be hashed"
    if summary.not_duplicates:
        text += f"; {plural(summary.not_duplicates, 'pair')} marked not duplicates left out"
    return text
