"""Where the app keeps its data and caches.

Order: an explicit argument (the CLI's ``--data-dir``), then the
``WNEXPLORER_DATA_DIR`` environment variable, then the platform's user data
directory (``~/.local/share/wordnet-explorer`` on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "wordnet-explorer"
DATA_DIR_ENV = "WNEXPLORER_DATA_DIR"


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
