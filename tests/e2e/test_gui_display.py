"""The window on a real X server (Xvfb, Qt's xcb plugin as users get it), and without a screen.

The other window tests run on Qt's offscreen plugin, which hides platform bugs; this one
starts the app as a whole process on a virtual X screen. Without any display, the app says
what to do instead of letting Qt abort with its advice about libxcb-cursor0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_corpus import encode, photo
from PIL import Image

from explorer.qt.display import display_problem, x_server_answers

GOLDEN = "n02099601"


def _unused_display() -> str:
    number = 90
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    return f":{number}"


@pytest.mark.parametrize(
    ("environ", "cause"),
    [
        ({}, "DISPLAY is not set"),
        ({"QT_QPA_PLATFORM": "xcb"}, "DISPLAY is not set"),
        ({"QT_QPA_PLATFORM": "wayland"}, "WAYLAND_DISPLAY is not set"),
        ({"DISPLAY": _unused_display()}, "no X server answers"),
        ({"DISPLAY": "localhost:79"}, "no X server answers"),
    ],
)
def test_no_screen_is_explained(environ, cause):
    problem = display_problem(environ)
    assert problem is not None and cause in problem
    assert "QT_QPA_PLATFORM=offscreen" in problem and "ssh -X" in problem


@pytest.mark.parametrize(
    "environ",
    [{"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "minimal"}, {"WAYLAND_DISPLAY": "w-0"}],
)
def test_platforms_without_an_x_server_are_left_to_qt(environ):
    assert display_problem(environ) is None


def _environment(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env.pop("WAYLAND_DISPLAY", None)
    env["WNEXPLORER_DATA_DIR"] = str(tmp_path / "data")
    env["HOME"] = str(tmp_path / "home")  # Qt's settings and caches stay in the test's folder
    env["XDG_CONFIG_HOME"] = str(tmp_path / "home" / "config")
    env["XDG_CACHE_HOME"] = str(tmp_path / "home" / "cache")
    return {**env, **changes}


DESKTOP_ENTRY = [sys.executable, "-c", "from explorer.cli import run_window; run_window()"]


@pytest.mark.parametrize(
    ("program", "prog"),
    [
        ([sys.executable, "-m", "explorer", "gui"], "wnexplorer"),
        (DESKTOP_ENTRY, "wordnet-explorer"),
    ],
)
def test_gui_without_a_screen_exits_with_advice(tmp_path, session_data_dir, program, prog):
    env = _environment(tmp_path, WNEXPLORER_DATA_DIR=str(session_data_dir))
    started = time.monotonic()
    result = subprocess.run(
        [*program, "--quit-after", "20000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"{prog}: error: No screen to open the window on (DISPLAY")
    assert "libxcb-cursor0" not in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 15  # not the --quit-after wait


@pytest.fixture
def xvfb(tmp_path):
    """A virtual X screen of 1280x800 for one test; its display name."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb not installed (Debian package xvfb; ./dev setup installs it)")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=[write],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()  # Xvfb writes its display number once it listens
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_window_on_a_real_x_server(tmp_path, xvfb, session_data_dir):
    images = tmp_path / "images"
    images.mkdir()
    for number in range(3):
        (images / f"{GOLDEN}_{number}.JPEG").write_bytes(encode(photo((160, 120)), "JPEG"))
    env = _environment(tmp_path, DISPLAY=xvfb, WNEXPLORER_DATA_DIR=str(session_data_dir))
    assert x_server_answers(xvfb) and display_problem(env) is None
    catalogue = tmp_path / "c.sqlite"
    command = [sys.executable, "-m", "explorer"]
    index = subprocess.run(
        [*command, "index", str(images), "--catalogue", str(catalogue)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert index.returncode == 0, index.stderr
    picture = tmp_path / "window.png"
    result = subprocess.run(
        [
            *command,
            "gui",
            "--catalogue",
            str(catalogue),
            "--select",
            GOLDEN,
            "--screenshot",
            str(picture),
            "--quit-after",
            "60000",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "before every thumbnail arrived" not in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.startswith("qt.")]
    with Image.open(picture) as shot:
        assert shot.width >= 800 and shot.height >= 500
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50  # the window drew text and thumbnails
