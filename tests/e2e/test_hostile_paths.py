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
from cli_run import ok, run

from explorer.core.catalogue import Catalogue
from explorer.core.csv_cells import read_cell
from explorer.core.exports import format_subtree
from explorer.core.images import make_thumbnail

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
    # an image list is a manifest: indexed, it lists the same files
    ok(capsys, "export", "images", TENCH, "--catalogue", catalogue, "-o", root / "list.csv")
    ok(capsys, "index", root / "list.csv", "--catalogue", tmp_path / "list.sqlite")
    with Catalogue.open(tmp_path / "list.sqlite") as listed:
        assert sorted(row.path for row in listed.images([TENCH])) == paths

    row = {"wnid": TENCH, "name": "=1+1", "lemmas": ["-x"], "gloss": "@y", "depth": -1}
    (cells,) = _cells(format_subtree(taxonomy, TENCH, [row], "csv"))[1:]
    assert cells[:5] == [TENCH, "'=1+1", "'-x", "'@y", "-1"]  # numbers as they are

    (tmp_path / "targets.txt").write_text(f'{TENCH}\n=HYPERLINK("http://x")\n')
    out, _ = ok(capsys, "coverage", "--catalogue", catalogue, "--targets", tmp_path / "targets.txt")
    assert _cells(out)[1][:4] == ['\'=HYPERLINK("http://x")', "", "", "-1"]

    ok(
        capsys,
        "flags",
        "add",
        paths[0],
        "--reason",
        "other",
        "--note",
        "=cmd|' /C calc'!A0",
        "--curator",
        "@me",
        "--catalogue",
        catalogue,
    )
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
    _, err = ok(
        capsys,
        "export",
        "folders",
        DOG,
        "--catalogue",
        tmp_path / "c.sqlite",
        "-o",
        out,
        "--mode",
        mode,
    )
    assert err.startswith(f"{len(files)} rows in 1 class\n")
    written = sorted((out / DOG).iterdir())
    assert len(written) == len(files)
    assert all(len(os.fsencode(f.name)) <= 255 and f.suffix == ".JPEG" for f in written)
    assert sorted(f.read_bytes() for f in written) == sorted(files.values())
    names = {f.name for f in written}
    # in natural path order (folder by folder: chihuahua's x and x~2, then shih-tzu's, then
    # golden's), each name taken gets the next free ~N
    assert {"x.JPEG", "x~2.JPEG", "x~3.JPEG", "x~4.JPEG", "x~2~2.JPEG", "x~2~3.JPEG"} <= names
    assert {"a" * 248 + "~2.JPEG", "é" * 124 + "~2.JPEG"} <= names  # whole characters cut


# --- paths outside the root --------------------------------------------------------------

PASSWD, SHADOW = Path("/etc/passwd"), Path("/etc/shadow")
LINKS_OUT = [f"{TENCH}_passwd.JPEG", f"{GOLDFISH}_private.JPEG"]  # in the walk's order


@pytest.fixture(scope="module")
def samples_with_links_out(shared_data, tmp_path_factory) -> Path:
    """The 1,000 real samples (a flat layout) plus two links out of the folder, to
    /etc/passwd and to a picture elsewhere, and one link that stays within it."""
    base = tmp_path_factory.mktemp("links-out")
    root = base / "samples"
    shutil.copytree(shared_data / "imagenet-samples", root)
    root.chmod(0o755)  # the shared folder is read-only, and so was its copy
    (base / "elsewhere").mkdir()
    shutil.copyfile(root / GOLDFISH_JPEG, base / "elsewhere" / "private.JPEG")
    (root / LINKS_OUT[0]).symlink_to(PASSWD)
    (root / LINKS_OUT[1]).symlink_to(Path("..", "elsewhere", "private.JPEG"))
    (root / f"{TENCH}_alias.JPEG").symlink_to(TENCH_JPEG)  # within the folder: an image
    return root


def test_links_out_of_a_folder_are_marked_never_audited_and_not_exported(
    capsys, samples_with_links_out, tmp_path
):
    root, catalogue = samples_with_links_out, tmp_path / "c.sqlite"
    out, _ = ok(capsys, "index", root, "--catalogue", catalogue)
    assert (
        f"Outside:   2 images outside the root {root} ({', '.join(LINKS_OUT)}): never audited, "
        "and left out of exports unless --allow-outside-root\n"
    ) in out
    assert "Images:    1,003 images on 1,000 synsets\n" in out  # listed and counted all the same

    out, _ = ok(capsys, "audit", "--catalogue", catalogue, "--json")
    summary = json.loads(out)["summary"]
    assert (summary["audited"], summary["not_audited"], summary["outside_root"]) == (1001, 0, 2)
    with Catalogue.open(catalogue) as opened:
        rows = {r.path: r for r in opened.images([TENCH, GOLDFISH])}
        assert not {p for p, r in rows.items() if r.audited} & set(LINKS_OUT)
        assert [p for p, r in sorted(rows.items()) if r.outside_root] == LINKS_OUT
        # the window still shows a picture outside the root (with a badge): the user asked
        private = rows[LINKS_OUT[1]]
        assert make_thumbnail(opened.absolute_path(private.path), 64).error == ""

    args = ["export", "images", TENCH, GOLDFISH, "--catalogue", catalogue]
    out, err = ok(capsys, *args)
    assert err.startswith("3 rows in 2 classes; left out: 2 outside root\n")
    assert not set(LINKS_OUT) & {row.split(",")[0] for row in out.splitlines()}
    out, err = ok(capsys, *args, "--allow-outside-root")
    assert err.startswith("5 rows in 2 classes\n")
    assert set(LINKS_OUT) <= {row.split(",")[0] for row in out.splitlines()}


def test_links_out_are_found_by_the_walker_processes_too(capsys, shared_data, tmp_path):
    """A tree of many folders is walked by child processes: they mark links out as well."""
    root = tmp_path / "train"
    for sample in sorted((shared_data / "imagenet-samples").glob("*.JPEG"))[:40]:
        (root / sample.name[:9]).mkdir(parents=True)
        shutil.copyfile(sample, root / sample.name[:9] / sample.name)
    last = sorted(root.iterdir())[-1]
    (last / "passwd.JPEG").symlink_to(PASSWD)
    out, _ = ok(capsys, "index", root, "--catalogue", tmp_path / "c.sqlite", "--json")
    summary = json.loads(out)
    assert summary["outside_root_examples"] == [f"{last.name}/passwd.JPEG"]
    assert summary["images"] == 41


@pytest.mark.parametrize("mode", ["hardlink", "copy", "symlink"])
def test_folder_exports_leave_out_links_out_and_never_hard_link_them(
    capsys, samples_with_links_out, tmp_path, mode
):
    catalogue = tmp_path / "c.sqlite"
    ok(capsys, "index", samples_with_links_out, "--catalogue", catalogue)
    args = ["export", "folders", TENCH, GOLDFISH, "--catalogue", catalogue, "--mode", mode]
    _, err = ok(capsys, *args, "-o", tmp_path / "kept-in")
    assert err.startswith("3 rows in 2 classes; left out: 2 outside root\n")
    _, err = ok(capsys, *args, "-o", tmp_path / "allowed", "--allow-outside-root")
    files = sorted((tmp_path / "allowed").rglob("*.JPEG"))
    if mode == "hardlink":
        assert err.startswith("3 rows in 2 classes; left out: 2 outside root\n")
        assert (
            "wnexplorer: warning: 2 images outside the catalogue root left out all the same: hard "
            "links are never made to a file outside the root (--mode copy or symlink includes "
            "them).\n"
        ) in err
        assert len(files) == 3
        assert all(not os.path.samefile(f, PASSWD) for f in files)
    else:
        assert err.startswith("5 rows in 2 classes\n")
        assert len(files) == 5
        assert (tmp_path / "allowed" / TENCH / LINKS_OUT[0]).read_bytes() == PASSWD.read_bytes()


def test_a_manifest_listing_etc_passwd_and_dot_dot_paths(capsys, shared_data, tmp_path):
    """A manifest's paths are judged as written: ../ that leads out, an absolute path
    elsewhere. A link shipped beside it is not seen by the index (it touches no file), but a
    folder export checks each file's real place before it links or copies it."""
    samples, data = shared_data / "imagenet-samples", tmp_path / "data"
    (data / TENCH).mkdir(parents=True)
    (data / GOLDFISH).mkdir()
    shutil.copyfile(samples / TENCH_JPEG, data / TENCH / "tench.JPEG")
    shutil.copyfile(samples / GOLDFISH_JPEG, data / GOLDFISH / "goldfish.JPEG")
    shutil.copyfile(samples / GOLDFISH_JPEG, tmp_path / "outside.JPEG")
    (data / TENCH / "shipped.JPEG").symlink_to(PASSWD)
    dot_dots = "../" * len(data.parts)  # from the manifest's folder up past /
    rows = [
        f"{TENCH}/tench.JPEG,{TENCH}",
        f"{data}/{GOLDFISH}/goldfish.JPEG,{GOLDFISH}",  # absolute, under the root: fine
        f"{dot_dots}etc/shadow,{TENCH}",
        f"{PASSWD},{TENCH}",
        f"{TENCH}/../../outside.JPEG,{GOLDFISH}",
        f"{TENCH}/shipped.JPEG,{TENCH}",
    ]
    (data / "list.csv").write_text("path,wnid\n" + "\n".join(rows) + "\n")
    catalogue = tmp_path / "c.sqlite"
    out, _ = ok(capsys, "index", data / "list.csv", "--catalogue", catalogue, "--json")
    summary = json.loads(out)
    assert (summary["images"], summary["outside_root"], summary["root"]) == (6, 3, str(data))
    assert summary["outside_root_examples"] == [
        f"{dot_dots}etc/shadow",
        str(PASSWD),
        f"{TENCH}/../../outside.JPEG",
    ]

    out, _ = ok(capsys, "audit", "--catalogue", catalogue, "--json")
    assert json.loads(out)["summary"]["outside_root"] == 3
    # the audit read the shipped link (/etc/passwd: not an image); keep it to see it left out
    args = [
        "export",
        "folders",
        TENCH,
        GOLDFISH,
        "--catalogue",
        catalogue,
        "--include-audit-failures",
    ]
    for mode, allow in (("hardlink", True), ("copy", False), ("symlink", False)):
        out = tmp_path / mode
        _, err = ok(capsys, *args, "--mode", mode, "-o", out, *["--allow-outside-root"] * allow)
        assert err.startswith("2 rows in 2 classes; left out: 4 outside root\n"), err
        assert sorted(f.name for f in out.rglob("*.JPEG")) == ["goldfish.JPEG", "tench.JPEG"]


def test_a_manifests_root_is_its_folder_or_the_one_given(capsys, shared_data, tmp_path):
    """With --root, a manifest kept apart from its images lists them relative to that root;
    a rescan keeps it. Without, the manifest's folder is the root."""
    images = tmp_path / "dataset" / "images" / TENCH
    images.mkdir(parents=True)
    shutil.copyfile(shared_data / "imagenet-samples" / TENCH_JPEG, images / "a.JPEG")
    lists = tmp_path / "dataset" / "lists"
    lists.mkdir()
    (lists / "train.csv").write_text(f"path,wnid\nimages/{TENCH}/a.JPEG,{TENCH}\n")
    catalogue = tmp_path / "c.sqlite"
    out, _ = ok(
        capsys,
        "index",
        lists / "train.csv",
        "--catalogue",
        catalogue,
        "--root",
        tmp_path / "dataset",
    )
    assert f"Root:      {tmp_path / 'dataset'}\n" in out and "Outside:" not in out
    out, _ = ok(capsys, "index", lists / "train.csv", "--catalogue", catalogue, "--json")
    assert json.loads(out)["root"] == str(tmp_path / "dataset")  # kept by the rescan
    with Catalogue.open(catalogue) as opened:
        (row,) = opened.images([TENCH])
        assert os.path.samefile(opened.absolute_path(row.path), images / "a.JPEG")
    (lists / "up.csv").write_text(f"path,wnid\n../images/{TENCH}/a.JPEG,{TENCH}\n")
    out, _ = ok(capsys, "index", lists / "up.csv", "--catalogue", tmp_path / "u.sqlite", "--json")
    assert (json.loads(out)["root"], json.loads(out)["outside_root"]) == (str(lists), 1)
    folder = images.parent
    status, _, err = run(
        capsys, "index", folder, "--catalogue", tmp_path / "f.sqlite", "--root", tmp_path
    )
    assert status == 1 and f"--root is for a manifest; the folder {folder} is its own root." in err
