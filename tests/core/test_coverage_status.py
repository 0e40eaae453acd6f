"""The coverage status rule, read by the tree, the detail panel, the coverage view and the CLI."""

from __future__ import annotations

import re

import pytest

from explorer.core.analysis import COVERAGE_COLOURS, coverage_status


@pytest.mark.parametrize(
    ("count", "threshold", "status"),
    [
        (0, 10, "empty"),
        (1, 10, "thin"),
        (9, 10, "thin"),
        (10, 10, "ok"),
        (500, 10, "ok"),
        (0, 0, "empty"),
        (0, 1, "empty"),
        (1, 1, "ok"),
        (3, 0, "ok"),
    ],
)
def test_coverage_status(count, threshold, status):
    assert coverage_status(count, threshold) == status


def test_every_status_has_a_colour_for_every_role():
    assert set(COVERAGE_COLOURS) == {"empty", "thin", "ok"}
    for colours in COVERAGE_COLOURS.values():
        assert set(colours) == {"text", "background", "bar"}
        assert all(c is None or re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours.values())
    assert COVERAGE_COLOURS["ok"]["text"] is None  # covered synsets look like any text
