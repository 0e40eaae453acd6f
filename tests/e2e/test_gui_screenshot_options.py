"""`wnexplorer gui --screenshot` reaches every state: ``--size WxH``, ``--tab`` and
``--viewer`` (issue 15). The PNG's text chunks say what the window showed when it was
grabbed (read back from the window, not echoed from the options)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from explorer.core.demo import ensure_demo_catalogue

DOG = "n02084071"  # the demo's dog: 6 images of its own, 80 in its subtree


@pytest.fixture(scope="module")
def demo(tmp_path_factory, taxonomy) -> Path:
    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=set(taxonomy.wnids))


def _shoot(
    session_data_dir: Path, tmp_path: Path, demo: Path, *args: object
) -> tuple[subprocess.CompletedProcess, Path]:
    shot = tmp_path / "shot.png"
    command = [sys.executable, "-m", "explorer", "--data-dir", str(session_data_dir), "gui"]
    result = subprocess.run(
        [*command, "--catalogue", str(demo), "--screenshot", str(shot), *map(str, args)],
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
    return result, shot


@pytest.mark.parametrize(
    ("size", "tab"), [("1024x640", "coverage"), ("1920x1080", "curation"), ("1280x800", None)]
)
def test_the_window_at_a_size_on_a_tab(demo, session_data_dir, tmp_path, size, tab):
    options = ["--select", DOG, "--size", size] + (["--tab", tab] if tab else [])
    result, shot = _shoot(session_data_dir, tmp_path, demo, *options)
    assert (result.returncode, result.stderr) == (0, "")
    with Image.open(shot) as picture:
        assert f"{picture.width}x{picture.height}" == size
        assert picture.text["Tab"] == (tab or "images")
        assert picture.text["Viewer"] == ""
        assert picture.text["Synset"] == DOG
        colours = picture.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, "the window is blank"


def test_the_viewer_on_the_first_image_of_the_selection(demo, session_data_dir, tmp_path):
    result, shot = _shoot(
        session_data_dir, tmp_path, demo, "--select", DOG, "--size", "1024x640", "--viewer"
    )
    assert (result.returncode, result.stderr) == (0, "")
    with Image.open(shot) as picture:
        assert picture.size == (1024, 640)  # the viewer's window, at --size
        assert picture.text["Viewer"] == "open"
        assert picture.text["Tab"] == "images"


def test_the_viewer_with_no_image_to_show_is_an_error(demo, session_data_dir, tmp_path):
    """puppy has no image in the demo: its listing is empty."""
    result, shot = _shoot(session_data_dir, tmp_path, demo, "--select", "n01322604", "--viewer")
    assert result.returncode == 1
    assert "--viewer: the selection lists no image" in result.stderr
    assert not shot.exists()


@pytest.mark.slow  # the demo made, flagged by three CLI runs, and a window: about a minute
def test_the_readme_pictures_script_makes_small_checked_pictures(tmp_path, monkeypatch):
    """tools/readme_pictures.py, for one picture: the demo's, checked against the PNG's text
    by the script itself, and small enough for the repository."""
    import importlib.util

    script = Path(__file__).parents[2] / "tools" / "readme_pictures.py"
    spec = importlib.util.spec_from_file_location("readme_pictures", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "readme_pictures", module)  # its dataclass looks it up
    spec.loader.exec_module(module)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    made = module.make_pictures(tmp_path / "pictures", only={"viewer"})
    assert made == [tmp_path / "pictures" / "viewer.png"]
    with Image.open(made[0]) as picture:
        assert picture.size == (1024, 640) and picture.mode == "P"  # 256 colours
        assert picture.text["Viewer"] == "open"
    assert made[0].stat().st_size < 150_000
