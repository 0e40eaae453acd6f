"""The window's options, parsed once: ``wnexplorer gui`` and the ``wordnet-explorer`` desktop
entry are this one command (:func:`run_window` runs it on its own)."""

from __future__ import annotations

import re
import sys

import click

from explorer.cli.context import Context, data_dir_option, pass_context, wordnet_option
from explorer.cli.main import exit_status

DESKTOP_PROG = "wordnet-explorer"
_OR_WNEXPLORERS = " Given after `gui`, it wins over wnexplorer's own."
# explorer.qt.app.TABS (the CLI imports no Qt)
TABS = ("images", "coverage", "curation", "duplicates", "evaluation")
_SIZE = re.compile(r"(\d{1,5})[x×](\d{1,5})")
_SMALLEST, _LARGEST = (640, 400), (7680, 4320)


def window_size(
    _ctx: click.Context | None, _param: click.Parameter | None, value: str | None
) -> tuple[int, int] | None:
    """``--size``'s WIDTHxHEIGHT as (width, height) in pixels.

    >>> window_size(None, None, "1280x800")
    (1280, 800)
    >>> window_size(None, None, "axb")
    Traceback (most recent call last):
    click.exceptions.BadParameter: 'axb' is not WIDTHxHEIGHT in pixels, such as 1280x800.
    """
    if value is None:
        return None
    match = _SIZE.fullmatch(value.strip().lower())
    if match is None:
        raise click.BadParameter(f"{value!r} is not WIDTHxHEIGHT in pixels, such as 1280x800.")
    width, height = int(match[1]), int(match[2])
    if not (_SMALLEST[0] <= width <= _LARGEST[0] and _SMALLEST[1] <= height <= _LARGEST[1]):
        raise click.BadParameter(
            f"{value} is outside {_SMALLEST[0]}x{_SMALLEST[1]} to {_LARGEST[0]}x{_LARGEST[1]}."
        )
    return width, height


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--demo", is_flag=True, help="Open the demo catalogue (made on first use).")
@click.option("--catalogue", metavar="FILE", help="Open this catalogue.")
@click.option("--select", metavar="WNID", help="Select this synset (wnid, offset or name).")
@click.option("--screenshot", metavar="FILE", help="Save a PNG of the window, then quit.")
@click.option("--quit-after", metavar="MS", type=click.IntRange(1), help="Quit after MS ms.")
@click.option(
    "--size",
    metavar="WxH",
    callback=window_size,
    help="The window's size in pixels, such as 1280x800 (default: the last session's).",
)
@click.option(
    "--tab",
    type=click.Choice(TABS),
    help="Show this tab of the selection (default: images).",
)
@click.option(
    "--viewer",
    is_flag=True,
    help="Open the viewer on the first image of the selection. With --screenshot, the PNG is "
    "the viewer's window, at --size: the picture a curator looks at.",
)
@click.option(
    "--smoke-test",
    is_flag=True,
    help="Check this install offscreen (taxonomy, catalogue, images, flags, window), then "
    "exit: 0 if it passed. Other options are ignored.",
)
@data_dir_option(extra_help=_OR_WNEXPLORERS)
@wordnet_option(extra_help=_OR_WNEXPLORERS)
@pass_context
def gui(
    obj: Context,
    demo: bool,
    catalogue: str | None,
    select: str | None,
    screenshot: str | None,
    quit_after: int | None,
    size: tuple[int, int] | None,
    tab: str | None,
    viewer: bool,
    smoke_test: bool,
    data_dir: str | None,
    wordnet: str | None,
) -> None:
    """Open the window (also started by the `wordnet-explorer` desktop entry, which takes
    the same options).

    With --select and --screenshot it selects the node, waits until the visible
    thumbnails have arrived, saves the window as a PNG and quits: a smoke test
    and a way to make documentation pictures (tools/readme_pictures.py makes the
    README's). --size, --tab and --viewer choose what the picture shows, e.g.

        wnexplorer gui --demo --select dog.n.01 --size 1280x800 --tab coverage --screenshot c.png
    """
    if demo and catalogue and not smoke_test:
        raise click.UsageError("--demo and --catalogue exclude each other")
    # The window loads the graph itself, after the tree's first paint from the cache: a load
    # started here, before Qt (as this command did until both entries became one), competes
    # for the GIL with that paint. bench/bench_gui.py --skip-stalls, medians of 5: first
    # painted tree 0.84 s with the early load, 0.45 s without; taxonomy in use 0.92 s and
    # 0.97 s (bench/README.md, "GUI").
    # The only Qt import of the CLI, made when the window is asked for, so every other
    # command runs on machines without Qt or a display.
    from explorer.qt.app import main as start

    status = start(
        smoke_test=smoke_test,
        demo=demo,
        catalogue=catalogue,
        select=select,
        screenshot=screenshot,
        quit_after=quit_after,
        size=size,
        tab=tab,
        viewer=viewer,
        data_dir=data_dir or obj.data_dir,
        wordnet=wordnet or obj.wordnet,
    )
    if status:
        click.get_current_context().exit(status)


def run_window() -> None:
    """gui-script entry point (``wordnet-explorer``): the gui command on its own."""
    sys.exit(exit_status(gui, None, DESKTOP_PROG, obj=Context(None, None)))
