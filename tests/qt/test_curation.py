"""Curation in the window: keyboard flagging in the grid and the viewer, undo, badges, filters,
the tree's Flagged and Reviewed columns, the Curation tab, the review queue, persistence
(pytest-qt, offscreen, on the real taxonomy and a catalogue of generated photos)."""

from __future__ import annotations

import pytest
from hostile_corpus import encode, photo
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLineEdit, QMessageBox
from read_only import make_read_only
from windows import open_window, private_copy

from explorer.core.analysis import compute_counts
from explorer.core.catalogue import index_catalogue
from explorer.core.curation import REASONS, Flag, FlagStore, ImageState, QueueItem, flags_path_for
from explorer.core.text import natural_path_key
from explorer.qt.main_window import MainWindow
from explorer.qt.synset_tree_model import (
    DUPLICATES_COLUMN,
    FLAGGED_COLUMN,
    REVIEWED_COLUMN,
    SynsetTreeModel,
)
from explorer.qt.thumbnail_grid import STATE_ROLE

GOLDEN, LABRADOR, RETRIEVER, DOG = "n02099601", "n02099712", "n02099029", "n02084071"
ENTITY, TABBY = "n00001740", "n02123045"
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def dataset_catalogue(taxonomy, tmp_path_factory):
    """110 golden retrievers and 10 Labradors, generated and indexed (not audited)."""
    root = tmp_path_factory.mktemp("curation") / "train"
    for wnid, count in ((GOLDEN, 110), (LABRADOR, 10)):
        (root / wnid).mkdir(parents=True)
        for i in range(count):
            picture = photo((80 + 6 * (i % 7), 60 + 4 * (i % 5))).rotate(13 * i)
            data = encode(picture, "JPEG", quality=70)
            (root / wnid / f"{wnid}_{i:03d}.JPEG").write_bytes(data)
    return index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c.sqlite").catalogue


@pytest.fixture
def catalogue_path(dataset_catalogue, tmp_path):
    """A private copy of the catalogue: its flag store (beside it) starts empty per test."""
    return private_copy(dataset_catalogue, tmp_path / "catalogue" / "c.sqlite")


def _window(qtbot, tmp_path, data_dir) -> MainWindow:
    main = open_window(qtbot, tmp_path, data_dir, curator="tester")
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow, timeout=5000)
    return main


@pytest.fixture
def window(qtbot, taxonomy, tmp_path, session_data_dir):
    main = _window(qtbot, tmp_path, session_data_dir)
    yield main
    main.close()


def _open(qtbot, window, catalogue_path, wnid=GOLDEN) -> None:
    """Open the catalogue and show ``wnid``'s images. Not by waiting for images_ready: a
    window that remembers the synset lists it on opening, and selecting it again then
    lists nothing (on a loaded machine the signal came before the wait began)."""
    window.open_catalogue(catalogue_path)
    window.select(wnid)
    qtbot.waitUntil(
        lambda: window.current_wnid == wnid and not window.images.listing, timeout=30_000
    )


def _focus_grid(qtbot, window, row: int = 0) -> None:
    window.tabs.setCurrentIndex(0)
    window.grid.setFocus()
    qtbot.waitUntil(window.grid.hasFocus, timeout=3000)
    window.grid.setCurrentIndex(window.grid_model.index(row))


def _wait_keys_back(qtbot, window) -> None:
    """After a dialog: the curation keys are shortcuts, which Qt delivers only to the active
    window, and the offscreen platform activates the window again a moment later."""
    target = window.viewer if window.viewer is not None and window.viewer.isVisible() else window
    qtbot.waitUntil(target.isActiveWindow, timeout=3000)


def _filter(qtbot, window, key: str) -> int:
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.filter.setCurrentIndex(window.filter.findData(key))
    return window.grid_model.rowCount()


def _tree_cells(window, taxonomy, wnid) -> tuple[str, str]:
    index = window.tree_model.index_for_path(taxonomy.paths_to_root(wnid)[0])
    return (
        index.sibling(index.row(), FLAGGED_COLUMN).data(),
        index.sibling(index.row(), REVIEWED_COLUMN).data(),
    )


def _corner(model, row: int) -> QColor:
    """The colour at the middle of the thumbnail's left edge (a flag's frame)."""
    image = model.index(row).data(Qt.ItemDataRole.DecorationRole).toImage()
    return image.pixelColor(0, image.height() // 2)


def _kinds(states) -> dict[str, object]:
    """path -> the reasons of its flags, or "ok"."""
    return {p: (s.reasons if s.flags else "ok") for p, s in states.items()}


def _key_for(i: int):
    """The culling plan: D every 10th from 3, Q from 7, W at 50, A at 5s, Space the rest."""
    if i == 50:
        return Qt.Key.Key_W
    return {3: Qt.Key.Key_D, 7: Qt.Key.Key_Q, 5: Qt.Key.Key_A}.get(i % 10, Qt.Key.Key_Space)


def _expected_kind(i: int):
    key = _key_for(i)
    return {
        Qt.Key.Key_D: ("duplicate",),
        Qt.Key.Key_Q: ("low_quality",),
        Qt.Key.Key_W: ("wrong_label",),
    }.get(key, "ok")


def test_keyboard_culling_of_100_images(qtbot, window, catalogue_path, taxonomy, tmp_path):
    _open(qtbot, window, catalogue_path)
    model, grid = window.grid_model, window.grid
    assert model.rowCount() == 110
    paths = [row.path for row in model.rows()]
    _focus_grid(qtbot, window)

    for i in range(100):
        assert grid.currentIndex().row() == i  # auto-advance after each single image
        qtbot.keyClick(grid, _key_for(i))
        if i == 50:  # wrong label: the suggestion dialog, by keyboard alone
            qtbot.waitUntil(lambda: window.curation_dialog is not None, timeout=3000)
            dialog = window.curation_dialog
            qtbot.keyClicks(dialog.search.field, "tabby cat")
            qtbot.keyClick(dialog.search.field, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: window.curation_dialog is None, timeout=3000)
            _wait_keys_back(qtbot, window)
            qtbot.waitUntil(grid.hasFocus, timeout=3000)  # the keys go to the grid again
    assert grid.currentIndex().row() == 100

    expected = {paths[i]: _expected_kind(i) for i in range(100)}
    states = window.store.states()
    assert _kinds(states) == expected  # exactly these, nothing for images 100-109
    assert states[paths[50]].flags[0].suggested_wnid == TABBY
    assert {s.flags[0].curator if s.flags else s.review.curator for s in states.values()} == {
        "tester"
    }
    # the badges' role: the model's states follow each command
    assert model.index(3).data(STATE_ROLE).reasons == ("duplicate",)
    assert model.index(0).data(STATE_ROLE).review is not None
    assert model.index(100).data(STATE_ROLE) is None
    assert "Flagged: Duplicate" in model.index(3).data(Qt.ItemDataRole.ToolTipRole)
    assert _corner(model, 3) == QColor(REASONS["duplicate"].colour)  # the badge's frame
    assert _corner(model, 0) != _corner(model, 3)  # OK: a check mark, no frame

    # undo the last three, then redo them, from the keyboard
    assert window.menus.actions["undo"].text() == "&Undo Mark 1 image reviewed OK"
    for _ in range(3):
        qtbot.keyClick(grid, Qt.Key.Key_Z, CTRL)
    assert set(window.store.states()) == {paths[i] for i in range(97)}
    assert grid.currentIndex().row() == 97  # back on the image whose change was undone
    assert model.index(98).data(STATE_ROLE) is None
    assert window.menus.actions["redo"].text() == "&Redo Flag 1 image: low quality"  # image 97
    qtbot.keyClick(grid, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.statusBar().currentMessage() == "Redone: Flag 1 image: low quality"
    qtbot.keyClick(grid, Qt.Key.Key_Y, CTRL)
    qtbot.keyClick(grid, Qt.Key.Key_Y, CTRL)
    assert _kinds(window.store.states()) == expected
    assert model.index(97).data(STATE_ROLE).reasons == ("low_quality",)
    assert not window.menus.actions["redo"].isEnabled()

    # several selected: flagged together, no advance; then cleared together
    grid.setCurrentIndex(model.index(100))
    grid.selectionModel().select(  # icon mode's Shift+arrow selects a rectangle of cells
        QItemSelection(model.index(100), model.index(101)),
        QItemSelectionModel.SelectionFlag.ClearAndSelect,
    )
    qtbot.keyClick(grid, Qt.Key.Key_O)
    assert grid.currentIndex().row() == 100
    assert window.store.state(paths[100]).reasons == ("offensive",)
    assert window.store.state(paths[101]).reasons == ("offensive",)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert _kinds(window.store.states()) == expected

    # the tree's columns: the synset and its ancestors (Labradors are not reviewed)
    qtbot.waitUntil(lambda: _tree_cells(window, taxonomy, GOLDEN)[0] == "21", timeout=3000)
    assert _tree_cells(window, taxonomy, GOLDEN) == ("21", "90%")  # 100 of 110
    for ancestor in (RETRIEVER, DOG, ENTITY):
        assert _tree_cells(window, taxonomy, ancestor) == ("21", "83%")  # 100 of 120
    assert _tree_cells(window, taxonomy, LABRADOR) == ("–", "–")  # none: a quiet dash
    assert _tree_cells(window, taxonomy, TABBY) == (None, None)  # no images: blank

    # the Curation tab: progress and flags of the listed images; a double-click shows one
    panel = window.curation_panel
    with qtbot.waitSignal(panel.shown, timeout=10_000):  # made on a worker
        window.tabs.setCurrentWidget(panel)
    assert (panel.images, panel.reviewed, panel.flagged) == (110, 100, 21)
    assert "100 of 110 reviewed" in panel.progress.text()
    assert panel.table_model.rowCount() == 21
    target = panel.table_model.index(5, 0)
    path = target.data()
    qtbot.waitExposed(panel.table)
    rect = panel.table.visualRect(target)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentIndex() == 0
    assert window.current_row().path == path

    # the grid's filters
    assert _filter(qtbot, window, "flagged") == 21
    assert window.image_count.text() == "21 of 110 images"
    assert _filter(qtbot, window, "flag:duplicate") == 10
    assert _filter(qtbot, window, "reviewed_ok") == 79
    assert _filter(qtbot, window, "not_reviewed") == 10

    # a picture of the window with badges: flagged thumbnails in view
    _filter(qtbot, window, "all")
    window.grid.scrollToTop()
    window.grid.viewport().repaint()
    qtbot.waitUntil(lambda: model.loaded_count() >= 40, timeout=15_000)
    qtbot.wait(50)
    assert window.grab().save(str(tmp_path / "curation.png"))

    # the flags persist: close the window, open the catalogue in a new one
    window.close()
    again = _window(qtbot, tmp_path, window.data_dir)
    _open(qtbot, again, catalogue_path)
    assert _kinds(again.store.states()) == expected
    assert again.grid_model.index(3).data(STATE_ROLE).reasons == ("duplicate",)
    qtbot.waitUntil(lambda: _tree_cells(again, taxonomy, GOLDEN) == ("21", "90%"), timeout=3000)
    again.close()


def test_viewer_keys_flag_and_advance(qtbot, window, catalogue_path):
    _open(qtbot, window, catalogue_path, LABRADOR)
    model = window.grid_model
    paths = [row.path for row in model.rows()]
    _focus_grid(qtbot, window)
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    viewer = window.viewer
    qtbot.waitExposed(viewer)
    viewer.activateWindow()
    viewer.setFocus()
    qtbot.waitUntil(lambda: viewer.isActiveWindow() and viewer.hasFocus(), timeout=3000)
    assert viewer.curation.text() == "Not reviewed"

    qtbot.keyClick(viewer, Qt.Key.Key_D)
    assert window.store.state(paths[0]).reasons == ("duplicate",)
    assert viewer.position == 1 and window.grid.currentIndex().row() == 1
    assert model.index(0).data(STATE_ROLE).reasons == ("duplicate",)
    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # OK, not "next" alone
    assert window.store.state(paths[1]).review is not None and viewer.position == 2
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.curation.text() == "Reviewed OK by tester"
    qtbot.keyClick(viewer, Qt.Key.Key_Z, CTRL)  # undo in the viewer: back to that image
    assert window.store.state(paths[1]).empty and viewer.position == 1
    assert viewer.curation.text() == "Not reviewed"

    qtbot.keyClick(viewer, Qt.Key.Key_X)  # other: asks for a note
    qtbot.waitUntil(lambda: window.curation_dialog is not None, timeout=3000)
    dialog = window.curation_dialog
    field = dialog.findChild(QLineEdit)
    qtbot.waitUntil(field.hasFocus, timeout=3000)  # typing goes there at once
    qtbot.keyClicks(field, "watermark across the dog")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.curation_dialog is None, timeout=3000)
    _wait_keys_back(qtbot, window)
    flag = window.store.state(paths[1]).flags[0]
    assert (flag.reason, flag.note) == ("other", "watermark across the dog")
    assert viewer.position == 2
    qtbot.waitUntil(lambda: viewer.isActiveWindow() and viewer.hasFocus(), timeout=3000)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert "watermark across the dog" in viewer.curation.text()
    qtbot.keyClick(viewer, Qt.Key.Key_Backspace)  # clears, does not step back
    assert window.store.state(paths[1]).empty and viewer.position == 1
    viewer.close()
    assert window.viewer is None


def test_review_queue_shows_queued_images_with_their_notes(qtbot, window, catalogue_path):
    _open(qtbot, window, catalogue_path, LABRADOR)
    queued = [row.path for row in window.grid_model.rows()[:3]]
    window.store.queue_add(
        [
            QueueItem(path, "test-source", f"looks like a cat {i}", TABBY)
            for i, path in enumerate(queued)
        ]
    )
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.menus.actions["queue"].trigger()
    model = window.grid_model
    assert [row.path for row in model.rows()] == queued
    assert window.image_count.text() == "Review queue: 3 images"
    assert "looks like a cat 0" in model.index(0).data(Qt.ItemDataRole.ToolTipRole)

    _focus_grid(qtbot, window)
    qtbot.keyClick(window.grid, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: window.curation_dialog is not None, timeout=3000)
    dialog = window.curation_dialog
    assert dialog.search.field.text() == TABBY  # the queue's suggestion, ready to accept
    qtbot.keyClick(dialog.search.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.curation_dialog is None, timeout=3000)
    _wait_keys_back(qtbot, window)
    flag = window.store.state(queued[0]).flags[0]
    assert (flag.reason, flag.suggested_wnid) == ("wrong_label", TABBY)
    assert window.grid.currentIndex().row() == 1

    qtbot.keyClick(window.grid, Qt.Key.Key_W)  # this time: no suggestion (Skip)
    qtbot.waitUntil(lambda: window.curation_dialog is not None, timeout=3000)
    dialog = window.curation_dialog
    qtbot.waitUntil(dialog.search.results.isVisible, timeout=3000)  # the suggestion's synset
    qtbot.keyClick(dialog.search.field, Qt.Key.Key_Escape)  # hides the results only
    assert dialog.isVisible() and not dialog.search.results.isVisible()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClick(dialog.search.field, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.curation_dialog is None, timeout=3000)
    _wait_keys_back(qtbot, window)
    flag = window.store.state(queued[1]).flags[0]
    assert (flag.reason, flag.suggested_wnid) == ("wrong_label", None)

    qtbot.keyClick(window.grid, Qt.Key.Key_W)  # and Escape: no flag at all
    qtbot.waitUntil(lambda: window.curation_dialog is not None, timeout=3000)
    dialog = window.curation_dialog
    qtbot.keyClick(dialog.search.field, Qt.Key.Key_Escape)  # the results
    qtbot.keyClick(dialog.search.field, Qt.Key.Key_Escape)  # the dialog
    qtbot.waitUntil(lambda: window.curation_dialog is None, timeout=3000)
    _wait_keys_back(qtbot, window)
    assert window.store.state(queued[2]).empty

    queue = window.menus.actions["queue"]
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        queue.trigger()  # unchecked: back to the synset's images
    assert window.image_count.text() == "10 images" and not queue.isChecked()
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        queue.trigger()
    assert queue.isChecked()
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.select(GOLDEN)  # leaves the queue too
    assert window.image_count.text() == "110 images" and not queue.isChecked()


def test_a_damaged_store_is_recovered_and_said(qtbot, window, catalogue_path, monkeypatch):
    with FlagStore.open_for(catalogue_path) as store:  # a flag, journaled
        from explorer.core.curation import Flag, ImageState

        store.apply({f"{GOLDEN}/{GOLDEN}_000.JPEG": ImageState((Flag("corrupt"),))})
    flags_path_for(catalogue_path).write_bytes(b"not a database at all" * 100)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[1:]))
    _open(qtbot, window, catalogue_path)
    assert warnings and warnings[0][0] == "Flags recovered"
    assert window.store.state(f"{GOLDEN}/{GOLDEN}_000.JPEG").reasons == ("corrupt",)
    assert window.grid_model.index(0).data(STATE_ROLE).reasons == ("corrupt",)


def test_tree_model_curation_columns(qapp, taxonomy):
    model = SynsetTreeModel(taxonomy, curation=True)
    assert model.columnCount() == 7
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)]
    assert headers == ["Synset", "Images", "Subtree", "Flagged", "Reviewed", "Dups", "Top-1"]
    golden = model.index_for_path(taxonomy.paths_to_root(GOLDEN)[0])
    dog = golden.parent().parent().parent().parent()
    assert dog.data(Qt.ItemDataRole.UserRole) == DOG

    def cells(index):
        return tuple(
            index.sibling(index.row(), c).data() for c in (FLAGGED_COLUMN, REVIEWED_COLUMN)
        )

    model.set_counts(compute_counts(taxonomy, {GOLDEN: 3, DOG: 2, LABRADOR: 995}))
    assert cells(golden) == (None, None)  # no curation store: blank
    changed = []
    model.dataChanged.connect(lambda tl, br, roles: changed.append((tl.column(), br.column())))
    model.set_curation_counts(
        compute_counts(taxonomy, {GOLDEN: 1}), compute_counts(taxonomy, {GOLDEN: 3, LABRADOR: 1})
    )
    assert changed and set(changed) == {(FLAGGED_COLUMN, REVIEWED_COLUMN)}  # only those two
    assert cells(golden) == ("1", "100%")
    assert cells(dog) == ("1", "<1%")  # 4 of 1,000
    cat = model.index_for_path(taxonomy.paths_to_root(TABBY)[0])
    assert cells(cat) == (None, None)  # no images in the subtree
    flagged = golden.sibling(golden.row(), FLAGGED_COLUMN)
    assert flagged.data(Qt.ItemDataRole.ForegroundRole) is not None  # red when some
    model.set_curation_counts(None, None)
    assert cells(golden) == (None, None)
    # the Dups column: images in a near-duplicate pair, signalled alone
    dups = golden.sibling(golden.row(), DUPLICATES_COLUMN)
    assert dups.data() is None  # no search yet
    changed.clear()
    model.set_duplicate_counts(compute_counts(taxonomy, {GOLDEN: 2}))
    assert set(changed) == {(DUPLICATES_COLUMN, DUPLICATES_COLUMN)}
    assert dups.data() == "2" and dog.sibling(dog.row(), DUPLICATES_COLUMN).data() == "2"
    assert dups.data(Qt.ItemDataRole.ForegroundRole) is not None
    labrador = model.index_for_path(taxonomy.paths_to_root(LABRADOR)[0])
    assert labrador.sibling(labrador.row(), DUPLICATES_COLUMN).data() == "–"  # none in a pair


def test_a_rescan_lets_flags_follow_renamed_files(qtbot, window, taxonomy, tmp_path):
    root = tmp_path / "small" / "train"
    (root / LABRADOR).mkdir(parents=True)
    for i in range(3):
        picture = photo((90 + 10 * i, 70)).rotate(20 * i)
        (root / LABRADOR / f"lab_{i}.JPEG").write_bytes(encode(picture, "JPEG", quality=75))
    catalogue = index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c.sqlite")
    _open(qtbot, window, catalogue.catalogue, LABRADOR)
    _focus_grid(qtbot, window)
    qtbot.keyClick(window.grid, Qt.Key.Key_D)
    assert window.store.state(f"{LABRADOR}/lab_0.JPEG").reasons == ("duplicate",)

    (root / LABRADOR / "lab_0.JPEG").rename(root / LABRADOR / "renamed.JPEG")
    window.catalogues.rescan()
    qtbot.waitUntil(lambda: not window.busy_bar.busy, timeout=30_000)
    assert "flags followed 1 moved files" in window.statusBar().currentMessage()
    assert window.store.state(f"{LABRADOR}/renamed.JPEG").reasons == ("duplicate",)
    assert window.store.state(f"{LABRADOR}/lab_0.JPEG").empty


def test_a_big_selection_is_read_in_a_worker_then_flagged(qtbot, window, catalogue_path):
    """Over 20 images: their files are hashed off the GUI thread, then one command flags all."""
    _open(qtbot, window, catalogue_path)
    model, grid = window.grid_model, window.grid
    _focus_grid(qtbot, window)
    grid.selectionModel().select(
        QItemSelection(model.index(0), model.index(29)),
        QItemSelectionModel.SelectionFlag.ClearAndSelect,
    )
    qtbot.keyClick(grid, Qt.Key.Key_Q)
    paths = [model.row(i).path for i in range(30)]
    qtbot.waitUntil(
        lambda: window.store.state(paths[-1]).reasons == ("low_quality",), timeout=10_000
    )
    states = window.store.states(paths)
    assert all(states[p].reasons == ("low_quality",) for p in paths)
    assert len({states[p].flags[0].content_hash for p in paths}) == 30  # each file read
    assert window.undo_stack.undo_label == "Flag 30 images: low quality"
    assert window.statusBar().currentMessage() == "Flagged 30 images: low quality"
    qtbot.keyClick(grid, Qt.Key.Key_Z, CTRL)
    assert window.store.states(paths) == {}


def test_a_read_only_store_is_shown_read_only_with_the_keys_off(
    qtbot, window, catalogue_path, request, monkeypatch
):
    """A shared dataset on a read-only mount: browse its flags, no dialog, no key that fails."""
    with FlagStore.open_for(catalogue_path) as store:
        store.apply({f"{GOLDEN}/{GOLDEN}_000.JPEG": ImageState((Flag("duplicate"),), None)})
    make_read_only(catalogue_path.parent, request)
    dialogs = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: dialogs.append(args))
    _open(qtbot, window, catalogue_path)
    assert window.store is not None and window.store.read_only
    assert window.grid_model.state(f"{GOLDEN}/{GOLDEN}_000.JPEG").reasons == ("duplicate",)
    assert window.store_note.isVisible() and "read-only" in window.store_note.text()
    assert "Flags are read-only here" in window.store_note.toolTip()
    assert not window.menus.flags["duplicate"].isEnabled()
    assert not window.menus.actions["ok"].isEnabled()
    _focus_grid(qtbot, window)
    qtbot.keyClick(window.grid, Qt.Key.Key_D)
    assert dialogs == [] and window.undo_stack.undo_label is None


def test_the_curation_tab_sorts_itself_and_follows_changes_from_a_worker(
    qtbot, window, catalogue_path
):
    """The tab's sum is a core job on the window's workers (issue 14: 1.3 s on the GUI
    thread with 10,000 flags); its table sorts by any column, keeps the selected flag
    through a sort, and a double-click still shows the image."""
    _open(qtbot, window, catalogue_path, RETRIEVER)
    workspace = window.workspace
    rows = workspace.rows_at(0, 120)
    refs = workspace.image_refs(rows)
    workspace.flag(refs[0:12], "duplicate", note="z")
    workspace.flag(refs[100:103], "wrong_label", suggested=LABRADOR)
    workspace.flag(refs[110:112], "offensive", note="a")
    panel = window.curation_panel
    window.tabs.setCurrentWidget(panel)  # the sums come from workers: wait for the last
    qtbot.waitUntil(
        lambda: (panel.images, panel.reviewed, panel.flagged) == (120, 17, 17), timeout=10_000
    )
    model, table = panel.table_model, panel.table
    qtbot.waitUntil(lambda: model.rowCount() == 17, timeout=10_000)
    paths = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert paths == sorted(paths, key=natural_path_key)
    assert model.index(12, 3).data() == f"{LABRADOR} Labrador retriever"

    table.selectRow(3)
    chosen = model.index(table.currentIndex().row(), 0).data()
    table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # the note: "", "a", "z"
    notes = [model.index(i, 2).data() for i in range(model.rowCount())]
    assert notes == [""] * 3 + ["a"] * 2 + ["z"] * 12
    assert model.index(table.currentIndex().row(), 0).data() == chosen  # kept through
    table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    reasons = [model.index(i, 1).data() for i in range(model.rowCount())]
    assert reasons == sorted(reasons, reverse=True)
    assert model.index(table.currentIndex().row(), 0).data() == chosen

    # a change reaches the table, in the order chosen
    workspace.clear(refs[0:12])
    qtbot.waitUntil(
        lambda: (panel.reviewed, panel.flagged, model.rowCount()) == (5, 5, 5), timeout=10_000
    )
    assert [model.index(i, 1).data() for i in range(5)] == ["Wrong label"] * 3 + ["Offensive"] * 2

    target = model.index(4, 0)
    qtbot.waitExposed(table)
    rect = table.visualRect(target)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentIndex() == 0
    assert window.current_row().path == target.data()


def test_a_stale_curation_answer_is_dropped(qtbot, window, catalogue_path):
    """Two refreshes in a row: only the last one's sum is shown."""
    _open(qtbot, window, catalogue_path, RETRIEVER)
    panel = window.curation_panel
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        window.tabs.setCurrentWidget(panel)
    workspace = window.workspace
    refs = workspace.image_refs(workspace.rows_at(0, 3))
    workspace.flag(refs, "duplicate")
    panel.refresh()
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        panel.refresh()
    qtbot.wait(100)
    assert panel.flagged == 3 and panel.table_model.rowCount() == 3
