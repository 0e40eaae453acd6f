"""How the command line prints: JSON, text tables, escaped text, counted nouns, help.

JSON goes out as it is (a consumer parses it); text for a terminal has its
control characters escaped, so a file name or a note cannot move the cursor or
change colours. Messages and warnings go to stderr: stdout may be an export.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import click

from explorer.core.text import plural

__all__ = [
    "PROG",
    "CommandWithTable",
    "labelled",
    "one_line",
    "plural",
    "print_json",
    "printable",
    "tab_line",
    "table",
    "warn",
    "whole_first_sentences",
    "write_output",
]

PROG = "wnexplorer"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def printable(text: str) -> str:
    """``text`` with control characters escaped (\\x1b): a file name or note printed to a
    terminal must not move its cursor or change its colours. JSON output keeps them.

    >>> print(printable("red\\x1b[31m.JPEG"))
    red\\x1b[31m.JPEG
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str | None) -> str:
    """Free text (a note) as one printable line; "-" for none.

    >>> one_line("blurry,\\n  and dark"), one_line(None)
    ('blurry, and dark', '-')
    """
    return printable(" ".join((text or "").split())) or "-"


def tab_line(*cells: object) -> str:
    """A tab-separated line of cells, each printable; None is "-".

    >>> tab_line("n02084071/a.JPEG", "duplicate", None).split("\\t")
    ['n02084071/a.JPEG', 'duplicate', '-']
    """
    return "\t".join("-" if cell is None else printable(str(cell)) for cell in cells)


def table(
    header: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int]
) -> list[str]:
    """A text table: a column per width (negative: right-aligned, numbers with thousands
    separators), then a last column of free text, two spaces further.

    >>> table(("wnid", "images", "name"), [("n02084071", 1200, "dog.n.01")], (10, -7))
    ['wnid        images  name', 'n02084071    1,200  dog.n.01']
    """

    def cell(value: object, width: int) -> str:
        if width < 0:
            return (f"{value:,}" if isinstance(value, int) else str(value)).rjust(-width)
        return printable(str(value)).ljust(width)

    return [
        " ".join(cell(value, width) for value, width in zip(row, widths, strict=False))
        + f"  {printable(str(row[len(widths)]))}"
        for row in [header, *rows]
    ]


def labelled(pairs: Iterable[tuple[str, object]], width: int) -> list[str]:
    """``label value`` lines, the values aligned at ``width``; numbers with separators."""
    return [
        f"{label:<{width}} {f'{value:,}' if isinstance(value, int) else value}"
        for label, value in pairs
    ]


def warn(message: str) -> None:
    """A warning on stderr, escaped (it may quote a file's text)."""
    click.echo(f"{PROG}: warning: {printable(message)}", err=True)


def write_output(text: str, output: str | None, parents: bool) -> None:
    """Write to stdout, or atomically to a file (a temporary file renamed into place)."""
    from explorer.core.exports import write_atomically

    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text, parents)
    click.echo(f"Wrote {output}", err=True)


class CommandWithTable(click.Command):
    """A command whose help ends with a table of codes and their meanings (the desktop
    bundle has no README to point to)."""

    def __init__(self, *args: Any, table_title: str, table: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table_title, self.table = table_title, table

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section(self.table_title):
            formatter.write_dl(list(self.table.items()))
        super().format_epilog(ctx, formatter)


def whole_first_sentences(command: click.Command) -> None:
    """List ``command`` (and a group's subcommands) with its whole first sentence (wrapped),
    not click's 45-odd characters cut with "..."; each command's own --help is unchanged."""
    if command.short_help is None and command.help:
        paragraph = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
        sentence = re.match(r"(.*?[.!?])(?:\s|$)", paragraph)
        command.short_help = sentence.group(1) if sentence else paragraph
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            whole_first_sentences(subcommand)
