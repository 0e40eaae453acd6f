"""Small text helpers for messages."""

from __future__ import annotations


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``count`` with ``word``, or its plural (``word + "s"`` unless given), and thousands
    separators.

    >>> plural(1, "mark"), plural(2, "mark"), plural(1204, "image"), plural(2, "class", "classes")
    ('1 mark', '2 marks', '1,204 images', '2 classes')
    """
    return f"{count:,} {word if count == 1 else plural_word or word + 's'}"
