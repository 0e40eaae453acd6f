"""Class-index orders: which wnid a model's class number ``i`` is.

A model trained on ImageNet predicts class indices; what index ``i`` means depends on the
order its training used. The known orders ship with the app (``LAYOUTS``): ILSVRC-2012's
1,000 sorted wnids, and the ImageNet-21k/22k/12k orders timm lists (fall11's 21,841 sorted,
Google's 21,843, Microsoft's 21,842 with the 1,000 first, timm's 11,821, and
ImageNet-21K-P's 11,221 and 10,450). Any other order is a file of wnids, one per line
(the first field of each line, as ``LOC_synset_mapping.txt`` has it).

>>> order = class_order("ilsvrc2012")
>>> len(order), order[0], order[999]
(1000, 'n01440764', 'n15075141')
>>> len(class_order("imagenet22k_ms")), class_order("imagenet22k_ms")[:1] == order[:1]
(21842, True)
>>> guess_layout(999), guess_layout(5000)
('ilsvrc2012', None)
"""

from __future__ import annotations

import functools
import gzip
import os
import re
from importlib import resources
from pathlib import Path

from explorer.core.errors import CatalogueError

LAYOUTS = {  # name -> (classes, what it is)
    "ilsvrc2012": (1000, "ILSVRC-2012: the 1,000 classes, sorted by wnid"),
    "imagenet22k": (21_841, "ImageNet-21k (fall11): 21,841 classes, sorted by wnid"),
    "imagenet21k_goog": (21_843, "Google's ImageNet-21k (BiT, ViT): 21,843 classes"),
    "imagenet22k_ms": (21_842, "Microsoft's ImageNet-22k (Swin): the 1,000 first, 21,842"),
    "imagenet12k": (11_821, "timm's ImageNet-12k: 11,821 classes"),
    "imagenet21k_miil": (11_221, "ImageNet-21K-P (fall11): 11,221 classes"),
    "imagenet21k_miil_w21": (10_450, "ImageNet-21K-P (winter21): 10,450 classes"),
}
_WNID = re.compile(r"n\d{8}")
CONFUSED = 20  # the most confused pairs an evaluation reports (light here: the CLI's default)


@functools.cache
def _layout(name: str) -> tuple[str, ...]:
    package = resources.files("explorer.core.resources")
    if name == "ilsvrc2012":
        text = package.joinpath("ilsvrc2012_wnids.txt").read_text()
    else:
        text = gzip.decompress(package.joinpath(f"classes-{name}.txt.gz").read_bytes()).decode()
    return tuple(text.split())


def class_order(spec: str | os.PathLike[str]) -> list[str]:
    """The wnids in class-index order of ``spec``: a layout's name, or a file of wnids
    (one per line, the first field). A CatalogueError saying what is wrong otherwise."""
    name = os.fspath(spec)
    if name in LAYOUTS:
        return list(_layout(name))
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        known = ", ".join(LAYOUTS)
        raise CatalogueError(
            f"--classes {name}: neither a known order ({known}) nor a readable file "
            f"({exc.strerror or exc})."
        ) from exc
    wnids = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.replace(",", " ").split()
        if not fields or fields[0].startswith("#"):
            continue
        if not _WNID.fullmatch(fields[0]):
            raise CatalogueError(
                f"{path}:{number}: {fields[0][:40]!r} is not a wnid (n + 8 digits); a class "
                "list has one wnid per line, in class-index order."
            )
        wnids.append(fields[0])
    if not wnids:
        raise CatalogueError(f"{path} lists no class (one wnid per line).")
    return wnids


def guess_layout(largest_index: int) -> str | None:
    """The order class indices up to ``largest_index`` must be in, when only one can be:
    ILSVRC-2012 for indices under 1,000 (no other order is that small); else None (name it)."""
    return "ilsvrc2012" if largest_index < 1000 else None
