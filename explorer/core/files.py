"""Writing the app's files: each is made under a temporary name beside its place and renamed
into it, so a reader never sees half a file and a crash or cancel leaves no torn one.

Every file the app writes goes through :func:`atomic_path` (or :func:`write_file`, built on
it): exports, catalogues, flag store snapshots, the taxonomy cache, thumbnails, the demo.
Its ``mode`` says who may read the result: :data:`PRIVATE` (0600, what a temporary file
gets; caches and stores) or :data:`UMASK` (what the umask gives, 0644 and 0755 with umask
022, as ``cp`` and ``mkdir`` make them: files written for others, such as exports).

Failures are ``OSError``: each caller says what it was writing, in its own error type.

>>> write_file(tmp / "classes.txt", "n02084071 dog", mode=UMASK)
>>> (tmp / "classes.txt").read_text()
'n02084071 dog'
>>> import sqlite3
>>> with atomic_path(tmp / "new" / "c.sqlite", parents=True, sync=False) as part:
...     db = sqlite3.connect(part)
...     _ = db.execute("CREATE TABLE t (x)")
...     db.close()
>>> sorted(path.name for path in tmp.rglob("*"))
['c.sqlite', 'classes.txt', 'new']
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

PRIVATE = 0o600  # a file only its owner reads (a folder: 0700)
UMASK: Literal["umask"] = "umask"  # as the umask gives: 0o666 & ~umask (a folder: 0o777)

Mode = int | Literal["umask"]

# what SQLite may leave beside a database it was writing: removed with a failed temporary
_SIDECARS = ("-journal", "-wal", "-shm")


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str],
    *,
    mode: Mode = PRIVATE,
    folder: bool = False,
    parents: bool = False,
    sync: bool = True,
    prefix: str | None = None,
    suffix: str = ".tmp",
) -> Iterator[Path]:
    """A new temporary file (empty) or ``folder`` beside ``target``, renamed over ``target``
    when the block ends; removed, with whatever SQLite left beside it, when the block raises.

    ``mode``: the result's mode (an int, or :data:`UMASK`). ``parents``: make ``target``'s
    missing folders (else they are a ``FileNotFoundError``). ``sync``: fsync the file before
    the rename and its folder after, so a rename that returned survives a power cut; leave
    it off for what can be made again (caches, a catalogue), where the fsync of a large file
    is a cost for nothing. A folder replaces an empty folder at ``target`` (POSIX rename);
    empty or remove a full one inside the block. ``prefix`` (default ``.<name>.``) and
    ``suffix`` name the temporary, for whatever cleans up after a crash.
    """
    target = Path(target)
    tmp = _temporary(
        target, folder, parents, f".{target.name}." if prefix is None else prefix, suffix
    )
    try:
        yield tmp
        wanted = _mode(mode, folder)
        if wanted != (0o700 if folder else 0o600):  # what mkdtemp and mkstemp gave it
            os.chmod(tmp, wanted)
        if sync and not folder:
            _fsync(tmp, os.O_RDONLY)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp, folder)
        raise
    if sync:
        # The file is in place already; a folder that cannot be fsync'd (some network file
        # systems refuse it) costs only the rename's durability, not the write.
        with contextlib.suppress(OSError):
            _fsync(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def write_file(
    target: str | os.PathLike[str],
    data: str | bytes,
    *,
    mode: Mode = PRIVATE,
    parents: bool = False,
    sync: bool = True,
    prefix: str | None = None,
    suffix: str = ".tmp",
) -> None:
    """Write ``data`` (text as UTF-8, as it is: no newline translation) to ``target``
    through :func:`atomic_path`, with its options."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with (
        atomic_path(
            target, mode=mode, parents=parents, sync=sync, prefix=prefix, suffix=suffix
        ) as tmp,
        open(tmp, "wb") as stream,
    ):
        stream.write(data)


def umask() -> int:
    """The process's umask, read without changing it.

    ``os.umask`` can only be read by setting it, and the umask is process-wide:
    setting it races with other threads creating files. Linux (4.7+) reports it
    in /proc/self/status; elsewhere, set and restore it.
    """
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(mode: Mode, folder: bool) -> int:
    if mode == UMASK:
        return (0o777 if folder else 0o666) & ~umask()
    if mode == PRIVATE and folder:
        return 0o700
    return mode


def _temporary(target: Path, folder: bool, parents: bool, prefix: str, suffix: str) -> Path:
    for attempt in (1, 2):
        try:
            if folder:
                return Path(tempfile.mkdtemp(suffix, prefix, target.parent))
            fd, name = tempfile.mkstemp(suffix, prefix, target.parent)
            os.close(fd)
            return Path(name)
        except FileNotFoundError:  # the folder is missing: made only when asked, and once
            if not parents or attempt == 2:
                raise
            target.parent.mkdir(parents=True, exist_ok=True)
    raise AssertionError("unreachable")


def _remove(tmp: Path, folder: bool) -> None:
    if folder:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for part in (tmp, *(Path(f"{tmp}{suffix}") for suffix in _SIDECARS)):
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
