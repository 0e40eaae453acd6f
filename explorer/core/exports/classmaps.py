"""Class maps: the chosen wnids numbered in order, as ImageNet's loaders read them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from explorer.core.errors import ExportError
from explorer.core.exports.choices import (
    CLASSMAP_FORMATS,
    ClassmapFormat,
    check_choice,
)
from explorer.core.exports.writing import _json

if TYPE_CHECKING:
    from explorer.core.wordnet import TaxonomyView


def classmap_text(taxonomy: TaxonomyView, wnids: Sequence[str], fmt: ClassmapFormat = "loc") -> str:
    """Class index = position in ``wnids``: ImageNet's LOC_synset_mapping.txt style, or JSON.

    >>> print(classmap_text(taxonomy, ["n01440764", "n02084071"]), end="")
    n01440764 tench, Tinca tinca
    n02084071 dog, domestic dog, Canis familiaris
    >>> classmap_text(taxonomy, ["n01440764"], "json")
    '{\\n "0": [\\n  "n01440764",\\n  "tench"\\n ]\\n}\\n'
    """
    check_choice("format", fmt, CLASSMAP_FORMATS)
    _check_unique(wnids)
    if fmt == "loc":
        return "".join(f"{w} {', '.join(taxonomy.node(w)['lemmas'])}\n" for w in wnids)
    return _json({str(i): [w, taxonomy.node(w)["lemmas"][0]] for i, w in enumerate(wnids)})


def _check_unique(wnids: Sequence[str]) -> None:
    if not wnids:
        raise ExportError("Choose at least one synset.")
    seen: set[str] = set()
    for wnid in wnids:
        if wnid in seen:
            raise ExportError(f"{wnid} is chosen twice.")
        seen.add(wnid)
