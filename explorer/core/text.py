"""Numbers in messages: "1 image", "2 images", "14,197,122 images"."""

from __future__ import annotations


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``count`` with thousands separators and ``word`` in the number it needs.

    >>> plural(1, "image"), plural(14_197_122, "image"), plural(2, "synset")
    ('1 image', '14,197,122 images', '2 synsets')
    >>> plural(3, "leaf", "leaves")
    '3 leaves'
    """
    return f"{count:,} {word if count == 1 else plural_word or word + 's'}"
