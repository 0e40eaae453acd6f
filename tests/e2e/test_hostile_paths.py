"""Hostile paths and cells, end to end: names that collide when shown, unreadable folders,
paths outside the root, formula cells, and export names that collide or are too long."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from cli_run import ok

from explorer.core.catalogue import Catalogue
from explorer.core.csv_cells import read_cell
from explorer.core.exports import format_subtree
from explorer.core.thumbnails import make_thumbnail

TENCH, GOLDFISH = "n01440764", "n01443537"
TENCH_JPEG, GOLDFISH_JPEG = f"{TENCH}_tench.JPEG", f"{GOLDFISH}_goldfish.JPEG"


def _bytes_file(folder, name: bytes, data: bytes) -> bytes:
    """Write a file named by raw bytes; skip where the file system refuses the name."""
    path = os.path.join(os.fsencode(folder), name)
    try:
        with open(path, "wb") as stream:
            stream.write(data)
    except OSError as exc:
        pytest.skip(f"this file system refuses the name {name!r}: {exc}")
    return path


# --- display paths: no two files share one -----------------------------------------------


def test_an_undecodable_name_and_its_look_alike_are_both_indexed(capsys, shared_data, tmp_path):
    """``x\\xff.JPEG`` (the byte 0xff) beside ``x\\\\xff.JPEG`` (a backslash, x, f, f) used to
    show the same path and make the whole index refuse; a folder with an undecodable name
    used to stop it too."""
    samples = shared_data / "imagenet-samples"
    folder = tmp_path / "data" / TENCH
    folder.mkdir(parents=True)
    files = {
        _bytes_file(folder, b"x\xff.JPEG", (samples / TENCH_JPEG).read_bytes()): TENCH_JPEG,
        _bytes_file(folder, b"x\\xff.JPEG", (samples / GOLDFISH_JPEG).read_bytes()): GOLDFISH_JPEG,
    }
    (folder / os.fsdecode(b"sub\xff")).mkdir()
    shutil.copyfile(samples / TENCH_JPEG, folder / os.fsdecode(b"sub\xff") / "a.JPEG")
    files[os.path.join(os.fsencode(folder), b"sub\xff", b"a.JPEG")] = TENCH_JPEG
    catalogue = tmp_path / "c.sqlite"
    out, _err = ok(capsys, "index", tmp_path / "data", "--catalogue", catalogue, "--json")
    assert json.loads(out)["images"] == 3
    shown = [f"{TENCH}/x\\xff.JPEG", f"{TENCH}/x\\\\xff.JPEG", f"{TENCH}/sub\\xff/a.JPEG"]
    with Catalogue.open(catalogue) as opened:
        rows = opened.images_by_path(shown)
        assert sorted(row.path for row in rows) == sorted(shown)
        for row in rows:
            on_disk = opened.absolute_path(row.path, row.raw_path)
            assert on_disk in files
            assert (
                Path(os.fsdecode(on_disk)).read_bytes() == (samples / files[on_disk]).read_bytes()
            )
            assert make_thumbnail(on_disk, 64).error == ""


# --- unreadable folders are named --------------------------------------------------------


def test_unreadable_folders_are_named(capsys, monkeypatch, shared_data, tmp_path):
    root = tmp_path / "data"
    locked = [root / TENCH / "private", root / "zz_locked"]
    for folder in (root / TENCH, *locked):
        folder.mkdir(parents=True)
        shutil.copyfile(shared_data / "imagenet-samples" / TENCH_JPEG, folder / "a.JPEG")
    for folder in locked:
        folder.chmod(0)
    if os.access(locked[0], os.R_OK):  # root reads it all the same: refuse as the kernel would
        real_open = os.open

        def refusing_open(path, flags, *args, **kwargs):
            if os.fsdecode(path) in map(str, locked):
                raise PermissionError(13, "Permission denied", path)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    try:
        out, _ = ok(capsys, "index", root, "--catalogue", tmp_path / "c.sqlite")
        assert (
            f"2 unreadable folders ({TENCH}/private, zz_locked: check their permissions)\n" in out
        )
        out, _ = ok(capsys, "index", root, "--catalogue", tmp_path / "c.sqlite", "--json")
        summary = json.loads(out)
        assert summary["unreadable_dirs"] == 2
        assert summary["unreadable_examples"] == [f"{TENCH}/private", "zz_locked"]
    finally:
        for folder in locked:
            folder.chmod(0o755)  # so that pytest can remove it


# --- CSV cells a spreadsheet would run as formulas -----------------------------------------

FORMULAS = ['=HYPERLINK("x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'quoted"]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _quoted(cell: str) -> bool:
    return cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r", "'")


def test_every_csv_quotes_formula_cells_and_reads_them_back(
    capsys, shared_data, taxonomy, tmp_path
):
    """Folder names, a target and a note that start like formulas, through every CSV the
    app writes: image lists, superclasses' images.csv, subtree lists, coverage, flags."""
    root = tmp_path / "train"
    for name in FORMULAS:
        (root / name / TENCH).mkdir(parents=True)
        shutil.copyfile(
            shared_data / "imagenet-samples" / TENCH_JPEG, root / name / TENCH / "a.JPEG"
        )
    catalogue = tmp_path / "c.sqlite"
    ok(capsys, "index", root, "--catalogue", catalogue)
    paths = sorted(f"{name}/{TENCH}/a.JPEG" for name in FORMULAS)

    out, _ = ok(capsys, "export", "images", TENCH, "--catalogue", catalogue)
    written = [row[0] for row in _cells(out)[1:]]
    assert all(_quoted(cell) for cell in written)
    assert sorted(map(read_cell, written)) == paths
    ok(capsys, "export", "superclasses", TENCH, "--catalogue", catalogue, "-o", tmp_path / "sc")
    assert _cells((tmp_path / "sc" / "images.csv").read_bytes().decode()) == _cells(out)

    row = {"wnid": TENCH, "name": "=1+1", "lemmas": ["-x"], "gloss": "@y", "depth": -1}
    (cells,) = _cells(format_subtree(taxonomy, TENCH, [row], "csv"))[1:]
    assert cells[:5] == [TENCH, "'=1+1", "'-x", "'@y", "-1"]  # numbers as they are

    (tmp_path / "targets.txt").write_text(f'{TENCH}\n=HYPERLINK("http://x")\n')
    out, _ = ok(capsys, "coverage", "--catalogue", catalogue, "--targets", tmp_path / "targets.txt")
    assert _cells(out)[1][:4] == ['\'=HYPERLINK("http://x")', "", "", "-1"]

    ok(capsys, "flags", "add", paths[0], "--reason", "other", "--note", "=cmd|' /C calc'!A0",
       "--curator", "@me", "--catalogue", catalogue)  # fmt: skip
    ok(capsys, "flags", "export", "-o", tmp_path / "flags.csv", "--catalogue", catalogue)
    header, cells = _cells((tmp_path / "flags.csv").read_bytes().decode())
    exported = dict(zip(header, cells, strict=True))
    assert exported["path"] == "'" + paths[0]
    assert (exported["note"], exported["curator"]) == ("'=cmd|' /C calc'!A0", "'@me")
    out, _ = ok(capsys, "flags", "import", tmp_path / "flags.csv", "--catalogue", catalogue)
    # read back as it was: the same flag, so no conflict
    assert out.startswith("0 added, 1 unchanged, 0 conflicts\n")


# --- folder exports: names that collide or are too long ----------------------------------

DOG, GOLDEN, CHIHUAHUA, SHIH_TZU = "n02084071", "n02099601", "n02085620", "n02086240"


@pytest.mark.parametrize("mode", ["symlink", "hardlink", "copy"])
def test_colliding_and_longest_names_get_unique_valid_names(capsys, shared_data, tmp_path, mode):
    """Three dog synsets give the dog class the same names, 255-byte ones among them, and a
    name the old fallback would have made (n02085620__x.JPEG): nothing may fail the export."""
    samples = sorted((shared_data / "imagenet-samples").glob("n02*.JPEG"))
    longest = ["a" * 250 + ".JPEG", "é" * 125 + ".JPEG"]  # 255 bytes each
    root = tmp_path / "train"
    files = {}
    for synset in (GOLDEN, CHIHUAHUA, SHIH_TZU):
        for name in ["x.JPEG", "x~2.JPEG", *longest]:
            files[f"{synset}/{name}"] = samples[len(files)].read_bytes()
    files[f"{SHIH_TZU}/{CHIHUAHUA}__x.JPEG"] = samples[len(files)].read_bytes()
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    ok(capsys, "index", root, "--catalogue", tmp_path / "c.sqlite")
    out = tmp_path / "dogs"
    _, err = ok(capsys, "export", "folders", DOG, "--catalogue", tmp_path / "c.sqlite", "-o", out,
                "--mode", mode)  # fmt: skip
    assert err.startswith(f"{len(files)} rows in 1 class\n")
    written = sorted((out / DOG).iterdir())
    assert len(written) == len(files)
    assert all(len(os.fsencode(f.name)) <= 255 and f.suffix == ".JPEG" for f in written)
    assert sorted(f.read_bytes() for f in written) == sorted(files.values())
    names = {f.name for f in written}
    assert {"x.JPEG", "x~2.JPEG", "x~3.JPEG", "x~4.JPEG", "x~2~2.JPEG", "x~2~3.JPEG"} <= names
    assert {"a" * 248 + "~2.JPEG", "é" * 124 + "~2.JPEG"} <= names  # whole characters cut
