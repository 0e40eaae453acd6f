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

APP_NAME = "wordnet-explorer"
DATA_DIR_ENV = "WNEXPLORER_DATA_DIR"
BUNDLED_CACHE_ENV = "WNEXPLORER_BUNDLED_TAXONOMY"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Return the app's data directory, created if needed."""
    chosen = override or os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME)
    path = Path(chosen).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """Return the directory for rebuildable caches (inside the data directory)."""
    path = data_dir(override) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bundled_taxonomy_cache(data_dir_override: str | os.PathLike | None = None) -> Path | None:
    """The taxonomy cache shipped inside the desktop bundle, when running from one.

    The bundle carries WordNet 3.0 as this prebuilt cache (every synset, edge,
    search index and the ancestor closure), so it needs neither WordNet's files
    nor nltk. It ships xz-compressed (43 MB -> 13 MB) and is unpacked once into
    the cache directory. ``WNEXPLORER_BUNDLED_TAXONOMY`` names one outside a
    bundle (tests).
    """
    named = os.environ.get(BUNDLED_CACHE_ENV)
    if named:
        shipped = Path(named)
    elif getattr(sys, "frozen", False):
        shipped = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "data"
        shipped = shipped / "taxonomy.sqlite.xz"
    else:
        return None
    if not shipped.is_file():
        return None
    return _unpacked(shipped, data_dir_override) if shipped.suffix == ".xz" else shipped


def _unpacked(shipped: Path, data_dir_override) -> Path:
    import hashlib
    import lzma
    import shutil
    import tempfile

    stat = shipped.stat()
    key = hashlib.sha256(f"{shipped}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = cache_dir(data_dir_override) / f"bundled-taxonomy-{key}.sqlite"
    if not target.is_file():
        fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
        try:
            with lzma.open(shipped) as source, os.fdopen(fd, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target
