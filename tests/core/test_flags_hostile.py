"""The flag store under hostile conditions: bad input, bad journals, crashes, full disks,
concurrent writers, read-only folders and files that are not flag stores.

Flags are the one thing users cannot get back, so each case checks that no acknowledged
write is lost, that nothing refused or failed is ever written (or replayed later), and that
the store still opens.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import not_catalogues
import pytest

from explorer.core.curation import (
    LONGEST,
    REASONS,
    Flag,
    FlagStore,
    ImageState,
    Review,
    import_flags,
    journal_path,
    read_export,
    rejected_path,
    snapshots_dir,
)
from explorer.core.curation import storage as flags
from explorer.core.errors import StoreError

REPO = Path(__file__).resolve().parents[2]
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


# --- 2. a journal line that cannot be replayed is set aside, once --------------------------


def _line(seq: int, path: str, state: dict | None = None, **extra) -> bytes:
    state = state or {"flags": [asdict(_flag())], "review": None}
    entry = {"seq": seq, "time": 1.5e9, "changes": {path: state}, **extra}
    return json.dumps(entry).encode() + b"\n"


def _flag_json(**fields) -> dict:
    return {"flags": [{**asdict(_flag()), **fields}], "review": None}


BAD_LINES = {
    "an appended x": b"x\n",
    "a wrong type": _line(4, "img/bad.JPEG", _flag_json(size="big")),
    "size 10**30, journaled by an older version": _line(4, "img/bad.JPEG", _flag_json(size=10**30)),
    "an unknown key": _line(4, "img/bad.JPEG", by="ann"),
    "an unknown flag field": _line(4, "img/bad.JPEG", _flag_json(colour="red")),
    "a flag without its reason": _line(4, "img/bad.JPEG", {"flags": [{}], "review": None}),
    "a lone surrogate": _line(4, "img/bad\udcff.JPEG"),
    "a seq that is no number": _line(4, "img/bad.JPEG").replace(b'"seq": 4', b'"seq": "4"'),
    "a list": b"[1, 2, 3]\n",
    "nested 200,000 deep": b"[" * 200_000 + b"]" * 200_000 + b"\n",
    "not UTF-8": b"\xff\xfe\x00garbage\n",
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_journal_line_that_cannot_be_replayed_is_set_aside_and_the_rest_replayed(tmp_path, case):
    path = _store(tmp_path)  # seq 1-3, in the store and its snapshot
    journal = journal_path(path)
    offset = journal.stat().st_size
    # a bad line, then a good one a crash left uncommitted: both after the store's offset
    with open(journal, "ab") as file:
        file.write(BAD_LINES[case] + _line(4, "img/after.JPEG"))
    expected = {"img/0.JPEG", "img/1.JPEG", "img/2.JPEG", "img/after.JPEG"}
    with FlagStore.open(path) as store:
        assert "Set aside 1 journal line that could not be replayed" in store.recovered
        assert "c.flags.journal.rejected" in store.recovered
        assert set(store.states()) == expected
        store.apply({"img/new.JPEG": GOOD})
    rejected = rejected_path(path).read_bytes()
    assert rejected.startswith(f"# offset {offset}: ".encode())
    assert rejected.endswith(b"\n" + BAD_LINES[case])  # kept byte for byte
    with FlagStore.open(path) as store:  # said once
        assert store.recovered is None and set(store.states()) == expected | {"img/new.JPEG"}
    path.unlink()  # rebuilt from the journal alone: the same, and not said again
    shutil.rmtree(snapshots_dir(path))
    with FlagStore.open(path) as store:
        assert "Set aside" not in store.recovered
        assert set(store.states()) == expected | {"img/new.JPEG"}
    assert rejected_path(path).read_bytes() == rejected


# --- 3. torn lines of any length; a journal line is bounded ---------------------------------


def test_a_torn_line_longer_than_a_mebibyte_is_cut_whole(tmp_path):
    """SIGKILL during a big write: the torn line is cut whole, not only its last MiB."""
    path = _store(tmp_path)
    torn = _line(4, "img/torn.JPEG", _flag_json(note="x" * 3_000_000))[:-1000]  # 3 MB, no \n
    with open(journal_path(path), "ab") as file:
        file.write(torn)
    with FlagStore.open(path) as store:
        assert "Set aside 1 journal line" in store.recovered
        store.apply({"img/next.JPEG": GOOD})  # on a line of its own
    lines = journal_path(path).read_bytes().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4]
    assert rejected_path(path).read_bytes().endswith(b"\n" + torn + b"\n")
    path.unlink()
    with FlagStore.open(path) as store:
        assert set(store.states()) == {"img/0.JPEG", "img/1.JPEG", "img/2.JPEG", "img/next.JPEG"}


def test_a_journal_line_is_one_image_and_bounded(tmp_path):
    """The largest state the store accepts makes a line of well under 256 KiB, and a big
    import is a line per image (a torn line costs one image, never the ones after it)."""
    longest = "😀" * LONGEST["note"]  # 4 bytes each in UTF-8
    flags = tuple(
        Flag(
            reason,
            longest,
            "n02084071",
            "é" * LONGEST["curator"],
            1.5e9,
            "f" * 128,
            2**63 - 1,
            "n02084071",
        )
        for reason in REASONS
    )
    biggest = ImageState(flags, Review("é" * LONGEST["curator"], 1.5e9, "f" * 128, 1, "n02084071"))
    path = tmp_path / "c.flags.sqlite"
    with FlagStore.open(path) as store:
        store.apply({"😀" * LONGEST["path"]: biggest})
        store.apply({f"img/{i}.JPEG": GOOD for i in range(5000)})
        assert len(store.states()) == 5001
    lines = journal_path(path).read_bytes().splitlines()
    assert len(lines) == 5001 and max(len(line) for line in lines) < 256 * 1024
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, 5002))


# --- 4. a write that fails on a full disk leaves nothing to replay --------------------------


def _journal_seqs(path: Path) -> list[int]:
    return [json.loads(line)["seq"] for line in journal_path(path).read_bytes().splitlines()]


def _fill_and_check(
    store_path: Path, attempt, rounds: int, free=lambda: None
) -> tuple[set[str], set[str]]:
    """Apply 1-3 images ``rounds`` times with one store held open (as the window holds it),
    ``attempt(i)`` before each; then ``free()`` space and check that exactly the acknowledged
    images are there, after a reopen and after a rebuild from the journal alone.
    (acknowledged, failed)"""
    acknowledged: set[str] = set()
    failed: set[str] = set()
    with FlagStore.open(store_path) as store:
        for i in range(rounds):
            attempt(i)
            changes = {f"img/{i}-{k}.JPEG": _state(i) for k in range(1 + i % 3)}
            try:
                store.apply(changes)
            except StoreError as exc:
                assert "is full" in str(exc) and "The change was not saved." in str(exc), exc
                failed.update(changes)
            else:
                acknowledged.update(changes)
            assert set(store.states()) == acknowledged
    free()
    seqs = _journal_seqs(store_path)
    assert seqs == sorted(set(seqs)) and len(seqs) == len(acknowledged)
    with FlagStore.open(store_path) as store:
        assert set(store.states()) == acknowledged
    store_path.unlink()
    shutil.rmtree(snapshots_dir(store_path), ignore_errors=True)
    with FlagStore.open(store_path) as store:  # the journal alone: no failed write comes back
        assert set(store.states()) == acknowledged
    return acknowledged, failed


def _state(i: int) -> ImageState:
    return ImageState((_flag(note=f"write {i} " + "n" * 200),))


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_an_injected_full_disk_fails_the_write_and_leaves_no_trace(tmp_path, monkeypatch, call):
    """ENOSPC from the journal's write (after half the bytes) or fsync, as any user."""
    real_write, real_fsync = os.write, os.fsync
    full = {"now": False}
    journal = journal_path(tmp_path / "c.flags.sqlite")

    def is_journal(fd: int) -> bool:
        return os.path.samestat(os.fstat(fd), journal.stat()) if journal.exists() else False

    def write(fd, data):
        if full["now"] and is_journal(fd):
            full["now"] = False  # the failed write's bytes are cut: there is room again
            real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    def fsync(fd):
        if full["now"] and is_journal(fd):
            full["now"] = False
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, call, {"write": write, "fsync": fsync}[call])
    rng = random.Random(call)

    def attempt(i: int) -> None:
        full["now"] = rng.random() < 0.4

    acknowledged, failed = _fill_and_check(tmp_path / "c.flags.sqlite", attempt, 40)
    assert acknowledged and failed
    assert max(_journal_seqs(tmp_path / "c.flags.sqlite")) > len(acknowledged)  # none reused


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs: a real full disk (root only; the injected ENOSPC runs as any user)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the injected-ENOSPC tests cover this user")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        pytest.skip(f"this container refuses to mount a tmpfs: {done.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "--lazy", str(disk)], check=False)


def _fill(disk: Path, filler: Path, leave: int) -> None:
    """Fill ``disk`` with ``filler`` up to ``leave`` free bytes."""
    filler.unlink(missing_ok=True)
    stat = os.statvfs(disk)
    filler.write_bytes(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))


def test_a_real_full_disk_fails_writes_that_leave_no_trace(small_disk):
    """Journal writes and SQLite commits fail with ENOSPC; space comes back now and then."""
    filler = small_disk / "filler"
    rng = random.Random(4)

    def attempt(i: int) -> None:
        if i % 12 == 0:  # someone frees some space, then fills it again
            filler.unlink(missing_ok=True)
        elif i % 12 == 6:
            _fill(small_disk, filler, rng.randrange(0, 16_384))

    acknowledged, failed = _fill_and_check(
        small_disk / "c.flags.sqlite", attempt, 60, lambda: filler.unlink(missing_ok=True)
    )
    assert acknowledged and failed


# --- 1-4 under SIGKILL and a full disk: nothing acknowledged lost, nothing failed back ----------

KILLED_WRITER = r"""
import errno, os, random, sys
from explorer.core.errors import StoreError
from explorer.core.curation import Flag, FlagStore, ImageState, journal_path
path, first, count, disk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if disk == "injected":  # ENOSPC from a fifth of the journal's writes (after half) and fsyncs
    rng, real_write, real_fsync = random.Random(first), os.write, os.fsync
    journal = journal_path(__import__("pathlib").Path(path))
    def full(fd):
        return os.path.samestat(os.fstat(fd), journal.stat())
    def write(fd, data):
        if full(fd) and rng.random() < 0.2:
            real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)
    def fsync(fd):
        if full(fd) and rng.random() < 0.2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)
    os.write, os.fsync = write, fsync
store = FlagStore.open(path)
print("open", flush=True)
for i in range(first, first + count):
    state = ImageState((Flag("other", note=str(i) * 20, time=i),))
    try:
        store.apply({f"img/{i:06d}.JPEG": state, f"img/{i:06d}.png": state})
    except StoreError:
        print("failed", i, flush=True)
    else:
        print("ok", i, flush=True)  # acknowledged: apply returned
"""


def _present(store_path: Path) -> set[int]:
    with FlagStore.open(store_path) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        paths = store.flagged_paths()
    assert {p[:-5] for p in paths if p.endswith(".JPEG")} == {
        p[:-4] for p in paths if p.endswith(".png")
    }
    return {int(p[4:10]) for p in paths}


@pytest.mark.parametrize("disk", ["injected", "tmpfs"])
def test_killed_writers_on_a_full_disk_lose_no_acknowledged_flag_and_bring_back_no_failed_one(
    tmp_path, request, disk
):
    """SIGKILL at random moments while writes fail for want of space, round after round."""
    folder = request.getfixturevalue("small_disk") if disk == "tmpfs" else tmp_path
    store_path = folder / "c.flags.sqlite"
    acknowledged: set[int] = set()
    failed: set[int] = set()
    rng = random.Random(20261130)
    rounds, first = 0, 0
    deadline = time.monotonic() + 12
    while rounds < 4 or time.monotonic() < deadline:
        if disk == "tmpfs":
            _fill(folder, folder / "filler", rng.randrange(32_768, 262_144))
        writer = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(store_path), str(first), "1000", disk],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        if writer.stdout.readline().strip() == "open":
            time.sleep(rng.uniform(0.05, 0.5))
            writer.kill()
        out, err = writer.stdout.read(), writer.stderr.read()  # the same buffers as readline's
        assert writer.wait() in (0, -signal.SIGKILL) or "is full" in err, err
        for line in out.split("\n")[:-1]:  # whole lines: a kill may cut the last one short
            outcome, number = line.split()
            (acknowledged if outcome == "ok" else failed).add(int(number))
        (folder / "filler").unlink(missing_ok=True)
        present = _present(store_path)
        assert acknowledged <= present, f"round {rounds}: {len(acknowledged - present)} lost"
        assert not failed & present, f"round {rounds}: failed writes back: {failed & present}"
        rounds, first = rounds + 1, first + 1000
    store_path.unlink()
    shutil.rmtree(snapshots_dir(store_path), ignore_errors=True)
    present = _present(store_path)  # the journal alone
    assert acknowledged <= present and not failed & present
    assert rounds >= 4 and acknowledged and failed, (len(acknowledged), len(failed))


# --- 5. writers wait for each other; snapshots never collide -----------------------------


def test_a_busy_store_says_another_program_is_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(flags, "BUSY_TIMEOUT", 0.3)
    path = _store(tmp_path)
    busy = "Another program is writing the flag store .*; try again when it is done"
    with FlagStore.open(path) as store:
        with open(journal_path(path), "ab") as other:  # a writer holds the writers' lock
            fcntl.flock(other, fcntl.LOCK_EX)
            with pytest.raises(StoreError, match=busy):
                store.apply({"img/x.JPEG": GOOD})
            with pytest.raises(StoreError, match=busy):
                FlagStore.open(path)
        with contextlib.closing(sqlite3.connect(path)) as other:  # or SQLite's own lock
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreError, match=busy + r".*\(database is locked\)|" + busy):
                store.apply({"img/x.JPEG": GOOD})
            other.rollback()
        store.apply({"img/x.JPEG": GOOD})
    with FlagStore.open(path) as store:
        assert store.recovered is None and len(store.states()) == 4
    assert not list(tmp_path.glob("*.damaged-*"))  # busy is no damage


def test_a_wal_file_another_writer_deletes_meanwhile_does_not_make_the_store_read_only(
    tmp_path, monkeypatch
):
    """A writer closing its connection deletes the -wal and -shm files: an access() check
    that lands just then says no for a file that is gone (seen once with three CLI writers
    on a loaded machine: "the store is read-only"). The store opens writable."""
    path = tmp_path / "c.flags.sqlite"
    with FlagStore.open(path) as store:
        store.apply({"a.JPEG": ImageState((_flag(),))})
    wal = Path(f"{path}-wal")
    wal.write_bytes(b"")  # as a writer's connection left it
    real_access = os.access

    def closing_writer(part, mode):
        if Path(part) == wal and wal.exists():
            wal.unlink()  # the other writer closes right then
            return real_access(part, mode)  # False: gone
        return real_access(part, mode)

    monkeypatch.setattr(flags.os, "access", closing_writer)
    with FlagStore.open(path) as store:
        assert store.read_only is None
        store.apply({"b.JPEG": ImageState((_flag(),))})
        assert set(store.states()) == {"a.JPEG", "b.JPEG"}


def test_a_change_made_from_states_read_in_writing_overwrites_no_other_writer(tmp_path):
    """Two writers flag one image at once, each from the state it read: both flags stay."""
    path = _store(tmp_path, 0)
    image = "img/shared.JPEG"

    def flag(store: FlagStore, reason: str) -> None:
        with store.writing():
            state = store.state(image)
            flags = sorted((*state.flags, _flag(reason=reason)), key=lambda f: f.reason)
            store.apply({image: ImageState(tuple(flags))})

    def other_writer() -> None:
        with FlagStore.open(path) as store:
            opened.set()
            go.wait()
            flag(store, "duplicate")  # waits for the lock, then reads the state after ours

    opened, go = threading.Event(), threading.Event()
    other = threading.Thread(target=other_writer)
    other.start()
    opened.wait()
    with FlagStore.open(path) as store, store.writing():
        state = store.state(image)  # read under the lock ...
        go.set()
        time.sleep(0.2)  # ... while the other writer waits to read
        store.apply({image: ImageState((*state.flags, _flag(reason="corrupt")))})
    other.join()
    with FlagStore.open(path) as store:
        assert store.state(image).reasons == ("corrupt", "duplicate")


def test_stale_snapshot_temporaries_are_cleaned_up(tmp_path):
    path = _store(tmp_path)
    folder = snapshots_dir(path)
    stale = [
        "flags-0000000003-20260101T000000-k1ll3d.tmp",
        "flags-x-k1ll3d.tmp-journal",
        "flags-x-k1ll3d.tmp-wal",
        "flags-x-k1ll3d.tmp-shm",
    ]
    for name in stale:
        (folder / name).write_bytes(b"left by a writer killed mid-snapshot")
    with FlagStore.open(path) as store:
        store.apply({"img/x.JPEG": GOOD})
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and all(n.startswith("flags-") and n.endswith(".sqlite") for n in names)


# --- 6. a store that cannot be written opens read-only ----------------------------------------


def _files(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(params=["chmod", "read-only mount"])
def read_only(request, tmp_path):
    """Makes a folder read-only and returns the path to use: chmod as a user (root writes
    regardless), a read-only bind mount as root."""

    def make(folder: Path) -> Path:
        if request.param == "chmod":
            if os.geteuid() == 0:
                pytest.skip("root writes regardless of permissions; the tester run checks chmod")
            for part in (*folder.rglob("*"), folder):
                part.chmod(0o555 if part.is_dir() else 0o444)
            request.addfinalizer(lambda: [p.chmod(0o755) for p in (folder, *folder.rglob("*"))])
            return folder
        if os.geteuid() != 0:
            pytest.skip("mounting needs root; the chmod variant checks this user")
        view = tmp_path / "read-only view"
        view.mkdir()
        done = subprocess.run(
            ["mount", "--bind", "-o", "ro", str(folder), str(view)], capture_output=True, text=True
        )
        if done.returncode:
            pytest.skip(f"this container refuses a read-only bind mount: {done.stderr.strip()}")
        request.addfinalizer(lambda: subprocess.run(["umount", "--lazy", str(view)], check=False))
        return view

    return make


def test_a_read_only_store_reads_and_refuses_writes_saying_why(tmp_path, read_only):
    folder = tmp_path / "data"
    folder.mkdir()
    path = _store(folder)
    with open(journal_path(path), "ab") as journal:  # a change a crash left uncommitted
        journal.write(_line(4, "img/pending.JPEG"))
    before = _files(folder)
    view = read_only(folder)
    with FlagStore.open(view / path.name) as store:
        assert set(store.states()) == {"img/0.JPEG", "img/1.JPEG", "img/2.JPEG"}
        assert store.read_only == f"the folder {view} cannot be written"
        assert store.recovered == (
            f"The flag store {view / path.name} is read-only (the folder {view} cannot be "
            "written), so 1 journaled change a program left unsaved is not shown; open it where "
            "it can be written to replay them."
        )
        refused = f"The flag store {view / path.name} is read-only (the folder {view} cannot"
        for write in (
            lambda: store.apply({"img/x.JPEG": GOOD}),
            lambda: store.queue_add([]),
        ):
            with pytest.raises(StoreError, match=re.escape(refused)) as caught:
                write()
            assert "nothing was changed" in str(caught.value)
    with FlagStore.open(view / "other.flags.sqlite") as store:  # no store yet: nothing flagged
        assert store.states() == {} and store.recovered is None
    assert _files(folder) == before  # nothing written, not even a -wal or -shm


def test_a_damaged_store_that_cannot_be_written_is_not_moved_but_explained(tmp_path, read_only):
    folder = tmp_path / "data"
    folder.mkdir()
    path = _store(folder)
    path.write_bytes(b"not a database " * 400)
    before = _files(folder)
    view = read_only(folder)
    with pytest.raises(StoreError) as caught:
        FlagStore.open(view / path.name)
    assert f"The flag store {view / path.name} needs repair" in str(caught.value)
    assert "make it writable and open it again" in str(caught.value)
    assert _files(folder) == before


# --- 7. a file that is not a flag store is never written to -----------------------------------


@pytest.mark.parametrize(
    "case", [c for c in not_catalogues.CASES if c not in ("empty file", "nonexistent path")]
)
def test_a_file_that_is_not_a_flag_store_is_refused_and_left_unchanged(tmp_path, case):
    given = not_catalogues.make(case, tmp_path)
    before = _files(tmp_path)
    with pytest.raises(StoreError) as caught:
        FlagStore.open(given)
    assert "not a flag store" in str(caught.value)
    assert _files(tmp_path) == before  # nothing written into it, nor beside it


def test_a_catalogue_opened_as_a_flag_store_names_the_store_beside_it(tmp_path):
    catalogue = tmp_path / "c.sqlite"
    shutil.copyfile(not_catalogues.OLD_CATALOGUE, catalogue)
    with pytest.raises(StoreError) as caught:
        FlagStore.open(catalogue)
    assert str(caught.value) == (
        f"{catalogue} is a catalogue, not a flag store; it was left unchanged. Its flags are in "
        f"{tmp_path / 'c.flags.sqlite'}."
    )
