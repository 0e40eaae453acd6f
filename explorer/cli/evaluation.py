"""``wnexplorer eval``: score a model's predictions over the hierarchy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from explorer.cli.context import Context, catalogue_option, pass_context
from explorer.cli.render import CommandWithTable
from explorer.core.evaluation import CONFUSED, LAYOUTS
from explorer.core.text import plural

if TYPE_CHECKING:
    from explorer.core.evaluation import Evaluation
    from explorer.core.wordnet import Taxonomy

ENTITY = "n00001740"


@click.command(
    "eval",
    cls=CommandWithTable,
    table_title="Class orders (--classes)",
    table={name: what for name, (_, what) in LAYOUTS.items()},
)
@click.argument("predictions", nargs=-1, required=True, type=click.Path(dir_okay=False))
@catalogue_option
@click.option(
    "--classes",
    metavar="FILE|ORDER",
    help="The order of class indices: a file of wnids (one per line) or a known order "
    "[default: ilsvrc2012 when every index is under 1,000].",
)
@click.option(
    "--real",
    type=click.Path(exists=True, dir_okay=False),
    help="ReaL's real.json: also score against the reassessed labels.",
)
@click.option("--node", "nodes", multiple=True, metavar="WNID", help="Report this subtree too.")
@click.option("--all-nodes", is_flag=True, help="Report every synset with images (JSON).")
@click.option(
    "--flagged",
    type=click.Choice(["include", "exclude"]),
    default="include",
    show_default=True,
    help="Images flagged wrong_label: scored with the rest, or left out (scored apart always).",
)
@click.option(
    "--confused",
    "confused_pairs",
    type=click.IntRange(0, 10_000),
    default=CONFUSED,
    show_default=True,
    help="How many of the most confused pairs to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@pass_context
def evaluate_predictions(
    obj: Context,
    predictions: tuple[str, ...],
    catalogue: str,
    classes: str | None,
    real: str | None,
    nodes: tuple[str, ...],
    all_nodes: bool,
    flagged: str,
    confused_pairs: int,
    as_json: bool,
) -> None:
    """Score predictions against the catalogue's labels, per synset of the hierarchy.

    PREDICTIONS: CSV or TSV files with a header: path,wnid; path,wnid_1,...,wnid_k
    (ranked, best first); or class indices with --classes. Paths match the catalogue's
    images by path, else by file name. Several files are compared side by side.
    Reports top-1 (top-5), ReaL top-1, each --node's images, top-1 and in_subtree (the
    share predicted inside the subtree), the severity of mistakes (the height of the
    lowest common hypernym, see the README) and the most confused pairs.
    """
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore, flags_path_for
    from explorer.core.evaluation import evaluate, read_predictions

    tax = obj.taxonomy()
    wanted = [ENTITY, *(tax.resolve(n) for n in nodes)]
    path = obj.catalogue_file(catalogue)
    wrong_label: set[str] = set()
    if flags_path_for(path).exists():
        with FlagStore.open_for(path) as store:
            wrong_label = {
                p for p, state in store.states().items() if "wrong_label" in state.reasons
            }
    results = []
    with Catalogue.open(path) as opened:
        for file in predictions:
            results.append(
                evaluate(
                    opened,
                    tax,
                    read_predictions(file, classes),
                    real=real,
                    wrong_label=wrong_label,
                    exclude_flagged=flagged == "exclude",
                    confused=confused_pairs,
                )
            )
    if all_nodes:
        wanted = [w for w in tax.wnids if results[0].node_images[results[0].index[w]]]
    wanted = list(dict.fromkeys(wanted))
    if as_json:
        data = [result.as_json(wanted) for result in results]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False))
        return
    for line in _text(results, wanted, tax):
        click.echo(line)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def _text(results: list[Evaluation], nodes: list[str], tax: Taxonomy) -> list[str]:
    """The figures, one column per prediction file."""
    names = [result.source.rsplit("/", 1)[-1] for result in results]
    width = max(12, *(len(n) for n in names))
    rows: list[tuple[str, list[str]]] = [
        ("images scored", [f"{r.images:,}" for r in results]),
        ("not matched", [f"{r.unmatched:,}" for r in results]),
        ("unreadable rows", [f"{r.bad_rows:,}" for r in results]),
        ("top-1", [_percent(r.top1) for r in results]),
        ("top-5", [_percent(r.top5) for r in results]),
        ("ReaL top-1", [_percent(r.real["top1"]) if r.real else "–" for r in results]),
        ("mistakes", [f"{r.severity['mistakes']:,}" for r in results]),
        ("mean severity", [_mean(r.severity["mean"]) for r in results]),
        ("flagged wrong", [_flagged(r.flagged) for r in results]),
    ]
    for wnid in nodes:
        name = f"{tax.node(wnid)['lemmas'][0]} ({wnid})"
        figures = [r.node(wnid) for r in results]
        rows.append((f"{name}: images", [f"{f['images']:,}" for f in figures]))
        rows.append(("  top-1", [_percent(f["top1"]) for f in figures]))
        rows.append(("  in subtree", [_percent(f["in_subtree"]) for f in figures]))
    label = max(len(r[0]) for r in rows) + 2
    lines = [" " * label + "".join(n.rjust(width + 2) for n in names)]
    lines += [
        title.ljust(label) + "".join(v.rjust(width + 2) for v in values) for title, values in rows
    ]
    for name, result in zip(names, results, strict=True):
        if result.severity["histogram"]:
            counts = " · ".join(f"{h}: {n:,}" for h, n in result.severity["histogram"].items())
            lines.append(f"{name}: mistakes by severity: {counts}")
        if result.confused:
            columns = "images, severity, ReaL agrees, flagged"
            lines.append(f"{name}: most confused (truth → prediction: {columns})")
            for pair in result.confused:
                lines.append(
                    f"  {_named(tax, pair.truth)} → {_named(tax, pair.prediction)}: "
                    f"{pair.images}, {pair.severity}, {pair.real_agrees}, {pair.flagged}"
                )
        if result.unmatched:
            lines.append(
                f"{name}: {plural(result.unmatched, 'row')} matched no image, e.g. "
                + ", ".join(result.unmatched_examples[:3])
            )
    return lines


def _named(tax: Taxonomy, wnid: str) -> str:
    return f"{tax.node(wnid)['lemmas'][0]} ({wnid})"


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _flagged(figures: dict[str, Any]) -> str:
    images = figures["images"]
    if not images:
        return "0"
    return f"{images:,} ({_percent(figures['top1'])})"
