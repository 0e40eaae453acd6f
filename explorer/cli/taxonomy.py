"""The taxonomy commands: setup, show, search, tree, stats."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import click

from explorer.cli.context import Context, pass_context
from explorer.cli.render import labelled, plural, print_json
from explorer.core import paths
from explorer.core.jobs import StderrProgress
from explorer.core.wordnet import INSTALL_METHODS

if TYPE_CHECKING:
    from explorer.core.wordnet import CachedLookup, InstallMethod, Taxonomy


def _short(tax: Taxonomy | CachedLookup, wnid: str) -> str:
    return tax.node(wnid)["lemmas"][0]


@click.command()
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
def setup(
    obj: Context, method: InstallMethod, no_install: bool, rebuild: bool, as_json: bool
) -> None:
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
        print_json(result)
        return
    if installed:
        click.echo(f"Installed: {installed}", err=True)
    pairs = [
        ("WordNet 3.0:", f"{location.path} ({location.origin})"),
        ("Cache:", tax.cache_path),
        ("Synsets:", len(tax)),
    ]
    for line in labelled(pairs, 12):
        click.echo(line)


@click.command()
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

    tax = obj.lookup()
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
                node = tax.node(other)
                click.echo(f"  {other} {node['name']:<24} {node['gloss']}", err=True)
    info = tax.describe(wnid)
    if as_json:
        print_json(info)
        return
    echo = click.echo
    echo(f"{info['name']}  {info['wnid']}  [{info['lexname']}]")
    echo(f"  lemmas:   {', '.join(info['lemmas'])}")
    echo(f"  gloss:    {info['gloss']}")
    echo(f"  depth:    {info['min_depth']} (shortest path) to {info['max_depth']} (longest)")
    echo(f"  subtree:  {plural(info['descendants'], 'synset')} below")
    for title, items in (("parents", info["parents"]), ("children", info["children"])):
        echo(f"  {title} ({len(items)}):")
        for item in items:
            kind = "  (instance)" if item["kind"] == "instance" else ""
            echo(f"    {item['wnid']} {item['name']}{kind}")
    echo(f"  paths to the root ({len(info['paths'])}):")
    for number, path in enumerate(info["paths"], start=1):
        echo(f"    {number}. " + " > ".join(_short(tax, w) for w in path))


@click.command()
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
    hits = obj.lookup().search(" ".join(text), limit)
    if as_json:
        print_json([hit.as_dict() for hit in hits])
        return
    if not hits:
        click.echo(f"No synset matches {' '.join(text)!r}.", err=True)
        return
    for hit in hits:
        click.echo(f"{hit.wnid}  {hit.name:<32} {', '.join(hit.lemmas)}")
        click.echo(f"{'':11}{hit.gloss}")


def _tree_lines(node: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
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


@click.command()
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
    "--json",
    "as_json",
    is_flag=True,
    help="Print nested JSON, as `export subtree --format tree-json`: each node has wnid, name, "
    "lemmas, kind (of the edge above it), parents, selected and children (and "
    "children_not_shown where --depth cut them off).",
)
@pass_context
def tree(obj: Context, query: str, depth: int, as_json: bool) -> None:
    """Print the subtree under QUERY (a wnid, offset or synset name) as an indented tree.

    A synset with several parents appears under each and is marked.
    """
    from explorer.core.exports import nested_subtree

    tax = obj.lookup()
    tree = nested_subtree(tax, tax.resolve(query), depth or None)
    if as_json:
        print_json(tree)
        return
    click.echo(f"{tree['wnid']} {tree['name']}")
    for line in _tree_lines(tree):
        click.echo(line)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as a JSON object.")
@pass_context
def stats(obj: Context, as_json: bool) -> None:
    """Figures of the noun taxonomy: synsets, edges, multi-parent synsets, roots, leaves, depth."""
    tax = obj.taxonomy()
    figures = tax.stats().as_dict()
    if as_json:
        print_json(figures)
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
    pairs: list[tuple[str, object]] = []
    for key, label in labels.items():
        value = figures[key]
        pairs.append((label, ", ".join(value) if isinstance(value, list) else value))
    for line in labelled(pairs, 26):
        click.echo(line)
