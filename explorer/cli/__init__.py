"""``wnexplorer``: the command line over the core API.

Data commands print JSON on stdout with ``--json``; progress and messages go
to stderr. Errors become one line on stderr and a non-zero exit status:
1 for a failed job, 2 for a bad command line.

click (already installed with sqlite-utils) gives every command ``--help``
and a test runner, which argparse would not.

One module per command group (``taxonomy``, ``catalogue``, ``flags``,
``export``, ``gui``), the global options and shared ones in ``context``, all
printing in ``render``, the group in ``commands``, and in ``main`` the entry
points and the one boundary where errors become an exit status (the desktop
entry, ``gui.run_window``, goes through it too). Each command calls the core's
public API; no rule of the domain is written here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.cli.main import exit_status, main, run

if TYPE_CHECKING:
    from explorer.cli.commands import cli
    from explorer.cli.gui import run_window

__all__ = ["cli", "exit_status", "main", "run", "run_window"]


def __getattr__(name: str) -> object:
    # Loaded when asked for: the desktop entry needs the gui command, not every command.
    if name == "cli":
        from explorer.cli.commands import cli

        return cli
    if name == "run_window":
        from explorer.cli.gui import run_window

        return run_window
    raise AttributeError(f"module 'explorer.cli' has no attribute {name!r}")
