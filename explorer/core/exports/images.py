"""Images of chosen nodes: selected (overlaps, flags, audit failures, balance), listed, and
laid out as superclass subsets or ImageNet-style folders (see export)."""

from __future__ import annotations

import os
import random
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.core.csv_cells import csv_text
from explorer.core.errors import ExportError
from explorer.core.exports.choices import (
    FLAGGED_CHOICES,
    FOLDER_MODES,
    IMAGE_FORMATS,
    OVERLAP_CHOICES,
    Flagged,
    FolderMode,
    ImageFormat,
    OnOverlap,
    check_choice,
)
from explorer.core.files import UMASK, atomic_path
from explorer.core.images import open_regular_file
from explorer.core.text import plural

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue, ImageRow
    from explorer.core.curation import FlagStore
    from explorer.core.wordnet import Taxonomy
from explorer.core.exports.classmaps import _check_unique, classmap_text
from explorer.core.exports.writing import ExportReport, _json, write_atomically

# --- images of chosen nodes -----------------------------------------------------------------


Assigned = tuple["ImageRow", int]  # an image and the index of its class in the chosen nodes


@dataclass
class Selection:
    """Images of a catalogue under chosen nodes, each assigned to one chosen node."""

    chosen: list[str]
    images: list[Assigned]  # sorted by class then path
    report: ExportReport
    overlapping: list[tuple[str, list[str]]]  # (label, chosen nodes it is under)


def select_images(
    taxonomy: Taxonomy,
    catalogue: Catalogue,
    chosen: Sequence[str],
    store: FlagStore | None = None,
    flagged: Flagged = "exclude",
    audit_failures: bool = False,
    on_overlap: OnOverlap = "specific",
    balance: int | None = None,
    seed: int = 0,
    allow_outside_root: bool = False,
) -> Selection:
    """Assign each image under the chosen nodes to one of them, leave out images outside
    the root, flagged and unusable images, and cap each class at ``balance`` (a seeded,
    reproducible sample)."""
    from explorer.core.images import FAILURE_CODES

    check_choice("flagged", flagged, FLAGGED_CHOICES)
    check_choice("on_overlap", on_overlap, OVERLAP_CHOICES)
    _check_balance(balance)
    _check_unique(chosen)
    for wnid in chosen:
        taxonomy.node(wnid)
    under = [taxonomy.descendants(w) | {w} for w in chosen]
    label_counts = catalogue.label_counts()
    labels = [w for w in label_counts if w is not None and w in taxonomy]
    assigned: dict[str, int] = {}
    given = [0] * len(chosen)  # images given to each class
    lost: list[Counter[int]] = [Counter() for _ in chosen]  # overlaps given to another: to whom
    overlapping: list[tuple[str, list[str]]] = []
    for label in sorted(labels):
        hits = [i for i, nodes in enumerate(under) if label in nodes]
        if not hits:
            continue
        if len(hits) > 1:
            overlapping.append((label, [chosen[i] for i in hits]))
            if on_overlap == "fail":
                continue
        assigned[label] = winner = _most_specific(taxonomy, chosen, hits, under)
        given[winner] += label_counts[label]
        for i in hits:
            if i != winner:
                lost[i][winner] += label_counts[label]
    report = ExportReport(classes=len(chosen))
    if overlapping and on_overlap == "fail":
        shown = "; ".join(f"{label} under {', '.join(nodes)}" for label, nodes in overlapping[:5])
        raise ExportError(
            f"{len(overlapping)} synsets with images are under several chosen nodes ({shown}"
            f"{'; ...' if len(overlapping) > 5 else ''}). Choose nodes that do not overlap, "
            "or give each image to its most specific node (--on-overlap specific)."
        )
    states = store.states() if store is not None else {}
    left_out = {"outside_root": 0, "flagged": 0, "not_flagged": 0, "audit_failure": 0}
    overlap_images = {label for label, _nodes in overlapping}
    images: list[Assigned] = []
    for row in catalogue.images(sorted(assigned)):
        if row.outside_root and not allow_outside_root:
            left_out["outside_root"] += 1
            continue
        is_flagged = bool(states.get(row.path) and states[row.path].flags)
        if flagged == "exclude" and is_flagged:
            left_out["flagged"] += 1
            continue
        if flagged == "only" and not is_flagged:
            left_out["not_flagged"] += 1
            continue
        if not audit_failures and FAILURE_CODES.intersection(row.problems):
            left_out["audit_failure"] += 1
            continue
        assert row.wnid is not None  # the images of the labels assigned
        images.append((row, assigned[row.wnid]))
    if balance is not None:
        images, capped = _balance(images, balance, seed)
        left_out["over_balance"] = capped
    images.sort(key=lambda item: (item[1], item[0].path))
    report.overlaps = sum(1 for row, _index in images if row.wnid in overlap_images)
    report.rows = len(images)
    report.left_out = {k: v for k, v in left_out.items() if v}
    report.per_class = dict.fromkeys(chosen, 0)  # a class left empty is worth seeing
    for _row, index in images:
        report.per_class[chosen[index]] += 1
    for i, wnid in enumerate(chosen):
        if not report.per_class[wnid]:
            report.warnings.append(_why_empty(taxonomy, wnid, given[i], lost[i], chosen))
    return Selection(list(chosen), images, report, overlapping)


def _why_empty(
    taxonomy: Taxonomy, wnid: str, given: int, lost: Counter[int], chosen: Sequence[str]
) -> str:
    """Why a chosen class has no image: overlaps that went elsewhere, filters, or none at all."""

    def name(w: str) -> str:
        return f"{w} ({taxonomy.node(w)['lemmas'][0]})"

    why = []
    if lost:
        count = sum(lost.values())
        others = ", ".join(name(chosen[i]) for i in sorted(lost))
        those = "that more specific chosen node" if len(lost) == 1 else "those more specific nodes"
        why.append(
            f"its {plural(count, 'image')} {'is' if count == 1 else 'are'} also under {others} "
            f"and went to {those} (--on-overlap fail lists the overlaps)"
        )
    if given:
        why.append(
            f"the {plural(given, 'image')} given to it {'was' if given == 1 else 'were'} left out"
        )
    return f"{name(wnid)} is empty: {'; '.join(why) or 'the catalogue has no images under it'}."


def _most_specific(
    taxonomy: Taxonomy, chosen: Sequence[str], hits: list[int], under: list[set[str]]
) -> int:
    for i in hits:  # under every other hit: the most specific in the DAG's own order
        if all(chosen[i] in under[j] for j in hits if j != i):
            return i
    return max(hits, key=lambda i: (taxonomy.node(chosen[i])["min_depth"], -i))


def _check_balance(balance: int | None) -> None:
    if balance is not None and balance < 1:
        raise ValueError(f"balance: the cap per class must be at least 1, not {balance}")


def _balance(images: list[Assigned], cap: int, seed: int) -> tuple[list[Assigned], int]:
    by_class: dict[int, list[Assigned]] = {}
    for item in sorted(images, key=lambda item: item[0].path):
        by_class.setdefault(item[1], []).append(item)
    kept: list[Assigned] = []
    capped = 0
    for index in sorted(by_class):
        members = by_class[index]
        if len(members) > cap:
            capped += len(members) - cap
            members = random.Random(f"{seed}:{index}").sample(members, cap)
        kept.extend(members)
    return kept, capped


def image_list_text(
    catalogue: Catalogue, selection: Selection, fmt: ImageFormat = "csv", absolute: bool = False
) -> str:
    """The images of ``selection`` with their class index: CSV (path, wnid, class_index,
    class_wnid) or ``path index`` lines; paths relative to the root unless ``absolute``."""
    check_choice("format", fmt, IMAGE_FORMATS)

    def path_of(row: ImageRow) -> str:
        if not absolute:
            return row.path
        file = catalogue.absolute_path(row.path, row.raw_path)
        return os.fsdecode(file)

    if fmt == "txt":
        return "".join(f"{path_of(row)} {index}\n" for row, index in selection.images)
    rows = [
        {
            "path": path_of(row),
            "wnid": row.wnid,
            "class_index": index,
            "class_wnid": selection.chosen[index],
        }
        for row, index in selection.images
    ]
    return csv_text(rows, ("path", "wnid", "class_index", "class_wnid"))


def _write_superclasses(
    taxonomy: Taxonomy,
    catalogue: Catalogue,
    selection: Selection,
    folder: str | os.PathLike[str],
    parents: bool,
) -> None:
    """A BREEDS-style subset in ``folder``: images.csv, classes.txt (LOC style), classes.json
    and overlaps.json (the synsets under several chosen nodes)."""
    target = Path(folder)
    try:
        target.mkdir(parents=parents, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot make {target}: {exc.strerror or exc}") from exc
    outputs = {
        "images.csv": image_list_text(catalogue, selection, "csv"),
        "classes.txt": classmap_text(taxonomy, selection.chosen, "loc"),
        "classes.json": classmap_text(taxonomy, selection.chosen, "json"),
        "overlaps.json": _json(
            [{"wnid": label, "under": nodes} for label, nodes in selection.overlapping]
        ),
    }
    for name, text in outputs.items():
        write_atomically(target / name, text)
        selection.report.outputs.append(str(target / name))


# --- ImageNet-style folder layout ---------------------------------------------------------


def _check_new_folder(folder: str | os.PathLike[str]) -> None:
    target = Path(folder)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ExportError(f"{target} exists and is not empty; choose a new folder.")


_NO_HARD_LINKS_OUT = (
    "{} outside the catalogue root left out all the same: hard links are never made to a file "
    "outside the root (--mode copy or symlink includes them)."
)


def _write_folders(
    catalogue: Catalogue,
    selection: Selection,
    folder: str | os.PathLike[str],
    mode: FolderMode,
    parents: bool,
    allow_outside_root: bool = False,
) -> None:
    """``folder/<class wnid>/<file name>`` for each selected image: links or copies.

    Built in a temporary folder beside ``folder`` and renamed into place, so a
    half-made tree is never left; ``folder`` must not exist yet (or be empty).

    The tree may be shared, and a link or copy in it gives the file itself:
    so the real place of each file is checked first, links followed, and a
    file outside the root is left out even when the catalogue's mark did not
    see it (a link shipped beside a manifest, or made since the index). With
    ``allow_outside_root`` it is linked or copied all the same, hard-linked
    never.
    """
    check_choice("mode", mode, FOLDER_MODES)
    target = Path(folder)
    _check_new_folder(target)
    try:
        # the tree is for others too: the umask's mode, not mkdtemp's 0700
        with atomic_path(target, folder=True, mode=UMASK, parents=parents, sync=False) as work:
            _fill_folders(catalogue, selection, work, mode, allow_outside_root)
            if target.exists():
                target.rmdir()
    except OSError as exc:
        raise ExportError(f"Cannot make {target}: {exc}") from exc
    selection.report.outputs.append(str(target))


def _fill_folders(
    catalogue: Catalogue,
    selection: Selection,
    work: Path,
    mode: FolderMode,
    allow_outside_root: bool,
) -> None:
    """Link or copy each selected image into ``work/<class wnid>/``."""
    taken: set[tuple[int, str]] = set()
    numbers: dict[tuple[int, str], int] = {}  # a name met again: the next number to try
    report = selection.report
    check = mode == "hardlink" or not allow_outside_root
    for row, index in selection.images:
        source = catalogue.absolute_path(row.path, row.raw_path)
        name = os.fsdecode(os.path.basename(source))
        if check:  # linked or copied from the very place that was checked
            source, outside = catalogue.real_location(source)
            if outside:
                report.left_out["outside_root"] = report.left_out.get("outside_root", 0) + 1
                report.rows -= 1
                report.per_class[selection.chosen[index]] -= 1
                continue
        class_folder = work / selection.chosen[index]
        class_folder.mkdir(exist_ok=True)
        number = numbers.get((index, name), 1)
        while True:  # same file name from two synsets of one class: x~2.JPEG, x~3.JPEG...
            given = _file_name(name, number)
            number += 1
            if (index, given) in taken:
                continue
            try:
                _place(source, class_folder / given, mode)
            except FileExistsError:  # a file system that folds case or normalises names
                continue
            break
        taken.add((index, given))
        if number > 2:
            numbers[(index, name)] = number


_NAME_MAX = 255  # bytes in a file name, on Linux, macOS and Windows file systems alike


def _file_name(name: str, number: int) -> str:
    """``name``, or ``stem~N.ext`` for N > 1, cut to _NAME_MAX bytes keeping the extension."""
    stem, ext = os.path.splitext(name)
    if len(os.fsencode(ext)) > 16:  # no extension, just a dot somewhere in a long name
        stem, ext = name, ""
    tail = f"~{number}{ext}" if number > 1 else ext
    room = _NAME_MAX - len(os.fsencode(tail))
    while len(os.fsencode(stem)) > room:  # by whole characters: the name stays valid UTF-8
        stem = stem[:-1]
    return stem + tail


def _place(source: str | bytes, target: Path, mode: FolderMode) -> None:
    if mode == "symlink":
        os.symlink(os.path.abspath(source), target)
    elif mode == "hardlink":  # source is a real path: a link put there since is not followed
        os.link(source, target, follow_symlinks=False)
    else:
        _copy(source, target)


def _copy(source: str | bytes, target: Path) -> None:
    """``shutil.copy2`` through the guarded opener: a FIFO or a link to /dev/zero listed by
    the catalogue fails at once instead of blocking, or filling the disk."""
    with open_regular_file(source) as reader, open(target, "xb") as writer:
        shutil.copyfileobj(reader, writer)
    shutil.copystat(source, target)
