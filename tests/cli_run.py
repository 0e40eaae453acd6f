"""Run ``wnexplorer`` in-process, as the command-line tests do."""

from __future__ import annotations

from explorer.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``wnexplorer ARGS``."""
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def ok(capsys, *args) -> tuple[str, str]:
    """(stdout, stderr) of a command that must succeed."""
    status, out, err = run(capsys, *args)
    assert status == 0, err
    return out, err
