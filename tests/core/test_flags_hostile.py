"""The flag store under hostile conditions: bad input, bad journals, crashes, full disks,
concurrent writers, read-only folders and files that are not flag stores.

Flags are the one thing users cannot get back, so each case checks that no acknowledged
write is lost, that nothing refused or failed is ever written (or replayed later), and that
the store still opens.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from explorer.core.curation import import_flags, read_export
from explorer.core.errors import StoreError
from explorer.core.flags import Flag, FlagStore, ImageState, Review, journal_path

GOOD = ImageState((Flag("corrupt", curator="ann", time=1.5e9, size=1204),), None)


def _store(folder: Path, count: int = 3) -> Path:
    """A store with ``count`` flags, img/0.JPEG ..., closed."""
    path = folder / "c.flags.sqlite"
    with FlagStore.open(path) as store:
        for i in range(count):
            store.apply({f"img/{i}.JPEG": GOOD})
    return path


# --- 1. what cannot be stored is refused before it is journaled --------------------------

FLAG_FIELDS = {
    "size 10**30": ({"size": 10**30}, "size 1000000000000000000000000000000 is not"),
    "size -1": ({"size": -1}, "size -1 is not a number of bytes"),
    "size True": ({"size": True}, "size True is not"),
    "size text": ({"size": "1204"}, "size '1204' is not"),
    "size inf": ({"size": float("inf")}, "size inf is not"),
    "time inf": ({"time": float("inf")}, "time inf is not a moment"),
    "time nan": ({"time": float("nan")}, "time nan is not a moment"),
    "time 1e300": ({"time": 1e300}, "is not a moment in the years 1 to 9999"),
    "time text": ({"time": "2024-05-01"}, "time '2024-05-01' is not"),
    "note dict": ({"note": {"a": [1]}}, "note {'a': [1]} is not text"),
    "note list": ({"note": ["x"]}, "note ['x'] is not text"),
    "note too long": ({"note": "x" * 5000}, "the note is longer than 4,096 characters"),
    "note NUL": ({"note": "a\0b"}, "the note holds a NUL character"),
    "curator surrogate": ({"curator": "ann\udcff"}, "is not valid Unicode"),
    "reason unknown": ({"reason": "blurry"}, "unknown reason 'blurry'"),
    "reason list": ({"reason": ["corrupt"]}, "unknown reason ['corrupt']"),
    "wnid": ({"wnid": "dog"}, "wnid 'dog' is not a wnid"),
    "suggested wnid": ({"suggested_wnid": 2084071}, "suggested_wnid 2084071 is not a wnid"),
    "hash": ({"content_hash": "XYZ"}, "content_hash 'XYZ' is not a hex digest"),
}


def _flag(**fields) -> Flag:
    return Flag(**{"reason": "corrupt", "curator": "ann", "time": 1.5e9, **fields})


HOSTILE_STATES = {
    **{
        name: ("img/x.JPEG", ImageState((_flag(**fields),)), why)
        for name, (fields, why) in FLAG_FIELDS.items()
    },
    "path empty": ("", GOOD, "no path"),
    "path NUL": ("img/a\0b.JPEG", GOOD, "the path holds a NUL character"),
    "path surrogate": ("img/bad_\udcff.JPEG", GOOD, "is not valid Unicode"),
    "path too long": ("x" * 5000, GOOD, "the path is longer than 4,096 characters"),
    "path not text": (7, GOOD, "path 7 is not text"),
    "two flags, one reason": (
        "img/x.JPEG",
        ImageState((_flag(), _flag(note="again"))),
        "two flags with the same reason",
    ),
    "flags not flags": ("img/x.JPEG", ImageState(({"reason": "corrupt"},)), "are not flags"),
    "review time": ("img/x.JPEG", ImageState((), Review("ann", float("-inf"))), "time -inf"),
    "review not a review": ("img/x.JPEG", ImageState((), "ok"), "review 'ok' is not an OK mark"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_STATES))
def test_apply_refuses_what_the_store_cannot_hold_before_journaling_it(tmp_path, case):
    path, state, why = HOSTILE_STATES[case]
    store_path = _store(tmp_path)
    journal = journal_path(store_path).read_bytes()
    with FlagStore.open(store_path) as store:
        with pytest.raises(StoreError) as caught:  # a good image beside it: all or nothing
            store.apply({"img/good.JPEG": GOOD, path: state})
        assert why in str(caught.value) and "nothing was changed" in str(caught.value)
        store.apply({"img/after.JPEG": GOOD})  # the store goes on
    assert journal_path(store_path).read_bytes().startswith(journal)
    with FlagStore.open(store_path) as store:  # and opens again, without the refused state
        assert store.recovered is None
        assert set(store.states()) == {"img/0.JPEG", "img/1.JPEG", "img/2.JPEG", "img/after.JPEG"}


def test_an_import_skips_each_hostile_row_and_writes_the_good_ones(tmp_path):
    """The rows of a flags JSON that once bricked the store, each skipped by its number."""
    good = {"path": "img/good.JPEG", "reason": "corrupt", "time": "2024-05-01T10:00:00+00:00"}
    hostile = [
        {**good, "path": "img/big.JPEG", "size": 10**30},
        {**good, "path": "img/inf.JPEG", "size": float("inf")},
        {**good, "path": "img/dict.JPEG", "note": {"nested": {"deeper": [1]}}},
        {**good, "path": "img/list.JPEG", "curator": ["ann", "bob"]},
        {**good, "path": "img/long.JPEG", "note": "x" * 100_000},
        {**good, "path": "img/year.JPEG", "time": "9999-12-31T23:59:59-14:00"},
        {**good, "path": "img/surrogate\udcff.JPEG"},
    ]
    export = tmp_path / "hostile.json"
    export.write_text(json.dumps([good, *hostile]))  # Infinity for inf, as Python writes it
    store_path = _store(tmp_path, 0)
    with FlagStore.open(store_path) as store:
        report = import_flags(store, read_export(export))
        assert [s["row"] for s in report.skipped] == list(range(2, 2 + len(hostile)))
        assert list(store.states()) == ["img/good.JPEG"]
    with FlagStore.open(store_path) as store:
        assert store.recovered is None and list(store.states()) == ["img/good.JPEG"]
