"""SynsetTreeModel on the real WordNet 3.0: lazy, one row per appearance, counts and gaps."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QTreeView

from explorer.core.analysis import compute_counts
from explorer.qt.synset_tree_model import (
    EMPTY_FOREGROUND,
    ENTITY,
    MULTI_PARENT_MARK,
    PATH_ROLE,
    SHARE_ROLE,
    SORT_ROLE,
    STATUS_ROLE,
    THIN_BACKGROUND,
    WNID_ROLE,
    SynsetTreeModel,
)

DOG, DOMESTIC_ANIMAL, CANINE = "n02084071", "n01317541", "n02083346"
GOLDEN_RETRIEVER, CAT = "n02099601", "n02121620"
DISPLAY, TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole
FOREGROUND, BACKGROUND = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole


def child_wnids(model, parent: QModelIndex) -> list[str]:
    return [model.index(row, 0, parent).data(WNID_ROLE) for row in range(model.rowCount(parent))]


def fetch(model, parent: QModelIndex) -> None:
    if model.canFetchMore(parent):
        model.fetchMore(parent)


def fetch_levels(model, parent: QModelIndex, levels: int) -> None:
    if levels == 0:
        return
    fetch(model, parent)
    for row in range(model.rowCount(parent)):
        fetch_levels(model, model.index(row, 0, parent), levels - 1)


def count_nodes(model, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
    rows = model.rowCount(parent)
    return rows + sum(count_nodes(model, model.index(r, 0, parent)) for r in range(rows))


# --- structure ------------------------------------------------------------------


def test_the_root_shows_entity_alone(tree_model):
    assert tree_model.rowCount() == 1
    assert tree_model.columnCount() == 3
    entity = tree_model.index(0, 0)
    assert entity.data(DISPLAY) == "entity"
    assert entity.data(WNID_ROLE) == ENTITY
    assert entity.data(PATH_ROLE) == (ENTITY,)
    assert not entity.parent().isValid()
    assert not tree_model.index(1, 0).isValid()
    headers = [tree_model.headerData(c, Qt.Orientation.Horizontal, DISPLAY) for c in range(3)]
    assert headers == ["Synset", "Images", "Subtree"]


def test_nothing_is_built_until_fetched(tree_model, taxonomy):
    entity = tree_model.index(0, 0)
    assert tree_model.hasChildren(entity)
    assert tree_model.rowCount(entity) == 0
    assert tree_model.canFetchMore(entity)
    tree_model.fetchMore(entity)
    assert not tree_model.canFetchMore(entity)
    assert child_wnids(tree_model, entity) == taxonomy.children(ENTITY)
    assert [tree_model.index(r, 0, entity).data(DISPLAY) for r in range(3)] == [
        "abstraction",
        "physical entity",
        "thing",
    ]
    assert count_nodes(tree_model) == 1 + 3


def test_construction_and_fetching_entity_are_fast(qapp, taxonomy):
    start = time.perf_counter()
    model = SynsetTreeModel(taxonomy)
    built = time.perf_counter()
    model.fetchMore(model.index(0, 0))
    fetched = time.perf_counter()
    print(
        f"\nSynsetTreeModel: construction {(built - start) * 1e3:.3f} ms, "
        f"entity's children {(fetched - built) * 1e3:.3f} ms"
    )
    assert fetched - start < 0.5


def test_children_are_sorted_by_synset_name(tree_model, taxonomy):
    animal = tree_model.index_for_path(taxonomy.paths_to_root("n00015388")[0])
    fetch(tree_model, animal)
    names = [taxonomy.node(w)["name"] for w in child_wnids(tree_model, animal)]
    assert len(names) > 20
    assert names == sorted(names)


def test_indexes_point_at_nodes_the_model_keeps(tree_model):
    entity = tree_model.index(0, 0)
    fetch(tree_model, entity)
    first = tree_model.index(1, 2, entity)
    again = tree_model.index(1, 2, entity)
    assert first == again
    assert first.internalPointer() is again.internalPointer()
    assert first.parent() == entity
    assert first.sibling(1, 0).data(WNID_ROLE) == first.data(WNID_ROLE) == "n00001930"
    assert tree_model.node_wnid(first) == "n00001930"
    assert tree_model.node_wnid(QModelIndex()) is None
    assert tree_model.parent() is None  # QObject.parent() still answers


def test_has_children_answers_without_fetching(tree_model, taxonomy):
    dog = tree_model.index_for_path(taxonomy.paths_to_root(DOG)[0])
    assert tree_model.hasChildren(dog)
    assert tree_model.rowCount(dog) == 0  # not built by asking
    assert tree_model.canFetchMore(dog)

    golden = tree_model.index_for_path(taxonomy.paths_to_root(GOLDEN_RETRIEVER)[0])
    assert golden.data(WNID_ROLE) == GOLDEN_RETRIEVER
    assert not tree_model.hasChildren(golden)
    assert not tree_model.canFetchMore(golden)
    assert tree_model.flags(golden) & Qt.ItemFlag.ItemNeverHasChildren
    assert not tree_model.flags(dog) & Qt.ItemFlag.ItemNeverHasChildren
    assert not tree_model.hasChildren(dog.sibling(dog.row(), 1))  # only column 0 has children


def test_dog_appears_under_both_parents_marked_with_the_same_children(tree_model, taxonomy):
    paths = taxonomy.paths_to_root(DOG)
    assert [p[-2] for p in paths] == [DOMESTIC_ANIMAL, CANINE]
    dogs = [tree_model.index_for_path(p) for p in paths]

    assert all(d.isValid() and d.data(WNID_ROLE) == DOG for d in dogs)
    assert dogs[0] != dogs[1]
    assert dogs[0].internalPointer() is not dogs[1].internalPointer()
    assert [d.parent().data(WNID_ROLE) for d in dogs] == [DOMESTIC_ANIMAL, CANINE]
    assert [d.data(PATH_ROLE) for d in dogs] == [tuple(p) for p in paths]
    assert [tree_model.node_path(d) for d in dogs] == [tuple(p) for p in paths]

    for dog in dogs:
        assert dog.data(DISPLAY) == f"dog  {MULTI_PARENT_MARK}2"
        assert DOG in dog.data(TOOLTIP)
        assert "a member of the genus Canis" in dog.data(TOOLTIP)
    assert "also under: canine" in dogs[0].data(TOOLTIP)
    assert "also under: domestic animal" in dogs[1].data(TOOLTIP)
    golden = tree_model.index_for_path(taxonomy.paths_to_root(GOLDEN_RETRIEVER)[0])
    assert MULTI_PARENT_MARK not in golden.data(DISPLAY)
    assert "also under" not in golden.data(TOOLTIP)

    for dog in dogs:
        fetch(tree_model, dog)
    under = [child_wnids(tree_model, d) for d in dogs]
    assert under[0] == under[1] == taxonomy.children(DOG)
    assert len(under[0]) == 18


def test_index_for_path_rejects_what_is_not_a_path_from_entity(tree_model, taxonomy):
    path = taxonomy.paths_to_root(DOG)[0]
    assert not tree_model.index_for_path([]).isValid()
    assert not tree_model.index_for_path([DOG]).isValid()  # does not start at entity
    assert not tree_model.index_for_path([ENTITY, DOG]).isValid()  # skips levels
    assert not tree_model.index_for_path([*path[:-1], "n99999999"]).isValid()
    assert tree_model.index_for_path([ENTITY]) == tree_model.index(0, 0)


# --- counts and gaps ----------------------------------------------------------------


def test_count_columns_are_empty_without_a_catalogue(tree_model, taxonomy):
    dog = tree_model.index_for_path(taxonomy.paths_to_root(DOG)[0])
    for column in (1, 2):
        cell = dog.sibling(dog.row(), column)
        assert cell.data(DISPLAY) is None
        assert cell.data(SORT_ROLE) is None
    assert dog.data(FOREGROUND) is None
    assert dog.data(BACKGROUND) is None


def test_count_columns_show_direct_and_subtree(tree_model, taxonomy, dog_counts):
    tree_model.set_counts(dog_counts)
    for path in taxonomy.paths_to_root(DOG):
        dog = tree_model.index_for_path(path)
        direct, subtree = dog.sibling(dog.row(), 1), dog.sibling(dog.row(), 2)
        assert (direct.data(DISPLAY), subtree.data(DISPLAY)) == ("2", "5")
        assert (direct.data(SORT_ROLE), subtree.data(SORT_ROLE)) == (2, 5)
        assert direct.data(ALIGNMENT) == subtree.data(ALIGNMENT)
        assert direct.data(ALIGNMENT) & Qt.AlignmentFlag.AlignRight
        assert dog.data(ALIGNMENT) is None
        assert dog.data(SORT_ROLE) == "dog"
    entity = tree_model.index(0, 0)
    assert entity.sibling(0, 1).data(DISPLAY) == "0"
    assert entity.sibling(0, 2).data(DISPLAY) == "5"


def test_counts_display_thousands_separators_then_short_forms(tree_model, taxonomy):
    tree_model.set_counts(compute_counts(taxonomy, {GOLDEN_RETRIEVER: 1234567, DOG: 99999}))
    entity = tree_model.index(0, 0)
    assert entity.sibling(0, 2).data(DISPLAY) == "1.33M"  # 1,334,566: the tooltip's
    assert "1,334,566 in its subtree" in entity.sibling(0, 2).data(TOOLTIP)
    assert entity.sibling(0, 2).data(SORT_ROLE) == 1334566
    dog = tree_model.index_for_path(taxonomy.paths_to_root(DOG)[0])
    assert dog.sibling(dog.row(), 1).data(DISPLAY) == "99,999"


def test_gap_colouring(tree_model, taxonomy, dog_counts):
    dog = tree_model.index_for_path(taxonomy.paths_to_root(DOG)[1])
    cat = tree_model.index_for_path(taxonomy.paths_to_root(CAT)[0])
    golden = tree_model.index_for_path(taxonomy.paths_to_root(GOLDEN_RETRIEVER)[0])
    tree_model.set_counts(dog_counts)

    assert cat.data(FOREGROUND) == EMPTY_FOREGROUND  # no image anywhere under cat
    assert cat.sibling(cat.row(), 2).data(FOREGROUND) == EMPTY_FOREGROUND
    assert dog.data(FOREGROUND) is None
    assert dog.data(BACKGROUND) is None  # no threshold yet

    tree_model.set_thin_threshold(10)
    assert tree_model.thin_threshold == 10
    assert dog.data(BACKGROUND) == THIN_BACKGROUND  # 5 < 10
    assert dog.sibling(dog.row(), 2).data(BACKGROUND) == THIN_BACKGROUND
    assert golden.data(BACKGROUND) == THIN_BACKGROUND  # 3 < 10
    assert cat.data(BACKGROUND) is None  # empty is grey, not thin

    tree_model.set_thin_threshold(5)
    assert dog.data(BACKGROUND) is None  # 5 is not below 5
    assert golden.data(BACKGROUND) == THIN_BACKGROUND

    tree_model.set_counts(None)
    assert cat.data(FOREGROUND) is None
    assert golden.data(BACKGROUND) is None


def test_count_changes_signal_every_fetched_parent_and_keep_the_tree(qtbot, tree_model, taxonomy):
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(tree_model)
    path = taxonomy.paths_to_root(DOG)[0]
    dog = tree_model.index_for_path(path)
    view.expand(dog.parent())
    changed = []
    tree_model.dataChanged.connect(lambda tl, br, roles: changed.append((tl, br)))
    resets = []
    tree_model.modelReset.connect(lambda: resets.append(1))

    tree_model.set_counts(compute_counts(taxonomy, {GOLDEN_RETRIEVER: 1}))
    assert len(changed) == len(path)  # the root and each node above dog
    for top_left, bottom_right in changed:
        assert top_left.row() == 0 and top_left.column() == 0
        assert bottom_right.column() == 2
        assert bottom_right.row() == tree_model.rowCount(top_left.parent()) - 1
    assert resets == []
    assert view.isExpanded(dog.parent())


def test_threshold_changes_signal_only_rows_whose_tint_changes(tree_model, taxonomy):
    path = taxonomy.paths_to_root(DOG)[0]
    tree_model.index_for_path(path)
    changed = []
    tree_model.dataChanged.connect(lambda tl, br, roles: changed.append((tl, br)))
    tree_model.set_thin_threshold(100)  # no counts: nothing is tinted, nothing to signal
    assert changed == []

    tree_model.set_counts(compute_counts(taxonomy, {GOLDEN_RETRIEVER: 1}))
    changed.clear()
    tree_model.set_thin_threshold(1)  # subtree 1 was thin under 100, is not under 1
    # one span under each fetched parent, from its first to its last ancestor of golden
    # retriever: under animal that is chordate ... domestic animal (both paths)
    assert len(changed) == len(path)
    ancestors = taxonomy.ancestors(GOLDEN_RETRIEVER)
    spans = {
        tl.parent().data(WNID_ROLE): (tl.data(WNID_ROLE), br.sibling(br.row(), 0).data(WNID_ROLE))
        for tl, br in changed
    }
    assert all(first in ancestors and last in ancestors for first, last in spans.values())
    assert spans["n00015388"] == ("n01466257", DOMESTIC_ANIMAL)
    assert spans[DOMESTIC_ANIMAL] == (DOG, DOG)
    assert all(tl.column() == 0 and br.column() == 2 for tl, br in changed)

    changed.clear()
    tree_model.set_thin_threshold(1)  # unchanged
    tree_model.set_thin_threshold(0)  # 1 was not thin, still is not
    assert changed == []


# --- Qt's model tester ------------------------------------------------------------------


class BoundedModel(SynsetTreeModel):
    """Fetches only the synsets a test allows, so the tester walks a few levels, not 94,000 rows.

    Qt's tester fetches whatever ``canFetchMore`` offers, on every check and
    again on every signal the model emits while it is connected.
    """

    def __init__(self, taxonomy) -> None:
        super().__init__(taxonomy)
        self.fetchable: set[str] | None = None  # None: everything

    def canFetchMore(self, parent):
        if self.fetchable is not None and self.node_wnid(parent) not in self.fetchable:
            return False
        return super().canFetchMore(parent)


def test_qt_model_tester_on_fetched_levels(qtmodeltester, taxonomy, dog_counts):
    model = BoundedModel(taxonomy)
    fetch_levels(model, QModelIndex(), 3)  # entity, its 3 children and theirs
    for path in taxonomy.paths_to_root(DOG):  # and both of dog's appearances
        fetch(model, model.index_for_path(path))
    rows = count_nodes(model)
    model.fetchable = set()

    qtmodeltester.check(model)  # Qt's C++ QAbstractItemModelTester, failures as warnings
    assert count_nodes(model) == rows

    model.set_counts(dog_counts)  # the tester stays connected and checks each dataChanged
    model.set_thin_threshold(10)
    qtmodeltester.check(model)

    path = taxonomy.paths_to_root(GOLDEN_RETRIEVER)[1]
    model.fetchable = set(path)  # the tester checks these insertions
    golden = model.index_for_path(path)
    model.fetchable = set()
    assert golden.data(WNID_ROLE) == GOLDEN_RETRIEVER
    model.set_counts(None)
    qtmodeltester.check(model, force_py=True)  # pytest-qt's Python port of the tester
    print(f"\nmodel tester checked {count_nodes(model):,} rows (of {rows:,} first)")


@pytest.mark.slow
def test_qt_model_tester_fetching_on_its_own(qtmodeltester, taxonomy, dog_counts):
    """Qt's tester fetches as it walks (10 levels, fewer further right): ~94,000 rows, ~9 s."""
    model = SynsetTreeModel(taxonomy)
    model.set_counts(dog_counts)
    model.set_thin_threshold(10)
    start = time.perf_counter()
    qtmodeltester.check(model)
    seconds = time.perf_counter() - start
    print(f"\nmodel tester fetched {count_nodes(model):,} rows in {seconds:.1f} s")
    assert count_nodes(model) > 10_000


def _rows(model, parent=QModelIndex()) -> list:  # noqa: B008
    """(label, tooltip, has children, children's rows) of every fetched row, depth first."""
    rows = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        rows.append(
            (
                index.data(DISPLAY),
                index.data(TOOLTIP),
                model.hasChildren(index),
                model.flags(index),
                _rows(model, index),
            )
        )
    return rows


def test_a_model_on_the_cache_shows_the_taxonomy_tree_and_swaps_to_it(
    qtmodeltester, taxonomy, session_data_dir
):
    """The window paints from the cache's CachedHierarchy while the graph loads."""
    from explorer.core.wordnet import open_cached_hierarchy

    hierarchy = open_cached_hierarchy(data_dir=session_data_dir)
    on_cache, on_graph = BoundedModel(hierarchy), BoundedModel(taxonomy)
    for model in (on_cache, on_graph):
        fetch_levels(model, QModelIndex(), 3)
        for path in taxonomy.paths_to_root(DOG):
            fetch(model, model.index_for_path(path))
        model.fetchable = set()
    assert _rows(on_cache) == _rows(on_graph)
    qtmodeltester.check(on_cache)

    changes = []
    on_cache.rowsInserted.connect(lambda *args: changes.append(args))
    on_cache.modelReset.connect(lambda: changes.append("reset"))
    on_cache.set_source(taxonomy)
    hierarchy.close()  # from here on the model asks the graph only
    assert changes == []
    assert _rows(on_cache) == _rows(on_graph)
    path = taxonomy.paths_to_root(GOLDEN_RETRIEVER)[0]
    on_cache.fetchable = set(path)  # the tester, still connected, checks these insertions
    golden = on_cache.index_for_path(path)
    assert golden.data(WNID_ROLE) == GOLDEN_RETRIEVER


# --- in a view ------------------------------------------------------------------------


def test_tree_view_screenshot(qtbot, tree_model, taxonomy, dog_counts, tmp_path):
    tree_model.set_counts(dog_counts)
    tree_model.set_thin_threshold(10)
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(tree_model)
    header = view.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in (1, 2):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    view.resize(500, 600)

    golden = tree_model.index_for_path(taxonomy.paths_to_root(GOLDEN_RETRIEVER)[0])
    parent = golden.parent()
    while parent.isValid():
        view.expand(parent)
        parent = parent.parent()
    view.setCurrentIndex(golden)
    view.scrollTo(golden, QTreeView.ScrollHint.PositionAtCenter)
    view.show()
    qtbot.waitExposed(view)

    assert view.visualRect(golden).isValid()  # on screen
    image = view.grab()
    assert (image.width(), image.height()) == (500, 600)
    assert image.save(str(tmp_path / "tree.png"))
    print(f"\nscreenshot: {tmp_path / 'tree.png'}")


def test_the_share_is_of_the_parent_the_row_appears_under(tree_model, taxonomy, dog_counts):
    # golden retriever 3, dog itself 2: dog's subtree 5, all of it under domestic animal
    # (one of dog's two parents) and under canine (the other)
    golden = tree_model.index_for_path(taxonomy.paths_to_root(GOLDEN_RETRIEVER)[0])
    assert golden.sibling(golden.row(), 2).data(SHARE_ROLE) is None  # no counts yet
    tree_model.set_counts(dog_counts)
    assert golden.data(SHARE_ROLE) == 1.0  # retriever's 3 are all golden retrievers
    assert golden.data(STATUS_ROLE) == "ok"  # no threshold
    for path in taxonomy.paths_to_root(DOG)[:2]:
        dog = tree_model.index_for_path(path)
        parent_subtree = dog.parent().sibling(dog.parent().row(), 2).data(SORT_ROLE)
        assert dog.data(SHARE_ROLE) == 5 / parent_subtree
    entity = tree_model.index(0, 0)
    assert entity.data(SHARE_ROLE) is None  # the root has no parent to be a share of
    labrador = tree_model.index_for_path(taxonomy.paths_to_root("n02099712")[0])
    assert labrador.data(SHARE_ROLE) == 0.0 and labrador.data(STATUS_ROLE) == "empty"
    cat = tree_model.index_for_path(taxonomy.paths_to_root(CAT)[0])
    assert cat.data(SHARE_ROLE) is None  # its parent has no image to share
    tip = golden.data(TOOLTIP)
    assert "3 images of its own, 3 in its subtree (100% of retriever's)" in tip
