"""``wnexplorer``: the command line over the core API.

Data commands print JSON on stdout with ``--json``; progress and messages go
to stderr. Errors become one line on stderr and a non-zero exit status:
1 for a failed job, 2 for a bad command line.

click (already installed with sqlite-utils) gives every command ``--help``
and a test runner, which argparse would not.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import click

from explorer.core import paths
from explorer.core.errors import ExplorerError
from explorer.core.jobs import StderrProgress

EXIT_FAILED = 1
EXIT_USAGE = 2


class Context:
    """Global options, and the taxonomy loaded once on first use."""

    def __init__(self, data_dir: str | None, wordnet: str | None) -> None:
        self.data_dir = data_dir
        self.wordnet = wordnet
        self._taxonomy = None

    def taxonomy(self, rebuild: bool = False):
        if self._taxonomy is None or rebuild:
            from explorer.core.taxonomy import load_taxonomy

            progress = StderrProgress()
            try:
                self._taxonomy = load_taxonomy(self.wordnet, self.data_dir, progress, rebuild)
            finally:
                progress.close()
        return self._taxonomy


pass_context = click.make_pass_decorator(Context)


def _print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _label(tax, wnid: str) -> str:
    data = tax.graph.nodes[wnid]
    return f"{wnid} {data['name']}"


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
    type=click.Choice(["auto", "apt", "nltk"]),
    default="auto",
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
    from explorer.core import wordnet_source
    from explorer.core.errors import WordNetError

    data_dir = paths.data_dir(obj.data_dir)
    installed = None
    try:
        location = wordnet_source.locate_wordnet(obj.wordnet, data_dir)
    except WordNetError:
        if no_install or obj.wordnet:
            raise
        progress = StderrProgress()
        installed = wordnet_source.install_wordnet(method, data_dir, progress)
        progress.close()
        location = wordnet_source.locate_wordnet(None, data_dir)
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
    """Show a synset: QUERY is a wnid (n02084071), an offset (2084071) or a name (dog.n.01).

    Prints its lemmas, gloss, parents, children and every path from the root.
    """
    tax = obj.taxonomy()
    info = tax.describe(tax.resolve(query))
    if as_json:
        _print_json(info)
        return
    echo = click.echo
    echo(f"{info['name']}  {info['wnid']}  [{info['lexname']}]")
    echo(f"  lemmas:   {', '.join(info['lemmas'])}")
    echo(f"  gloss:    {info['gloss']}")
    echo(f"  depth:    {info['min_depth']} (shortest path) to {info['max_depth']} (longest)")
    echo(f"  subtree:  {info['descendants']:,} synsets below")
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


def _tree_json(tax, wnid: str, depth: int | None) -> dict:
    data = tax.graph.nodes[wnid]
    node = {"wnid": wnid, "name": data["name"], "lemmas": list(data["lemmas"])}
    if depth is None or depth > 0:
        next_depth = None if depth is None else depth - 1
        node["children"] = [_tree_json(tax, c, next_depth) for c in tax.children(wnid)]
    else:
        node["children_not_shown"] = tax.graph.out_degree(wnid)
    return node


def _tree_lines(tax, wnid: str, depth: int | None, prefix: str = ""):
    children = tax.children(wnid)
    if depth is not None and depth <= 0:
        return
    for i, child in enumerate(children):
        last = i == len(children) - 1
        notes = []
        if tax.edge_kind(wnid, child) == "instance":
            notes.append("instance")
        others = tax.graph.in_degree(child) - 1
        if others:
            notes.append(f"also under {others} other parent{'s' if others > 1 else ''}")
        below = tax.graph.out_degree(child)
        if below and depth == 1:
            notes.append(f"{below} children not shown")
        note = f"  [{'; '.join(notes)}]" if notes else ""
        yield f"{prefix}{'└── ' if last else '├── '}{_label(tax, child)}{note}"
        yield from _tree_lines(
            tax, child, None if depth is None else depth - 1, prefix + ("    " if last else "│   ")
        )


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
@click.option("--json", "as_json", is_flag=True, help="Print a nested JSON tree.")
@pass_context
def tree(obj: Context, query: str, depth: int, as_json: bool) -> None:
    """Print the subtree under QUERY (a wnid, offset or synset name) as an indented tree.

    A synset with several parents appears under each and is marked.
    """
    tax = obj.taxonomy()
    wnid = tax.resolve(query)
    limit = depth or None
    if as_json:
        _print_json(_tree_json(tax, wnid, limit))
        return
    click.echo(_label(tax, wnid))
    for line in _tree_lines(tax, wnid, limit):
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
    from explorer.core.catalogue import default_catalogue_path

    path = Path(value).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix.lower() in (".csv", ".tsv", ".txt")):
        return default_catalogue_path(path, obj.data_dir)
    return path


def _write_output(text: str, output: str | None) -> None:
    """Write to stdout, or atomically to a file (a temporary file renamed into place)."""
    if output is None:
        click.echo(text, nl=False)
        return
    target = Path(output)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ExplorerError(f"Cannot write {target}: {exc}") from exc
    click.echo(f"Wrote {target}", err=True)


catalogue_option = click.option(
    "--catalogue",
    "catalogue",
    required=True,
    metavar="FILE",
    help="The catalogue file (or the dataset folder or manifest it was indexed from).",
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
    help="ilsvrc-val label file: one wnid per line, in file-number order.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_context
def index(obj: Context, root, catalogue, layout, labels, as_json) -> None:
    """Index an image collection (ROOT: a dataset folder or a manifest file).

    Run it again to rescan: new files are added, changed ones updated, vanished
    ones marked missing (never deleted). The dataset is only read.
    """
    from explorer.core.catalogue import index_catalogue
    from explorer.core.taxonomy import load_noun_wnids

    progress = StderrProgress()
    try:
        nouns = load_noun_wnids(obj.wordnet, obj.data_dir, progress)
        summary = index_catalogue(
            root,
            nouns=nouns,
            catalogue=catalogue,
            layout=layout,
            labels=labels,
            data_dir=obj.data_dir,
            state=progress,
        )
    finally:
        progress.close()
    if as_json:
        _print_json(summary.as_dict())
        return
    echo = click.echo
    echo(f"Catalogue: {summary.catalogue}")
    echo(f"Source:    {summary.source} ({summary.layout})")
    echo(f"Images:    {summary.images:,} on {summary.synsets:,} synsets")
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
            echo(f"  {example['path']}  ({example['problem']}: {example['label']})")
    if summary.missing:
        echo(f"Missing:   {summary.missing:,} images listed before are no longer found")
    if summary.other_files or summary.stat_failed or summary.unreadable_dirs:
        echo(
            f"Skipped:   {summary.other_files:,} non-image files; {summary.stat_failed:,} "
            f"images could not be stat'ed; {summary.unreadable_dirs:,} unreadable folders"
        )


def _counts(obj: Context, catalogue_value: str):
    from explorer.core.catalogue import Catalogue
    from explorer.core.counts import compute_counts

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
    "--basis", type=click.Choice(["subtree", "direct"]), default="subtree", show_default=True,
    help="Count the subtree's images or only the synset's own.",
)  # fmt: skip
@click.option(
    "--targets", type=click.Path(exists=True, dir_okay=False),
    help="Judge only these synsets: a file with one wnid per line (first field).",
)  # fmt: skip
@click.option("--all", "include_ok", is_flag=True, help="List synsets that are not gaps too.")
@click.option(
    "--sort", type=click.Choice(["count", "wnid", "name", "depth", "subtree", "direct"]),
    default="count", show_default=True,
)  # fmt: skip
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@pass_context
def coverage(obj: Context, catalogue, under, min_images, basis, targets, include_ok, sort, desc,
             fmt, output) -> None:  # fmt: skip
    """Coverage gaps: empty or thin synsets of a subtree, or of a target list.

    Leaves without images are always listed; so is every target missing from
    WordNet 3.0.
    """
    from explorer.core import coverage as cov

    tax, figures = _counts(obj, catalogue)
    target_list = cov.read_targets(targets) if targets else None
    rows = cov.coverage(
        tax, figures, under=tax.resolve(under) if under else None, min_images=min_images,
        basis=basis, targets=target_list, include_ok=include_ok, sort=sort, descending=desc,
    )  # fmt: skip
    settings = {
        "catalogue": str(_catalogue_file(obj, catalogue)), "under": under, "min": min_images,
        "basis": basis, "targets": targets, "sort": sort, "descending": desc,
    }  # fmt: skip
    _write_output(cov.format_coverage(rows, fmt, settings), output)
    if output or fmt == "csv":
        summary = cov.summarise(rows)
        click.echo(
            f"{summary['rows']:,} rows: {summary['empty']:,} empty ({summary['empty_leaves']:,} "
            f"leaves), {summary['thin']:,} thin, {summary['not_in_wordnet']:,} not in WordNet",
            err=True,
        )


@cli.command()
@catalogue_option
@click.option("--recheck", is_flag=True, help="Check every image again, not only new ones.")
@click.option("--workers", type=click.IntRange(1, 32), default=None, help="Decoding threads.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary and every image.")
@pass_context
def audit(obj: Context, catalogue: str, recheck: bool, workers: int | None, as_json: bool):
    """Decode every image and report problems: unreadable, truncated, CMYK, duplicates, ...

    Resumable: a cancelled or repeated audit checks only what it has not
    checked yet (or what changed). Problem codes are listed in the README.
    """
    from explorer.core.audit import WORKERS, audit_catalogue, audit_report
    from explorer.core.catalogue import Catalogue

    path = _catalogue_file(obj, catalogue)
    progress = StderrProgress()
    try:
        run = audit_catalogue(path, state=progress, recheck=recheck, workers=workers or WORKERS)
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
        f"{summary['images']:,} images, {summary['audited']:,} audited "
        f"({run.checked:,} checked now in {run.seconds:.1f} s); "
        f"{summary['with_problems']:,} with problems, "
        f"{summary['duplicate_groups']:,} groups of duplicates, {summary['missing']:,} missing"
    )
    for code, number in summary["by_code"].items():
        click.echo(f"  {code:<20} {number:,}")
    for image in report["images"]:
        click.echo(f"{image['path']}\t{image['wnid']}\t{','.join(image['problems'])}")


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
    from explorer.core.taxonomy import load_taxonomy_in_background

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
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
