"""Qt fixtures (pytest-qt; offscreen unless QT_QPA_PLATFORM says otherwise)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from explorer.core.analysis import compute_counts
from explorer.qt.synset_tree_model import SynsetTreeModel

DOG_COUNTS = {"n02099601": 3, "n02084071": 2}  # golden retriever 3, dog itself 2


@pytest.fixture
def tree_model(qapp, taxonomy) -> SynsetTreeModel:
    return SynsetTreeModel(taxonomy)


@pytest.fixture(scope="session")
def dog_counts(taxonomy):
    return compute_counts(taxonomy, DOG_COUNTS)
