"""Make a folder read-only for this test process, as a read-only mount or a user's
permissions would: root ignores permissions, so as root the folder becomes a read-only tmpfs.

Tests import it as ``from read_only import make_read_only`` (tests/ is on the path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def make_read_only(folder: Path, request) -> str:
    """Freeze ``folder`` and what is in it; undone when the test ends. Returns how."""
    if os.geteuid() != 0:
        everything = [folder, *folder.rglob("*")]
        for path in everything:
            path.chmod(path.stat().st_mode & ~0o222)

        def writable_again() -> None:  # or pytest cannot remove tmp_path
            for path in everything:
                path.chmod(path.stat().st_mode | 0o200)

        request.addfinalizer(writable_again)
        return "permissions"
    kept = folder.with_name(folder.name + ".contents")
    shutil.copytree(folder, kept, symlinks=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        shutil.rmtree(kept)
        pytest.skip(f"as root a read-only folder needs a mount, refused here: {mount.stderr}")
    request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(folder)], check=True))
    shutil.copytree(kept, folder, symlinks=True, dirs_exist_ok=True)
    shutil.rmtree(kept)
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    return "read-only mount"
