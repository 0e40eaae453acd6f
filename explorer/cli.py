"""``wnexplorer``: the command line over the core API.

Data commands print JSON on stdout with ``--json``; progress and messages go
to stderr. Errors become one line on stderr and a non-zero exit status:
1 for a failed job, 2 for a bad command line.

click (already installed with sqlite-utils) gives every command ``--help``
and a test runner, which argparse would not.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path

import click

from explorer.core import paths
from explorer.core.analysis import BASES, COVERAGE_FORMATS, SORT_KEYS
from explorer.core.curation import EXCHANGE_FORMATS, REASONS
from explorer.core.errors import ExplorerError
from explorer.core.exports import (
    CLASSMAP_FORMATS,
    FOLDER_MODES,
    IMAGE_FORMATS,
    OVERLAP_CHOICES,
    SUBTREE_FORMATS,
)
from explorer.core.images import AUDIT_CODES, FAILURE_CODES
from explorer.core.jobs import StderrProgress
from explorer.core.text import plural
from explorer.core.wordnet import INSTALL_METHODS

EXIT_FAILED = 1
EXIT_USAGE = 2
SKIPPED_SHOWN = 20  # bad rows of an import listed one by one; --json has them all


class Context:
    """Global options, and the taxonomy loaded once on first use."""

    def __init__(self, data_dir: str | None, wordnet: str | None) -> None:
        self.data_dir = data_dir
        self.wordnet = wordnet
        self._taxonomy = None

    def taxonomy(self, rebuild: bool = False):
        if self._taxonomy is None or rebuild:
            from explorer.core.wordnet import load_taxonomy

            progress = StderrProgress()
            try:
                self._taxonomy = load_taxonomy(self.wordnet, self.data_dir, progress, rebuild)
            finally:
                progress.close()
        return self._taxonomy


pass_context = click.make_pass_decorator(Context)


class CommandWithTable(click.Command):
    """A command whose help ends with a table of codes and their meanings (the desktop
    bundle has no README to point to)."""

    def __init__(self, *args, table_title: str, table: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.table_title, self.table = table_title, table

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section(self.table_title):
            formatter.write_dl(list(self.table.items()))
        super().format_epilog(ctx, formatter)


def _print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _short(tax, wnid: str) -> str:
    return tax.graph.nodes[wnid]["lemmas"][0]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar=paths.DATA_DIR_ENV,
    help=f"Where the app keeps data and caches [env {paths.DATA_DIR_ENV}; "
    "default: the user data directory].",
)
@click.option(
    "--wordnet",
    type=click.Path(),
    envvar="WNEXPLORER_WORDNET",
    help="WordNet 3.0 'dict' directory or nltk wordnet.zip [env WNEXPLORER_WORDNET; "
    "default: searched for].",
)
@click.version_option(package_name="wordnet-explorer", prog_name="wnexplorer")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, wordnet: str | None) -> None:
    """Browse the WordNet 3.0 noun hierarchy behind ImageNet."""
    ctx.obj = Context(data_dir, wordnet)


@cli.command()
@click.option(
    "--method",
    type=click.Choice(INSTALL_METHODS),
    default=INSTALL_METHODS[0],
    show_default=True,
    help="How to install WordNet when it is missing: Debian's wordnet-base (needs root) "
    "or nltk's downloader (needs network); auto tries apt first.",
)
@click.option("--no-install", is_flag=True, help="Only look for WordNet; never install it.")
@click.option("--rebuild", is_flag=True, help="Rebuild the taxonomy cache even if it is current.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
def setup(obj: Context, method: str, no_install: bool, rebuild: bool, as_json: bool) -> None:
    """Find or install WordNet 3.0 and build the taxonomy cache."""
    from explorer.core.wordnet import find_or_install_wordnet

    data_dir = paths.data_dir(obj.data_dir)
    progress = StderrProgress()
    try:
        location, installed = find_or_install_wordnet(
            obj.wordnet, data_dir, method, not no_install, progress
        )
    finally:
        progress.close()
    tax = obj.taxonomy(rebuild=rebuild)
    result = {
        "wordnet": location.path,
        "found_by": location.origin,
        "installed": installed,
        "cache": str(tax.cache_path),
        "data_dir": str(data_dir),
        "synsets": len(tax),
    }
    if as_json:
        _print_json(result)
        return
    if installed:
        click.echo(f"Installed: {installed}", err=True)
    click.echo(f"WordNet 3.0: {location.path} ({location.origin})")
    click.echo(f"Cache:       {tax.cache_path}")
    click.echo(f"Synsets:     {len(tax):,}")


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the synset as a JSON object.")
@pass_context
def show(obj: Context, query: str, as_json: bool) -> None:
    """Show a synset: QUERY is a wnid (n02084071), an offset (2084071), a name (dog.n.01) or a
    word (dog).

    Prints its lemmas, gloss, parents, children and every path from the root.
    A word shows its commonest noun sense and lists the others.
    """
    from explorer.core.errors import TaxonomyError

    tax = obj.taxonomy()
    try:
        wnid = tax.resolve(query)
    except TaxonomyError:
        senses = tax.lemma_senses(query)
        if not senses:
            raise
        wnid = senses[0]
        if len(senses) > 1:
            click.echo(
                f"{query!r} names {plural(len(senses), 'noun synset')}; showing the commonest. "
                "The others:",
                err=True,
            )
            for other in senses[1:]:
                node = tax.graph.nodes[other]
                click.echo(f"  {other} {node['name']:<24} {node['gloss']}", err=True)
    info = tax.describe(wnid)
    if as_json:
        _print_json(info)
        return
    echo = click.echo
    echo(f"{info['name']}  {info['wnid']}  [{info['lexname']}]")
    echo(f"  lemmas:   {', '.join(info['lemmas'])}")
    echo(f"  gloss:    {info['gloss']}")
    echo(f"  depth:    {info['min_depth']} (shortest path) to {info['max_depth']} (longest)")
    echo(f"  subtree:  {plural(info['descendants'], 'synset')} below")
    for title, key in (("parents", "parents"), ("children", "children")):
        items = info[key]
        echo(f"  {title} ({len(items)}):")
        for item in items:
            kind = "  (instance)" if item["kind"] == "instance" else ""
            echo(f"    {item['wnid']} {item['name']}{kind}")
    echo(f"  paths to the root ({len(info['paths'])}):")
    for number, path in enumerate(info["paths"], start=1):
        echo(f"    {number}. " + " > ".join(_short(tax, w) for w in path))


@cli.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", "-n", type=click.IntRange(1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of synsets.")
@pass_context
def search(obj: Context, text: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Find synsets by lemma, wnid, offset, synset name or words of the gloss.

    Exact lemmas come first, then lemmas starting with TEXT, lemmas containing
    it, and glosses with its words; commoner senses and shallower synsets
    first within each group.
    """
    tax = obj.taxonomy()
    hits = tax.search(" ".join(text), limit)
    if as_json:
        _print_json([hit.as_dict() for hit in hits])
        return
    if not hits:
        click.echo(f"No synset matches {' '.join(text)!r}.", err=True)
        return
    for hit in hits:
        click.echo(f"{hit.wnid}  {hit.name:<32} {', '.join(hit.lemmas)}")
        click.echo(f"{'':11}{hit.gloss}")


def _tree_lines(node: dict, prefix: str = ""):
    """The indented text of a nested subtree (explorer.core.exports.nested_subtree)."""
    children = node["children"]
    for i, child in enumerate(children):
        last = i == len(children) - 1
        notes = []
        if child["kind"] == "instance":
            notes.append("instance")
        others = child["parents"] - 1
        if others:
            notes.append(f"also under {others} other parent{'s' if others > 1 else ''}")
        if child.get("children_not_shown"):
            notes.append(f"{plural(child['children_not_shown'], 'child', 'children')} not shown")
        note = f"  [{'; '.join(notes)}]" if notes else ""
        yield f"{prefix}{'└── ' if last else '├── '}{child['wnid']} {child['name']}{note}"
        yield from _tree_lines(child, prefix + ("    " if last else "│   "))


@cli.command()
@click.argument("query")
@click.option(
    "--depth",
    "-d",
    type=click.IntRange(0),
    default=2,
    show_default=True,
    help="Levels below QUERY to show; 0 shows the whole subtree.",
)
@click.option(
    "--json", "as_json", is_flag=True,
    help="Print nested JSON, as `export subtree --format tree-json`: each node has wnid, name, "
    "lemmas, kind (of the edge above it), parents, selected and children (and "
    "children_not_shown where --depth cut them off).",
)  # fmt: skip
@pass_context
def tree(obj: Context, query: str, depth: int, as_json: bool) -> None:
    """Print the subtree under QUERY (a wnid, offset or synset name) as an indented tree.

    A synset with several parents appears under each and is marked.
    """
    from explorer.core.exports import nested_subtree

    tax = obj.taxonomy()
    tree = nested_subtree(tax, tax.resolve(query), depth or None)
    if as_json:
        _print_json(tree)
        return
    click.echo(f"{tree['wnid']} {tree['name']}")
    for line in _tree_lines(tree):
        click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as a JSON object.")
@pass_context
def stats(obj: Context, as_json: bool) -> None:
    """Figures of the noun taxonomy: synsets, edges, multi-parent synsets, roots, leaves, depth."""
    tax = obj.taxonomy()
    figures = tax.stats().as_dict()
    if as_json:
        _print_json(figures)
        return
    labels = {
        "synsets": "noun synsets",
        "edges": "edges (parent -> child)",
        "hypernym_edges": "  hypernym",
        "instance_edges": "  instance hypernym",
        "multi_parent": "synsets with 2+ parents",
        "roots": "roots",
        "leaves": "leaves",
        "max_depth": "max depth",
    }
    for key, label in labels.items():
        value = figures[key]
        shown = ", ".join(value) if isinstance(value, list) else f"{value:,}"
        click.echo(f"{label:<26} {shown}")


# --- catalogue ------------------------------------------------------------------------


def _catalogue_file(obj: Context, value: str) -> Path:
    """--catalogue takes the catalogue file, or the dataset folder/manifest it was made from."""
    from explorer.core.catalogue import resolve_catalogue

    return resolve_catalogue(value, obj.data_dir)


def _write_output(text: str, output: str | None, parents: bool) -> None:
    """Write to stdout, or atomically to a file (a temporary file renamed into place)."""
    from explorer.core.exports import write_atomically

    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text, parents)
    click.echo(f"Wrote {output}", err=True)


catalogue_option = click.option(
    "--catalogue",
    "catalogue",
    required=True,
    metavar="FILE",
    help="The catalogue file (or the dataset folder or manifest it was indexed from).",
)
parents_option = click.option(
    "--parents", is_flag=True, help="Create the output's missing folders (as mkdir -p)."
)


@cli.command()
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
def index(obj: Context, root, catalogue, layout, labels, relayout, manifest_root, as_json):
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
        _print_json({**summary.as_dict(), "flags_relinked": flags})
        return
    echo = click.echo
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


def _counts(obj: Context, catalogue_value: str):
    from explorer.core.analysis import compute_counts
    from explorer.core.catalogue import Catalogue

    tax = obj.taxonomy()
    with Catalogue.open(_catalogue_file(obj, catalogue_value)) as catalogue:
        direct = catalogue.direct_counts(tax.graph)
    return tax, compute_counts(tax, direct)


@cli.command()
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
        _print_json(result)
        return
    click.echo(f"{'wnid':<10} {'direct':>9} {'subtree':>10} {'synsets':>8}  name")
    for wnid, row in result.items():
        name = tax.graph.nodes[wnid]["name"]
        click.echo(
            f"{wnid:<10} {row['direct']:>9,} {row['subtree']:>10,} "
            f"{row['synsets_with_images']:>8,}  {name}"
        )


@cli.command()
@catalogue_option
@click.option("--under", metavar="WNID", help="Only this synset's subtree [default: all].")
@click.option(
    "--min", "min_images", type=click.IntRange(0), default=1, show_default=True,
    help="A synset with fewer images than this is thin.",
)  # fmt: skip
@click.option(
    "--basis", type=click.Choice(BASES), default=BASES[0], show_default=True,
    help="Count the subtree's images or only the synset's own.",
)  # fmt: skip
@click.option(
    "--targets", type=click.Path(exists=True, dir_okay=False),
    help="Judge only these synsets: a file with one wnid per line (first field).",
)  # fmt: skip
@click.option("--all", "include_ok", is_flag=True, help="List synsets that are not gaps too.")
@click.option(
    "--sort", type=click.Choice(SORT_KEYS), default=SORT_KEYS[0], show_default=True,
)  # fmt: skip
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
def coverage(obj: Context, catalogue, under, min_images, basis, targets, include_ok, sort, desc,
             fmt, output, parents) -> None:  # fmt: skip
    """Coverage gaps: empty or thin synsets of a subtree, or of a target list.

    Leaves without images are always listed; so is every target missing from
    WordNet 3.0.
    """
    from explorer.core.analysis import coverage as find_gaps
    from explorer.core.analysis import format_coverage, read_targets

    tax, figures = _counts(obj, catalogue)
    target_list = read_targets(targets) if targets else None
    result = find_gaps(
        tax, figures, under=tax.resolve(under) if under else None, min_images=min_images,
        basis=basis, targets=target_list, include_ok=include_ok, sort=sort, descending=desc,
    )  # fmt: skip
    settings = {
        "catalogue": str(_catalogue_file(obj, catalogue)), "under": under, "min": min_images,
        "basis": basis, "targets": targets, "sort": sort, "descending": desc,
    }  # fmt: skip
    _write_output(format_coverage(result, fmt, settings), output, parents)
    if output or fmt == "csv":
        summary = result.summary
        click.echo(
            f"{plural(summary['judged'], 'synset')} judged: {summary['ok']:,} covered, "
            f"{summary['empty']:,} empty ({plural(summary['empty_leaves'], 'leaf', 'leaves')}), "
            f"{summary['thin']:,} thin, {summary['not_in_wordnet']:,} not in WordNet; "
            f"{plural(summary['rows'], 'row')} listed",
            err=True,
        )


@cli.command(
    cls=CommandWithTable,
    table_title="Problem codes",
    table={
        code: text + ("; unusable: exports leave it out" if code in FAILURE_CODES else "")
        for code, text in AUDIT_CODES.items()
    },
)
@catalogue_option
@click.option("--recheck", is_flag=True, help="Check every image again, not only new ones.")
@click.option("--workers", type=click.IntRange(1, 32), default=None, help="Checking processes.")
@click.option(
    "--time-limit", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
    metavar="SECONDS", help="Stop checking an image after this long (it is then too_slow).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary and every image.")
@pass_context
def audit(obj: Context, catalogue: str, recheck: bool, workers: int | None, time_limit: float,
          as_json: bool):  # fmt: skip
    """Decode every image and report problems: unreadable, truncated, CMYK, duplicates, ...

    Resumable: a cancelled or repeated audit checks only what it has not
    checked yet (or what changed). Each image's problems are given as the codes below.
    """
    from explorer.core.catalogue import Catalogue
    from explorer.core.images import WORKERS, audit_catalogue, audit_report

    path = _catalogue_file(obj, catalogue)
    progress = StderrProgress()
    try:
        run = audit_catalogue(path, state=progress, recheck=recheck, workers=workers or WORKERS,
                              time_limit=time_limit)  # fmt: skip
    finally:
        progress.close()
    with Catalogue.open(path) as opened:
        report = audit_report(opened)
    report["summary"]["this_run"] = {
        "checked": run.checked, "already_current": run.already_current, "seconds": run.seconds,
    }  # fmt: skip
    if as_json:
        _print_json(report)
        return
    summary = report["summary"]
    click.echo(
        f"{plural(summary['images'], 'image')}, {summary['audited']:,} audited "
        f"({run.checked:,} checked now in {run.seconds:.1f} s); "
        f"{summary['with_problems']:,} with problems, "
        f"{plural(summary['duplicate_groups'], 'group')} of duplicates, "
        f"{summary['missing']:,} missing"
        + (f", {summary['outside_root']:,} outside the root (not read)"
           if summary["outside_root"] else "")
    )  # fmt: skip
    for code, number in summary["by_code"].items():
        click.echo(f"  {code:<20} {number:,}")
    for image in report["images"]:
        click.echo(f"{image['path']}\t{image['wnid']}\t{','.join(image['problems'])}")


# --- curation: flags --------------------------------------------------------------------


@contextlib.contextmanager
def _curation(obj: Context, catalogue_value: str):
    """The open catalogue and its flag store; a recovered store is reported on stderr."""
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore

    path = _catalogue_file(obj, catalogue_value)
    with Catalogue.open(path) as catalogue, FlagStore.open_for(path) as store:
        if store.recovered:
            click.echo(f"wnexplorer: warning: {store.recovered}", err=True)
        yield catalogue, store


def _apply(store, make_command) -> None:
    """Apply the command made from the images' current states; say what it did."""
    from explorer.core.curation import apply_fresh

    command = apply_fresh(store, make_command)
    click.echo(f"{command.label}: nothing to change." if command.unchanged else f"{command.label}.")


def _one_line(text: str | None) -> str:
    return _printable(" ".join((text or "").split())) or "-"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """``text`` with control characters escaped (\\x1b): a file name or note printed to a
    terminal must not move its cursor or change its colours. JSON output keeps them."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@cli.group()
def flags() -> None:
    """Curate images: flag them, mark them reviewed OK, share flags, review queues.

    Flags live in a store beside the catalogue (c.sqlite -> c.flags.sqlite),
    journaled and snapshotted: a rebuilt catalogue keeps them. PATH is an
    image's path relative to the catalogue root, or an absolute path under it.
    """


@flags.command(
    "add", cls=CommandWithTable, table_title="Reasons",
    table={code: reason.meaning for code, reason in REASONS.items()},
)  # fmt: skip
@click.argument("paths", nargs=-1, required=True)
@click.option("--reason", type=click.Choice(list(REASONS)), required=True)
@click.option("--note", default="", help="Free text kept with the flag.")
@click.option("--suggest", metavar="WNID", help="The right synset (wnid, offset or name).")
@click.option("--curator", metavar="NAME", help="Who flags [default: the login name].")
@catalogue_option
@pass_context
def flags_add(obj: Context, paths, reason, note, suggest, curator, catalogue) -> None:
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
    "--reason", type=click.Choice(list(REASONS)),
    help="Remove only this reason's flag [default: every flag and the OK mark].",
)  # fmt: skip
@catalogue_option
@pass_context
def flags_remove(obj: Context, paths, reason, catalogue) -> None:
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
def flags_review(obj: Context, paths, curator, catalogue) -> None:
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
def flags_list(obj: Context, under, as_json, catalogue) -> None:
    """List flags and OK marks, one line each.

    Columns: path, reason (reviewed_ok for an OK mark), note, suggested wnid,
    curator, time, and "missing" for images the catalogue no longer has (their
    flags are kept). The size of the review queue follows on stderr.
    """
    from explorer.core.curation import mark_rows

    subtree = None
    if under:
        tax = obj.taxonomy()
        wnid = tax.resolve(under)
        subtree = tax.descendants(wnid) | {wnid}
    with _curation(obj, catalogue) as (opened, store):
        rows = mark_rows(store, opened, subtree)
        queue = store.queue_sources()
    if as_json:
        _print_json({"marks": rows, "queue": queue})
        return
    for row in rows:
        time_text = row["time"][:19].replace("T", " ") + " UTC"
        status = "\tmissing" if row["missing"] else ""
        click.echo(
            f"{_printable(row['path'])}\t{row['reason']}\t{_one_line(row['note'])}\t"
            f"{row['suggested_wnid'] or '-'}\t{_printable(row['curator'])}\t{time_text}{status}"
        )
    images = len({row["path"] for row in rows})
    missing = len({row["path"] for row in rows if row["missing"]})
    click.echo(
        f"{plural(len(rows), 'mark')} on {plural(images, 'image')} ({missing:,} missing)", err=True
    )
    if queue:
        sources = ", ".join(f"{source}: {n:,}" for source, n in sorted(queue.items()))
        click.echo(
            f"Review queue: {plural(sum(queue.values()), 'image')} ({sources}); "
            "see `wnexplorer flags queue`",
            err=True,
        )


@flags.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--format", "fmt", type=click.Choice(EXCHANGE_FORMATS),
    help="[default: json for a .json file, else csv]",
)  # fmt: skip
@parents_option
@catalogue_option
@pass_context
def flags_export(obj: Context, output, fmt, parents, catalogue) -> None:
    """Write every flag and OK mark to a CSV or JSON file.

    Another curator merges it with `wnexplorer flags import`.
    """
    from explorer.core.curation import write_export

    with _curation(obj, catalogue) as (_opened, store):
        written = write_export(store, output, fmt, parents)
    click.echo(f"Wrote {plural(written, 'row')} to {output}", err=True)


@flags.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the merge report as JSON.")
@catalogue_option
@pass_context
def flags_import(obj: Context, file, as_json, catalogue) -> None:
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
    for skipped in report.skipped[:SKIPPED_SHOWN]:
        click.echo(f"wnexplorer: warning: row {skipped['row']} skipped: {skipped['why']}", err=True)
    if len(report.skipped) > SKIPPED_SHOWN:
        more = len(report.skipped) - SKIPPED_SHOWN
        click.echo(f"wnexplorer: warning: {plural(more, 'more row')} skipped (--json lists all)",
                   err=True)  # fmt: skip
    if as_json:
        _print_json(asdict(report))
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
            _printable(
                f"conflict: {conflict['path']} {conflict['reason']}: kept {conflict['kept']}; "
                f"dropped {conflict['dropped']}"
            )
        )


@flags.command("import-label-errors")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@catalogue_option
@pass_context
def flags_import_label_errors(obj: Context, file, catalogue) -> None:
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
def flags_relink(obj: Context, catalogue) -> None:
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
        click.echo(_printable(f"relinked: {old} -> {new}"))
    for old, candidates in report.ambiguous:
        click.echo(_printable(f"ambiguous: {old} -> {', '.join(candidates)}"))
    for old in report.still_missing:
        click.echo(_printable(f"missing: {old}"))


@flags.command("queue")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of queued images.")
@catalogue_option
@pass_context
def flags_queue(obj: Context, as_json, catalogue) -> None:
    """List the review queue (imported candidates).

    Columns: path, source, note, suggested wnid.
    """
    from explorer.core.curation import review_queue

    with _curation(obj, catalogue) as (_opened, store):
        items = [asdict(item) for item in review_queue(store)]
    if as_json:
        _print_json(items)
        return
    for item in items:
        click.echo(
            f"{_printable(item['path'])}\t{item['source']}\t{_one_line(item['note'])}\t"
            f"{item['suggested_wnid'] or '-'}"
        )


# --- exports ------------------------------------------------------------------------------


@cli.group()
def export() -> None:
    """Write synset lists, image lists, class maps, superclass subsets and folder trees.

    Every file is sorted (the same input gives the same bytes) and written to a
    temporary name, then renamed into place. Image exports leave out images
    outside the catalogue root, flagged images and images whose audit found
    them unusable, unless asked.
    """


def _chosen(obj: Context, wnids: tuple[str, ...]) -> list[str]:
    taxonomy = obj.taxonomy()
    return [taxonomy.resolve(w) for w in wnids]


def _selection_options(function):
    """The options every image export shares."""
    for option in reversed([
        click.option("--include-flagged", "flagged", flag_value="include",
                     help="Keep flagged images (left out by default)."),
        click.option("--only-flagged", "flagged", flag_value="only",
                     help="Only flagged images (for a review or a removal list)."),
        click.option("--include-audit-failures", is_flag=True,
                     help="Keep images the audit found unusable (truncated, unreadable...)."),
        click.option("--allow-outside-root", is_flag=True,
                     help="Keep images outside the catalogue root (left out by default); "
                     "--mode hardlink never links them."),
        click.option("--on-overlap", type=click.Choice(OVERLAP_CHOICES),
                     default=OVERLAP_CHOICES[0], show_default=True,
                     help="An image under several chosen nodes: fail, or give it to the "
                     "most specific one."),
        catalogue_option,
    ]):  # fmt: skip
        function = option(function)
    return function


def _report(report) -> None:
    """What an export wrote, on stderr (stdout may be the export itself)."""
    left = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in report.left_out.items())
    click.echo(
        plural(report.rows, "row")
        + (f" in {plural(report.classes, 'class', 'classes')}" if report.classes else "")
        + (f"; left out: {left}" if left else "")
        + (f"; {plural(report.overlaps, 'image')} under several chosen nodes went to the most "
           "specific" if report.overlaps else ""),
        err=True,
    )  # fmt: skip
    for warning in report.warnings:
        click.echo(f"wnexplorer: warning: {warning}", err=True)
    for output in report.outputs:
        click.echo(f"Wrote {output}", err=True)


def _export(obj: Context, request, catalogue: str | None) -> None:
    """Run an export; the text goes to stdout when there is no output file."""
    from explorer.core.exports import run_export

    path = _catalogue_file(obj, catalogue) if catalogue else None
    result = run_export(request, obj.taxonomy(), path)
    if request.output is None and result.text is not None:
        click.echo(result.text, nl=False)
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
@click.option("--format", "fmt", type=click.Choice(SUBTREE_FORMATS),
              default=SUBTREE_FORMATS[0], show_default=True)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File [default: stdout].")
@parents_option
@pass_context
def export_subtree(obj: Context, wnids, leaves_only, with_images, catalogue, depth, fmt, output,
                   parents):  # fmt: skip
    """The synsets under WNID (several: the union): wnid, name, lemmas, gloss, depth, counts."""
    from explorer.core.exports import ExportRequest

    if with_images and not catalogue:
        raise click.UsageError("--with-images needs --catalogue")
    request = ExportRequest(
        "subtree", _chosen(obj, wnids), output, fmt, leaves_only=leaves_only,
        with_images=with_images, depth=depth, parents=parents,
    )  # fmt: skip
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
def export_images(obj: Context, wnids, flagged, include_audit_failures, allow_outside_root,
                  on_overlap, catalogue, absolute, fmt, output, parents):  # fmt: skip
    """The images under the WNIDs, each with the index of the WNID it is under."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest(
        "images", _chosen(obj, wnids), output, fmt, flagged=flagged or "exclude",
        audit_failures=include_audit_failures, on_overlap=on_overlap, absolute=absolute,
        allow_outside_root=allow_outside_root, parents=parents,
    )  # fmt: skip
    _export(obj, request, catalogue)


@export.command("classmap")
@click.argument("wnids", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(CLASSMAP_FORMATS), default=CLASSMAP_FORMATS[0],
              show_default=True,
              help="loc: LOC_synset_mapping.txt lines; json: {\"0\": [wnid, name]}.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File [default: stdout].")
@parents_option
@pass_context
def export_classmap(obj: Context, wnids, fmt, output, parents) -> None:
    """Class indexes for the WNIDs, in the order given."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest("classmap", _chosen(obj, wnids), output, fmt, parents=parents)
    _export(obj, request, None)


@export.command("superclasses")
@click.argument("wnids", nargs=-1, required=True)
@_selection_options
@click.option("--balance", type=click.IntRange(1), help="At most N images per superclass.")
@click.option("--seed", type=int, default=0, show_default=True, help="For --balance's sample.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder for images.csv, classes.txt, classes.json, overlaps.json.")  # fmt: skip
@parents_option
@pass_context
def export_superclasses(obj: Context, wnids, flagged, include_audit_failures, allow_outside_root,
                        on_overlap, catalogue, balance, seed, output, parents):  # fmt: skip
    """A BREEDS-style subset: each image goes to the chosen node it descends from."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest(
        "superclasses", _chosen(obj, wnids), output, flagged=flagged or "exclude",
        audit_failures=include_audit_failures, on_overlap=on_overlap, balance=balance,
        seed=seed, allow_outside_root=allow_outside_root, parents=parents,
    )  # fmt: skip
    _export(obj, request, catalogue)


@export.command("folders")
@click.argument("wnids", nargs=-1, required=True)
@_selection_options
@click.option("--mode", type=click.Choice(FOLDER_MODES), default=FOLDER_MODES[0],
              show_default=True)  # fmt: skip
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False),
    help="A new folder: <output>/<wnid>/<file>.",
)
@parents_option
@pass_context
def export_folders(obj: Context, wnids, flagged, include_audit_failures, allow_outside_root,
                   on_overlap, catalogue, mode, output, parents):  # fmt: skip
    """An ImageNet-style folder tree of links (or copies) for the WNIDs' images."""
    from explorer.core.exports import ExportRequest

    request = ExportRequest(
        "folders", _chosen(obj, wnids), output, flagged=flagged or "exclude",
        audit_failures=include_audit_failures, on_overlap=on_overlap, mode=mode,
        allow_outside_root=allow_outside_root, parents=parents,
    )  # fmt: skip
    _export(obj, request, catalogue)


@cli.command()
@click.option("--demo", is_flag=True, help="Open the demo catalogue (made on first use).")
@click.option("--catalogue", metavar="FILE", help="Open this catalogue.")
@click.option("--select", metavar="WNID", help="Select this synset (wnid, offset or name).")
@click.option("--screenshot", metavar="FILE", help="Save a PNG of the window, then quit.")
@click.option("--quit-after", metavar="MS", type=click.IntRange(1), help="Quit after MS ms.")
@pass_context
def gui(obj: Context, demo, catalogue, select, screenshot, quit_after) -> None:
    """Open the window (also started by the `wordnet-explorer` desktop entry).

    With --select and --screenshot it selects the node, waits until the visible
    thumbnails have arrived, saves the window as a PNG and quits: a smoke test
    and a way to make documentation pictures.
    """
    if demo and catalogue:
        raise click.UsageError("--demo and --catalogue exclude each other")
    from explorer.core.wordnet import load_taxonomy_in_background

    # The graph loads while Qt starts; the tree paints from the cache before it is done.
    taxonomy = load_taxonomy_in_background(obj.wordnet, obj.data_dir)
    # The only Qt import of the CLI, made when the window is asked for, so every other
    # command runs on machines without Qt or a display.
    from explorer.qt.app import run_gui

    status = run_gui(
        demo=demo, catalogue=catalogue, select=select, screenshot=screenshot,
        quit_after=quit_after, data_dir=obj.data_dir, wordnet=obj.wordnet,
        taxonomy_future=taxonomy,
    )  # fmt: skip
    if status:
        raise SystemExit(status)


def _whole_first_sentences(group: click.Group) -> None:
    """List commands with their whole first sentence (wrapped), not click's 45-odd characters
    cut with "..."; each command's own --help is unchanged."""
    for command in group.commands.values():
        if command.short_help is None and command.help:
            paragraph = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
            sentence = re.match(r"(.*?[.!?])(?:\s|$)", paragraph)
            command.short_help = sentence.group(1) if sentence else paragraph
        if isinstance(command, click.Group):
            _whole_first_sentences(command)


_whole_first_sentences(cli)


def _database_trouble(exc: sqlite3.OperationalError) -> str:
    """What a SQLite error that is not damage means for the user, and what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"a database is busy ({text}): another program (an index, an audit or the window) "
            "is writing it; try again when it has finished"
        )
    if "readonly" in text or "read-only" in text:
        return f"a database file is read-only ({text}); make it writable, or work on a copy"
    if "full" in text:
        return f"the disk is full ({text}); free some space and run the command again"
    return f"a database could not be read or written ({text})"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status instead of raising."""
    try:
        cli.main(args=argv, prog_name="wnexplorer", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help(), err=True)
        return EXIT_USAGE
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"wnexplorer: error: {exc.format_message()}{hint}", err=True)
        return EXIT_USAGE
    except click.Abort:
        click.echo("wnexplorer: aborted", err=True)
        return EXIT_FAILED
    except ExplorerError as exc:
        click.echo(f"wnexplorer: error: {exc}", err=True)
        return EXIT_FAILED
    except sqlite3.OperationalError as exc:  # busy, read-only, full: the file itself is fine
        click.echo(f"wnexplorer: error: {_database_trouble(exc)}", err=True)
        return EXIT_FAILED
    except sqlite3.DatabaseError as exc:  # damage found after a file opened cleanly
        click.echo(
            f"wnexplorer: error: a database file is damaged ({exc}); index the dataset again "
            "(catalogues hold no curation) or run `wnexplorer setup --rebuild`",
            err=True,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        click.echo("wnexplorer: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:  # a file or folder the core did not expect to fail: one line
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"wnexplorer: error: {exc.strerror or exc}{where}", err=True)
        return EXIT_FAILED
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
