"""Fixtures of the command-line tests (helpers to run commands: tests/cli_run.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _warm(taxonomy):
    """Build the session's taxonomy cache first, so the commands read it."""
