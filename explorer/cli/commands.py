"""The ``wnexplorer`` group: the global options and every command, each listed in
``wnexplorer --help`` with its whole first sentence.

A command's module is imported when the command is run (or listed by ``--help``): ``show``
need not import the modules of the fourteen others (a quarter of its time once was).
"""

from __future__ import annotations

import importlib

import click

from explorer.cli.context import Context, data_dir_option, wordnet_option
from explorer.cli.render import PROG, whole_first_sentences

# name -> (module of explorer.cli, the command's attribute there)
COMMANDS = {
    "setup": ("taxonomy", "setup"),
    "show": ("taxonomy", "show"),
    "search": ("taxonomy", "search"),
    "tree": ("taxonomy", "tree"),
    "stats": ("taxonomy", "stats"),
    "index": ("catalogue", "index"),
    "counts": ("catalogue", "counts"),
    "coverage": ("catalogue", "coverage"),
    "audit": ("catalogue", "audit"),
    "thumbnails": ("catalogue", "thumbnails"),
    "duplicates": ("duplicates", "duplicates"),
    "eval": ("evaluation", "evaluate_predictions"),
    "flags": ("flags", "flags"),
    "export": ("export", "export"),
    "gui": ("gui", "gui"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported by name when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"explorer.cli.{module}"), attribute)
            whole_first_sentences(command)
            self.commands[cmd_name] = command
        return self.commands[cmd_name]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@data_dir_option(envvar=True)
@wordnet_option(envvar=True)
@click.version_option(package_name="wordnet-explorer", prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, wordnet: str | None) -> None:
    """Browse the WordNet 3.0 noun hierarchy behind ImageNet."""
    ctx.obj = Context(data_dir, wordnet)
