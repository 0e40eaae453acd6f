"""The flag store and curation commands: undo, durability, recovery, relinking, sharing."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.curation import (
    EMPTY,
    REASON_CODES,
    REASON_TABLE,
    REASONS,
    CurationTally,
    Flag,
    FlagStore,
    ImageRef,
    ImageState,
    Review,
    UndoStack,
    clear_images,
    flag_images,
    flags_path_for,
    ilsvrc2012_classes,
    import_flags,
    import_label_errors,
    is_reason,
    journal_path,
    mark_reviewed,
    read_export,
    snapshots_dir,
    write_export,
)
from explorer.core.errors import StoreError

REPO = Path(__file__).resolve().parents[2]


def _model_reasons(store: FlagStore) -> dict[str, tuple[set[str], bool]]:
    return {p: (set(s.reasons), s.review is not None) for p, s in store.states().items()}


# --- commands and undo, against an in-memory model --------------------------------------

PATHS = [f"n02084071/dog_{i}.JPEG" for i in range(4)]


class CurationMachine(RuleBasedStateMachine):
    """Random flag / review / clear / undo / redo / reopen against a dict of sets."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(os.environ["WNEXPLORER_TEST_TMP"]) / f"m{random.getrandbits(48):x}"
        self.folder.mkdir(parents=True)
        self.store = FlagStore.open(self.folder / "c.flags.sqlite", snapshot=False)
        self.stack = UndoStack(self.store)
        self.model: dict[str, tuple[frozenset[str], bool]] = {}
        self.done: list[dict] = []  # model before each done command, for undo
        self.undone: list[tuple[dict, dict]] = []  # (before, after) of undone commands

    def _push(self, command, after_model: dict) -> None:
        self.stack.push(command)
        self.done.append(dict(self.model))
        self.undone.clear()
        self.model = after_model

    @rule(
        paths=st.lists(st.sampled_from(PATHS), min_size=1, max_size=3, unique=True),
        reason=st.sampled_from(sorted(REASONS)),
    )
    def flag(self, paths, reason) -> None:
        after = dict(self.model)
        for path in paths:
            reasons, _ok = after.get(path, (frozenset(), False))
            after[path] = (reasons | {reason}, False)
        self._push(flag_images(self.store, [ImageRef(p) for p in paths], reason), after)

    @rule(paths=st.lists(st.sampled_from(PATHS), min_size=1, max_size=3, unique=True))
    def review(self, paths) -> None:
        after = dict(self.model)
        for path in paths:
            after[path] = (frozenset(), True)
        self._push(mark_reviewed(self.store, [ImageRef(p) for p in paths]), after)

    @rule(
        paths=st.lists(st.sampled_from(PATHS), min_size=1, max_size=3, unique=True),
        reason=st.none() | st.sampled_from(sorted(REASONS)),
    )
    def clear(self, paths, reason) -> None:
        after = dict(self.model)
        for path in paths:
            reasons, ok = after.get(path, (frozenset(), False))
            after[path] = (frozenset(), False) if reason is None else (reasons - {reason}, ok)
        self._push(clear_images(self.store, [ImageRef(p) for p in paths], reason), after)

    @rule()
    def undo(self) -> None:
        command = self.stack.undo()
        assert (command is None) == (not self.done)
        if command is not None:
            before = self.done.pop()
            self.undone.append((before, self.model))
            self.model = before

    @rule()
    def redo(self) -> None:
        command = self.stack.redo()
        assert (command is None) == (not self.undone)
        if command is not None:
            before, after = self.undone.pop()
            self.done.append(before)
            self.model = after

    @rule()
    def reopen(self) -> None:
        """Closing and opening again changes nothing (the undo stack lives with the window)."""
        self.store.close()
        self.store = FlagStore.open(self.folder / "c.flags.sqlite", snapshot=False)
        self.stack.store = self.store

    @invariant()
    def store_matches_model(self) -> None:
        expected = {
            p: (set(reasons), ok) for p, (reasons, ok) in self.model.items() if reasons or ok
        }
        assert _model_reasons(self.store) == expected

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def test_commands_undo_and_redo_match_a_model(tmp_path, monkeypatch):
    monkeypatch.setenv("WNEXPLORER_TEST_TMP", str(tmp_path))
    machine = CurationMachine.TestCase
    machine.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
    machine().runTest()


def test_undo_stack_labels_and_a_new_command_drops_redo(tmp_path):
    with FlagStore.open(tmp_path / "c.flags.sqlite") as store:
        stack = UndoStack(store)
        refs = [ImageRef(p) for p in PATHS[:2]]
        stack.push(flag_images(store, refs, "duplicate"))
        assert stack.undo_label == "Flag 2 images: duplicate" and stack.redo_label is None
        stack.undo()
        assert stack.redo_label == "Flag 2 images: duplicate" and store.states() == {}
        stack.push(mark_reviewed(store, refs[:1]))
        assert stack.redo_label is None and stack.redo() is None
        with pytest.raises(ValueError, match="Unknown reason"):
            flag_images(store, refs, "blurry")
        with pytest.raises(ValueError, match="Unknown reason"):
            clear_images(store, refs, "blurry")
        with pytest.raises(ValueError, match="is not one of csv, json"):
            write_export(store, tmp_path / "out.xml", "xml")


# --- durability: a writer killed at random moments ---------------------------------------

WRITER = r"""
import sys
from explorer.core.curation import Flag, FlagStore, ImageState
store = FlagStore.open(sys.argv[1])
first, count = int(sys.argv[2]), int(sys.argv[3])
print("open", flush=True)
for i in range(first, first + count):
    store.apply({f"img/{i:06d}.JPEG": ImageState((Flag("other", note=str(i), time=i),), None)})
    print(i, flush=True)  # acknowledged: apply returned
"""


def test_a_killed_writer_loses_no_acknowledged_flag(tmp_path):
    """SIGKILL at random moments during 1,000+ writes, many times; bounded to ~25 s."""
    store_path = tmp_path / "c.flags.sqlite"
    acknowledged: set[int] = set()
    rng = random.Random(20261129)
    next_id, rounds = 0, 0
    deadline = time.monotonic() + 25
    while (rounds < 12 or len(acknowledged) < 1000) and time.monotonic() < deadline:
        batch = 400
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_path), str(next_id), str(batch)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert writer.stdout.readline().strip() == "open", writer.stderr.read()
        time.sleep(rng.uniform(0.01, 0.6))
        writer.send_signal(signal.SIGKILL)
        out = writer.stdout.read()  # not communicate(): it would skip what readline buffered
        writer.wait()
        acked = [int(line) for line in out.split("\n")[:-1] if line.isdigit()]  # whole lines
        acknowledged.update(acked)
        next_id += batch
        rounds += 1
        with FlagStore.open(store_path) as store:  # checks, recovers if needed, catches up
            assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            present = {int(p[4:10]) for p in store.flagged_paths()}
            lost = acknowledged - present
            assert not lost, f"round {rounds}: {len(lost)} acknowledged flags lost"
    print(f"\n{rounds} kills, {len(acknowledged):,} acknowledged writes, none lost")
    assert rounds >= 5 and len(acknowledged) >= 1000


# --- damage and recovery ------------------------------------------------------------------


def _store_with_flags(folder: Path, count: int) -> Path:
    path = folder / "c.flags.sqlite"
    with FlagStore.open(path) as store:
        for i in range(count):
            store.apply({f"img/{i}.JPEG": ImageState((Flag("corrupt", time=i),), None)})
    return path


@pytest.mark.parametrize("how", ["zeroed-pages", "truncated", "garbage", "deleted"])
def test_a_damaged_store_is_recovered_from_snapshot_and_journal(tmp_path, how):
    path = _store_with_flags(tmp_path, 30)  # closing took a snapshot of all 30
    with FlagStore.open(path) as store:  # 10 more after the snapshot: only in the journal
        for i in range(30, 40):
            store.apply({f"img/{i}.JPEG": ImageState((Flag("duplicate", time=i),), None)})
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    damaged = {
        "zeroed-pages": data[:4096] + b"\x00" * (len(data) - 4096),
        "truncated": data[: len(data) // 3],
        "garbage": b"not a database" * 500,
    }.get(how)
    if damaged is None:
        path.unlink()
    else:
        path.write_bytes(damaged)
    with FlagStore.open(path) as store:
        assert store.recovered and "rebuilt from snapshot" in store.recovered
        assert len(store.flagged_paths()) == 40
        assert store.state("img/35.JPEG").reasons == ("duplicate",)
    if damaged is not None:  # the damaged file is kept beside, never overwritten
        kept = [p for p in tmp_path.glob("c.flags.sqlite.damaged-*") if p.name[-4:-1] != "-wa"]
        assert [p.read_bytes() for p in kept if not p.name.endswith(("-wal", "-shm"))] == [damaged]


def test_no_snapshot_at_all_rebuilds_from_the_journal_alone(tmp_path):
    path = _store_with_flags(tmp_path, 12)
    shutil.rmtree(snapshots_dir(path))
    path.write_bytes(b"\x00" * 8192)
    with FlagStore.open(path) as store:
        assert "an empty store and the journal" in store.recovered
        assert len(store.flagged_paths()) == 12


def test_a_torn_journal_line_is_cut_and_writing_goes_on(tmp_path):
    path = _store_with_flags(tmp_path, 3)
    with open(journal_path(path), "ab") as journal:
        journal.write(b'{"seq": 99, "chan')  # a crash in the middle of an append
    with FlagStore.open(path) as store:
        assert len(store.flagged_paths()) == 3
        store.apply({"img/new.JPEG": ImageState((Flag("other"),), None)})
    lines = journal_path(path).read_bytes().splitlines()
    assert all(json.loads(line)["seq"] for line in lines) and len(lines) == 4


def test_snapshots_are_kept_to_five(tmp_path):
    path = tmp_path / "c.flags.sqlite"
    for i in range(8):
        with FlagStore.open(path) as store:
            store.apply({f"img/{i}.JPEG": ImageState((Flag("other"),), None)})
    snapshots = list(snapshots_dir(path).glob("flags-*.sqlite"))
    assert len(snapshots) == 5
    for snapshot in snapshots:
        with sqlite3.connect(snapshot) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path):
    path = _store_with_flags(tmp_path, 1)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer version"):
        FlagStore.open(path)
    assert path.read_bytes() == before


# --- on a real catalogue: rescans, moved files, sharing, label-error queues ----------------


@pytest.fixture
def dataset(tmp_path, shared_data, taxonomy):
    """Ten real ILSVRC samples in a folders layout, indexed."""
    root = tmp_path / "train"
    samples = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))[:10]
    for sample in samples:
        wnid = sample.name.split("_")[0]
        (root / wnid).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, root / wnid / sample.name)
    catalogue = index_catalogue(root, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite")
    return root, catalogue.catalogue


def _refs(catalogue_path, paths=None):
    with Catalogue.open(catalogue_path) as catalogue:
        rows = (
            catalogue.images_by_path(paths) if paths else catalogue.images(catalogue.label_counts())
        )
        return [ImageRef.from_row(catalogue, row) for row in rows]


def test_flags_survive_a_rescan_and_follow_a_renamed_file(dataset, taxonomy):
    root, catalogue_path = dataset
    refs = _refs(catalogue_path)
    with FlagStore.open_for(catalogue_path) as store:
        store.apply(flag_images(store, refs[:2], "wrong_label", suggested_wnid="n02084071").after)
        store.apply(mark_reviewed(store, refs[2:3]).after)
    first, second = refs[0].path, refs[1].path
    moved = root / "renamed" / "moved.JPEG"
    moved.parent.mkdir()
    os.replace(root / first, moved)  # renamed and moved to another folder
    index_catalogue(root, nouns=taxonomy.graph, catalogue=catalogue_path)  # the rescan
    with FlagStore.open_for(catalogue_path) as store, Catalogue.open(catalogue_path) as cat:
        assert store.state(second).reasons == ("wrong_label",)  # the rescan kept it
        assert store.state(first).reasons == ("wrong_label",)  # missing now, but kept
        report = store.relink(cat)
        assert report.relinked == [(first, "renamed/moved.JPEG")] and not report.ambiguous
        assert store.state(first) == EMPTY
        state = store.state("renamed/moved.JPEG")
        assert state.reasons == ("wrong_label",) and state.flags[0].suggested_wnid == "n02084071"
        assert store.state(refs[2].path).review is not None


def test_a_flag_follows_a_file_renamed_to_a_name_that_is_not_utf8(dataset, taxonomy):
    """The candidate is read by its bytes, not by the escaped name the catalogue shows."""
    from hostile_corpus import NON_UTF8_NAME

    root, catalogue_path = dataset
    ref = _refs(catalogue_path)[0]
    with FlagStore.open_for(catalogue_path) as store:
        store.apply(flag_images(store, [ref], "wrong_label").after)
    os.replace(root / ref.path, os.fsencode(root) + b"/" + NON_UTF8_NAME)
    index_catalogue(root, nouns=taxonomy.graph, catalogue=catalogue_path)
    with FlagStore.open_for(catalogue_path) as store, Catalogue.open(catalogue_path) as cat:
        report = store.relink(cat)
        assert report.relinked == [(ref.path, "bad_\\xff_name.JPEG")]
        assert store.state("bad_\\xff_name.JPEG").reasons == ("wrong_label",)


def test_a_failure_of_sqlite_while_reading_is_a_store_error_that_says_what_to_do(tmp_path):
    class Busy:
        def execute(self, *_args):
            exc = sqlite3.OperationalError("database is locked")
            exc.sqlite_errorname = "SQLITE_BUSY"
            raise exc

    store = FlagStore.open(tmp_path / "c.flags.sqlite")
    real, store.db = store.db, Busy()
    try:
        for read in (
            store.states,
            lambda: store.states(["a"]),
            store.flagged_paths,
            store.queue,
            store.queue_sources,
        ):
            with pytest.raises(StoreError, match=r"Another program is writing the flag store"):
                read()
    finally:
        store.db = real
        store.close()


def test_a_closed_store_is_a_store_error_that_says_so(tmp_path):
    """Typing the store found it: a read of a closed store was an AttributeError, a write a
    TypeError from fcntl."""
    store = FlagStore.open(tmp_path / "c.flags.sqlite")
    store.close()
    store.close()  # a second close does nothing
    for use in (
        store.states,
        lambda: store.state("a.JPEG"),
        store.queue,
        lambda: store.apply({"a.JPEG": ImageState((Flag("corrupt"),))}),
        lambda: store.queue_add([]),
    ):
        with pytest.raises(StoreError, match=r"c\.flags\.sqlite is closed; open it again"):
            use()


def test_the_reason_codes_are_the_tables():
    assert tuple(reason.code for reason in REASON_TABLE) == REASON_CODES
    assert [code for code in REASON_CODES if is_reason(code)] == list(REASON_CODES)
    assert not any(is_reason(v) for v in ("reviewed_ok", "Corrupt", "", None, 1))


def test_identical_content_in_two_places_is_reported_not_merged(dataset, taxonomy):
    root, catalogue_path = dataset
    ref = _refs(catalogue_path)[0]
    with FlagStore.open_for(catalogue_path) as store:
        store.apply(flag_images(store, [ref], "duplicate").after)
    shutil.copyfile(root / ref.path, root / "copy_a.JPEG")
    os.replace(root / ref.path, root / "copy_b.JPEG")
    index_catalogue(root, nouns=taxonomy.graph, catalogue=catalogue_path)
    with FlagStore.open_for(catalogue_path) as store, Catalogue.open(catalogue_path) as cat:
        report = store.relink(cat)
        assert report.relinked == []
        assert report.ambiguous == [(ref.path, ["copy_a.JPEG", "copy_b.JPEG"])]
        assert store.state(ref.path).reasons == ("duplicate",)  # left where it was


def test_export_import_round_trip_and_conflicts(dataset, tmp_path):
    _root, catalogue_path = dataset
    refs = _refs(catalogue_path)
    mine = tmp_path / "mine.flags.sqlite"
    with FlagStore.open(mine) as store:
        store.apply(flag_images(store, refs[:3], "low_quality", note="blurred").after)
        store.apply(flag_images(store, refs[:1], "wrong_label", suggested_wnid="n02121620").after)
        store.apply(mark_reviewed(store, refs[3:5], curator="ann").after)
        expected = store.states()
        for fmt in ("csv", "json"):
            assert write_export(store, tmp_path / f"flags.{fmt}", fmt) == 6
    for fmt in ("csv", "json"):
        with FlagStore.open(tmp_path / f"theirs-{fmt}.flags.sqlite") as theirs:
            report = import_flags(theirs, read_export(tmp_path / f"flags.{fmt}"))
            assert (report.added, report.unchanged, report.conflicts) == (6, 0, [])
            assert theirs.states() == expected
            again = import_flags(theirs, read_export(tmp_path / f"flags.{fmt}"))
            assert (again.added, again.unchanged, again.conflicts) == (0, 6, [])
    # a colleague changed a note later
    rows = read_export(tmp_path / "flags.json")
    rows[1]["note"], rows[1]["time"] = "out of focus", "2099-01-01T00:00:00.000000+00:00"
    (tmp_path / "later.json").write_text(json.dumps(rows))
    with FlagStore.open(mine) as store:
        report = import_flags(store, read_export(tmp_path / "later.json"))
        assert [c["path"] for c in report.conflicts] == [rows[1]["path"]]
        flags = {f.reason: f for f in store.state(rows[1]["path"]).flags}
        assert flags[rows[1]["reason"]].note == "out of focus"  # the newer side wins
    (tmp_path / "bad.csv").write_text("path,reason\nx.JPEG,blurry\n")
    with FlagStore.open(mine) as store, pytest.raises(StoreError, match="row 1: unknown reason"):
        import_flags(store, read_export(tmp_path / "bad.csv"))


def test_cleanlab_label_errors_become_a_review_queue(tmp_path, shared_data, taxonomy):
    errors = shared_data / "known-issues" / "imagenet_mturk.json"
    entries = {e["id"]: e for e in json.loads(errors.read_text())}
    assert 293 in entries
    root = tmp_path / "val"
    samples = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))
    ids = [293, *sorted(entries)[1:3], 7]  # 7 is not in the list
    for number, sample in zip(ids, samples, strict=False):
        folder = root / "n01440764"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, folder / f"ILSVRC2012_val_{number:08d}.JPEG")
    catalogue_path = index_catalogue(root, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite")
    classes = ilsvrc2012_classes()
    assert len(classes) == 1000 and classes[0] == "n01440764" and classes == sorted(classes)
    with (
        FlagStore.open_for(catalogue_path.catalogue) as store,
        Catalogue.open(catalogue_path.catalogue) as catalogue,
    ):
        queued, not_found = import_label_errors(store, catalogue, errors)
        assert (queued, not_found) == (3, len(entries) - 3)
        queue = {path: (note, suggested) for path, _source, note, suggested in store.queue()}
        note, suggested = queue["n01440764/ILSVRC2012_val_00000293.JPEG"]
        assert suggested == classes[48] and taxonomy.node(suggested)["lemmas"][0] == (
            "Komodo dragon"
        )
        assert "given tench" in note and "MTurk votes given 5" in note
    assert flags_path_for(catalogue_path.catalogue).name == "c.flags.sqlite"


def test_two_writers_at_once_keep_one_journal_that_rebuilds_the_store(tmp_path):
    """The window and the CLI may write at the same time: no lost flag, no shared seq."""
    store_path = tmp_path / "c.flags.sqlite"
    FlagStore.open(store_path).close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_path), str(first), "150"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for first in (0, 1000)
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    with FlagStore.open(store_path) as store:
        states = store.states()
    assert len(states) == 300
    seqs = [json.loads(line)["seq"] for line in journal_path(store_path).read_text().splitlines()]
    assert seqs == list(range(1, 301))
    store_path.unlink()
    shutil.rmtree(snapshots_dir(store_path))
    with FlagStore.open(store_path) as rebuilt:
        assert rebuilt.recovered and rebuilt.states() == states


def test_a_losing_ok_mark_is_a_conflict_not_an_addition(tmp_path):
    with FlagStore.open(tmp_path / "a.flags.sqlite") as store:
        store.apply({"x.JPEG": ImageState((), Review("ann", 100.0))})
        write_export(store, tmp_path / "old_ok.csv")
    (tmp_path / "old_ok.csv").write_text(
        "\ufeff" + (tmp_path / "old_ok.csv").read_text()  # as a spreadsheet saves it
    )
    with FlagStore.open(tmp_path / "b.flags.sqlite") as store:
        store.apply({"x.JPEG": ImageState((Flag("corrupt", time=200.0),), None)})
        report = import_flags(store, read_export(tmp_path / "old_ok.csv"))
        assert (report.added, report.unchanged) == (0, 0)
        assert report.conflicts[0]["kept"] == "flags"
        assert store.state("x.JPEG").reasons == ("corrupt",)
        store.apply({"y.JPEG": ImageState((), Review("bob", 300.0))})
        rows = [
            {
                "path": "y.JPEG",
                "reason": "reviewed_ok",
                "curator": "ann",
                "time": "1970-01-01T00:01:40+00:00",
            }
        ]
        report = import_flags(store, rows)  # two OK marks: the newer is kept, and said
        assert report.conflicts[0]["reason"] == "reviewed_ok"
        assert store.state("y.JPEG").review.curator == "bob"


def test_the_tally_moves_with_each_change_like_a_recount(dataset):
    _root, catalogue_path = dataset
    refs = _refs(catalogue_path)
    with FlagStore.open_for(catalogue_path) as store, Catalogue.open(catalogue_path) as cat:
        tally = CurationTally(store, cat)
        stack = UndoStack(store)
        for make in (  # each made when it runs: a command records the states it changes
            lambda: flag_images(store, refs[:3], "corrupt"),
            lambda: mark_reviewed(store, refs[2:5]),
            lambda: flag_images(store, refs[4:6], "duplicate"),
            lambda: clear_images(store, refs[:1]),
        ):
            command = make()
            stack.push(command)
            tally.update(command.before, command.after)
        undone = stack.undo()
        tally.update(undone.after, undone.before)
        fresh = CurationTally(store, cat)
        assert (tally.flagged, tally.reviewed) == (fresh.flagged, fresh.reviewed)
        # 0 and 1 corrupt (the clear of 0 undone), 2 and 3 OK, 4 and 5 duplicate
        assert sum(fresh.reviewed.values()) == 6 and sum(fresh.flagged.values()) == 4


# --- importing another curator's file: every bad row skipped, never written -------------

GOOD_ROW = {
    "path": "n02084071/good.JPEG",
    "reason": "corrupt",
    "curator": "ann",
    "time": "2024-05-01T10:00:00+00:00",
    "size": 1204,
}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"reason": "blurry"}, "unknown reason 'blurry'"),
        ({"reason": None}, "unknown reason None"),
        ({"reason": ["corrupt"]}, "unknown reason ['corrupt']"),
        ({"path": ""}, "no path"),
        ({"path": 7}, "path 7 is not text"),
        ({"path": "a\0b.JPEG"}, "NUL"),
        ({"path": "../outside.JPEG"}, "leads outside the catalogue root"),
        ({"path": "n02084071/../../outside.JPEG"}, "leads outside the catalogue root"),
        ({"path": "/etc/passwd"}, "leads outside the catalogue root"),
        ({"size": 10**30}, "is not a number of bytes"),
        ({"size": "1" * 30}, "is not a number of bytes"),
        ({"size": float("inf")}, "size inf is not a number of bytes"),
        ({"size": -1}, "size -1 is not"),
        ({"size": True}, "size True is not"),
        ({"size": "12 kB"}, "size '12 kB' is not"),
        ({"time": "yesterday"}, "time 'yesterday' is not ISO 8601"),
        ({"time": 1714557600}, "time 1714557600 is not text"),
        ({"note": {"nested": [1, 2]}}, "note {'nested': [1, 2]} is not text"),
        ({"curator": ["ann"]}, "curator ['ann'] is not text"),
        ({"wnid": "dog"}, "wnid 'dog' is not a wnid"),
        ({"suggested_wnid": "n0208407"}, "suggested_wnid 'n0208407' is not a wnid"),
        ({"content_hash": "not hex!"}, "content_hash 'not hex!' is not a hex digest"),
    ],
)
def test_a_bad_row_is_skipped_with_its_number_and_never_written(tmp_path, change, why):
    rows = [GOOD_ROW, {**GOOD_ROW, "path": "n02084071/bad.JPEG", **change}]
    with FlagStore.open(tmp_path / "c.flags.sqlite") as store:
        report = import_flags(store, rows)
        assert report.added == 1 and report.images == 1
        [skipped] = report.skipped
        assert skipped["row"] == 2 and why in skipped["why"], skipped
        assert list(store.states()) == [GOOD_ROW["path"]]
        assert store.state(GOOD_ROW["path"]).flags[0].size == 1204


def test_no_good_row_is_an_error_that_writes_nothing(tmp_path):
    rows = [{"path": "a.JPEG", "reason": "blurry"}, "not a row", ["a.JPEG", "corrupt"]]
    with FlagStore.open(tmp_path / "c.flags.sqlite") as store:
        with pytest.raises(StoreError) as caught:
            import_flags(store, rows)
        assert store.states() == {}
    message = str(caught.value)
    assert "3 rows and none valid (row 1: unknown reason 'blurry'" in message
    assert "path, reason, note" in message and "`wnexplorer flags export`" in message
    with FlagStore.open(tmp_path / "c.flags.sqlite") as store:
        assert import_flags(store, []).images == 0  # an empty export is no error


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"garbage\n", "no path or reason column in its header 'garbage'"),
        (b"file,label\nx.JPEG,n02084071\n", "no path or reason column"),
        (b"path,wnid\nx.JPEG,n02084071\n", "no reason column"),
        (b"", "the file is empty"),
        (b" \n\n", "the file is empty"),
        (b'{"path": "x.JPEG", "reason": "corrupt"}', "JSON, but not a list"),
        (b'[{"path": "x.JPEG", ', "broken JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "broken JSON"),  # deeper than the parser goes
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused(tmp_path, content, why):
    (tmp_path / "flags.csv").write_bytes(content)
    with pytest.raises(StoreError) as caught:
        read_export(tmp_path / "flags.csv")
    assert why in str(caught.value)
    assert "is not a flags export" in str(caught.value)
    assert "`wnexplorer flags export` makes one" in str(caught.value)


def test_absolute_paths_a_manifest_lists_are_accepted_and_missing_ones_counted(tmp_path, taxonomy):
    listed = str(tmp_path / "elsewhere" / "n02084071_1.JPEG")  # a manifest's absolute path
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"path,wnid\n{listed},n02084071\nn02084071/here.JPEG,n02084071\n")
    summary = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite")
    rows = [
        {"path": listed, "reason": "corrupt"},
        {"path": "n02084071/here.JPEG", "reason": "duplicate"},
        {"path": "n02084071/gone.JPEG", "reason": "duplicate"},
        {"path": str(tmp_path / "unlisted.JPEG"), "reason": "corrupt"},
    ]
    with (
        FlagStore.open_for(summary.catalogue) as store,
        Catalogue.open(summary.catalogue) as catalogue,
    ):
        report = import_flags(store, rows, catalogue)
        assert (report.added, report.images, report.not_in_catalogue) == (3, 3, 1)
        assert [s["row"] for s in report.skipped] == [4]
        assert set(store.states()) == {listed, "n02084071/here.JPEG", "n02084071/gone.JPEG"}
