"""The data folder: made on first use, or one clear error that says how to choose another."""

from __future__ import annotations

import os

import pytest

from explorer.core import paths
from explorer.core.errors import DataDirError

ADVICE = "; choose another with --data-dir or WNEXPLORER_DATA_DIR."


def test_data_and_cache_folders_are_made(tmp_path):
    chosen = tmp_path / "new" / "data"
    assert paths.data_dir(chosen) == chosen and chosen.is_dir()
    assert paths.cache_dir(chosen) == chosen / "cache" and (chosen / "cache").is_dir()


def test_the_environment_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "env"))
    assert paths.data_dir() == tmp_path / "env"


@pytest.mark.parametrize("case", ["under a file", "a file", "cache is a file", "from the env"])
def test_an_unusable_data_folder_is_one_clear_error(tmp_path, monkeypatch, case):
    (tmp_path / "file").write_text("x")  # a path under a regular file fails for root too
    chosen, reason, function = {
        "under a file": (tmp_path / "file" / "sub", "Not a directory", paths.data_dir),
        "a file": (tmp_path / "file", "it is a file", paths.data_dir),
        "cache is a file": (tmp_path, f"{tmp_path / 'cache'} is a file", paths.cache_dir),
        "from the env": (None, "Not a directory", paths.cache_dir),
    }[case]
    if case == "cache is a file":
        (tmp_path / "cache").write_text("x")
    if chosen is None:
        monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "file" / "sub"))
    shown = chosen or tmp_path / "file" / "sub"
    with pytest.raises(DataDirError) as raised:
        function(chosen)
    assert str(raised.value) == f"Cannot use {shown} as the data folder: {reason}{ADVICE}"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_data_folder_is_one_clear_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(DataDirError, match=r"as the data folder: Permission denied"):
            paths.cache_dir(locked)
    finally:
        locked.chmod(0o700)
