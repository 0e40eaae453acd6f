"""The flags commands: curation from the command line, on real ILSVRC samples and real WordNet."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cli_run import ok, run
from hostile_corpus import make_socket

from explorer.cli.flags import flags

TENCH, GOLDEN, CHIHUAHUA, DOG = "n01440764", "n02099601", "n02085620", "n02084071"
KOMODO_DRAGON, GARTER_SNAKE, BEAGLE = "n01695060", "n01735189", "n02088364"
SAMPLES = (
    "n01440764_tench",
    "n01443537_goldfish",
    "n02099601_golden_retriever",
    "n02085620_Chihuahua",
)
TENCH_JPEG, GOLDFISH_JPEG = "n01440764_tench.JPEG", "n01443537_goldfish.JPEG"
GOLDEN_JPEG, CHIHUAHUA_JPEG = "n02099601_golden_retriever.JPEG", "n02085620_Chihuahua.JPEG"


@pytest.fixture
def train(tmp_path, shared_data) -> Path:
    """Four real ILSVRC samples in the flat layout (n01440764_tench.JPEG, ...)."""
    root = tmp_path / "train"
    root.mkdir()
    for name in SAMPLES:
        shutil.copyfile(shared_data / "imagenet-samples" / f"{name}.JPEG", root / f"{name}.JPEG")
    return root


def index(capsys, root: Path, catalogue: Path, *extra) -> str:
    ok(capsys, "index", str(root), "--catalogue", str(catalogue), *extra)
    return str(catalogue)


@pytest.fixture
def catalogue(capsys, train, tmp_path) -> str:
    return index(capsys, train, tmp_path / "c.sqlite")


def listing(capsys, catalogue: str, *extra) -> list[dict]:
    out, _ = ok(capsys, "flags", "list", "--catalogue", catalogue, "--json", *extra)
    return json.loads(out)["marks"]


def marks(capsys, catalogue: str, *extra) -> dict[str, list[str]]:
    """{path: [reasons]} of the listing."""
    result: dict[str, list[str]] = {}
    for row in listing(capsys, catalogue, *extra):
        result.setdefault(row["path"], []).append(row["reason"])
    return result


@pytest.mark.parametrize("command", sorted(flags.commands))
def test_every_flags_command_has_help(capsys, command):
    out, _ = ok(capsys, "flags", command, "--help")
    assert out.startswith(f"Usage: wnexplorer flags {command}")
    if command == "add":
        assert "wrong_label" in out and "not_a_photo" in out


def test_add_list_remove_review(capsys, train, catalogue):
    out, _ = ok(
        capsys,
        "flags",
        "add",
        TENCH_JPEG,
        "--reason",
        "wrong_label",
        "--note",
        "a carp",
        "--suggest",
        "dog.n.01",
        "--curator",
        "alice",
        "--catalogue",
        catalogue,
    )
    assert out == "Flagged 1 image: wrong label.\n"
    ok(
        capsys,
        "flags",
        "add",
        str(train / GOLDEN_JPEG),
        str(train / CHIHUAHUA_JPEG),
        "--reason",
        "low_quality",
        "--curator",
        "bob",
        "--catalogue",
        catalogue,
    )
    rows = {row["path"]: row for row in listing(capsys, catalogue)}
    assert set(rows) == {TENCH_JPEG, GOLDEN_JPEG, CHIHUAHUA_JPEG}  # absolute -> relative
    tench = rows[TENCH_JPEG]
    assert (tench["reason"], tench["note"], tench["suggested_wnid"], tench["curator"]) == (
        "wrong_label",
        "a carp",
        DOG,
        "alice",
    )
    assert tench["label"] == TENCH and tench["missing"] is False and tench["time"]
    assert rows[GOLDEN_JPEG]["curator"] == "bob" and rows[GOLDEN_JPEG]["suggested_wnid"] is None

    out, err = ok(capsys, "flags", "list", "--catalogue", catalogue)
    lines = out.splitlines()
    assert len(lines) == 3  # by path
    assert lines[0].startswith(f"{TENCH_JPEG}\twrong_label\ta carp\t{DOG}\talice\t")
    assert not any(line.endswith("missing") for line in lines)
    assert "3 marks on 3 images (0 missing)" in err and "queue" not in err

    # --under: a dog breed's flag is under dog, the tench's is not; and the other way round
    assert set(marks(capsys, catalogue, "--under", DOG)) == {GOLDEN_JPEG, CHIHUAHUA_JPEG}
    assert set(marks(capsys, catalogue, "--under", "tench.n.01")) == {TENCH_JPEG}
    assert marks(capsys, catalogue, "--under", "n02121808") == {}  # domestic cat

    ok(capsys, "flags", "add", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue)
    assert marks(capsys, catalogue)[TENCH_JPEG] == ["corrupt", "wrong_label"]
    ok(capsys, "flags", "remove", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue)
    assert marks(capsys, catalogue)[TENCH_JPEG] == ["wrong_label"]
    out, _ = ok(
        capsys, "flags", "remove", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue
    )
    assert "nothing to change" in out

    out, _ = ok(capsys, "flags", "review", GOLDEN_JPEG, GOLDFISH_JPEG, "--catalogue", catalogue)
    assert out == "Marked 2 images reviewed OK.\n"
    assert marks(capsys, catalogue) == {
        TENCH_JPEG: ["wrong_label"],
        GOLDEN_JPEG: ["reviewed_ok"],
        GOLDFISH_JPEG: ["reviewed_ok"],
        CHIHUAHUA_JPEG: ["low_quality"],
    }

    ok(capsys, "flags", "remove", TENCH_JPEG, GOLDEN_JPEG, "--catalogue", catalogue)
    assert marks(capsys, catalogue) == {
        GOLDFISH_JPEG: ["reviewed_ok"],
        CHIHUAHUA_JPEG: ["low_quality"],
    }


@pytest.mark.parametrize("suggest", ["v01926311", "n99999999", "nosuch.n.01"])
def test_suggest_must_be_a_noun_synset(capsys, catalogue, suggest):
    status, out, err = run(
        capsys,
        "flags",
        "add",
        TENCH_JPEG,
        "--reason",
        "wrong_label",
        "--suggest",
        suggest,
        "--catalogue",
        catalogue,
    )
    assert status == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "--suggest" in err and suggest in err and "not a noun synset" in err
    assert listing(capsys, catalogue) == []


@pytest.mark.parametrize(
    ("paths", "needle"),
    [
        (["n09999999_nothere.JPEG"], "Not in the catalogue"),
        ([TENCH_JPEG, "sub/n09999999_nothere.JPEG"], "sub/n09999999_nothere.JPEG"),
        (["/elsewhere/n01440764_tench.JPEG"], "outside the catalogue root"),
        (["../n01440764_tench.JPEG"], "outside the catalogue root"),
    ],
)
def test_paths_the_catalogue_does_not_list_are_refused(capsys, catalogue, paths, needle):
    status, out, err = run(
        capsys, "flags", "add", *paths, "--reason", "corrupt", "--catalogue", catalogue
    )
    assert status == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert needle in err
    assert listing(capsys, catalogue) == []  # nothing flagged, not even the listed path


def test_command_line_errors(capsys, catalogue, tmp_path):
    status, _, err = run(
        capsys, "flags", "add", TENCH_JPEG, "--reason", "ugly", "--catalogue", catalogue
    )
    assert status == 2 and "--reason" in err
    status, _, err = run(capsys, "flags", "add", TENCH_JPEG, "--catalogue", catalogue)
    assert status == 2 and "--reason" in err
    status, _, err = run(capsys, "flags", "list", "--catalogue", str(tmp_path / "none.sqlite"))
    assert status == 1 and "No such file or folder" in err
    assert not (tmp_path / "none.flags.sqlite").exists()
    status, _, err = run(capsys, "flags", "remove", "gone.JPEG", "--catalogue", catalogue)
    assert status == 1 and "gone.JPEG" in err
    bad = tmp_path / "bad.csv"
    bad.write_text(f"path,reason,time\n{TENCH_JPEG},corrupt,yesterday\n")
    status, out, err = run(capsys, "flags", "import", str(bad), "--catalogue", catalogue)
    assert status == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "row 1" in err and "yesterday" in err


def _curate(capsys, catalogue: str) -> None:
    note = "a carp, not a tench"
    ok(
        capsys,
        "flags",
        "add",
        TENCH_JPEG,
        "--reason",
        "wrong_label",
        "--note",
        note,
        "--suggest",
        "n01443537",
        "--curator",
        "alice",
        "--catalogue",
        catalogue,
    )
    ok(
        capsys,
        "flags",
        "add",
        TENCH_JPEG,
        GOLDEN_JPEG,
        "--reason",
        "low_quality",
        "--catalogue",
        catalogue,
    )
    ok(capsys, "flags", "review", GOLDFISH_JPEG, "--curator", "carol", "--catalogue", catalogue)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_and_import_round_trip(capsys, train, catalogue, tmp_path, fmt):
    _curate(capsys, catalogue)
    export = tmp_path / f"flags.{fmt}"
    _, err = ok(capsys, "flags", "export", "-o", str(export), "--catalogue", catalogue)
    assert f"Wrote 4 rows to {export}" in err
    if fmt == "json":  # the format follows the suffix
        assert [row["reason"] for row in json.loads(export.read_text())] == [
            "low_quality",
            "wrong_label",
            "reviewed_ok",
            "low_quality",
        ]
    else:
        assert export.read_text().startswith("path,reason,note,suggested_wnid,curator,time,")

    fresh = index(capsys, train, tmp_path / "fresh" / "c.sqlite")  # its own, empty store
    assert listing(capsys, fresh) == []
    out, _ = ok(capsys, "flags", "import", str(export), "--catalogue", fresh)
    assert out == "4 added, 0 unchanged, 0 conflicts\n"
    assert listing(capsys, fresh) == listing(capsys, catalogue)
    out, _ = ok(capsys, "flags", "import", str(export), "--catalogue", fresh, "--json")
    assert json.loads(out) == {
        "added": 0,
        "unchanged": 4,
        "conflicts": [],
        "skipped": [],
        "images": 3,
        "not_in_catalogue": 0,
    }


def test_import_reports_conflicts(capsys, train, catalogue, tmp_path):
    ok(
        capsys,
        "flags",
        "add",
        TENCH_JPEG,
        "--reason",
        "wrong_label",
        "--note",
        "a carp",
        "--curator",
        "alice",
        "--catalogue",
        catalogue,
    )
    theirs = tmp_path / "alice.csv"
    ok(capsys, "flags", "export", "-o", str(theirs), "--catalogue", catalogue)
    other = index(capsys, train, tmp_path / "bob" / "c.sqlite")
    ok(
        capsys,
        "flags",
        "add",
        TENCH_JPEG,
        "--reason",
        "wrong_label",
        "--note",
        "an eel",
        "--curator",
        "bob",
        "--catalogue",
        other,
    )

    out, _ = ok(capsys, "flags", "import", str(theirs), "--catalogue", other, "--json")
    report = json.loads(out)
    assert report["added"] == 0 and report["unchanged"] == 0
    [conflict] = report["conflicts"]
    assert conflict["path"] == TENCH_JPEG and conflict["reason"] == "wrong_label"
    assert conflict["kept"].startswith("bob at ") and conflict["kept"].endswith("an eel")
    assert conflict["dropped"].startswith("alice at ")  # the newer flag wins
    [row] = listing(capsys, other)
    assert (row["curator"], row["note"]) == ("bob", "an eel")
    out, _ = ok(capsys, "flags", "import", str(theirs), "--catalogue", other)
    assert out.splitlines()[0] == "0 added, 0 unchanged, 1 conflict"
    assert out.splitlines()[1].startswith(f"conflict: {TENCH_JPEG} wrong_label: kept bob at ")


def test_flags_of_images_the_catalogue_lacks_are_listed_missing(capsys, catalogue, tmp_path):
    export = tmp_path / "elsewhere.json"
    export.write_text(
        json.dumps(
            [
                {
                    "path": "val/ILSVRC2012_val_00000293.JPEG",
                    "reason": "duplicate",
                    "curator": "dan",
                    "time": "2024-05-01T10:00:00+00:00",
                    "wnid": TENCH,
                }
            ]
        )
    )
    out, _ = ok(capsys, "flags", "import", str(export), "--catalogue", catalogue)
    assert out.splitlines() == [
        "1 added, 0 unchanged, 0 conflicts",
        "1 of 1 image is not in the catalogue (kept; `wnexplorer flags list` shows it as missing)",
    ]
    out, err = ok(capsys, "flags", "list", "--catalogue", catalogue, "--under", TENCH)
    assert out.startswith("val/ILSVRC2012_val_00000293.JPEG\tduplicate\t-\t-\tdan\t2024-05-01 ")
    assert out.rstrip("\n").endswith("\tmissing") and "(1 missing)" in err
    ok(capsys, "flags", "remove", "val/ILSVRC2012_val_00000293.JPEG", "--catalogue", catalogue)
    assert listing(capsys, catalogue) == []


def test_import_label_errors_queues_real_candidates(capsys, shared_data, tmp_path):
    mturk = shared_data / "known-issues" / "imagenet_mturk.json"
    samples = shared_data / "imagenet-samples"
    val = tmp_path / "val"
    val.mkdir()
    files = {
        293: "n01440764_tench",
        1: "n01751748_sea_snake",
        28: "n02089973_English_foxhound",
        3: "n01443537_goldfish",
    }
    for number, sample in files.items():
        shutil.copyfile(samples / f"{sample}.JPEG", val / f"ILSVRC2012_val_{number:08d}.JPEG")
    labels = shared_data / "ilsvrc2012" / "validation_synset_labels.txt"
    catalogue = index(capsys, val, tmp_path / "val.sqlite", "--labels", str(labels))
    # cleanlab numbers classes in sorted-wnid order: class 48 is the Komodo dragon
    assert (shared_data / "ilsvrc2012" / "imagenet_synsets.txt").read_text().split()[48] == (
        KOMODO_DRAGON
    )

    out, _ = ok(capsys, "flags", "import-label-errors", str(mturk), "--catalogue", catalogue)
    entries = len(json.loads(mturk.read_text()))
    assert out == f"3 queued for review, {entries - 3:,} not in the catalogue\n"  # 3 is no error

    out, _ = ok(capsys, "flags", "queue", "--catalogue", catalogue, "--json")
    queue = {item["path"]: item for item in json.loads(out)}
    assert {path: item["suggested_wnid"] for path, item in queue.items()} == {
        "ILSVRC2012_val_00000001.JPEG": GARTER_SNAKE,
        "ILSVRC2012_val_00000028.JPEG": BEAGLE,
        "ILSVRC2012_val_00000293.JPEG": KOMODO_DRAGON,
    }
    tench = queue["ILSVRC2012_val_00000293.JPEG"]
    assert tench["source"] == "cleanlab-imagenet-mturk"
    assert "given tench, guessed Komodo dragon" in tench["note"]
    out, _ = ok(capsys, "flags", "queue", "--catalogue", catalogue)
    assert out.splitlines()[2].startswith("ILSVRC2012_val_00000293.JPEG\tcleanlab-imagenet-mturk\t")
    assert out.splitlines()[2].endswith(f"\t{KOMODO_DRAGON}")

    out, err = ok(capsys, "flags", "list", "--catalogue", catalogue)
    assert out == "" and "Review queue: 3 images (cleanlab-imagenet-mturk: 3)" in err
    out, _ = ok(capsys, "flags", "list", "--catalogue", catalogue, "--json")
    assert json.loads(out)["queue"] == {"cleanlab-imagenet-mturk": 3}


def test_a_rescan_lets_flags_follow_a_renamed_file(capsys, train, catalogue):
    ok(
        capsys,
        "flags",
        "add",
        TENCH_JPEG,
        CHIHUAHUA_JPEG,
        "--reason",
        "wrong_label",
        "--note",
        "check",
        "--catalogue",
        catalogue,
    )
    (train / TENCH_JPEG).rename(train / "n01440764_moved.JPEG")
    (train / CHIHUAHUA_JPEG).unlink()
    out, _ = ok(capsys, "index", str(train), "--catalogue", catalogue)  # the rescan relinks
    assert "2 gone" in out
    assert "Flags:     1 followed a moved or renamed file; 0 left where they were" in out
    rows = {r["path"]: r for r in listing(capsys, catalogue)}
    assert set(rows) == {"n01440764_moved.JPEG", CHIHUAHUA_JPEG}
    moved = rows["n01440764_moved.JPEG"]
    assert moved["missing"] is False and moved["note"] == "check" and moved["label"] == TENCH
    assert rows[CHIHUAHUA_JPEG]["missing"] is True  # kept, never dropped

    out, _ = ok(capsys, "flags", "relink", "--catalogue", catalogue)  # nothing more to follow
    assert out.splitlines() == [
        "0 relinked, 0 ambiguous, 1 still missing",
        f"missing: {CHIHUAHUA_JPEG}",
    ]


def test_a_damaged_store_is_recovered_with_a_warning(capsys, catalogue, tmp_path):
    ok(capsys, "flags", "add", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue)
    store = tmp_path / "c.flags.sqlite"
    assert store.is_file()
    store.write_bytes(b"not a database " * 400)
    out, err = ok(capsys, "flags", "list", "--catalogue", catalogue)
    assert "wnexplorer: warning: The flag store was damaged" in err
    assert out.startswith(f"{TENCH_JPEG}\tcorrupt\t")
    assert list(tmp_path.glob("c.flags.sqlite.damaged-*"))  # kept aside, never overwritten


def test_flagging_special_files_finishes_in_seconds(capsys, train, tmp_path):
    """A FIFO or a link to /dev/zero named like an image used to hang `flags add` for ever
    (reading its content hash); they are flagged at once, without a hash. A real process,
    with a timeout: a hang fails the test instead of the suite."""
    specials = {
        f"{TENCH}_fifo.JPEG": os.mkfifo,
        f"{TENCH}_zero.JPEG": lambda path: path.symlink_to("/dev/zero"),
        f"{TENCH}_urandom.JPEG": lambda path: path.symlink_to("/dev/urandom"),
        f"{TENCH}_socket.JPEG": make_socket,
    }
    for name, make in specials.items():
        make(train / name)
    catalogue = index(capsys, train, tmp_path / "c.sqlite")
    command = [
        sys.executable,
        "-m",
        "explorer",
        "flags",
        "add",
        *specials,
        TENCH_JPEG,
        "--reason",
        "corrupt",
        "--catalogue",
        catalogue,
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=train, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 20  # a Python start and a few milliseconds of work
    assert done.stdout == "Flagged 5 images: corrupt.\n"
    hashes = {row["path"]: row["content_hash"] for row in listing(capsys, catalogue)}
    assert hashes.pop(TENCH_JPEG)  # the real image is hashed
    assert hashes == dict.fromkeys(specials)


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("garbage.csv", b"garbage\n", "no path or reason column in its header 'garbage'"),
        ("empty.csv", b"", "the file is empty"),
        ("other.json", b'{"marks": []}', "JSON, but not a list"),
        ("binary.csv", None, "not UTF-8 text"),  # a real JPEG
        (
            "bad_rows.json",
            b'[1, {"path": "x.JPEG"}, {"path": "../x.JPEG", "reason": "corrupt"}]',
            "Nothing to import: 3 rows and none valid (row 1: 1 is not an object",
        ),
        (
            "bad_types.csv",
            b"path,reason,size\nx.JPEG,corrupt,1e30\n",
            "Nothing to import: 1 row and none valid (row 1: size '1e30' is not a number",
        ),
    ],
)
def test_hostile_files_are_refused_and_write_nothing(
    capsys, train, catalogue, tmp_path, name, content, needle
):
    ok(capsys, "flags", "add", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue)
    before = listing(capsys, catalogue)
    hostile = tmp_path / name
    hostile.write_bytes(content if content is not None else (train / TENCH_JPEG).read_bytes())
    status, out, err = run(capsys, "flags", "import", str(hostile), "--catalogue", catalogue)
    assert status == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert needle in err
    assert "columns path, reason, note, suggested_wnid" in err  # what an export is
    assert "`wnexplorer flags export` makes one" in err  # and how to make one
    assert listing(capsys, catalogue) == before


def test_bad_rows_are_skipped_by_number_and_absent_images_counted(capsys, catalogue, tmp_path):
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "path,reason,curator,time,size\n"
        f"{TENCH_JPEG},corrupt,ann,2024-05-01T10:00:00+00:00,\n"  # row 1: fine
        "n01440764/gone.JPEG,duplicate,ann,,\n"  # row 2: fine, not in the catalogue
        f"{GOLDEN_JPEG},blurry,ann,,\n"  # row 3: no such reason
        f"{GOLDEN_JPEG},corrupt,ann,yesterday,\n"  # row 4: no time
        "../elsewhere.JPEG,corrupt,ann,,\n"  # row 5: outside the root
        f"{CHIHUAHUA_JPEG},corrupt,ann,,{10**30}\n"  # row 6: no size
    )
    out, err = ok(capsys, "flags", "import", str(mixed), "--catalogue", catalogue)
    assert out.splitlines() == [
        "2 added, 0 unchanged, 0 conflicts, 4 rows skipped",
        "1 of 2 images is not in the catalogue (kept; `wnexplorer flags list` shows it as missing)",
    ]
    warnings = err.splitlines()
    assert [w.split(" skipped: ")[0] for w in warnings] == [
        f"wnexplorer: warning: row {n}" for n in (3, 4, 5, 6)
    ]
    assert "unknown reason 'blurry'" in warnings[0] and "'yesterday'" in warnings[1]
    assert "outside the catalogue root" in warnings[2] and "size" in warnings[3]
    rows = listing(capsys, catalogue)
    assert [(r["path"], r["missing"]) for r in rows] == [  # natural order: by folder
        (TENCH_JPEG, False),
        ("n01440764/gone.JPEG", True),
    ]
    out, _ = ok(capsys, "flags", "import", str(mixed), "--catalogue", catalogue, "--json")
    report = json.loads(out)
    assert [s["row"] for s in report["skipped"]] == [3, 4, 5, 6]
    assert (report["unchanged"], report["images"], report["not_in_catalogue"]) == (2, 2, 1)


def test_output_counts_are_singular_or_plural(capsys, catalogue, tmp_path):
    ok(capsys, "flags", "add", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue)
    _, err = ok(capsys, "flags", "list", "--catalogue", catalogue)
    assert "1 mark on 1 image (0 missing)" in err
    _, err = ok(
        capsys, "flags", "export", "-o", str(tmp_path / "one.csv"), "--catalogue", catalogue
    )
    assert f"Wrote 1 row to {tmp_path / 'one.csv'}" in err
    out, _ = ok(capsys, "flags", "remove", TENCH_JPEG, "--catalogue", catalogue)
    assert out == "Cleared flags of 1 image.\n"


def test_flags_export_into_a_missing_folder_needs_parents(capsys, catalogue, tmp_path):
    ok(capsys, "flags", "add", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue)
    target = tmp_path / "shared" / "flags" / "ann.csv"
    status, out, err = run(capsys, "flags", "export", "-o", str(target), "--catalogue", catalogue)
    assert status == 1 and out == ""
    assert err == (
        f"wnexplorer: error: The folder {target.parent} does not exist; create it or pass "
        "--parents.\n"
    )
    assert not (tmp_path / "shared").exists()
    ok(capsys, "flags", "export", "-o", str(target), "--parents", "--catalogue", catalogue)
    assert target.read_text().startswith("path,reason,")


# --- reliability: concurrent writers, read-only stores, wrong files, odd names --------------

REPO = Path(__file__).resolve().parents[2]


def test_concurrent_cli_writers_wait_for_each_other_and_lose_nothing(capsys, tmp_path, shared_data):
    """Three `wnexplorer flags` processes in loops on one real catalogue: every command exits 0
    and every acknowledged flag (and removal) is there after."""
    root = tmp_path / "train"
    root.mkdir()
    samples = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))[:9]
    for sample in samples:
        shutil.copyfile(sample, root / sample.name)
    catalogue = index(capsys, root, tmp_path / "c.sqlite")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    reasons = ("corrupt", "duplicate", "low_quality")

    def writer(k: int) -> list[tuple[list[str], subprocess.CompletedProcess]]:
        done = []
        for i in range(10):
            name = samples[(k + i) % len(samples)].name  # the writers' images overlap
            verb = "remove" if i % 4 == 3 else "add"
            args = ["flags", verb, name, "--reason", reasons[k], "--catalogue", catalogue]
            command = [sys.executable, "-m", "explorer", *args]
            done.append((args, subprocess.run(command, capture_output=True, text=True, env=env)))
        return done

    with ThreadPoolExecutor(3) as pool:
        runs = [run for runs in pool.map(writer, range(3)) for run in runs]
    assert [(args, r.stderr) for args, r in runs if r.returncode != 0] == []
    expected = {}  # (path, reason) -> flagged, by each writer's last command on it
    for args, _result in runs:
        expected[(args[2], args[4])] = args[1] == "add"
    flagged = {(row["path"], row["reason"]) for row in listing(capsys, catalogue)}
    assert flagged == {key for key, present in expected.items() if present}


@pytest.fixture
def flagged(capsys, catalogue) -> str:
    ok(capsys, "flags", "add", TENCH_JPEG, "--reason", "corrupt", "--catalogue", catalogue)
    return catalogue


@pytest.fixture(params=["chmod", "read-only bind mount"])
def read_only_store(request, flagged, tmp_path) -> str:
    """The catalogue's flag store (one flag) made read-only; the catalogue stays writable."""
    store_files = [tmp_path / "c.flags.sqlite", tmp_path / "c.flags.journal"]
    if request.param == "chmod":
        if os.geteuid() == 0:
            pytest.skip("root writes regardless of permissions; the tester run checks chmod")
        for part in store_files:
            part.chmod(0o444)
        request.addfinalizer(lambda: [part.chmod(0o644) for part in store_files])
        return flagged
    if os.geteuid() != 0:
        pytest.skip("mounting needs root; the chmod variant checks this user")
    for part in store_files:
        done = subprocess.run(
            ["mount", "--bind", "-o", "ro", str(part), str(part)], capture_output=True, text=True
        )
        if done.returncode:
            pytest.skip(f"this container refuses a read-only bind mount: {done.stderr.strip()}")
        request.addfinalizer(lambda p=part: subprocess.run(["umount", "--lazy", str(p)]))
    return flagged


def test_a_read_only_store_lists_exports_and_refuses_writes(capsys, read_only_store, tmp_path):
    fixture = read_only_store
    store = tmp_path / "c.flags.sqlite"
    before = {p: p.read_bytes() for p in (store, tmp_path / "c.flags.journal")}
    assert [row["path"] for row in listing(capsys, fixture)] == [TENCH_JPEG]
    out, err = ok(capsys, "flags", "queue", "--catalogue", fixture)
    assert out == "" and "damaged" not in err
    ok(capsys, "flags", "export", "-o", str(tmp_path / "out.csv"), "--catalogue", fixture)
    assert (tmp_path / "out.csv").read_text().count(TENCH_JPEG) == 1
    status, out, err = run(
        capsys, "flags", "add", GOLDEN_JPEG, "--reason", "corrupt", "--catalogue", fixture
    )
    assert status == 1 and out == ""
    assert err == (
        f"wnexplorer: error: The flag store {store} is read-only (the file {store} cannot be "
        "written); nothing was changed. Make it writable, or copy the catalogue with its flag "
        "store (c.flags.*) to a folder you can write.\n"
    )
    assert {p: p.read_bytes() for p in before} == before


def test_a_flag_store_given_as_the_catalogue_is_named_and_left_unchanged(capsys, flagged, tmp_path):
    store = tmp_path / "c.flags.sqlite"
    before = store.read_bytes()
    for command in (["flags", "list"], ["flags", "add", TENCH_JPEG, "--reason", "duplicate"]):
        status, out, err = run(capsys, *command, "--catalogue", store)
        assert status == 1 and out == ""
        assert err == (
            f"wnexplorer: error: {store} is a flag store (the curation of a catalogue), not a "
            f"catalogue; it was left unchanged. Open its catalogue, {tmp_path / 'c.sqlite'}.\n"
        )
    assert store.read_bytes() == before


def test_flags_on_a_name_that_is_not_utf8_work_end_to_end(capsys, train, tmp_path):
    raw = os.fsencode(train) + b"/n01440764_\xff_tench.JPEG"
    try:
        os.rename(os.fsencode(train / TENCH_JPEG), raw)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    catalogue = index(capsys, train, tmp_path / "c.sqlite")
    typed = os.fsdecode(raw)  # as the shell passes it: a surrogate escape for the byte
    shown = "n01440764_\\xff_tench.JPEG"  # as the catalogue and flags keep it
    ok(capsys, "flags", "add", typed, "--reason", "corrupt", "--catalogue", catalogue)
    ok(
        capsys,
        "flags",
        "add",
        Path(typed).name,
        "--reason",
        "duplicate",
        "--note",
        "same",
        "--catalogue",
        catalogue,
    )
    [corrupt, duplicate] = listing(capsys, catalogue)
    assert (corrupt["path"], corrupt["reason"], duplicate["reason"]) == (
        shown,
        "corrupt",
        "duplicate",
    )
    assert corrupt["content_hash"] and not corrupt["missing"]  # the file itself was read
    out, _ = ok(capsys, "flags", "list", "--catalogue", catalogue)
    assert out.startswith(f"{shown}\tcorrupt\t")
    export = tmp_path / "flags.json"
    ok(capsys, "flags", "export", "-o", str(export), "--catalogue", catalogue)
    (tmp_path / "c.flags.sqlite").unlink()  # rebuilt from the journal alone
    shutil.rmtree(tmp_path / "c.flags-snapshots")
    assert listing(capsys, catalogue) == [corrupt, duplicate]
    ok(capsys, "flags", "remove", typed, "--catalogue", catalogue)
    assert listing(capsys, catalogue) == []
    out, _ = ok(capsys, "flags", "import", str(export), "--catalogue", catalogue)
    assert out == "2 added, 0 unchanged, 0 conflicts\n"


def test_control_characters_are_escaped_in_text_output_only(capsys, train, tmp_path):
    name = "n01440764_bell\a\x1b[31mred.JPEG"
    (train / TENCH_JPEG).rename(train / name)
    catalogue = index(capsys, train, tmp_path / "c.sqlite")
    ok(
        capsys,
        "flags",
        "add",
        name,
        "--reason",
        "other",
        "--note",
        "see \x1b[2J this",
        "--curator",
        "ann\x07",
        "--catalogue",
        catalogue,
    )
    out, _ = ok(capsys, "flags", "list", "--catalogue", catalogue)
    assert out.startswith(
        "n01440764_bell\\x07\\x1b[31mred.JPEG\tother\tsee \\x1b[2J this\t-\tann\\x07\t"
    )
    assert "\x1b" not in out and "\a" not in out
    [row] = listing(capsys, catalogue)  # JSON keeps the text as it is
    assert (row["path"], row["note"], row["curator"]) == (name, "see \x1b[2J this", "ann\x07")
