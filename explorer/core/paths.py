"""Where the app keeps its data and caches.

Order: an explicit argument (the CLI's ``--data-dir``), then the
``WNEXPLORER_DATA_DIR`` environment variable, then the platform's user data
directory (``~/.local/share/wordnet-explorer`` on Linux).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from explorer.core.errors import DataDirError

APP_NAME = "wordnet-explorer"
DATA_DIR_ENV = "WNEXPLORER_DATA_DIR"
BUNDLED_CACHE_ENV = "WNEXPLORER_BUNDLED_TAXONOMY"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the app's data directory, created if needed; DataDirError if it cannot be.

    >>> data_dir(tmp / "data") == tmp / "data", (tmp / "data").is_dir()
    (True, True)
    """
    chosen = override or os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME)
    path = Path(chosen).expanduser()
    _make_folder(path, path)
    return path


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the directory for rebuildable caches (inside the data directory).

    >>> cache_dir(tmp / "data").relative_to(tmp).as_posix()
    'data/cache'
    """
    base = data_dir(override)
    path = base / "cache"
    _make_folder(path, base)
    return path


def _make_folder(folder: Path, data_folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if folder.is_file():
            reason = "it is a file" if folder == data_folder else f"{folder} is a file"
        else:
            reason = exc.strerror or str(exc)
        raise DataDirError(
            f"Cannot use {data_folder} as the data folder: {reason}; choose another with "
            f"--data-dir or {DATA_DIR_ENV}."
        ) from exc


def shipped_taxonomy() -> Path | None:
    """The taxonomy cache file shipped inside the desktop bundle, when running from one.

    The bundle carries WordNet 3.0 as this prebuilt cache (every synset, edge,
    search index and the ancestor closure), so it needs neither WordNet's files
    nor nltk. It ships xz-compressed (43 MB -> 13 MB). ``WNEXPLORER_BUNDLED_TAXONOMY``
    names one outside a bundle (tests).
    """
    named = os.environ.get(BUNDLED_CACHE_ENV)
    if named:
        shipped = Path(named)
    elif getattr(sys, "frozen", False):
        shipped = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "data"
        shipped = shipped / "taxonomy.sqlite.xz"
    else:
        return None
    return shipped if shipped.is_file() else None


def bundled_taxonomy_cache(
    data_dir_override: str | os.PathLike[str] | None = None, unpack: bool = True
) -> Path | None:
    """The shipped taxonomy cache, ready to open: unpacked once into the cache directory.

    None outside a bundle; with ``unpack=False`` also None until it has been unpacked
    (the window's first paint does not wait for that: its worker unpacks).
    """
    shipped = shipped_taxonomy()
    if shipped is None or shipped.suffix != ".xz":
        return shipped
    target = _unpacked_path(shipped, data_dir_override)
    if not target.is_file():
        if not unpack:
            return None
        _unpack(shipped, target)
    return target


def _unpacked_path(shipped: Path, data_dir_override: str | os.PathLike[str] | None) -> Path:
    import hashlib

    stat = shipped.stat()
    key = hashlib.sha256(f"{shipped}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return cache_dir(data_dir_override) / f"bundled-taxonomy-{key}.sqlite"


def _unpack(shipped: Path, target: Path) -> None:
    import lzma
    import shutil

    from explorer.core.files import atomic_path

    try:
        # rebuildable from the bundle: not fsync'd
        with (
            atomic_path(target, sync=False, prefix=target.name) as tmp,
            lzma.open(shipped) as source,
            open(tmp, "wb") as sink,
        ):
            shutil.copyfileobj(source, sink, 1 << 20)
    except OSError as exc:
        raise DataDirError(
            f"Cannot unpack the bundled taxonomy {shipped} into {target.parent}: "
            f"{exc.strerror or exc}; free some space, or choose another "
            f"data folder with --data-dir or {DATA_DIR_ENV}."
        ) from exc
