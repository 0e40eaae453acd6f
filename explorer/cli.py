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
import sys

import click

from explorer import __version__
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
@click.version_option(__version__, prog_name="wnexplorer")
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
