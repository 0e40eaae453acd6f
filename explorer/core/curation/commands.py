"""Curation on top of the flag store: commands with undo, counts, sharing and review queues.

Commands record the state of their images before and after; ``UndoStack``
applies them and walks back and forth. The rules:

- flagging an image with a reason adds that flag (replacing an earlier flag
  with the same reason) and removes its "reviewed, OK" mark;
- marking an image reviewed-OK removes its flags;
- clearing one reason removes that flag; clearing all removes flags and mark.

Merging flags from another curator (:func:`import_flags`): per image and
reason, a flag we lack is added, an identical one is skipped, and a different
one is a conflict that the newer (by its time) wins; two different OK marks,
and an OK mark against flags, are conflicts the newer side wins too. Every
conflict is reported, again on every import of the same file while the two
stores disagree.

>>> stack = UndoStack(store)
>>> stack.push(flag_images(store, [ImageRef("n01440764/a.JPEG")], "wrong_label"))
>>> store.state("n01440764/a.JPEG").reasons
('wrong_label',)
>>> command = stack.undo()
>>> command.label, command.done
('Flag 1 image: wrong label', 'Flagged 1 image: wrong label')
>>> store.state("n01440764/a.JPEG").empty
True
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import reprlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from explorer.core.csv_cells import csv_text, read_cell
from explorer.core.curation.choices import EXCHANGE_FORMATS, ExchangeFormat
from explorer.core.curation.states import (
    EMPTY,
    REASONS,
    Flag,
    ImageState,
    ReasonCode,
    Review,
    check_state,
    reason_name,
)
from explorer.core.curation.storage import flags_path_for
from explorer.core.curation.store import FlagStore, RelinkReport, default_curator
from explorer.core.errors import StoreError
from explorer.core.exports import write_atomically
from explorer.core.images import file_digest
from explorer.core.text import plural

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue, ImageRow
    from explorer.core.jobs import JobState

REVIEWED_OK = "reviewed_ok"  # the reason column of an OK mark in exports


class ExportRow(TypedDict):
    """A flag, or an OK mark (reason ``reviewed_ok``), as a flags export holds it."""

    path: str
    reason: str  # a ReasonCode, or REVIEWED_OK
    note: str
    suggested_wnid: str | None
    curator: str
    time: str  # ISO 8601, UTC, to the microsecond
    content_hash: str | None
    size: int | None
    wnid: str | None


EXPORT_FIELDS: tuple[str, ...] = tuple(ExportRow.__annotations__)  # the columns, in order


@dataclass(frozen=True)
class ImageRef:
    """An image as curation keys it: its path relative to the catalogue root, and its file."""

    path: str
    file: str | bytes | None = None  # on disk, for the content hash; None: not hashed
    wnid: str | None = None
    size: int | None = None
    content_hash: str | None = None  # known already (see hash_files): the file is not read

    @classmethod
    def from_row(cls, catalogue: Catalogue, row: ImageRow) -> ImageRef:
        """The image of a catalogue row, with its file (hashed when a command needs it)."""
        return cls(row.path, catalogue.absolute_path(row.path, row.raw_path), row.wnid, row.size)


# --- commands and undo ------------------------------------------------------------------


@dataclass
class Command:
    """A change to some images' curation: their states before and after; ``label`` names
    it for an Undo menu ("Flag 2 images: low quality"), ``done`` says it was made ("Flagged
    2 images: low quality"), both with the reasons' names (:func:`reason_name`)."""

    label: str
    before: dict[str, ImageState]
    after: dict[str, ImageState]
    done: str = ""  # "" : the label

    def __post_init__(self) -> None:
        self.done = self.done or self.label

    def redo(self, store: FlagStore) -> None:
        store.apply(self.after)

    def undo(self, store: FlagStore) -> None:
        store.apply(self.before)

    @property
    def unchanged(self) -> bool:
        """Whether applying it would change nothing (each image already as asked)."""
        return self.before == self.after


def apply_fresh(store: FlagStore, make_command: Callable[[], Command]) -> Command:
    """Make a command from the images' current states and apply it (unless it changes
    nothing), as one: no other writer's change to those images can come in between and be
    overwritten. Returns the command; its ``unchanged`` says whether anything was written.

    >>> refs = [ImageRef("n01440764/a.JPEG"), ImageRef("n01440764/b.JPEG")]
    >>> apply_fresh(store, lambda: mark_reviewed(store, refs)).label
    'Mark 2 images reviewed OK'
    >>> apply_fresh(store, lambda: clear_images(store, [ImageRef("n01440764/c.JPEG")])).unchanged
    True
    """
    with store.writing():
        command = make_command()
        if not command.unchanged:
            store.apply(command.after)
    return command


class _Identity(TypedDict):
    content_hash: str | None
    size: int | None
    wnid: str | None


def _identity(ref: ImageRef) -> _Identity:
    content_hash = ref.content_hash
    if content_hash is None and ref.file is not None:
        content_hash = file_digest(ref.file)
    return {"content_hash": content_hash, "size": ref.size, "wnid": ref.wnid}


def hash_files(refs: Sequence[ImageRef], state: JobState | None = None) -> list[ImageRef]:
    """The refs with their content hashes, read from disk: for a worker, before a command
    on a big selection (the command then reads no file)."""
    hashed = []
    for ref in refs:
        if state is not None:
            state.check()
        content_hash = ref.content_hash
        if content_hash is None and ref.file is not None:
            content_hash = file_digest(ref.file)
        hashed.append(replace(ref, content_hash=content_hash))
    return hashed


def flag_images(
    store: FlagStore,
    refs: Sequence[ImageRef],
    reason: ReasonCode,
    note: str = "",
    suggested_wnid: str | None = None,
    curator: str | None = None,
) -> Command:
    if reason not in REASONS:
        raise ValueError(f"Unknown reason {reason!r}; choose one of {', '.join(REASONS)}.")
    curator = curator or default_curator()
    before = _before(store, refs)
    now = _now()
    after = {}
    for ref in refs:
        flag = Flag(reason, note, suggested_wnid, curator, now, **_identity(ref))
        kept = [f for f in before[ref.path].flags if f.reason != reason]
        flags = tuple(sorted([*kept, flag], key=lambda f: f.reason))
        after[ref.path] = replace(before[ref.path], flags=flags, review=None)
    what = f"{plural(len(refs), 'image')}: {_lower(reason_name(reason))}"
    return Command(f"Flag {what}", before, after, f"Flagged {what}")


def mark_reviewed(
    store: FlagStore, refs: Sequence[ImageRef], curator: str | None = None
) -> Command:
    curator = curator or default_curator()
    before = _before(store, refs)
    now = _now()
    after = {
        ref.path: replace(before[ref.path], flags=(), review=Review(curator, now, **_identity(ref)))
        for ref in refs
    }
    what = f"{plural(len(refs), 'image')} reviewed OK"
    return Command(f"Mark {what}", before, after, f"Marked {what}")


def clear_images(
    store: FlagStore, refs: Sequence[ImageRef], reason: ReasonCode | None = None
) -> Command:
    """Remove one reason's flag, or (``reason`` None) every flag and the OK mark."""
    if reason is not None and reason not in REASONS:
        raise ValueError(f"Unknown reason {reason!r}; choose one of {', '.join(REASONS)}.")
    before = _before(store, refs)
    after = {}
    for ref in refs:
        state = before[ref.path]
        if reason is None:  # a pair judged not a duplicate stays judged
            after[ref.path] = replace(state, flags=(), review=None)
        else:
            after[ref.path] = replace(
                state, flags=tuple(f for f in state.flags if f.reason != reason)
            )
    what = "flags" if reason is None else f"{_lower(reason_name(reason))} flags"
    what += f" of {plural(len(refs), 'image')}"
    return Command(f"Clear {what}", before, after, f"Cleared {what}")


def _lower(name: str) -> str:
    """A name inside a sentence: "Low quality" -> "low quality" (an "OK" stays)."""
    return name[:1].lower() + name[1:]


def _before(store: FlagStore, refs: Sequence[ImageRef]) -> dict[str, ImageState]:
    states = store.states(ref.path for ref in refs)
    return {ref.path: states.get(ref.path, EMPTY) for ref in refs}


class UndoStack:
    """Applies commands and undoes and redoes them (a new command drops the redo side)."""

    def __init__(self, store: FlagStore, limit: int = 1000) -> None:
        self.store = store
        self.limit = limit
        self._done: list[Command] = []
        self._undone: list[Command] = []

    def push(self, command: Command) -> None:
        command.redo(self.store)
        self._done.append(command)
        del self._done[: -self.limit]
        self._undone.clear()

    def undo(self) -> Command | None:
        if not self._done:
            return None
        command = self._done.pop()
        command.undo(self.store)
        self._undone.append(command)
        return command

    def redo(self) -> Command | None:
        if not self._undone:
            return None
        command = self._undone.pop()
        command.redo(self.store)
        self._done.append(command)
        return command

    @property
    def undo_label(self) -> str | None:
        return self._done[-1].label if self._done else None

    @property
    def redo_label(self) -> str | None:
        return self._undone[-1].label if self._undone else None


class ScanChanges(Protocol):
    """What :func:`relink_after_scan` reads of an index's summary (``IndexSummary``)."""

    added: int
    newly_missing: int


def relink_after_scan(
    catalogue_path: str | os.PathLike[str], summary: ScanChanges
) -> RelinkReport | None:
    """After an index or rescan: let flags follow moved and renamed files.

    None when nothing can have moved (no image added or newly missing) or the
    catalogue has no flag store yet.
    """
    from explorer.core.catalogue import Catalogue

    if not (summary.added or summary.newly_missing):
        return None
    if not flags_path_for(catalogue_path).exists():
        return None
    with FlagStore.open_for(catalogue_path) as store, Catalogue.open(catalogue_path) as catalogue:
        return store.relink(catalogue)


# --- counts over the catalogue's labels --------------------------------------------------


class CurationTally:
    """Flagged and reviewed (flagged or OK) present images per label: the tree's columns.

    Counted from the store once, then moved by each change's before and after states,
    so a key press costs a small query, not a reread of the whole store (0.2 s at
    20,000 curated images).
    """

    def __init__(self, store: FlagStore, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self.flagged: dict[str, int] = {}
        self.reviewed: dict[str, int] = {}
        self.update({}, store.states())

    def update(self, before: dict[str, ImageState], after: dict[str, ImageState]) -> None:
        """Count the change of each image of ``after`` from its state in ``before``."""
        for path, wnid in self._catalogue.labels_of(after).items():
            old, new = before.get(path, EMPTY), after[path]
            _move(self.flagged, wnid, bool(old.flags), bool(new.flags))
            _move(self.reviewed, wnid, not old.empty, not new.empty)


def _move(counts: dict[str, int], wnid: str, was: bool, now: bool) -> None:
    if was != now:
        counts[wnid] = counts.get(wnid, 0) + (1 if now else -1)
        if not counts[wnid]:
            del counts[wnid]  # as a recount has it


# --- sharing ---------------------------------------------------------------------------


def export_rows(store: FlagStore) -> list[ExportRow]:
    """One row per flag and per OK mark, sorted by path (in natural order) and reason."""
    return [row for rows in export_row_pages(store) for row in rows]


def export_row_pages(store: FlagStore, page: int = 1000) -> Iterator[list[ExportRow]]:
    """:func:`export_rows` by pages of the rows of ``page`` images, read one at a time:
    memory bounded whatever the number of marks."""
    for paths in store.curated_path_pages(page):
        rows = []
        for path, state in store.states(paths).items():
            for flag in state.flags:
                rows.append(_export_row(path, flag.reason, flag, flag.note, flag.suggested_wnid))
            if state.review is not None:
                rows.append(_export_row(path, REVIEWED_OK, state.review))
        yield rows


def _export_row(
    path: str, reason: str, mark: Flag | Review, note: str = "", suggested: str | None = None
) -> ExportRow:
    return ExportRow(
        path=path,
        reason=reason,
        note=note,
        suggested_wnid=suggested,
        curator=mark.curator,
        time=_iso(mark.time),
        content_hash=mark.content_hash,
        size=mark.size,
        wnid=mark.wnid,
    )


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def _from_iso(text: str) -> float:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp(), 6)


def _now() -> float:
    """Microseconds, as exports write them: a flag survives a round trip unchanged."""
    return round(time.time(), 6)


def write_export(
    store: FlagStore,
    output: str | os.PathLike[str],
    fmt: ExchangeFormat | None = None,
    parents: bool = False,
) -> int:
    """Write every flag and OK mark to ``output`` (atomically); return the rows written.

    ``fmt``: csv or json; None: json for a ``.json`` file, else csv (ValueError for
    another). ``parents``: create ``output``'s missing folders (else they are an
    ExportError).
    """
    if fmt is None:
        fmt = "json" if Path(output).suffix.lower() == ".json" else "csv"
    if fmt not in EXCHANGE_FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(EXCHANGE_FORMATS)}")
    rows = export_rows(store)
    if fmt == "json":
        text = json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    else:
        text = csv_text(rows, EXPORT_FIELDS)
    write_atomically(output, text, parents)
    return len(rows)


_WHAT_AN_EXPORT_IS = (
    f"a flags export is a CSV file with the columns {', '.join(EXPORT_FIELDS)} (path and "
    "reason required), or a JSON list of objects with those keys; "
    "`wnexplorer flags export` makes one"
)


def read_export(path: str | os.PathLike[str]) -> list[Any]:
    """The rows of a CSV or JSON flags export, as read (:func:`import_flags` checks each);
    a StoreError for a file that is not a flags export at all."""
    path = Path(path)

    def not_an_export(why: str) -> StoreError:
        return StoreError(f"{path} is not a flags export ({why}); {_WHAT_AN_EXPORT_IS}.")

    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a CSV saved by a spreadsheet
    except UnicodeDecodeError as exc:
        raise not_an_export("not UTF-8 text") from exc
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if not text.strip():
        raise not_an_export("the file is empty")
    if text.lstrip()[0] in "[{":
        try:
            rows = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise not_an_export(f"broken JSON: {exc}") from exc
        if not isinstance(rows, list):
            raise not_an_export("JSON, but not a list")
        return rows
    try:
        reader = csv.DictReader(io.StringIO(text))
        missing = sorted({"path", "reason"}.difference(reader.fieldnames or ()))
        if missing:
            header = reprlib.repr(",".join(reader.fieldnames or ()))
            raise not_an_export(f"no {' or '.join(missing)} column in its header {header}")
        # the quote write_export put before a cell that looks like a formula comes off
        return [
            {key: read_cell(v) if isinstance(v, str) else v for key, v in row.items()}
            for row in reader
        ]
    except csv.Error as exc:
        raise not_an_export(f"not a readable CSV: {exc}") from exc


class Conflict(TypedDict):
    """Two different marks of one image and reason: the one kept, the one dropped."""

    path: str
    reason: str  # a ReasonCode, REVIEWED_OK, or "reviewed_ok vs flags"
    kept: str
    dropped: str


class SkippedRow(TypedDict):
    row: int  # 1: the first
    why: str


@dataclass
class MergeReport:
    added: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)  # not written
    images: int = 0  # the images of the rows imported
    not_in_catalogue: int = 0  # of those, the catalogue lacks (or lost) so many


def import_flags(
    store: FlagStore, rows: Sequence[object], catalogue: Catalogue | None = None
) -> MergeReport:
    """Merge exported rows into the store (the rule is in the module's docstring).

    Every row is checked before anything is written; a bad one is skipped and
    reported by its number. A path must stay under the catalogue root (relative,
    no ``..``) unless ``catalogue`` lists it (a manifest's absolute path). Flags
    of images the catalogue lacks are imported all the same, and counted.
    A StoreError when there are bad rows and no good one.
    """
    report = MergeReport()
    checked: list[tuple[int, str, Flag | Review]] = []
    for number, row in enumerate(rows, 1):
        try:
            checked.append((number, *_checked_row(row)))
        except ValueError as exc:
            report.skipped.append({"row": number, "why": str(exc)})
    listed: dict[str, ImageRow] = {}
    if catalogue is not None:
        listed = {r.path: r for r in catalogue.images_by_path({c[1] for c in checked})}
    incoming: dict[str, ImageState] = {}
    for number, path, mark in checked:
        if path not in listed and (PurePosixPath(path).is_absolute() or ".." in path.split("/")):
            why = f"path {reprlib.repr(path)} leads outside the catalogue root"
            report.skipped.append({"row": number, "why": why})
            continue
        state = incoming.get(path, EMPTY)
        if isinstance(mark, Review):
            incoming[path] = replace(state, review=mark)
        else:
            flags = [f for f in state.flags if f.reason != mark.reason] + [mark]
            incoming[path] = replace(state, flags=tuple(sorted(flags, key=lambda f: f.reason)))
    report.skipped.sort(key=lambda skipped: skipped["row"])
    if report.skipped and not incoming:
        first = report.skipped[0]
        raise StoreError(
            f"Nothing to import: {plural(len(report.skipped), 'row')} and none valid (row "
            f"{first['row']}: {first['why']}); {_WHAT_AN_EXPORT_IS}."
        )
    report.images = len(incoming)
    report.not_in_catalogue = sum(
        1 for path in incoming if path not in listed or not listed[path].present
    )
    with store.writing():  # read and written as one: no other writer comes in between
        local = store.states(incoming)
        changes: dict[str, ImageState] = {}
        for path, theirs in incoming.items():
            ours = local.get(path, EMPTY)
            merged = _merge(path, ours, theirs, report)
            if merged != ours:
                changes[path] = merged
        store.apply(changes)
    return report


def _merge(path: str, ours: ImageState, theirs: ImageState, report: MergeReport) -> ImageState:
    flags = {f.reason: f for f in ours.flags}
    for flag in theirs.flags:
        mine = flags.get(flag.reason)
        if mine is None or mine == flag:
            flags[flag.reason] = flag
            continue
        newer, older = (flag, mine) if flag.time > mine.time else (mine, flag)
        flags[flag.reason] = newer
        report.conflicts.append(
            {
                "path": path,
                "reason": flag.reason,
                "kept": _describe(newer),
                "dropped": _describe(older),
            }
        )
    review = ours.review
    if theirs.review is not None and review != theirs.review:
        if review is not None:  # two OK marks: the newer is kept, and said
            kept, dropped = sorted((review, theirs.review), key=lambda r: r.time, reverse=True)
            report.conflicts.append(
                {
                    "path": path,
                    "reason": REVIEWED_OK,
                    "kept": _describe(kept),
                    "dropped": _describe(dropped),
                }
            )
            review = kept
        else:
            review = theirs.review
    if flags and review is not None:  # OK against flags: the newer side wins
        flagged_at = max(f.time for f in flags.values())
        flags_win = flagged_at > review.time
        report.conflicts.append(
            {
                "path": path,
                "reason": f"{REVIEWED_OK} vs flags",
                "kept": "flags" if flags_win else REVIEWED_OK,
                "dropped": REVIEWED_OK if flags_win else "flags",
            }
        )
        if flags_win:
            review = None
        else:
            flags = {}
    distinct = tuple(sorted({*ours.distinct, *theirs.distinct}))
    merged = ImageState(tuple(sorted(flags.values(), key=lambda f: f.reason)), review, distinct)
    # counted on the outcome: an incoming mark that lost a conflict was not added
    mine_before = {*ours.flags, ours.review}
    outcome = {*merged.flags, merged.review}
    for mark in (*theirs.flags, theirs.review):
        if mark is None:
            continue
        if mark in mine_before:
            report.unchanged += 1
        elif mark in outcome:
            report.added += 1
    return merged


def _describe(mark: Flag | Review) -> str:
    if isinstance(mark, Review):
        return f"{mark.curator} at {_iso(mark.time)}"
    return f"{mark.curator} at {_iso(mark.time)}: {mark.note or '(no note)'}" + (
        f" -> {mark.suggested_wnid}" if mark.suggested_wnid else ""
    )


_DIGITS = re.compile(r"[0-9]{1,19}")


def _checked_row(row: object) -> tuple[str, Flag | Review]:
    """(path, mark) of an export row; a ValueError that says what is wrong with it."""
    if not isinstance(row, dict):
        raise ValueError(f"{reprlib.repr(row)} is not an object with path and reason")

    def raw(name: str) -> Any:  # anything JSON holds: check_state checks what is kept
        return row.get(name)

    def value(name: str) -> Any:
        found = raw(name)
        return None if found is None or found == "" else found  # a CSV's empty cell: none

    size = value("size")
    if isinstance(size, str) and _DIGITS.fullmatch(size):
        size = int(size)
    time_text = value("time")
    if time_text is not None and not isinstance(time_text, str):
        raise ValueError(f"time {reprlib.repr(time_text)} is not text")
    try:
        seconds = _from_iso(time_text) if time_text else 0.0
    except (ValueError, OverflowError) as exc:
        raise ValueError(
            f"time {reprlib.repr(time_text)} is not ISO 8601 (2024-05-01T10:00:00+00:00)"
        ) from exc
    curator, content_hash, wnid = value("curator") or "", value("content_hash"), value("wnid")
    path = raw("path")
    mark: Flag | Review
    if raw("reason") == REVIEWED_OK:
        mark = Review(curator, seconds, content_hash, size, wnid)
        check_state(path, ImageState((), mark))
    else:
        note, suggested = value("note") or "", value("suggested_wnid")
        mark = Flag(raw("reason"), note, suggested, curator, seconds, content_hash, size, wnid)
        check_state(path, ImageState((mark,)))
    return path, mark


# --- review queues from published label-error lists -----------------------------------


@dataclass(frozen=True)
class QueueItem:
    path: str
    source: str
    note: str
    suggested_wnid: str | None


def ilsvrc2012_classes() -> list[str]:
    """The 1,000 ILSVRC-2012 class wnids in class-index order (sorted, as ImageNet numbers them)."""
    text = resources.files("explorer.core.resources").joinpath("ilsvrc2012_wnids.txt").read_text()
    return text.split()


_VAL_NAME = re.compile(r"ILSVRC2012_val_(\d{8})\.JPEG$", re.IGNORECASE)


def import_label_errors(
    store: FlagStore, catalogue: Catalogue, path: str | os.PathLike[str]
) -> tuple[int, int]:
    """Queue cleanlab's ImageNet label-error candidates (``imagenet_mturk.json``) for review.

    An entry's ``id`` is the 1-based ILSVRC2012 validation file number, matched
    to the catalogue's ``ILSVRC2012_val_XXXXXXXX.JPEG`` files wherever they are.
    Returns (queued, entries whose file the catalogue does not hold).
    """
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
        numbers = [int(e["id"]) for e in entries]
    except (OSError, ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
        raise StoreError(
            f"{path} is not cleanlab's label-error list (imagenet_mturk.json): {exc}"
        ) from exc
    by_number: dict[int, str] = {}
    for image_path in catalogue.present_paths_containing("ILSVRC2012_val_"):
        match = _VAL_NAME.search(image_path)
        if match:
            by_number.setdefault(int(match.group(1)), image_path)
    classes = ilsvrc2012_classes()
    items = []
    for entry, number in zip(entries, numbers, strict=True):
        queued_path = by_number.get(number)
        if queued_path is None:
            continue
        guessed = entry.get("our_guessed_label")
        votes = entry.get("mturk") or {}
        note = (
            f"cleanlab: given {entry.get('given_original_label_name')}, "
            f"guessed {entry.get('our_guessed_label_name')}; MTurk votes given "
            f"{votes.get('given', '?')}, guessed {votes.get('guessed', '?')}, both "
            f"{votes.get('both', '?')}, neither {votes.get('neither', '?')}"
        )
        suggested = classes[guessed] if isinstance(guessed, int) and 0 <= guessed < 1000 else None
        items.append(QueueItem(queued_path, "cleanlab-imagenet-mturk", note, suggested))
    store.queue_add(items)
    return len(items), len(entries) - len(items)
