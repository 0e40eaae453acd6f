"""The gui command: the window, from the command line."""

from __future__ import annotations

import click

from explorer.cli.context import Context, pass_context


@click.command()
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
