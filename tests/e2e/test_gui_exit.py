"""The window as a process (offscreen) quits cleanly: `--quit-after` while its workers run
prints nothing and exits 0 (issue 14: at exit a worker printed ``RuntimeError: Signal
source has been deleted``)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from explorer.core.catalogue import index_catalogue
from explorer.core.demo import ensure_demo_catalogue

ENTITY = "n00001740"  # the root: every image of a catalogue is in its subtree
MANIFEST_ROWS = 300_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory, taxonomy) -> Path:
    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=set(taxonomy.wnids))


@pytest.fixture(scope="module")
def absent_images(tmp_path_factory, taxonomy) -> Path:
    """A manifest catalogue of 300,000 images whose files are not there, as ImageNet-21k's
    manifest is for a user without the images: listing the root takes the listing job a
    while, and every tile is "missing"."""
    folder = tmp_path_factory.mktemp("absent")
    wnids = sorted(taxonomy.wnids)[:1000]
    manifest = folder / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "wnid"])
        for number in range(MANIFEST_ROWS):
            wnid = wnids[number % len(wnids)]
            writer.writerow([f"{wnid}/{wnid}_{number}.JPEG", wnid])
    return index_catalogue(
        manifest, nouns=taxonomy.graph, layout="manifest", catalogue=folder / "c.sqlite"
    ).catalogue


def _gui(session_data_dir: Path, tmp_path: Path, *args: object) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "explorer", "--data-dir", str(session_data_dir), "gui"]
    return subprocess.run(
        [*command, *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
    )


def test_quit_after_with_a_screenshot_prints_nothing(demo, session_data_dir, tmp_path):
    shot = tmp_path / "x.png"
    # the screenshot is taken once the tiles are in (well under a second here); the deadline
    # only bounds a stall, and is long so that a loaded machine takes its picture whole
    result = _gui(
        session_data_dir,
        tmp_path,
        "--catalogue",
        demo,
        "--quit-after",
        30_000,
        "--screenshot",
        shot,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    with Image.open(shot) as picture:
        assert picture.width >= 800 and picture.height >= 500


@pytest.mark.parametrize("catalogue", ["demo", "absent_images"])
def test_quit_after_while_listing_and_loading_prints_nothing(
    request, catalogue, session_data_dir, tmp_path
):
    """The root selected: the listing job and the thumbnail loads are under way (the
    taxonomy's load too, on a slow machine) when the deadline closes the window."""
    path = request.getfixturevalue(catalogue)
    started = time.monotonic()
    result = _gui(
        session_data_dir, tmp_path, "--catalogue", path, "--select", ENTITY, "--quit-after", 1500
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert time.monotonic() - started < 60
