"""The export commands on real ILSVRC samples and the real WordNet: every output read back."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from cli_run import ok, run

from explorer.cli.export import export

DOG, CAT, TENCH, DOMESTIC_ANIMAL = "n02084071", "n02121620", "n01440764", "n01317541"
CARNIVORE = "n02075296"


@pytest.fixture
def catalogue(capsys, tmp_path, shared_data) -> str:
    """The real samples of dogs, cats and the tench, in a folders layout, indexed."""
    root = tmp_path / "train"
    for sample in sorted((shared_data / "imagenet-samples").glob("n02*.JPEG")) + sorted(
        (shared_data / "imagenet-samples").glob(f"{TENCH}*.JPEG")
    ):
        wnid = sample.name.split("_")[0]
        (root / wnid).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, root / wnid / sample.name)
    ok(capsys, "index", str(root), "--catalogue", str(tmp_path / "c.sqlite"))
    return str(tmp_path / "c.sqlite")


@pytest.mark.parametrize("command", sorted(export.commands))
def test_every_export_command_has_help(capsys, command):
    out, _ = ok(capsys, "export", command, "--help")
    assert out.startswith(f"Usage: wnexplorer export {command}")


def test_subtree_formats(capsys, catalogue, tmp_path, taxonomy):
    out, _ = ok(capsys, "export", "subtree", "dog.n.01")
    assert out.split() == sorted(taxonomy.descendants(DOG) | {DOG})
    out, _ = ok(capsys, "export", "subtree", DOG, "--leaves-only", "--depth", "1")
    assert set(out.split()) == {c for c in taxonomy.children(DOG) if not taxonomy.children(c)}
    target = tmp_path / "dogs.csv"
    _, err = ok(
        capsys,
        "export",
        "subtree",
        DOG,
        "--with-images",
        "--catalogue",
        catalogue,
        "--format",
        "csv",
        "-o",
        str(target),
    )
    rows = list(csv.DictReader(target.open()))
    assert rows and all(int(r["subtree"]) > 0 for r in rows) and f"{len(rows)} rows" in err
    out, _ = ok(capsys, "export", "subtree", DOG, "--format", "tree-json", "--depth", "2")
    assert json.loads(out)["wnid"] == DOG
    status, _, err = run(capsys, "export", "subtree", DOG, "--with-images")
    assert status == 2 and "--catalogue" in err
    status, _, err = run(capsys, "export", "subtree", "n99999999")
    assert status == 1 and "not a noun synset" in err


def test_images_leave_flagged_out_unless_asked(capsys, catalogue, tmp_path):
    ok(
        capsys,
        "flags",
        "add",
        "n02099601/n02099601_golden_retriever.JPEG",
        "--reason",
        "duplicate",
        "--catalogue",
        catalogue,
    )
    out, err = ok(capsys, "export", "images", DOG, CAT, "--catalogue", catalogue)
    rows = list(csv.DictReader(out.splitlines()))
    assert "n02099601/n02099601_golden_retriever.JPEG" not in {r["path"] for r in rows}
    assert {r["class_wnid"] for r in rows} == {DOG, CAT} and "left out: 1 flagged" in err
    assert all(r["class_index"] == ("0" if r["class_wnid"] == DOG else "1") for r in rows)
    out, _ = ok(
        capsys,
        "export",
        "images",
        DOG,
        "--only-flagged",
        "--format",
        "txt",
        "--absolute",
        "--catalogue",
        catalogue,
    )
    (line,) = out.splitlines()
    path, index = line.rsplit(" ", 1)
    assert os.path.isabs(path) and Path(path).is_file() and index == "0"
    out, _ = ok(capsys, "export", "images", DOG, "--include-flagged", "--catalogue", catalogue)
    assert len(out.splitlines()) == len(rows) - sum(r["class_wnid"] == CAT for r in rows) + 2


def test_classmap(capsys, tmp_path):
    out, _ = ok(capsys, "export", "classmap", DOG, "cat.n.01")
    assert out == f"{DOG} dog, domestic dog, Canis familiaris\n{CAT} cat, true cat\n"
    ok(capsys, "export", "classmap", DOG, CAT, "--format", "json", "-o", str(tmp_path / "m.json"))
    assert json.loads((tmp_path / "m.json").read_text()) == {"0": [DOG, "dog"], "1": [CAT, "cat"]}


def test_superclasses_detect_overlaps(capsys, catalogue, tmp_path):
    status, _, err = run(
        capsys,
        "export",
        "superclasses",
        DOMESTIC_ANIMAL,
        CARNIVORE,
        "--catalogue",
        catalogue,
        "--on-overlap",
        "fail",
        "-o",
        str(tmp_path / "fail"),
    )
    assert status == 1 and "under several chosen nodes" in err
    assert not (tmp_path / "fail" / "images.csv").exists()
    out, err = ok(
        capsys,
        "export",
        "superclasses",
        DOMESTIC_ANIMAL,
        CARNIVORE,
        "--balance",
        "5",
        "--catalogue",
        catalogue,
        "-o",
        str(tmp_path / "breeds"),
    )
    assert "went to the most specific" in err
    # neither node is under the other: every overlap goes to the deeper one, carnivore
    assert dict(line.split("\t") for line in out.splitlines()) == {
        DOMESTIC_ANIMAL: "0",
        CARNIVORE: "5",
    }
    overlaps = json.loads((tmp_path / "breeds" / "overlaps.json").read_text())
    assert {o["wnid"] for o in overlaps} >= {"n02099601"}  # golden retriever: under both
    assert (tmp_path / "breeds" / "classes.txt").read_text().startswith(f"{DOMESTIC_ANIMAL} ")


def test_folders(capsys, catalogue, tmp_path):
    out_dir = tmp_path / "subset"
    _, err = ok(
        capsys,
        "export",
        "folders",
        CAT,
        "--mode",
        "hardlink",
        "--catalogue",
        catalogue,
        "-o",
        str(out_dir),
    )
    files = sorted(out_dir.rglob("*.JPEG"))
    assert files and {f.parent.name for f in files} == {CAT}
    assert f"{len(files)} rows" in err
    status, _, err = run(
        capsys, "export", "folders", CAT, "--catalogue", catalogue, "-o", str(out_dir)
    )
    assert status == 1 and "not empty" in err


def test_an_empty_superclass_is_warned_about(capsys, catalogue, tmp_path):
    out, err = ok(
        capsys,
        "export",
        "superclasses",
        DOMESTIC_ANIMAL,
        CARNIVORE,
        "--catalogue",
        catalogue,
        "-o",
        str(tmp_path / "breeds"),
    )
    per_class = dict(line.split("\t") for line in out.splitlines())
    assert per_class[DOMESTIC_ANIMAL] == "0"
    overlaps = {o["wnid"] for o in json.loads((tmp_path / "breeds" / "overlaps.json").read_text())}
    images = list(csv.DictReader((tmp_path / "breeds" / "images.csv").open()))
    shared = sum(row["wnid"] in overlaps for row in images)  # dogs and cats: under both
    assert 0 < shared < len(images) == int(per_class[CARNIVORE])
    [warning] = [line for line in err.splitlines() if "warning" in line]
    assert warning == (
        f"wnexplorer: warning: {DOMESTIC_ANIMAL} (domestic animal) is empty: its {shared} images "
        f"are also under {CARNIVORE} (carnivore) and went to that more specific chosen node "
        "(--on-overlap fail lists the overlaps)."
    )
    _, err = ok(capsys, "export", "images", DOG, CAT, "--catalogue", catalogue)
    assert "warning" not in err


@pytest.mark.parametrize(
    "command",
    [
        ["export", "subtree", DOG, "-o", "{out}/dogs.txt"],
        ["export", "classmap", DOG, CAT, "-o", "{out}/classes.txt"],
        ["export", "images", DOG, "--catalogue", "{catalogue}", "-o", "{out}/images.csv"],
        ["export", "superclasses", DOG, CAT, "--catalogue", "{catalogue}", "-o", "{out}/breeds"],
        ["export", "folders", CAT, "--catalogue", "{catalogue}", "-o", "{out}/tree"],
        ["coverage", "--under", DOG, "--catalogue", "{catalogue}", "-o", "{out}/gaps.csv"],
    ],
)
def test_a_missing_output_folder_needs_parents(capsys, catalogue, tmp_path, command):
    out = tmp_path / "new" / "dir"
    args = [a.format(out=out, catalogue=catalogue) for a in command]
    status, stdout, err = run(capsys, *args)
    assert status == 1 and stdout == ""
    assert err.endswith(
        f"wnexplorer: error: The folder {out} does not exist; create it or pass --parents.\n"
    )
    assert not (tmp_path / "new").exists()  # nothing made, as cp and mkdir would not
    _, err = ok(capsys, *args, "--parents")
    assert Path(args[-1]).exists() and f"Wrote {args[-1]}" in err


def test_counts_are_singular_or_plural(capsys, catalogue):
    _, err = ok(capsys, "export", "images", TENCH, "--catalogue", catalogue)
    assert err.splitlines()[0] == "1 row in 1 class"
    _, err = ok(capsys, "export", "classmap", DOG)
    assert err.splitlines()[0] == "1 row"
