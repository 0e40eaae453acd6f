"""Shared fixtures. No PySide6 import here: the core tests must run without Qt."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from explorer.core.wordnet import locate_wordnet

REPO = Path(__file__).resolve().parents[1]
# ../shared/data beside the clone holds real ImageNet reference data (see its README).
SHARED_DATA = Path(os.environ.get("WNEXPLORER_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data-dir")


@pytest.fixture(autouse=True)
def _isolated_data_dir(monkeypatch, session_data_dir):
    """Never touch the real user folders; share one taxonomy cache across the session."""
    monkeypatch.setenv("WNEXPLORER_DATA_DIR", str(session_data_dir))
    monkeypatch.delenv("WNEXPLORER_WORDNET", raising=False)


@pytest.fixture(scope="session")
def wordnet_dir(session_data_dir) -> Path:
    """The real WordNet 3.0 this machine has (CI installs Debian's wordnet-base)."""
    location = locate_wordnet(data_dir=session_data_dir)
    if location.is_zip:
        pytest.fail("these tests want WordNet as a directory; install Debian's wordnet-base")
    return Path(location.path)


@pytest.fixture(scope="session")
def taxonomy(session_data_dir, wordnet_dir):
    from explorer.core.wordnet import load_taxonomy

    tax = load_taxonomy(data_dir=session_data_dir)
    yield tax
    tax.close()


@pytest.fixture
def wordnet_copy(tmp_path, wordnet_dir) -> Path:
    """A private, writable copy of the real WordNet directory, for tests that alter it."""
    target = tmp_path / "wordnet"
    shutil.copytree(wordnet_dir, target)
    return target


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real ImageNet reference data not found at {SHARED_DATA}")
    return SHARED_DATA
