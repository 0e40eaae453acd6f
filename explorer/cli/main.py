"""The entry points, and the one boundary where errors become a message and an exit status:
1 for a failed job, 2 for a bad command line, 130 for Ctrl+C."""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

import click

from explorer.cli.render import PROG, printable
from explorer.core.errors import ExplorerError

EXIT_FAILED = 1
EXIT_USAGE = 2


def _database_trouble(exc: sqlite3.OperationalError) -> str:
    """What a SQLite error that is not damage means for the user, and what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"a database is busy ({text}): another program (an index, an audit or the window) "
            "is writing it; try again when it has finished"
        )
    if "readonly" in text or "read-only" in text:
        return f"a database file is read-only ({text}); make it writable, or work on a copy"
    if "full" in text:
        return f"the disk is full ({text}); free some space and run the command again"
    return f"a database could not be read or written ({text})"


def exit_status(command: click.Command, args: list[str] | None, prog: str, **extra: Any) -> int:
    """Run ``command`` on ``args`` (None: the process's) as ``prog``; return its exit status.

    Every error ends here as one line on stderr (control characters escaped):
    the core's errors and the file troubles it did not foresee as 1, a bad
    command line as 2 (with the command to ask for help). ``extra`` goes to
    click's context (the ``obj`` of a command run on its own).
    """

    def fail(message: str, status: int = EXIT_FAILED) -> int:
        click.echo(f"{prog}: {printable(message)}", err=True)
        return status

    try:
        # click hands back a command's ctx.exit(status) as the return value, not as Exit
        status = command.main(args=args, prog_name=prog, standalone_mode=False, **extra)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help(), err=True)
        return EXIT_USAGE
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        return fail(f"error: {exc.format_message()}{hint}", EXIT_USAGE)
    except click.Abort:
        return fail("aborted")
    except ExplorerError as exc:
        return fail(f"error: {exc}")
    except sqlite3.OperationalError as exc:  # busy, read-only, full: the file itself is fine
        return fail(f"error: {_database_trouble(exc)}")
    except sqlite3.DatabaseError as exc:  # damage found after a file opened cleanly
        return fail(
            f"error: a database file is damaged ({exc}); index the dataset again "
            f"(catalogues hold no curation) or run `{PROG} setup --rebuild`"
        )
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:  # a file or folder the core did not expect to fail: one line
        where = f": {exc.filename}" if exc.filename else ""
        return fail(f"error: {exc.strerror or exc}{where}")
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return status if isinstance(status, int) else 0


def main(argv: list[str] | None = None) -> int:
    """Run ``wnexplorer`` on ``argv`` (None: the process's); return the exit status."""
    from explorer.cli.commands import cli

    return exit_status(cli, argv, PROG)


def run() -> None:
    """Console-script entry point (``wnexplorer``)."""
    sys.exit(main())
