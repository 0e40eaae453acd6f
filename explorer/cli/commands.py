"""The ``wnexplorer`` group: the global options and every command, each listed in
``wnexplorer --help`` with its whole first sentence."""

from __future__ import annotations

import click

from explorer.cli import catalogue, duplicates, evaluation, export, flags, gui, taxonomy
from explorer.cli.context import Context, data_dir_option, wordnet_option
from explorer.cli.render import PROG, whole_first_sentences


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@data_dir_option(envvar=True)
@wordnet_option(envvar=True)
@click.version_option(package_name="wordnet-explorer", prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, wordnet: str | None) -> None:
    """Browse the WordNet 3.0 noun hierarchy behind ImageNet."""
    ctx.obj = Context(data_dir, wordnet)


for command in (
    taxonomy.setup,
    taxonomy.show,
    taxonomy.search,
    taxonomy.tree,
    taxonomy.stats,
    catalogue.index,
    catalogue.counts,
    catalogue.coverage,
    catalogue.audit,
    catalogue.thumbnails,
    duplicates.duplicates,
    evaluation.evaluate_predictions,
    flags.flags,
    export.export,
    gui.gui,
):
    cli.add_command(command)
whole_first_sentences(cli)
