"""Dataset folders written for tests from a mapping of relative paths to bytes.

Tests import it as ``from trees import write_tree`` (tests/ is on the path).
"""

from __future__ import annotations

from pathlib import Path


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write each ``files`` entry under ``root`` (folders made as needed); return ``root``."""
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root
