"""Text for people: numbers in messages ("14,197,122 images"), names in natural order."""

from __future__ import annotations

import re

# the text before a name's last number, that number, and the text after it
_LAST_NUMBER = re.compile(r"(.*\D)?(\d+)(\D*)", re.DOTALL)
_DIGIT_RUNS = re.compile(r"(\d+)")

NaturalKey = tuple[tuple[str | int, ...], int, str]


def natural_key(text: str) -> NaturalKey:
    """A sort key that orders names as people read them: numbers by their value, case aside.

    The key is (the text before the last number, itself in natural order; that
    number; the text after it), so that a catalogue can rank the few distinct
    texts around the numbers once and sort millions of names by integers
    (:mod:`explorer.core.catalogue.orders`) in the same order as this key.
    A name without digits sorts before the same name with a number.

    >>> sorted(["n01_10.JPEG", "n01_2.JPEG", "n01_1.JPEG", "N01_100.jpeg"], key=natural_key)
    ['n01_1.JPEG', 'n01_2.JPEG', 'n01_10.JPEG', 'N01_100.jpeg']
    >>> sorted(["img10/a", "img9/b", "img", "img0"], key=natural_key)
    ['img', 'img0', 'img9/b', 'img10/a']
    """
    folded = text.casefold()
    match = _LAST_NUMBER.fullmatch(folded)
    if match is None:
        return number_runs(folded), -1, ""
    before, number, after = match.groups()
    return number_runs(before or ""), int(number), after


def natural_path_key(path: str) -> tuple[tuple[str | int, ...], NaturalKey]:
    """A path's natural sort key: its folder (numbers by value), then its file name's
    :func:`natural_key`; so a folder's files stay together, named with digits or not.

    >>> sorted(["n02/x.JPEG", "n01/x~2.JPEG", "n01/x.JPEG", "n10/a.JPEG"], key=natural_path_key)
    ['n01/x.JPEG', 'n01/x~2.JPEG', 'n02/x.JPEG', 'n10/a.JPEG']
    """
    cut = path.rfind("/") + 1
    return number_runs(path[:cut].casefold()), natural_key(path[cut:])


def number_runs(text: str) -> tuple[str | int, ...]:
    """``text`` as alternating text and numbers: ("img", 10, "/a")."""
    parts = _DIGIT_RUNS.split(text)
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``count`` with thousands separators and ``word`` in the number it needs.

    >>> plural(1, "image"), plural(14_197_122, "image"), plural(2, "synset")
    ('1 image', '14,197,122 images', '2 synsets')
    >>> plural(3, "leaf", "leaves")
    '3 leaves'
    """
    return f"{count:,} {word if count == 1 else plural_word or word + 's'}"
