"""The one way the app writes a file: beside its place, renamed into it."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from explorer.core import files
from explorer.core.files import PRIVATE, UMASK, atomic_path, write_file


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_file_appears_whole_or_not_at_all(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("stopped")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    write_file(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_database_written_in_place_and_what_sqlite_left_beside_a_failed_one(tmp_path):
    target = tmp_path / "c.sqlite"
    with pytest.raises(sqlite3.OperationalError), atomic_path(target) as tmp:
        for sidecar in ("-journal", "-wal", "-shm"):  # as a killed SQLite writer leaves them
            (tmp.parent / f"{tmp.name}{sidecar}").write_bytes(b"x")
        sqlite3.connect(tmp).execute("SELECT * FROM nowhere")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        db = sqlite3.connect(tmp)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
    assert sqlite3.connect(target).execute("SELECT count(*) FROM t").fetchone() == (0,)


@pytest.mark.parametrize(
    ("mask", "file_mode", "folder_mode"),
    [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700), (0o002, 0o664, 0o775)],
)
def test_modes_private_by_default_or_as_the_umask_says(tmp_path, mask, file_mode, folder_mode):
    old = os.umask(mask)
    try:
        write_file(tmp_path / "private", b"x")
        write_file(tmp_path / "shared", b"x", mode=UMASK)
        with atomic_path(tmp_path / "tree", folder=True, mode=UMASK) as tree:
            (tree / "inner").mkdir()
        with atomic_path(tmp_path / "mine", folder=True, mode=PRIVATE):
            pass
        write_file(tmp_path / "exact", b"x", mode=0o640)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "private") == 0o600
    assert _mode(tmp_path / "shared") == file_mode
    assert _mode(tmp_path / "tree") == folder_mode
    assert _mode(tmp_path / "mine") == 0o700
    assert _mode(tmp_path / "exact") == 0o640


def test_a_folder_replaces_an_empty_one_and_is_removed_when_the_block_fails(tmp_path):
    target = tmp_path / "tree"
    target.mkdir()
    with pytest.raises(OSError), atomic_path(target, folder=True) as work:
        (work / "a").write_text("a")
        raise OSError("full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]
    with atomic_path(target, folder=True, prefix="tree.tmp-", suffix="") as work:
        assert work.name.startswith("tree.tmp-")
        (work / "a").write_text("a")
    assert [p.name for p in target.iterdir()] == ["a"]


def test_missing_folders_are_made_only_when_asked(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    with pytest.raises(FileNotFoundError):
        write_file(target, "x")
    assert not (tmp_path / "a").exists()
    write_file(target, "x", parents=True)
    assert target.read_text() == "x"


def test_the_umask_is_read_where_proc_is_missing(monkeypatch):
    def no_proc(*_args, **_kwargs):
        raise FileNotFoundError("/proc/self/status")

    monkeypatch.setattr(files, "open", no_proc, raising=False)
    old = os.umask(0o027)
    try:
        assert files.umask() == 0o027
        assert os.umask(0o027) == 0o027  # and left as it was
    finally:
        os.umask(old)
