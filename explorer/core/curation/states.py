"""What curation knows of an image (its flags, one per reason, and its OK mark), and the
one check of what the store may hold, made before anything is journaled."""

from __future__ import annotations

import re
import reprlib
from dataclasses import asdict, dataclass
from typing import Any, Literal, NotRequired, TypedDict, TypeGuard, get_args

ReasonCode = Literal[
    "wrong_label", "duplicate", "corrupt", "low_quality", "not_a_photo", "offensive", "other"
]
"""Why an image is flagged, as stored: the codes of :data:`REASON_TABLE`, in its order."""
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)


@dataclass(frozen=True)
class Reason:
    """Why an image is flagged: the one table the CLI, the store, the window's keys, menus,
    badges and filters all read."""

    code: ReasonCode  # stored in flags, given to `wnexplorer flags add --reason`
    key: str  # its key in the window, and the letter its badge shows
    colour: str  # its badge colour
    label: str  # menu text ("…": it asks something first)
    meaning: str  # what it means, for help texts and tooltips
    asks: Literal["synset", "note"] | None = None  # what flagging asks for

    @property
    def name(self) -> str:
        """What people read for it, in tables, chips and messages: the menu text without
        its "…" ("Low quality", "Wrong label")."""
        return self.label.rstrip("…")


REASON_TABLE: tuple[Reason, ...] = (
    Reason(
        "wrong_label",
        "W",
        "#d32f2f",
        "Wrong label…",
        "the image shows something else than its synset",
        asks="synset",
    ),
    Reason("duplicate", "D", "#7b1fa2", "Duplicate", "the same picture as another image"),
    Reason("corrupt", "C", "#37474f", "Corrupt", "broken, truncated or unreadable"),
    Reason(
        "low_quality",
        "Q",
        "#e65100",
        "Low quality",
        "too small, blurred, badly cropped or mostly text",
    ),
    Reason(
        "not_a_photo", "N", "#1565c0", "Not a photo", "a drawing, diagram, screenshot or rendering"
    ),
    Reason("offensive", "O", "#ad1457", "Offensive", "should not be in a dataset"),
    Reason("other", "X", "#5d4037", "Other…", "see the note", asks="note"),
)
REASONS: dict[str, Reason] = {reason.code: reason for reason in REASON_TABLE}  # by code
REVIEWED_COLOUR = "#2e7d32"  # the badge of an image reviewed OK


# characters (for "distinct": paths an image is judged not a duplicate of); bounds a journal line
LONGEST = {"path": 4096, "note": 4096, "curator": 256, "distinct": 64}


def reason_name(code: str) -> str:
    """A reason's name for people, the one way the window and the CLI's messages show a
    code; a code from outside that is no reason is shown as it is.

    >>> reason_name("low_quality"), reason_name("not_a_photo"), reason_name("reviewed_ok")
    ('Low quality', 'Not a photo', 'reviewed_ok')
    """
    reason = REASONS.get(code)
    return reason.name if reason is not None else code


def is_reason(value: object) -> TypeGuard[ReasonCode]:
    """Whether ``value`` is a reason's code: a text from outside (a filter, a key, a file)
    checked, and typed, as one.

    >>> is_reason("corrupt"), is_reason("reviewed_ok"), is_reason(None)
    (True, False, False)
    """
    return isinstance(value, str) and value in REASONS


@dataclass(frozen=True)
class Flag:
    reason: ReasonCode
    note: str = ""
    suggested_wnid: str | None = None
    curator: str = ""
    time: float = 0.0
    content_hash: str | None = None
    size: int | None = None
    wnid: str | None = None


@dataclass(frozen=True)
class Review:
    curator: str = ""
    time: float = 0.0
    content_hash: str | None = None
    size: int | None = None
    wnid: str | None = None


@dataclass(frozen=True)
class ImageState:
    """Everything curation knows about one image: its flags (one per reason), its OK mark,
    and the images a curator judged it not a duplicate of (``distinct``, sorted: paths in
    the same catalogue, or absolute locations of images in another)."""

    flags: tuple[Flag, ...] = ()
    review: Review | None = None
    distinct: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.flags and self.review is None and not self.distinct

    @property
    def reasons(self) -> tuple[ReasonCode, ...]:
        return tuple(f.reason for f in self.flags)

    def as_json(self) -> StateJSON:
        """The state as a journal line holds it (:meth:`from_json` reads it back).

        >>> ImageState((Flag("corrupt", curator="ann"),)).as_json()["flags"][0]["reason"]
        'corrupt'
        """
        data: StateJSON = {
            "flags": [asdict(f) for f in self.flags],
            "review": None if self.review is None else asdict(self.review),
        }
        if self.distinct:  # lines without it read as before, by older versions too
            data["distinct"] = list(self.distinct)
        return data

    @classmethod
    def from_json(cls, data: Any) -> ImageState:
        """The state ``as_json`` made, not yet checked (:func:`check_state`); a ValueError
        for anything else."""
        try:
            flags = tuple(sorted((Flag(**f) for f in data["flags"]), key=lambda f: f.reason))
            review = data["review"]
            distinct = tuple(sorted(data.get("distinct", ())))
            return cls(flags, None if review is None else Review(**review), distinct)
        except (TypeError, KeyError) as exc:  # not an object, a key missing or unknown
            raise ValueError(f"not an image state ({exc})") from exc


class StateJSON(TypedDict):
    """:meth:`ImageState.as_json`: each flag and the OK mark as an object of its fields."""

    flags: list[dict[str, Any]]
    review: dict[str, Any] | None
    distinct: NotRequired[list[str]]


EMPTY = ImageState()

_WNID = re.compile(r"n[0-9]{8}")
_HASH = re.compile(r"[0-9a-f]{1,128}")
_LARGEST_INTEGER = 2**63 - 1  # SQLite's
# 0001-01-01 to 9999-12-31 UTC, in seconds since 1970: the times an export can write
_EARLIEST, _LATEST = -62_135_596_800, 253_402_300_799


def check_state(path: object, state: ImageState) -> None:
    """Raise a ValueError saying what the store cannot hold in ``state`` of image ``path``.

    The one check of what is written: :meth:`FlagStore.apply` refuses such a
    state before anything is journaled, the journal's replay sets a line
    holding one aside, and an import skips such a row. Text is bounded
    (``LONGEST``), has no NUL and is UTF-8; numbers fit SQLite; times are
    finite and between the years 1 and 9999; reasons are known.

    >>> check_state("x.JPEG", ImageState((Flag("corrupt", size=10**30),)))
    Traceback (most recent call last):
    ValueError: size 1000000000000000000000000000000 is not a number of bytes
    """
    if path is None or path == "":
        raise ValueError("no path")
    _check_text("path", path)
    if not isinstance(state.flags, tuple) or not all(isinstance(f, Flag) for f in state.flags):
        raise ValueError(f"flags {reprlib.repr(state.flags)} are not flags")
    for flag in state.flags:
        if not is_reason(flag.reason):
            raise ValueError(
                f"unknown reason {reprlib.repr(flag.reason)} (one of {', '.join(REASONS)})"
            )
        _check_text("note", flag.note)
        _check_pattern("suggested_wnid", flag.suggested_wnid, _WNID, "a wnid")
        _check_mark(flag)
    if len(set(state.reasons)) < len(state.flags):
        raise ValueError(f"two flags with the same reason in {', '.join(state.reasons)}")
    if not isinstance(state.distinct, tuple) or len(state.distinct) > LONGEST["distinct"]:
        raise ValueError(f"distinct {reprlib.repr(state.distinct)} is not a short list of paths")
    for twin in state.distinct:
        if not twin:
            raise ValueError("an empty path among the images it is not a duplicate of")
        _check_text("path", twin)
    if state.review is not None:
        if not isinstance(state.review, Review):
            raise ValueError(f"review {reprlib.repr(state.review)} is not an OK mark")
        _check_mark(state.review)


def _check_mark(mark: Flag | Review) -> None:
    _check_text("curator", mark.curator)
    moment = mark.time
    if type(moment) not in (int, float) or not _EARLIEST <= moment <= _LATEST:  # NaN fails too
        raise ValueError(f"time {reprlib.repr(moment)} is not a moment in the years 1 to 9999")
    _check_pattern("content_hash", mark.content_hash, _HASH, "a hex digest")
    size = mark.size
    if size is not None and (type(size) is not int or not 0 <= size <= _LARGEST_INTEGER):
        raise ValueError(f"size {reprlib.repr(size)} is not a number of bytes")
    _check_pattern("wnid", mark.wnid, _WNID, "a wnid")


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{name} {reprlib.repr(value)} is not text")
    if len(value) > LONGEST[name]:
        raise ValueError(f"the {name} is longer than {LONGEST[name]:,} characters")
    if "\0" in value:
        raise ValueError(f"the {name} holds a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no database or journal can hold it
        raise ValueError(f"the {name} {reprlib.repr(value)} is not valid Unicode") from exc


def _check_pattern(name: str, value: object, pattern: re.Pattern[str], what: str) -> None:
    if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
        raise ValueError(f"{name} {reprlib.repr(value)} is not {what}")
