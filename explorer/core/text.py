"""Small helpers for the words of messages."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, in the plural unless the count is one.

    >>> plural(1, "synset"), plural(1281167, "image"), plural(3, "child", "children")
    ('1 synset', '1,281,167 images', '3 children')
    """
    if count == 1:
        return f"1 {word}"
    return f"{count:,} {many or word + 's'}"
