"""Hostile paths and cells, end to end: names that collide when shown, unreadable folders,
paths outside the root, formula cells, and export names that collide or are too long."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cli_run import ok

from explorer.core.catalogue import Catalogue
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
