"""The flags commands: curate images (flag, review, remove), share flags, review queues."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from explorer.cli.context import Context, catalogue_option, chosen, parents_option, pass_context
from explorer.cli.render import (
    CommandWithTable,
    one_line,
    plural,
    print_json,
    printable,
    tab_line,
    warn,
)
from explorer.core.curation import EXCHANGE_FORMATS, REASONS

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import Command, FlagStore, ReasonCode

SKIPPED_SHOWN = 20  # bad rows of an import listed one by one; --json has them all


@contextlib.contextmanager
def _curation(obj: Context, catalogue_value: str) -> Iterator[tuple[Catalogue, FlagStore]]:
    """The open catalogue and its flag store; a recovered store is reported on stderr."""
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore

    path = obj.catalogue_file(catalogue_value)
    with Catalogue.open(path) as catalogue, FlagStore.open_for(path) as store:
        if store.recovered:
            warn(store.recovered)
        yield catalogue, store


def _apply(store: FlagStore, make_command: Callable[[], Command]) -> None:
    """Apply the command made from the images' current states; say what it did."""
    from explorer.core.curation import apply_fresh

    command = apply_fresh(store, make_command)
    click.echo(f"{command.label} — nothing to change." if command.unchanged else f"{command.done}.")


@click.group()
def flags() -> None:
    """Curate images: flag them, mark them reviewed OK, share flags, review queues.

    Flags live in a store beside the catalogue (c.sqlite -> c.flags.sqlite),
    journaled and snapshotted: a rebuilt catalogue keeps them. PATH is an
    image's path relative to the catalogue root, or an absolute path under it.
    """


@flags.command(
    "add",
    cls=CommandWithTable,
    table_title="Reasons",
    table={code: reason.meaning for code, reason in REASONS.items()},
)
@click.argument("paths", nargs=-1, required=True)
@click.option("--reason", type=click.Choice(list(REASONS)), required=True)
@click.option("--note", default="", help="Free text kept with the flag.")
@click.option("--suggest", metavar="WNID", help="The right synset (wnid, offset or name).")
@click.option("--curator", metavar="NAME", help="Who flags [default: the login name].")
@catalogue_option
@pass_context
def flags_add(
    obj: Context,
    paths: tuple[str, ...],
    reason: ReasonCode,
    note: str,
    suggest: str | None,
    curator: str | None,
    catalogue: str,
) -> None:
    """Flag images with a reason.

    A flag replaces an earlier flag with the same reason, and removes the
    image's "reviewed OK" mark.
    """
    from explorer.core.curation import flag_images, image_refs
    from explorer.core.errors import TaxonomyError

    suggested = None
    if suggest:
        try:
            suggested = obj.taxonomy().resolve(suggest)
        except TaxonomyError as exc:
            raise TaxonomyError(f"--suggest: {exc}") from exc
    with _curation(obj, catalogue) as (opened, store):
        refs = image_refs(opened, paths)
        _apply(store, lambda: flag_images(store, refs, reason, note, suggested, curator))


@flags.command("remove")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--reason",
    type=click.Choice(list(REASONS)),
    help="Remove only this reason's flag [default: every flag and the OK mark].",
)
@catalogue_option
@pass_context
def flags_remove(
    obj: Context, paths: tuple[str, ...], reason: ReasonCode | None, catalogue: str
) -> None:
    """Remove flags (one reason, or all) and OK marks.

    Without --reason every flag and the "reviewed OK" mark go. A path the
    catalogue no longer lists is accepted when it has flags.
    """
    from explorer.core.curation import clear_images, image_refs

    with _curation(obj, catalogue) as (opened, store):
        refs = image_refs(opened, paths, store)
        _apply(store, lambda: clear_images(store, refs, reason))


@flags.command("review")
@click.argument("paths", nargs=-1, required=True)
@click.option("--curator", metavar="NAME", help="Who reviewed [default: the login name].")
@catalogue_option
@pass_context
def flags_review(obj: Context, paths: tuple[str, ...], curator: str | None, catalogue: str) -> None:
    """Mark images "reviewed, OK" (removing their flags)."""
    from explorer.core.curation import image_refs, mark_reviewed

    with _curation(obj, catalogue) as (opened, store):
        refs = image_refs(opened, paths)
        _apply(store, lambda: mark_reviewed(store, refs, curator))


@flags.command("list")
@click.option("--under", metavar="WNID", help="Only images labelled with this synset or below.")
@click.option("--json", "as_json", is_flag=True, help="Print {marks: [...], queue: {...}}.")
@catalogue_option
@pass_context
def flags_list(obj: Context, under: str | None, as_json: bool, catalogue: str) -> None:
    """List flags and OK marks, one line each.

    Columns: path, reason (reviewed_ok for an OK mark), note, suggested wnid,
    curator, time, and "missing" for images the catalogue no longer has (their
    flags are kept). The size of the review queue follows on stderr.
    """
    from explorer.core.curation import mark_row_pages

    subtree = None
    if under:
        tax = obj.taxonomy()
        wnid = tax.resolve(under)
        subtree = tax.descendants(wnid) | {wnid}
    marks = images = missing = 0
    with _curation(obj, catalogue) as (opened, store):
        queue = store.queue_sources()
        pages = mark_row_pages(store, opened, subtree)
        if as_json:  # written as read, as print_json would write the whole
            write = sys.stdout.write
            write('{\n  "marks": [')
            first = True
            for rows in pages:
                for row in rows:
                    write(("\n    " if first else ",\n    ") + _indented(row, 4))
                    first = False
            write(("]" if first else "\n  ]") + ',\n  "queue": ' + _indented(queue, 2) + "\n}\n")
            return
        last_path = None  # the rows come sorted by path: an image's marks together
        for rows in pages:
            for row in rows:
                marks += 1
                if row["path"] != last_path:
                    images += 1
                    missing += row["missing"]
                    last_path = row["path"]
                time_text = row["time"][:19].replace("T", " ") + " UTC"
                status = ["missing"] if row["missing"] else []
                click.echo(
                    tab_line(
                        row["path"],
                        row["reason"],
                        one_line(row["note"]),
                        row["suggested_wnid"],
                        row["curator"],
                        time_text,
                        *status,
                    )
                )
    click.echo(
        f"{plural(marks, 'mark')} on {plural(images, 'image')} ({missing:,} missing)", err=True
    )
    if queue:
        sources = ", ".join(f"{source}: {n:,}" for source, n in sorted(queue.items()))
        click.echo(
            f"Review queue: {plural(sum(queue.values()), 'image')} ({sources}); "
            "see `wnexplorer flags queue`",
            err=True,
        )


def _indented(data: object, depth: int) -> str:
    """``data`` as print_json (json.dumps, indent 2) writes it at ``depth`` spaces in."""
    return json.dumps(data, ensure_ascii=False, indent=2).replace("\n", "\n" + " " * depth)


@flags.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXCHANGE_FORMATS),
    help="[default: json for a .json file, else csv]",
)
@parents_option
@catalogue_option
@pass_context
def flags_export(obj: Context, output: str, fmt: str | None, parents: bool, catalogue: str) -> None:
    """Write every flag and OK mark to a CSV or JSON file.

    Another curator merges it with `wnexplorer flags import`.
    """
    from explorer.core.curation import write_export

    with _curation(obj, catalogue) as (_opened, store):
        exchange = chosen(fmt, EXCHANGE_FORMATS) if fmt else None
        written = write_export(store, output, exchange, parents)
    click.echo(f"Wrote {plural(written, 'row')} to {output}", err=True)


@flags.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the merge report as JSON.")
@catalogue_option
@pass_context
def flags_import(obj: Context, file: str, as_json: bool, catalogue: str) -> None:
    """Merge another curator's export (CSV or JSON, as `wnexplorer flags export` writes).

    Flags we lack are added, identical ones skipped; of two different flags,
    two OK marks, or an OK mark against flags, the newer wins. Every conflict
    is reported. A bad row is skipped (said on stderr), never written. Flags of
    images the catalogue does not hold are kept, and `flags list` shows them
    as missing.
    """
    from explorer.core.curation import import_flags, read_export

    rows = read_export(file)
    with _curation(obj, catalogue) as (opened, store):
        report = import_flags(store, rows, opened)
    for bad in report.skipped[:SKIPPED_SHOWN]:
        warn(f"row {bad['row']} skipped: {bad['why']}")
    if len(report.skipped) > SKIPPED_SHOWN:
        more = len(report.skipped) - SKIPPED_SHOWN
        warn(f"{plural(more, 'more row')} skipped (--json lists all)")
    if as_json:
        print_json(asdict(report))
        return
    skipped = f", {plural(len(report.skipped), 'row')} skipped" if report.skipped else ""
    click.echo(
        f"{report.added:,} added, {report.unchanged:,} unchanged, "
        f"{plural(len(report.conflicts), 'conflict')}{skipped}"
    )
    if report.not_in_catalogue:
        lacking = report.not_in_catalogue
        click.echo(
            f"{lacking:,} of {plural(report.images, 'image')} {'is' if lacking == 1 else 'are'} "
            f"not in the catalogue (kept; `wnexplorer flags list` shows "
            f"{'it' if lacking == 1 else 'them'} as missing)"
        )
    for conflict in report.conflicts:
        click.echo(
            printable(
                f"conflict: {conflict['path']} {conflict['reason']}: kept {conflict['kept']}; "
                f"dropped {conflict['dropped']}"
            )
        )


@flags.command("import-label-errors")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@catalogue_option
@pass_context
def flags_import_label_errors(obj: Context, file: str, catalogue: str) -> None:
    """Queue cleanlab's ImageNet label-error candidates.

    FILE is cleanlab's imagenet_mturk.json; its entries are matched by number to the
    catalogue's ILSVRC2012_val_XXXXXXXX.JPEG files, wherever they are.
    """
    from explorer.core.curation import import_label_errors

    with _curation(obj, catalogue) as (opened, store):
        queued, not_found = import_label_errors(store, opened, file)
    click.echo(f"{queued:,} queued for review, {not_found:,} not in the catalogue")


@flags.command("relink")
@catalogue_option
@pass_context
def flags_relink(obj: Context, catalogue: str) -> None:
    """Move the flags of vanished paths to their files.

    Run it after `wnexplorer index` rescanned the dataset: a flagged path that
    is gone follows the one present file with the same content.
    """
    with _curation(obj, catalogue) as (opened, store):
        report = store.relink(opened)
    click.echo(
        f"{len(report.relinked):,} relinked, {len(report.ambiguous):,} ambiguous, "
        f"{len(report.still_missing):,} still missing"
    )
    for old, new in report.relinked:
        click.echo(printable(f"relinked: {old} -> {new}"))
    for old, candidates in report.ambiguous:
        click.echo(printable(f"ambiguous: {old} -> {', '.join(candidates)}"))
    for old in report.still_missing:
        click.echo(printable(f"missing: {old}"))


@flags.command("queue")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of queued images.")
@catalogue_option
@pass_context
def flags_queue(obj: Context, as_json: bool, catalogue: str) -> None:
    """List the review queue (imported candidates).

    Columns: path, source, note, suggested wnid.
    """
    from explorer.core.curation import queue_entries

    with _curation(obj, catalogue) as (_opened, store):
        items = [asdict(item) for item in queue_entries(store)]
    if as_json:
        print_json(items)
        return
    for item in items:
        click.echo(
            tab_line(item["path"], item["source"], one_line(item["note"]), item["suggested_wnid"])
        )
