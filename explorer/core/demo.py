"""The demo catalogue a newcomer sees before they have data of their own.

:func:`make_demo_dataset` draws a few hundred small pictures with Pillow into ImageNet's
folder layout (``<wnid>/<wnid>_<i>.JPEG``) for :data:`DEMO_SYNSETS`: real ImageNet synsets in
six subtrees (dogs, fish, birds, cars, fruit, musical instruments), some of them parents of
others, so the tree shows subtree counts that differ from direct ones, thin and empty
synsets, and a synset with two parents (dog). Each picture shows its synset's first lemma on
a background coloured by subtree. A few files are broken on purpose, one of each kind the
audit reports (:data:`DEMO_PROBLEMS`), and one file sits outside any wnid folder.

:func:`ensure_demo_catalogue` makes it once under ``<data dir>/demo``, indexes and audits it,
and reuses it afterwards.

>>> data = catalogue.source.parents[1]  # the data directory of the demo these examples use
>>> ensure_demo_catalogue(data).relative_to(data).as_posix()  # made there before: reused
'demo/demo.sqlite'
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import random
import shutil
import time
from collections.abc import Container
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageFont

from explorer.core import paths
from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.errors import CatalogueError
from explorer.core.files import UMASK, atomic_path, write_file
from explorer.core.images import audit_catalogue
from explorer.core.jobs import JobState
from explorer.core.wordnet import load_noun_wnids

__all__ = ["DEMO_PROBLEMS", "DEMO_SYNSETS", "ensure_demo_catalogue", "make_demo_dataset"]

# (wnid, first lemma, subtree, images). Parents in the set: dog > toy dog > Chihuahua,
# Pekinese; dog > pug; bird > hen; car > sports car, beach wagon, convertible; edible fruit
# > banana, pineapple; guitar > acoustic guitar, electric guitar. dog and edible fruit have
# two parents in WordNet. edible fruit and musical instrument hold no image of their own.
_SYNSETS: tuple[tuple[str, str, str, int], ...] = (
    ("n02084071", "dog", "dogs", 6),
    ("n02085374", "toy dog", "dogs", 4),
    ("n02085620", "Chihuahua", "dogs", 18),
    ("n02086079", "Pekinese", "dogs", 14),
    ("n02110958", "pug", "dogs", 20),
    ("n02099601", "golden retriever", "dogs", 16),
    ("n02512053", "fish", "fish", 3),
    ("n01440764", "tench", "fish", 17),
    ("n01443537", "goldfish", "fish", 15),
    ("n01484850", "great white shark", "fish", 12),
    ("n01503061", "bird", "birds", 5),
    ("n01514859", "hen", "birds", 19),
    ("n01531178", "goldfinch", "birds", 13),
    ("n01833805", "hummingbird", "birds", 2),
    ("n02958343", "car", "cars", 8),
    ("n04285008", "sports car", "cars", 20),
    ("n02814533", "beach wagon", "cars", 11),
    ("n03100240", "convertible", "cars", 15),
    ("n07705931", "edible fruit", "fruit", 0),
    ("n07753592", "banana", "fruit", 18),
    ("n07753275", "pineapple", "fruit", 10),
    ("n07747607", "orange", "fruit", 14),
    ("n07742313", "Granny Smith", "fruit", 3),
    ("n03800933", "musical instrument", "instruments", 0),
    ("n03467517", "guitar", "instruments", 7),
    ("n02676566", "acoustic guitar", "instruments", 16),
    ("n03272010", "electric guitar", "instruments", 12),
    ("n03452741", "grand piano", "instruments", 14),
    ("n04536866", "violin", "instruments", 1),
)
DEMO_SYNSETS: tuple[str, ...] = tuple(wnid for wnid, *_ in _SYNSETS)
_LEMMA = {wnid: lemma for wnid, lemma, _, _ in _SYNSETS}
_COUNT = {wnid: count for wnid, _, _, count in _SYNSETS}
_GROUP = {wnid: group for wnid, _, group, _ in _SYNSETS}
_BACKGROUND = {
    "dogs": (176, 124, 84),
    "fish": (52, 110, 170),
    "birds": (96, 160, 90),
    "cars": (118, 118, 132),
    "fruit": (230, 150, 50),
    "instruments": (128, 84, 150),
}
_SIZES = (
    (320, 240),
    (400, 300),
    (480, 360),
    (500, 375),
    (640, 480),
    (500, 333),
    (600, 400),
    (448, 448),
    (375, 500),
    (300, 400),
    (240, 320),
)

# One broken file of each kind, appended to a synset's folder: (audit code, wnid). The
# duplicate is a copy of the first Chihuahua, filed under Pekinese (a mislabelled copy).
_BROKEN = (
    ("truncated", "n01443537"),
    ("zero_byte", "n01440764"),
    ("extension_mismatch", "n02110958"),
    ("cmyk", "n07753592"),
    ("grayscale", "n03272010"),
    ("tiny", "n01531178"),
    ("exif_rotated", "n04285008"),
    ("duplicate", "n02086079"),
)
_DUPLICATED = "n02085620/n02085620_0.JPEG"
_UNSORTED = "unsorted/photo_1.JPEG"


def _broken_path(wnid: str) -> str:
    return f"{wnid}/{wnid}_{_COUNT[wnid]}.JPEG"


DEMO_PROBLEMS: dict[str, str] = {
    **{_broken_path(wnid): code for code, wnid in _BROKEN},
    _DUPLICATED: "duplicate",
    _UNSORTED: "no_label",
}
"""What is wrong with each deliberately broken demo file (path relative to the folder):
an audit code of :data:`explorer.core.images.audit.AUDIT_CODES`, or ``no_label``."""

_VERSION = 1  # of the drawing: a demo made by another version is made again
_MANIFEST = "demo.json"


def make_demo_dataset(folder: Path, state: JobState | None = None) -> Path:
    """Draw the demo images into ``folder`` (created if needed); return ``folder``.

    Deterministic: the same bytes on every run with the same Pillow. Writes nothing outside
    ``folder``. Reports progress through ``state`` and stops with
    :class:`~explorer.core.errors.Cancelled` when it is cancelled.

    >>> make_demo_dataset(tmp / "demo").name
    'demo'
    >>> sorted(os.listdir(tmp / "demo" / "n01440764"))[:2]
    ['n01440764_0.JPEG', 'n01440764_1.JPEG']
    """
    state = state or JobState()
    folder = Path(folder)
    total = sum(_COUNT.values()) + len(_BROKEN) + 1
    done = 0
    message = "Drawing the demo images"
    state.progress(0, total, message)
    for wnid in DEMO_SYNSETS:
        for number in range(_COUNT[wnid]):
            state.check()
            image = _picture(wnid, number)
            _write(folder / wnid / f"{wnid}_{number}.JPEG", _jpeg(image))
            done += 1
            state.progress(done, total, message)
    for code, wnid in _BROKEN:
        state.check()
        _write(folder / _broken_path(wnid), _broken(folder, code, wnid))
        done += 1
        state.progress(done, total, message)
    unsorted = _picture(None, 1, caption="no label")
    _write(folder / _UNSORTED, _jpeg(unsorted))
    state.progress(total, total, message)
    return folder


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _jpeg(image: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, **params)
    return buffer.getvalue()


@functools.lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # Pillow's bundled font: no system fonts needed


def _picture(
    wnid: str | None,
    number: int,
    size: tuple[int, int] | None = None,
    caption: str = "",
) -> Image.Image:
    """One picture: a background by subtree, a few random shapes, the lemma as text."""
    rng = random.Random(f"{wnid}-{number}-{caption}")  # str seeds are stable across runs
    width, height = size or rng.choice(_SIZES)
    base = _BACKGROUND.get(_GROUP.get(wnid or "", ""), (150, 150, 150))
    background = tuple(max(0, min(255, c + rng.randint(-24, 24))) for c in base)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 7)):
        colour = tuple(rng.randrange(256) for _ in range(3))
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randint(width // 10, width // 2), rng.randint(height // 10, height // 2)
        shape = rng.choice(("ellipse", "rectangle", "triangle"))
        if shape == "ellipse":
            draw.ellipse((x - w // 2, y - h // 2, x + w // 2, y + h // 2), fill=colour)
        elif shape == "rectangle":
            draw.rectangle((x - w // 2, y - h // 2, x + w // 2, y + h // 2), fill=colour)
        else:
            draw.polygon(
                [(x, y - h // 2), (x - w // 2, y + h // 2), (x + w // 2, y + h // 2)], colour
            )
    lemma = _LEMMA.get(wnid or "", "unsorted")
    _text(draw, lemma, (width // 2, height * 2 // 3), max(14, width // 11))
    detail = f"{wnid or ''} #{number}" + (f" · {caption}" if caption else "")
    _text(draw, detail, (width // 2, height - max(12, height // 14)), max(11, width // 28))
    return image


def _text(draw: ImageDraw.ImageDraw, text: str, centre: tuple[int, int], size: int) -> None:
    font = _font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=2)
    x = centre[0] - (right - left) // 2 - left
    y = centre[1] - (bottom - top) // 2 - top
    draw.text((x, y), text, font=font, fill="white", stroke_width=2, stroke_fill="black")


def _broken(folder: Path, code: str, wnid: str) -> bytes:
    number = _COUNT[wnid]
    caption = code.replace("_", " ")
    if code == "zero_byte":
        return b""
    if code == "duplicate":
        return (folder / _DUPLICATED).read_bytes()
    if code == "tiny":
        return _jpeg(_picture(wnid, number, size=(20, 20), caption=caption))
    picture = _picture(wnid, number, caption=caption)
    if code == "truncated":
        data = _jpeg(picture)
        return data[: len(data) * 3 // 5]  # the bottom of the picture is missing
    if code == "extension_mismatch":  # a PNG named .JPEG, as ILSVRC's n02105855_2933.JPEG
        buffer = io.BytesIO()
        picture.save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()
    if code == "cmyk":
        return _jpeg(picture.convert("CMYK"))
    if code == "grayscale":
        return _jpeg(picture.convert("L"))
    if code == "exif_rotated":
        # Stored turned a quarter left; Orientation 6 tells viewers to turn it back upright.
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = 6
        return _jpeg(picture.transpose(Image.Transpose.ROTATE_90), exif=exif)
    raise AssertionError(code)


# --- the demo catalogue ---------------------------------------------------------------


def ensure_demo_catalogue(
    data_dir: str | os.PathLike[str] | None = None,
    nouns: Container[str] | None = None,
    state: JobState | None = None,
) -> Path:
    """The demo's catalogue, indexed and audited; made on first use, reused afterwards.

    The images live in ``<data dir>/demo/images``, the catalogue in
    ``<data dir>/demo/demo.sqlite``. Either is made again when it is missing, damaged or
    out of date (a demo image deleted or changed, a catalogue that no longer opens). A
    reuse costs a few milliseconds; making it, a few seconds. ``nouns`` is the set of
    WordNet 3.0 noun wnids (:func:`explorer.core.wordnet.taxonomy.load_noun_wnids` when ``None``,
    needed only when the catalogue is indexed). Progress and cancellation go through
    ``state``; a cancel leaves nothing half-made behind. Raises
    :class:`~explorer.core.errors.CatalogueError` when the data directory is not writable.

    >>> with Catalogue.open(ensure_demo_catalogue(catalogue.source.parents[1])) as demo:
    ...     demo.summary(taxonomy.graph)["images"]
    322
    """
    state = state or JobState()
    root = paths.data_dir(data_dir) / "demo"
    images, catalogue = root / "images", root / "demo.sqlite"
    try:
        root.mkdir(parents=True, exist_ok=True)
        files = _intact_files(images, root / _MANIFEST)
        if files is None:
            _remove_catalogue(catalogue)
            files = _regenerate(root, images, state)
        audited = _catalogue_state(catalogue, images, files)
        if audited is None:
            _remove_catalogue(catalogue)
            if nouns is None:
                nouns = load_noun_wnids(data_dir=data_dir, state=state)
            index_catalogue(images, nouns=nouns, catalogue=catalogue, layout="folders", state=state)
        if not audited:  # never audited, or an audit stopped part way: it resumes
            audit_catalogue(catalogue, state=state)
    except OSError as exc:
        raise CatalogueError(
            f"Cannot write the demo into {root} ({exc}); choose a writable data directory "
            "with --data-dir or WNEXPLORER_DATA_DIR."
        ) from exc
    return catalogue


def _intact_files(images: Path, manifest: Path) -> int | None:
    """The number of demo files when every one is there as it was drawn; else None."""
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        if recorded.get("version") != _VERSION:
            return None
        for relative, size in recorded["files"].items():
            if (images / relative).stat().st_size != size:
                return None
        return len(recorded["files"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _regenerate(root: Path, images: Path, state: JobState) -> int:
    """Draw the demo into a temporary folder and move it into place; return its file count."""
    (root / _MANIFEST).unlink(missing_ok=True)
    for leftover in root.glob("images.tmp-*"):  # from a run that crashed an hour ago or more
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > 3600:
                shutil.rmtree(leftover)
    # 0755, not mkdtemp's 0700; not fsync'd: it is drawn again when it is not intact
    with atomic_path(
        images, folder=True, mode=0o755, prefix="images.tmp-", suffix="", sync=False
    ) as temp:
        make_demo_dataset(temp, state)
        if images.exists():
            shutil.rmtree(images)
    files = {
        path.relative_to(images).as_posix(): path.stat().st_size
        for path in sorted(images.rglob("*"))
        if path.is_file()
    }
    record = {"version": _VERSION, "files": files}
    write_file(root / _MANIFEST, json.dumps(record, indent=1), mode=UMASK)
    return len(files)


def _catalogue_state(catalogue: Path, images: Path, files: int) -> bool | None:
    """True: current and audited; False: current, audit unfinished; None: make it again."""
    if not catalogue.is_file():
        return None
    try:
        with Catalogue.open(catalogue) as opened:
            if opened.meta.get("source") != str(images.resolve()):
                return None
            present = opened.present_count()
            if present != files:
                return None
            return opened.audited_count() == present  # the demo has nothing outside its root
    except CatalogueError:
        return None


def _remove_catalogue(catalogue: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{catalogue}{suffix}").unlink(missing_ok=True)
