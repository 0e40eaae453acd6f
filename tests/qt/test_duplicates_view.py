"""The Duplicates tab (issue 17) on real ILSVRC samples with planted altered copies: Find
duplicates from the window, the pairs of the selected subtree with label conflicts first,
the pair side by side, keys that flag one image a duplicate of the other (its note names the
twin; undo), N that marks a pair not a duplicate (gone at once, back on undo), the Dups
column of the tree, the empty states, the other catalogue of a leakage search, and the
layout at 1024x640 and 1920x1080 (pytest-qt, offscreen, the real taxonomy)."""

from __future__ import annotations

import shutil

import pytest
from planted_duplicates import plant
from PySide6.QtCore import QRect, Qt
from windows import open_window, private_copy

from explorer.core.catalogue import index_catalogue
from explorer.core.duplicates import RELATIONS
from explorer.qt.synset_tree_model import DUPLICATES_COLUMN

DUPLICATES_TAB = 3


@pytest.fixture(scope="module")
def planted(taxonomy, shared_data, tmp_path_factory):
    """8 samples and their altered copies, indexed (hashed by the window's first search)."""
    samples = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))[3::120][:8]
    base = tmp_path_factory.mktemp("planted")
    pairs = plant(samples, base / "data", taxonomy)
    catalogue = base / "planted.sqlite"
    index_catalogue(base / "data", nouns=taxonomy.graph, catalogue=catalogue)
    return catalogue, pairs, samples


@pytest.fixture(params=[(1024, 640), (1920, 1080)], ids=["1024x640", "1920x1080"])
def window(request, qtbot, taxonomy, tmp_path, session_data_dir, planted):
    catalogue, pairs, _ = planted
    main = open_window(qtbot, tmp_path, session_data_dir, size=request.param)
    main.open_catalogue(private_copy(catalogue, tmp_path / "c" / "planted.sqlite"))
    first = pairs[0].original.split("/")[0]
    with qtbot.waitSignal(main.images_ready, timeout=10_000):
        main.select(first)
    main.show_tab(DUPLICATES_TAB)
    yield main
    main.close()


def _find(qtbot, window):
    view = window.duplicates
    with qtbot.waitSignal(window.duplicate_session.changed, timeout=60_000):
        qtbot.mouseClick(view.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.busy_bar.busy, timeout=10_000)
    return view


def _wait_previews(qtbot, view):
    qtbot.waitUntil(
        lambda: all(not pane.picture.pixmap().isNull() for pane in (view.left, view.right)),
        timeout=10_000,
    )


def test_find_lists_the_subtree_pairs_side_by_side(qtbot, window, planted):
    _, pairs, _ = planted
    view = window.duplicates
    assert "No search yet" in view.summary.text() and view.empty_state.isVisible()
    assert window.tree.isColumnHidden(DUPLICATES_COLUMN)
    _find(qtbot, window)
    first = pairs[0].original.split("/")[0]
    shown = [view.model.pair(row) for row in range(view.model.rowCount())]
    # every planted pair of the selected synset's original is listed
    wanted = {frozenset((p.original, p.copy)) for p in pairs if p.original.startswith(first)}
    listed = {frozenset((p.a, p.b)) for p in shown}
    assert len(wanted & listed) >= len(wanted) - 1  # the 3% crop may be 9 bits away
    assert all(first in (p.wnid_a, p.wnid_b) for p in shown)
    # label conflicts first, then ancestors, then copies in one synset
    order = [("different", "ancestor", "same_synset").index(p.relation) for p in shown]
    assert order == sorted(order)
    assert "pairs in" in view.summary.text() and "within 8 bits" in view.summary.text()
    _wait_previews(qtbot, view)
    pair = view.current_pair()
    assert view.left.path == pair.a and view.right.path == pair.b
    assert "apart" in view.verdict.text() or "the same bytes" in view.verdict.text()
    # the tree's Dups column: the synset's own images, each once
    assert not window.tree.isColumnHidden(DUPLICATES_COLUMN)
    counts = window.duplicate_session.counts()
    assert counts.of(first)["direct"] == len(
        {x for p in shown for x in (p.a, p.b) if x.startswith(first)}
    )


def test_keys_flag_the_duplicate_naming_its_twin_and_undo(qtbot, window):
    view = _find(qtbot, window)
    view.table.setFocus()
    pair = view.current_pair()
    qtbot.keyClick(view.table, Qt.Key.Key_2)
    state = window.store.state(pair.b)
    assert state.reasons == ("duplicate",) and state.flags[0].note == f"duplicate of {pair.a}"
    assert view.table.currentIndex().row() == 1  # on to the next pair
    window.workspace.undo()
    assert window.store.state(pair.b).empty
    # K keeps both: nothing written, the next pair
    view.table.selectRow(0)
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    assert view.table.currentIndex().row() == 1 and window.store.state(pair.a).empty


def test_not_a_duplicate_is_gone_at_once_and_back_on_undo(qtbot, window):
    view = _find(qtbot, window)
    before = view.model.rowCount()
    total = window.duplicate_session.counts().subtree[0]
    pair = view.current_pair()
    view.table.setFocus()
    with qtbot.waitSignal(view.pairs_shown, timeout=5_000):
        qtbot.keyClick(view.table, Qt.Key.Key_N)
    assert view.model.rowCount() == before - 1
    assert (pair.a, pair.b) not in {
        (p.a, p.b) for p in (view.model.pair(r) for r in range(view.model.rowCount()))
    }
    assert window.store.not_duplicates() == [(pair.a, pair.b)]
    assert window.duplicate_session.counts().subtree[0] <= total
    with qtbot.waitSignal(view.pairs_shown, timeout=5_000):
        window.workspace.undo()
    assert view.model.rowCount() == before and window.store.not_duplicates() == []


def test_the_relation_filter_and_a_subtree_without_pairs_say_so(qtbot, window, taxonomy):
    view = _find(qtbot, window)
    view.relation.setCurrentIndex(1 + RELATIONS.index("different"))
    relations = {view.model.pair(r).relation for r in range(view.model.rowCount())}
    assert relations <= {"different"}
    view.relation.setCurrentIndex(0)
    window.select("n02121808")  # domestic cat: no sample of it
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=5_000)
    assert view.empty_state.isVisible() and "No near-duplicate in" in view.empty_state.text()
    assert "entity" in view.empty_state.text()


def test_the_layout_shows_everything_unclipped(qtbot, window):
    view = _find(qtbot, window)
    _wait_previews(qtbot, view)
    qtbot.wait(50)
    tab = view.rect()
    for widget in (view.table, view.left, view.right, view.keys, view.verdict, view.find_button):
        assert widget.isVisible()
        top_left = widget.mapTo(view, widget.rect().topLeft())
        assert tab.contains(QRect(top_left, widget.size())), widget
    header = view.table.horizontalHeader()
    for column in range(view.model.columnCount()):  # every column has room for its words
        assert header.sectionSize(column) >= 40
    for pane in (view.left, view.right):
        assert pane.picture.width() >= 150 and pane.picture.height() >= 100
        for label in (pane.synset, pane.file, pane.hint):  # one line each, never cut
            assert label.sizeHint().height() <= label.height() + 1
            assert label.fontMetrics().horizontalAdvance(label.shown()) <= label.width() + 2
    # the hint line is the key table's
    assert "not a duplicate" in view.keys.text() and "Ctrl+Z" in view.keys.text()


def test_without_a_catalogue_the_tab_says_what_to_do(qtbot, taxonomy, tmp_path, session_data_dir):
    main = open_window(qtbot, tmp_path, session_data_dir, size=(1024, 640))
    main.show_tab(DUPLICATES_TAB)
    view = main.duplicates
    assert not view.find_button.isEnabled()
    assert "Open a catalogue" in view.empty_state.text()
    main.close()


def test_against_another_catalogue_lists_pairs_across_and_flags_only_here(
    qtbot, window, planted, taxonomy, tmp_path
):
    _, pairs, _ = planted
    root = window.catalogue.root
    val = tmp_path / "val"
    for pair in pairs[:: len(pairs) // 8]:  # the originals, as a val set
        (val / pair.original).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / pair.original, val / pair.original)
    other = tmp_path / "val.sqlite"
    index_catalogue(val, nouns=taxonomy.graph, catalogue=other)
    view = window.duplicates
    view.set_against(str(other))
    assert "val.sqlite" in view.against_button.text()
    _find(qtbot, window)
    shown = [view.model.pair(r) for r in range(view.model.rowCount())]
    val_paths = {p.relative_to(val).as_posix() for p in val.rglob("*.JPEG")}
    assert shown and all(p.b in val_paths for p in shown)
    assert "val.sqlite" in view.summary.text()
    pair = view.current_pair()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_2)  # in the other catalogue: said, not flagged
    assert "other catalogue" in view.summary.text() and window.store.state(pair.b).empty
    qtbot.keyClick(view.table, Qt.Key.Key_1)
    assert window.store.state(pair.a).flags[0].note.endswith(f"val/{pair.b}")
