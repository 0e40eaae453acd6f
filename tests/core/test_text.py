"""Counts in messages: singular, plural, thousands separators."""

from __future__ import annotations

import pytest

from explorer.core.text import plural


@pytest.mark.parametrize(
    ("count", "words", "expected"),
    [
        (0, ("row",), "0 rows"),
        (1, ("row",), "1 row"),
        (2, ("mark",), "2 marks"),
        (1204, ("image",), "1,204 images"),
        (1, ("class", "classes"), "1 class"),
        (3, ("class", "classes"), "3 classes"),
    ],
)
def test_plural(count, words, expected):
    assert plural(count, *words) == expected
