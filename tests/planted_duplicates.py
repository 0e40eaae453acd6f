"""A planted near-duplicate set from the real ILSVRC samples, for the tests and the bench.

Each chosen sample is filed under its own synset, and altered copies of it (an exact copy,
resized by half and re-encoded, JPEG quality 30, 3% cropped from the centre, grayscale,
20% brighter and 20% darker) are filed under its synset, its parent, or the synset of an
unrelated sample, in turn: the pair (original, copy) is then ``same_synset``,
``ancestor`` or ``different``. The samples are 1,000 different ILSVRC classes, so two
images from different samples must never pair.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps


def _save(quality: int) -> Callable[[Image.Image, Path], None]:
    def save(image: Image.Image, path: Path) -> None:
        image.save(path, "JPEG", quality=quality)

    return save


def _crop(image: Image.Image, share: float) -> Image.Image:
    dx, dy = round(image.width * share / 2), round(image.height * share / 2)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


ALTERATIONS: dict[str, Callable[[Image.Image], Image.Image] | None] = {
    "exact copy": None,  # the file's bytes copied
    "half size, re-encoded": lambda im: im.resize((im.width // 2, im.height // 2)),
    "JPEG quality 30": lambda im: im,
    "3% cropped": lambda im: _crop(im, 0.03),
    "grayscale": lambda im: im.convert("L"),
    "20% brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.2),
    "20% darker": lambda im: ImageEnhance.Brightness(im).enhance(0.8),
}
PLACES = ("same_synset", "ancestor", "different")  # where a copy is filed, in turn


@dataclass(frozen=True)
class Planted:
    original: str  # path relative to the root
    copy: str
    alteration: str
    relation: str  # the relation the pair must be judged


def plant(samples: list[Path], root: Path, taxonomy) -> list[Planted]:
    """Write the planted set of ``samples`` (shared ILSVRC JPEGs named wnid_name.JPEG) under
    ``root`` in ImageNet folders; return the planted pairs."""
    planted = []
    wnids = [path.name[:9] for path in samples]
    for i, path in enumerate(samples):
        wnid = wnids[i]
        original = f"{wnid}/{path.stem}.JPEG"
        (root / wnid).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / original)
        with Image.open(path) as image:
            photo = ImageOps.exif_transpose(image).convert("RGB")
        for k, (name, alter) in enumerate(ALTERATIONS.items()):
            place = PLACES[(i + k) % len(PLACES)]
            folder = {
                "same_synset": wnid,
                "ancestor": taxonomy.parents(wnid)[0],
                "different": wnids[(i + len(samples) // 2) % len(samples)],
            }[place]
            if place == "different" and _related(taxonomy, wnid, folder):
                place, folder = "same_synset", wnid
            copy = f"{folder}/{path.stem}~{k}.JPEG"
            (root / folder).mkdir(parents=True, exist_ok=True)
            if alter is None:
                shutil.copyfile(path, root / copy)
            else:
                alter(photo).save(root / copy, "JPEG", quality=30 if "30" in name else 85)
            planted.append(Planted(original, copy, name, place))
    return planted


def _related(taxonomy, a: str, b: str) -> bool:
    return a == b or a in taxonomy.ancestors(b) or b in taxonomy.ancestors(a)


def source_of(path: str) -> str:
    """The sample a planted image comes from (its file name before any ``~k``)."""
    return path.rsplit("/", 1)[-1].split("~")[0].removesuffix(".JPEG")
