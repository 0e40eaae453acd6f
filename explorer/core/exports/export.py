"""Exports for training code: subtree lists, image lists, class maps, superclass subsets, folders.

Every export is sorted (the same inputs give the same bytes), written to a
temporary name and renamed into place (a reader never sees half a file), and
returns an :class:`ExportReport` of what it wrote. Files and folders get the
modes the umask gives (0644 and 0755 with umask 022), as ``cp`` and ``mkdir``
make them; an output's folder must exist unless ``parents`` asks for it.

Images under several chosen nodes (easy in a DAG: a dog is under both
"domestic animal" and "carnivore") are *overlaps*. ``on_overlap="fail"``
raises an ExportError that lists them; ``"specific"`` gives each to its most
specific chosen node: one that descends from every other chosen node it is
under, else the deepest (greatest minimum depth), else the first chosen.

Images are left out when they lie outside the catalogue root
(:meth:`Catalogue.outside_root_paths`; keep them with
``allow_outside_root=True``, except in hard links, which are never made to
a file outside the root), when flagged (``flagged="exclude"``, the default;
``"include"`` keeps them, ``"only"`` keeps only them) or when their audit
found them unusable (:data:`explorer.core.images.audit.FAILURE_CODES`; keep them
with ``audit_failures=True``).

The kinds, formats and options are spelled once, in :mod:`.choices`; another value
is a ValueError.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from explorer.core.csv_cells import csv_text
from explorer.core.errors import ExportError
from explorer.core.exports.choices import (
    CLASSMAP_FORMATS,
    EXPORT_KINDS,
    FLAGGED_CHOICES,
    FOLDER_KINDS,
    FOLDER_MODES,
    FORMATS,
    IMAGE_FORMATS,
    IMAGE_KINDS,
    OVERLAP_CHOICES,
    SUBTREE_FORMATS,
    ClassmapFormat,
    ExportFormat,
    ExportKind,
    Flagged,
    FolderMode,
    ImageFormat,
    OnOverlap,
    SubtreeFormat,
    check_choice,
)
from explorer.core.exports.tree import TreeNode, nested_subtree
from explorer.core.files import UMASK, atomic_path, write_file
from explorer.core.images import open_regular_file
from explorer.core.text import plural

if TYPE_CHECKING:
    from explorer.core.analysis import Counts
    from explorer.core.catalogue import Catalogue, ImageRow
    from explorer.core.curation import FlagStore
    from explorer.core.wordnet import Taxonomy


@dataclass
class ExportReport:
    """What an export wrote, for the user."""

    outputs: list[str] = field(default_factory=list)
    rows: int = 0
    classes: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> images
    overlaps: int = 0  # images under several chosen nodes (given to the most specific)
    per_class: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. a class left empty, and why


# --- writing ------------------------------------------------------------------------------


def write_atomically(path: str | os.PathLike[str], text: str, parents: bool = False) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync, rename over ``path``
    (:func:`explorer.core.files.atomic_path`); an ExportError when it cannot be written.

    The file gets the umask's mode (a temporary file is 0600: a file written for
    others to read must be readable by them). ``parents``: create the missing
    folders (``mkdir -p``); else a missing folder is an error.
    """
    path = Path(path)
    _check_folder_of(path, parents)
    try:
        write_file(path, text, mode=UMASK, parents=parents)
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from exc


def _check_folder_of(output: str | os.PathLike[str], parents: bool) -> None:
    """The folder ``output`` goes into must exist, unless ``parents`` will create it."""
    folder = Path(output).parent
    if not parents and not folder.exists():
        raise ExportError(f"The folder {folder} does not exist; create it or pass --parents.")


def _json(data: object) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


# --- subtree lists -------------------------------------------------------------------------


class SubtreeRow(TypedDict):
    """A synset of a subtree list (:func:`subtree_rows`), as its JSON and CSV show it."""

    wnid: str
    name: str
    lemmas: list[str]
    gloss: str
    depth: int  # the synset's own depth in WordNet (its shortest path to the top)
    level: int  # its fewest steps down from the subtree's top
    direct: int | None  # images of the synset itself (None: not counted)
    subtree: int | None  # images of it and everything under it, each once


def subtree_rows(
    taxonomy: Taxonomy,
    wnid: str,
    leaves_only: bool = False,
    counts: Counts | None = None,
    with_images: bool = False,
    depth: int | None = None,
) -> list[SubtreeRow]:
    """The synsets under ``wnid`` (itself included), by wnid, with their details.

    ``depth``: at most this many levels below ``wnid`` (along the shortest path);
    ``with_images``: only synsets whose subtree holds images (needs ``counts``).

    >>> rows = subtree_rows(taxonomy, "n02085374", counts=counts, with_images=True)  # toy dog
    >>> [(row["name"], row["level"], row["direct"], row["subtree"]) for row in rows]
    [('toy_dog.n.01', 0, 4, 37), ('chihuahua.n.03', 1, 18, 18), ('pekinese.n.01', 1, 15, 15)]
    """
    if with_images and counts is None:
        raise ExportError("Only synsets with images: give a catalogue to count them.")
    below = _levels_below(taxonomy, wnid, depth)
    rows: list[SubtreeRow] = []
    for node in sorted(below):
        if leaves_only and taxonomy.child_count(node):
            continue
        direct = subtree = None
        if counts is not None:
            direct, subtree = (
                int(counts.direct[counts.index[node]]),
                int(counts.subtree[counts.index[node]]),
            )
            if with_images and not subtree:
                continue
        data = taxonomy.node(node)
        rows.append(
            {
                "wnid": node,
                "name": data["name"],
                "lemmas": list(data["lemmas"]),
                "gloss": data["gloss"],
                "depth": data["min_depth"],
                "level": below[node],
                "direct": direct,
                "subtree": subtree,
            }
        )
    return rows


def _levels_below(taxonomy: Taxonomy, wnid: str, depth: int | None) -> dict[str, int]:
    """Every synset under ``wnid`` with its fewest steps down from it (breadth first)."""
    taxonomy.node(wnid)  # a clear error for an unknown wnid
    levels = {wnid: 0}
    frontier = [wnid]
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        nxt = []
        for node in frontier:
            for child in taxonomy.graph.successors(node):
                if child not in levels:
                    levels[child] = level
                    nxt.append(child)
        frontier = nxt
    return levels


def format_subtree(
    taxonomy: Taxonomy,
    wnid: str,
    rows: list[SubtreeRow],
    fmt: SubtreeFormat,
    depth: int | None = None,
) -> str:
    """``rows`` (:func:`subtree_rows` of ``wnid``) as a wnid list, CSV, JSON list, or the
    nested tree (:func:`nested_subtree`, ``depth`` levels deep)."""
    check_choice("format", fmt, SUBTREE_FORMATS)
    if fmt == "txt":
        return "".join(f"{row['wnid']}\n" for row in rows)
    if fmt == "csv":
        flat = [{**row, "lemmas": "; ".join(row["lemmas"])} for row in rows]
        fields = ("wnid", "name", "lemmas", "gloss", "depth", "level", "direct", "subtree")
        return csv_text(flat, fields)
    if fmt == "json":
        return _json(rows)
    return _json(nested_subtree(taxonomy, wnid, depth, {row["wnid"]: row for row in rows}))


# --- class maps -----------------------------------------------------------------------------


def classmap_text(taxonomy: Taxonomy, wnids: Sequence[str], fmt: ClassmapFormat = "loc") -> str:
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


# --- one entry for every export: the window's dialog and the CLI ---------------------------


@dataclass
class ExportRequest:
    """One export, as the window's dialog or a command line describes it.

    ValueError at once for a choice not in :mod:`.choices` (a format the kind has not,
    say), a negative depth or a balance under 1.
    """

    kind: ExportKind
    wnids: list[str]
    output: str | None = None  # a file (a folder for superclasses and folders); None: preview
    fmt: ExportFormat | None = None  # one of FORMATS[kind]; None: the kind's first
    leaves_only: bool = False  # subtree
    with_images: bool = False  # subtree
    depth: int | None = None  # subtree
    flagged: Flagged = "exclude"  # image kinds
    audit_failures: bool = False
    on_overlap: OnOverlap = "specific"
    balance: int | None = None  # superclasses
    seed: int = 0
    absolute: bool = False  # images
    allow_outside_root: bool = False  # image kinds; never in hard links
    mode: FolderMode = "symlink"  # folders
    parents: bool = False  # create the output's missing folders (else they are an error)

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, EXPORT_KINDS)
        if self.fmt is not None:
            check_choice(f"format of a {self.kind} export", self.fmt, FORMATS[self.kind])
        check_choice("flagged", self.flagged, FLAGGED_CHOICES)
        check_choice("on_overlap", self.on_overlap, OVERLAP_CHOICES)
        check_choice("mode", self.mode, FOLDER_MODES)
        if self.depth is not None and self.depth < 0:
            raise ValueError(f"depth: {self.depth} is negative")
        _check_balance(self.balance)

    @property
    def format(self) -> ExportFormat | None:
        """The format written: ``fmt``, else the kind's first (None for the folder kinds)."""
        formats = FORMATS[self.kind]
        return self.fmt or (formats[0] if formats else None)

    def needs_catalogue(self) -> bool:
        return self.kind in IMAGE_KINDS or self.with_images


@dataclass
class ExportResult:
    report: ExportReport
    text: str | None = None  # the export itself, for kinds that are one text (not folders)
    overlapping: list[tuple[str, list[str]]] = field(default_factory=list)


def run_export(
    request: ExportRequest,
    taxonomy: Taxonomy,
    catalogue_path: str | os.PathLike[str] | None = None,
) -> ExportResult:
    """Compute ``request`` and write it when it names an output (else: a preview).

    Opens its own catalogue and flag store (``catalogue_path``), so it can run on
    a worker thread.

    >>> request = ExportRequest("images", ["n02512053"], output="fish.csv")  # the demo's fish
    >>> report = run_export(request, taxonomy, catalogue_path).report
    >>> report.outputs, report.rows, report.left_out
    (['fish.csv'], 47, {'audit_failure': 2})
    >>> dogs_birds = ExportRequest("folders", ["n02084071", "n01503061"], output="out", balance=5)
    >>> report = run_export(dogs_birds, taxonomy, catalogue_path).report
    >>> report.per_class, sorted(os.listdir("out")), len(os.listdir("out/n01503061"))
    ({'n02084071': 5, 'n01503061': 5}, ['n01503061', 'n02084071'], 5)
    """
    from contextlib import ExitStack

    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore

    if not request.wnids:
        raise ExportError("Choose at least one synset.")
    if request.needs_catalogue() and catalogue_path is None:
        raise ExportError("This export needs a catalogue: open or index one first.")
    if request.output is not None:  # before the work, not after it
        _check_folder_of(request.output, request.parents)
        if request.kind == "folders":
            _check_new_folder(request.output)
    with ExitStack() as stack:
        catalogue: Catalogue | None = None
        store: FlagStore | None = None
        if catalogue_path is not None and (request.needs_catalogue() or request.kind == "subtree"):
            catalogue = stack.enter_context(Catalogue.open(catalogue_path))
            store = stack.enter_context(FlagStore.open_for(catalogue_path))
        return _run(request, taxonomy, catalogue, store)


def _run(
    request: ExportRequest,
    taxonomy: Taxonomy,
    catalogue: Catalogue | None,
    store: FlagStore | None,
) -> ExportResult:
    kind, output = request.kind, request.output
    if kind == "subtree":
        counts = None
        if catalogue is not None:
            from explorer.core.analysis import compute_counts

            counts = compute_counts(taxonomy, catalogue.direct_counts(taxonomy.graph))
        fmt = check_choice("format", request.format, SUBTREE_FORMATS)
        trees: list[TreeNode] = []
        rows_by_wnid: dict[str, SubtreeRow] = {}
        for wnid in request.wnids:  # several nodes: the union of their subtrees
            rows = subtree_rows(
                taxonomy, wnid, request.leaves_only, counts, request.with_images, request.depth
            )
            rows_by_wnid.update((row["wnid"], row) for row in rows)
            if fmt == "tree-json":
                chosen = {row["wnid"]: row for row in rows}
                trees.append(nested_subtree(taxonomy, wnid, request.depth, chosen))
        rows = [rows_by_wnid[w] for w in sorted(rows_by_wnid)]
        if fmt == "tree-json":
            text = _json(trees[0] if len(trees) == 1 else trees)
        else:
            text = format_subtree(taxonomy, request.wnids[0], rows, fmt)
        result = ExportResult(ExportReport(rows=len(rows)), text)
    elif kind == "classmap":
        text = classmap_text(
            taxonomy, request.wnids, check_choice("format", request.format, CLASSMAP_FORMATS)
        )
        result = ExportResult(ExportReport(rows=len(request.wnids)), text)
    else:
        assert catalogue is not None  # opened by run_export: every image kind needs one
        hard_links = kind == "folders" and request.mode == "hardlink"
        selection = select_images(
            taxonomy,
            catalogue,
            request.wnids,
            store=store,
            flagged=request.flagged,
            audit_failures=request.audit_failures,
            on_overlap=request.on_overlap,
            balance=request.balance,
            seed=request.seed,
            allow_outside_root=request.allow_outside_root and not hard_links,
        )
        outside = selection.report.left_out.get("outside_root")
        if hard_links and request.allow_outside_root and outside:
            selection.report.warnings.append(_NO_HARD_LINKS_OUT.format(plural(outside, "image")))
        text = None
        if kind == "images":
            image_format = check_choice("format", request.format, IMAGE_FORMATS)
            text = image_list_text(catalogue, selection, image_format, request.absolute)
        elif kind == "superclasses":
            text = image_list_text(catalogue, selection, "csv")
        result = ExportResult(selection.report, text, selection.overlapping)
        if output is not None and kind == "superclasses":
            _write_superclasses(taxonomy, catalogue, selection, output, request.parents)
        elif output is not None and kind == "folders":
            _write_folders(
                catalogue,
                selection,
                output,
                request.mode,
                request.parents,
                request.allow_outside_root,
            )
    if output is not None and kind not in FOLDER_KINDS:
        assert result.text is not None  # every kind but the folder ones is one text
        write_atomically(output, result.text, request.parents)
        result.report.outputs.append(str(output))
    return result
