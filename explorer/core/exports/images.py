"""Images of chosen nodes: selected (overlaps, flags, audit failures, balance), listed, and
laid out as superclass subsets or ImageNet-style folders (see export)."""

from __future__ import annotations

import csv
import itertools
import os
import random
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from explorer.core import catalogue as catalogues  # lazy: a subtree list reads none
from explorer.core.csv_cells import _QUOTED_STARTS, write_cell
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
from explorer.core.exports.classmaps import _check_unique, classmap_text
from explorer.core.exports.writing import (
    ExportReport,
    _json,
    write_atomically,
    write_streaming,
)
from explorer.core.files import UMASK, atomic_path
from explorer.core.images import open_regular_file
from explorer.core.text import plural

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import TaxonomyView

    Ids = npt.NDArray[np.int32]
    Bitmap = npt.NDArray[np.bool_]

# --- images of chosen nodes -----------------------------------------------------------------

WINDOW = 1 << 14  # images read and written at a time: a few MB whatever the catalogue's size


@dataclass(frozen=True, slots=True)
class Window:
    """Consecutive selected images, in natural path order: parallel lists."""

    paths: list[str]
    raw_paths: list[bytes | None]
    wnids: list[str]  # each image's label
    classes: list[int]  # the index of its class in the chosen nodes

    def __len__(self) -> int:
        return len(self.paths)


@dataclass
class Selection:
    """Images of a catalogue under chosen nodes, each assigned to one chosen node.

    Made by :func:`select_images` from the catalogue's stored path order
    (:mod:`explorer.core.catalogue.orders`) without reading a row: the report's
    counts are known before anything is written. :meth:`windows` then reads the
    images by windows, in natural path order (n01_2 before n01_10).
    """

    chosen: list[str]
    report: ExportReport
    overlapping: list[tuple[str, list[str]]]  # (label, chosen nodes it is under)
    _catalogue: Catalogue
    _labels: list[str]  # the catalogue's label numbers' wnids
    _class_of: Ids  # class index of each label number (-1: none); the last slot is NO_LABEL's
    _dropped: Bitmap | None  # by image id: left out by a filter (None: none is)
    _picked: Bitmap | None  # --balance: by rank in its class, kept (None: no cap)
    _starts: Ids | None  # the first rank of each class in _picked

    def windows(
        self, state: JobState | None = None, size: int = WINDOW, raw_paths: bool = False
    ) -> Iterator[Window]:
        """The selected images, ``size`` at a time, in natural path order (with their raw
        paths if asked: else Nones); cancel through ``state``, and progress when there is
        more than a window (a long export)."""
        done = 0
        report = state if state is not None and self.report.rows > WINDOW else None
        for ids, labels, classes in self._kept(state):
            for start in range(0, len(ids), size):
                paths, raws = self._catalogue.paths_by_ids(ids[start : start + size], raw_paths)
                numbers = labels[start : start + size].tolist()
                wnids = list(map(self._labels.__getitem__, numbers))
                yield Window(paths, raws, wnids, classes[start : start + size].tolist())
                done += len(paths)
                if report is not None:
                    report.progress(done, self.report.rows, "Writing the images")

    def items(self, state: JobState | None = None) -> Iterator[tuple[str, str, int]]:
        """(path, label, class index) of each selected image, in natural path order."""
        for window in self.windows(state):
            yield from zip(window.paths, window.wnids, window.classes, strict=True)

    def _kept(self, state: JobState | None) -> Iterator[tuple[Ids, Ids, Ids]]:
        """Per stored chunk: the ids, label numbers and classes of the images kept."""
        import numpy as np

        seen = np.zeros(len(self.chosen), np.int64)  # images of each class met so far
        for ids, labels in catalogues.order_chunks(self._catalogue, "path"):
            if state is not None:
                state.check()
            classes = self._class_of[labels]
            mask = classes >= 0
            if self._dropped is not None:
                mask[mask] = ~self._dropped[ids[mask]]
            ids, labels, classes = ids[mask], labels[mask], classes[mask]
            if self._picked is not None and self._starts is not None:
                ranks = _ranks_in_class(classes, seen)
                keep = self._picked[self._starts[classes] + ranks]
                ids, labels, classes = ids[keep], labels[keep], classes[keep]
            if len(ids):
                yield ids, labels, classes


def _ranks_in_class(classes: Ids, seen: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The rank of each image in its class, counting the ``seen`` before (updated)."""
    import numpy as np

    order = np.argsort(classes, kind="stable")
    grouped = classes[order]
    first = np.searchsorted(grouped, grouped, side="left")
    ranks = np.empty(len(classes), np.int64)
    ranks[order] = np.arange(len(classes)) - first + seen[grouped]
    seen += np.bincount(classes, minlength=len(seen))
    return ranks


def select_images(
    taxonomy: TaxonomyView,
    catalogue: Catalogue,
    chosen: Sequence[str],
    store: FlagStore | None = None,
    flagged: Flagged = "exclude",
    audit_failures: bool = False,
    on_overlap: OnOverlap = "specific",
    balance: int | None = None,
    seed: int = 0,
    allow_outside_root: bool = False,
    state: JobState | None = None,
) -> Selection:
    """Assign each image under the chosen nodes to one of them, leave out images outside
    the root, flagged and unusable images, and cap each class at ``balance`` (a seeded,
    reproducible sample).

    Decided per label (the chosen nodes over each label, once) and per image id
    (the filters as bitmaps), in passes over the stored path order: memory is a
    few bytes per image id, whatever the catalogue's size.

    >>> fish = select_images(taxonomy, catalogue, ["n02512053"])  # the demo's fish
    >>> fish.report.rows, fish.report.left_out
    (47, {'audit_failure': 2})
    >>> [path for path, _label, _class in fish.items()][9:11]  # natural order: 9 before 10
    ['n01440764/n01440764_9.JPEG', 'n01440764/n01440764_10.JPEG']
    """
    import numpy as np

    check_choice("flagged", flagged, FLAGGED_CHOICES)
    check_choice("on_overlap", on_overlap, OVERLAP_CHOICES)
    _check_balance(balance)
    _check_unique(chosen)
    for wnid in chosen:
        taxonomy.node(wnid)
    under = [taxonomy.descendants(w) | {w} for w in chosen]
    catalogues.ensure_orders(catalogue, state)  # a catalogue indexed before the orders: once
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
    numbered = catalogue.order_labels()
    # the last slot: what an image without a label (number -1, orders.NO_LABEL) reads
    class_of = np.full(len(numbered) + 1, -1, np.int32)
    is_overlap = np.zeros(len(numbered) + 1, np.bool_)
    overlap_labels = {label for label, _nodes in overlapping}
    for number, wnid in enumerate(numbered):
        class_of[number] = assigned.get(wnid, -1)
        is_overlap[number] = wnid in overlap_labels
    filters = _filters(catalogue, store, flagged, audit_failures, allow_outside_root)
    selection = Selection(
        list(chosen), report, overlapping, catalogue, numbered, class_of, None, None, None
    )
    # the first pass: what each filter leaves out, and each class's images
    left_out = dict.fromkeys(("outside_root", "flagged", "not_flagged", "audit_failure"), 0)
    dropped = np.zeros(catalogue.largest_id() + 1, np.bool_) if filters else None
    per_class = np.zeros(len(chosen), np.int64)
    overlaps = 0
    for ids, chunk_labels in catalogues.order_chunks(catalogue, "path"):
        if state is not None:
            state.check()
        classes = class_of[chunk_labels]
        mask = classes >= 0
        ids = ids[mask]
        if dropped is not None:
            out = np.zeros(len(ids), np.bool_)
            for reason, bitmap, leave in filters:  # each image counted once, for the first
                hit = bitmap[ids] == leave
                hit &= ~out
                left_out[reason] += int(hit.sum())
                out |= hit
            dropped[ids[out]] = True
            mask[mask] = ~out
        per_class += np.bincount(classes[mask], minlength=len(chosen))
        overlaps += int(is_overlap[chunk_labels[mask]].sum())
    if dropped is not None and dropped.any():
        selection._dropped = dropped
    if balance is not None:
        left_out["over_balance"] = int(np.maximum(per_class - balance, 0).sum())
        if left_out["over_balance"]:
            selection._starts, selection._picked = _picks(per_class, balance, seed)
            per_class = np.minimum(per_class, balance)
            overlaps = sum(
                int(is_overlap[labels_kept].sum())
                for _ids, labels_kept, _classes in selection._kept(state)
            )
    report.overlaps = overlaps
    report.rows = int(per_class.sum())
    report.left_out = {k: v for k, v in left_out.items() if v}
    report.per_class = {wnid: int(n) for wnid, n in zip(chosen, per_class, strict=True)}
    for i, wnid in enumerate(chosen):
        if not report.per_class[wnid]:  # a class left empty is worth seeing
            report.warnings.append(_why_empty(taxonomy, wnid, given[i], lost[i], chosen))
    return selection


Filter = tuple[str, "Bitmap", bool]  # (reason, bitmap by image id, the value that leaves out)


def _filters(
    catalogue: Catalogue,
    store: FlagStore | None,
    flagged: Flagged,
    audit_failures: bool,
    allow_outside_root: bool,
) -> list[Filter]:
    """The filters in the order they are told (an image is counted for the first that
    leaves it out): outside the root, flagged (or not), failed its audit."""
    from explorer.core.images import FAILURE_CODES

    filters: list[Filter] = []
    if not allow_outside_root:
        outside = catalogue.outside_root_ids()
        if outside:
            filters.append(("outside_root", catalogues.id_bitmap(catalogue, outside), True))
    flagged_paths = store.flagged_paths() if store is not None else set()
    if flagged == "only":
        filters.append(
            (
                "not_flagged",
                catalogues.id_bitmap(catalogue, catalogue.ids_of_paths(flagged_paths)),
                False,
            )
        )
    elif flagged == "exclude" and flagged_paths:
        filters.append(
            (
                "flagged",
                catalogues.id_bitmap(catalogue, catalogue.ids_of_paths(flagged_paths)),
                True,
            )
        )
    if not audit_failures:
        failed = [i for code in sorted(FAILURE_CODES) for i in catalogue.problem_ids(code)]
        if failed:
            filters.append(("audit_failure", catalogues.id_bitmap(catalogue, failed), True))
    return filters


def _picks(per_class: npt.NDArray[np.int64], cap: int, seed: int) -> tuple[Ids, Bitmap]:
    """For --balance: which ranks of each class are kept (a seeded sample of ``cap`` in a
    class over it, the same for the same seed), as one bitmap with each class's start."""
    import numpy as np

    starts = np.concatenate([[0], np.cumsum(per_class)[:-1]]).astype(np.int64)
    picked = np.ones(int(per_class.sum()), np.bool_)
    for index, count in enumerate(per_class.tolist()):
        if count > cap:
            entropy = random.Random(f"{seed}:{index}").getrandbits(128)
            sample = np.random.default_rng(entropy).choice(count, cap, replace=False)
            picked[starts[index] : starts[index] + count] = False
            picked[starts[index] + sample] = True
    return starts, picked  # type: ignore[return-value]


def _why_empty(
    taxonomy: TaxonomyView, wnid: str, given: int, lost: Counter[int], chosen: Sequence[str]
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
    taxonomy: TaxonomyView, chosen: Sequence[str], hits: list[int], under: list[set[str]]
) -> int:
    for i in hits:  # under every other hit: the most specific in the DAG's own order
        if all(chosen[i] in under[j] for j in hits if j != i):
            return i
    return max(hits, key=lambda i: (taxonomy.node(chosen[i])["min_depth"], -i))


def _check_balance(balance: int | None) -> None:
    if balance is not None and balance < 1:
        raise ValueError(f"balance: the cap per class must be at least 1, not {balance}")


IMAGE_FIELDS = ("path", "wnid", "class_index", "class_wnid")


def write_image_list(
    catalogue: Catalogue,
    selection: Selection,
    stream: TextIO,
    fmt: ImageFormat = "csv",
    absolute: bool = False,
    state: JobState | None = None,
    limit: int | None = None,
) -> int:
    """Write the images of ``selection`` with their class index to ``stream`` as they are
    read: CSV (path, wnid, class_index, class_wnid) or ``path index`` lines; paths relative
    to the root unless ``absolute``. ``limit``: at most that many rows (a preview).
    Returns the rows written.

    >>> import io
    >>> text = io.StringIO()
    >>> write_image_list(catalogue, select_images(taxonomy, catalogue, ["n02512053"]), text)
    47
    >>> text.getvalue().splitlines()[:2]
    ['path,wnid,class_index,class_wnid', 'n01440764/n01440764_0.JPEG,n01440764,0,n02512053']
    """
    check_choice("format", fmt, IMAGE_FORMATS)
    written = 0
    chosen = selection.chosen
    lines: list[str] = []
    writer = csv.writer(_Lines(lines), lineterminator="\r\n")  # as csv_cells.csv_text writes
    # the same lines when no cell holds a carriage return (the writer quotes a cell with
    # a character of its line end: "\n" is one of both), without cutting each line
    plain = csv.writer(_Lines(lines), lineterminator="\n")
    if fmt == "csv":
        writer.writerow(IMAGE_FIELDS)
        stream.write(_joined_lines(lines))
    size = WINDOW if limit is None else min(WINDOW, max(limit, 1))
    for window in selection.windows(state, size, raw_paths=absolute):
        paths = window.paths
        if absolute:
            paths = [
                os.fsdecode(catalogue.absolute_path(path, raw))
                for path, raw in zip(paths, window.raw_paths, strict=True)
            ]
        classes, wnids = window.classes, window.wnids
        if limit is not None and written + len(paths) > limit:
            left = limit - written
            paths, classes, wnids = paths[:left], classes[:left], wnids[:left]
        if fmt == "txt":
            text = [f"{path} {index}\n" for path, index in zip(paths, classes, strict=True)]
            stream.write("".join(text))
        else:
            lines.clear()
            # a path that starts like a formula is rare: looked for in C first (write_cell
            # on every cell was a fifth of the time); labels and classes are wnids
            if any(map(str.startswith, paths, itertools.repeat(_QUOTED_STARTS))):
                paths = [str(write_cell(path)) for path in paths]
            rows = zip(paths, wnids, classes, [chosen[index] for index in classes], strict=True)
            if "\r" in "".join(paths):
                writer.writerows(rows)
                stream.write(_joined_lines(lines))
            else:
                plain.writerows(rows)
                stream.write("".join(lines))
        written += len(paths)
        if limit is not None and written >= limit:
            break
    return written


def _joined_lines(lines: list[str]) -> str:
    return "".join(line[:-2] + "\n" for line in lines)


class _Lines:
    """A file for csv.writer that keeps each written line (the writer writes a line at once)."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


def _write_superclasses(
    taxonomy: TaxonomyView,
    catalogue: Catalogue,
    selection: Selection,
    folder: str | os.PathLike[str],
    parents: bool,
    state: JobState | None = None,
) -> None:
    """A BREEDS-style subset in ``folder``: images.csv, classes.txt (LOC style), classes.json
    and overlaps.json (the synsets under several chosen nodes)."""
    target = Path(folder)
    try:
        target.mkdir(parents=parents, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot make {target}: {exc.strerror or exc}") from exc
    with write_streaming(target / "images.csv") as stream:
        write_image_list(catalogue, selection, stream, "csv", state=state)
    selection.report.outputs.append(str(target / "images.csv"))
    outputs = {
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
    state: JobState | None = None,
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
            _fill_folders(catalogue, selection, work, mode, allow_outside_root, state)
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
    state: JobState | None = None,
) -> None:
    """Link or copy each selected image into ``work/<class wnid>/``.

    A name already taken is found by the file system (FileExistsError), not by a set of
    the names made: memory stays bounded, whatever the number of images."""
    numbers: dict[tuple[int, str], int] = {}  # a name met again: the next number to try
    made: set[int] = set()  # the class folders made
    report = selection.report
    check = mode == "hardlink" or not allow_outside_root
    for path, raw_path, index in (
        item
        for window in selection.windows(state, raw_paths=True)
        for item in zip(window.paths, window.raw_paths, window.classes, strict=True)
    ):
        source = catalogue.absolute_path(path, raw_path)
        name = os.fsdecode(os.path.basename(source))
        if check:  # linked or copied from the very place that was checked
            source, outside = catalogue.real_location(source)
            if outside:
                report.left_out["outside_root"] = report.left_out.get("outside_root", 0) + 1
                report.rows -= 1
                report.per_class[selection.chosen[index]] -= 1
                continue
        class_folder = work / selection.chosen[index]
        if index not in made:
            class_folder.mkdir(exist_ok=True)
            made.add(index)
        number = numbers.get((index, name), 1)
        while True:  # same file name from two synsets of one class: x~2.JPEG, x~3.JPEG...
            given = _file_name(name, number)
            number += 1
            try:  # taken already, or by a file system that folds case or normalises names
                _place(source, class_folder / given, mode)
            except FileExistsError:
                continue
            break
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
