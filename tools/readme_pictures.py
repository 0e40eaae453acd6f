"""Make the README's pictures of the window: ``python tools/readme_pictures.py [FOLDER]``.

Each picture is ``wnexplorer gui --screenshot`` with ``--size``, ``--tab`` and ``--viewer``
on the demo catalogue, made afresh in a scratch data folder (its images are drawn, so the
pictures hold no one's photographs) with a few flags set through ``wnexplorer flags``, so
that the Curation tab has something to show. The window runs offscreen; your settings and
data folder are left alone. The PNGs go to FOLDER (default: docs/pictures), reduced to 256
colours: about 100 KB each.

The text chunks of each PNG say what the window showed (tab, viewer, synset), and this
script checks them against what it asked for.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Picture:
    name: str  # the file's stem
    select: str  # the synset shown
    size: str  # WIDTHxHEIGHT
    tab: str = "images"
    viewer: bool = False


PICTURES = (
    Picture("window", "n02085620", "1280x800"),  # Chihuahua: 18 images, two flagged
    Picture("coverage", "n02084071", "1280x800", tab="coverage"),  # dog's gaps
    Picture("curation", "n02085620", "1280x800", tab="curation"),
    Picture("duplicates", "n02084071", "1280x800", tab="duplicates"),  # a copy in two synsets
    Picture("viewer", "n02085620", "1024x640", viewer=True),
    Picture("small-window", "n02084071", "1024x640"),  # the smallest size the window is for
)
FLAGS = (  # (reason, demo image): what the Curation pictures show
    ("low_quality", "n02085620/n02085620_3.JPEG"),
    ("not_a_photo", "n02085620/n02085620_7.JPEG"),
    ("duplicate", "n02085620/n02085620_0.JPEG"),
)
REVIEWED = ("n02085620/n02085620_1.JPEG", "n02085620/n02085620_2.JPEG")


def _wnexplorer(data_dir: Path, env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-m", "explorer", "--data-dir", str(data_dir), *args]
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def _shrink(path: Path) -> None:
    """256 colours (the demo's flat shapes and the window's text survive it), keeping the
    text chunks the window wrote."""
    with Image.open(path) as picture:
        text = dict(picture.text)
        small = picture.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    small.save(path, optimize=True, pnginfo=info)


def make_pictures(folder: Path, only: set[str] | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory(prefix="readme-pictures-") as scratch:
        data_dir = Path(scratch) / "data"
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(Path(scratch) / "config"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        from explorer.core.demo import ensure_demo_catalogue

        catalogue = str(ensure_demo_catalogue(data_dir))
        for reason, path in FLAGS:
            _wnexplorer(
                data_dir,
                env,
                "flags",
                "add",
                "--reason",
                reason,
                "--curator",
                "demo",
                "--catalogue",
                catalogue,
                path,
            )
        _wnexplorer(
            data_dir,
            env,
            "flags",
            "review",
            "--curator",
            "demo",
            "--catalogue",
            catalogue,
            *REVIEWED,
        )
        for picture in PICTURES:
            if only and picture.name not in only:
                continue
            path = folder / f"{picture.name}.png"
            options = ["--select", picture.select, "--size", picture.size, "--tab", picture.tab]
            options += ["--viewer"] if picture.viewer else []
            _wnexplorer(
                data_dir,
                env,
                "gui",
                "--catalogue",
                catalogue,
                *options,
                "--quit-after",
                "60000",
                "--screenshot",
                str(path),
            )
            with Image.open(path) as shot:
                shown = (
                    f"{shot.width}x{shot.height}",
                    shot.text.get("Tab"),
                    shot.text.get("Viewer"),
                )
            wanted = (picture.size, picture.tab, "open" if picture.viewer else "")
            if shown != wanted:
                raise SystemExit(f"{path}: the window showed {shown}, not {wanted}")
            _shrink(path)
            print(f"{path} {path.stat().st_size // 1024} KB")
            made.append(path)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=ROOT / "docs" / "pictures", type=Path)
    parser.add_argument("--only", nargs="*", help="make only these pictures (their names)")
    arguments = parser.parse_args()
    make_pictures(arguments.folder, set(arguments.only) if arguments.only else None)


if __name__ == "__main__":
    main()
