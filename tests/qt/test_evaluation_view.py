"""The window's evaluation (issue 18) on the real val predictions (every tenth image, 5,000, as a
manifest catalogue, their files absent): scoring from Evaluation ▸ Open predictions…, the
Top-1 tree column, the Evaluation tab's figures for the selected subtree, a confused pair's
images in the grid with the prediction on each cell, and W turning a mistake into a
wrong_label flag with the prediction as the suggested synset (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from val_predictions import write_val_files
from windows import open_window

from explorer.core.catalogue import index_catalogue
from explorer.core.evaluation import class_order
from explorer.qt.synset_tree_model import ACCURACY_COLUMN

DOG, EVALUATION_TAB = "n02084071", 4


@pytest.fixture(scope="module")
def val(shared_data, taxonomy, tmp_path_factory):
    known = shared_data / "known-issues"
    folder = tmp_path_factory.mktemp("val")
    written = write_val_files(known, folder, slice(None, None, 10))  # all 1,000 classes
    truth, predicted = written["truth"], written["predicted"]
    order = class_order("ilsvrc2012")
    index_catalogue(folder / "val.csv", nouns=taxonomy.graph, catalogue=folder / "val.sqlite")
    dogs = taxonomy.descendants(DOG) | {DOG}
    in_dogs = np.array([order[t] in dogs for t in truth])
    dog_top1 = float((truth == predicted)[in_dogs].mean())
    return folder, known / "real.json", dog_top1


@pytest.fixture(params=[(1024, 640), (1920, 1080)], ids=["1024x640", "1920x1080"])
def window(request, qtbot, val, tmp_path, session_data_dir):
    folder, _, _ = val
    main = open_window(qtbot, tmp_path, session_data_dir, size=request.param)
    catalogue = tmp_path / "val.sqlite"
    catalogue.write_bytes((folder / "val.sqlite").read_bytes())
    main.open_catalogue(catalogue)
    with qtbot.waitSignal(main.images_ready, timeout=20_000):
        main.select(DOG)
    main.show_tab(EVALUATION_TAB)
    yield main
    main.close()


def _score(qtbot, window, val, monkeypatch):
    folder, real, _ = val
    from explorer.qt import evaluation_view

    monkeypatch.setattr(
        evaluation_view.ScoreDialog, "exec", lambda self: QDialog.DialogCode.Accepted
    )
    monkeypatch.setattr(
        evaluation_view.ScoreDialog,
        "choice",
        lambda self: (str(folder / "pred.csv"), None, str(real)),
    )
    with qtbot.waitSignal(window.evaluation_session.changed, timeout=30_000):
        qtbot.mouseClick(window.evaluation.score_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.busy_bar.busy, timeout=10_000)


def test_scoring_fills_the_tab_and_the_tree(qtbot, window, val, monkeypatch):
    view = window.evaluation
    assert "No predictions scored yet" in view.summary.text() and view.empty_state.isVisible()
    assert window.tree.isColumnHidden(ACCURACY_COLUMN)
    _score(qtbot, window, val, monkeypatch)
    _, _, dog_top1 = val
    assert "5,000 images scored" in view.summary.text() and "ReaL top-1" in view.summary.text()
    assert f"top-1 {dog_top1:.1%}" in view.node_figures.text()
    assert view.confused.rowCount() > 0 and view.bars.counts
    assert (
        sum(view.bars.counts.values())
        == sum(int(view.confused.item(r, 2).text()) for r in range(view.confused.rowCount()))
        or sum(view.bars.counts.values()) > 0
    )
    # the tree's Top-1 column: dog's accuracy, tinted
    assert not window.tree.isColumnHidden(ACCURACY_COLUMN)
    current = window.tree.currentIndex()
    cell = current.sibling(current.row(), ACCURACY_COLUMN)
    assert cell.data() == f"{int(dog_top1 * 100)}%"
    assert cell.data(Qt.ItemDataRole.BackgroundRole) is not None
    # nothing of the tab is cut off
    for widget in (view.summary, view.node_figures, view.confused, view.bars, view.show_button):
        assert widget.isVisible() and widget.width() > 0
        assert view.rect().contains(widget.geometry().translated(widget.parentWidget().pos()))


def test_a_confused_pair_opens_in_the_grid_and_w_flags_the_prediction(
    qtbot, window, val, monkeypatch
):
    _score(qtbot, window, val, monkeypatch)
    view = window.evaluation
    truth = view._pairs[0].truth
    prediction = view._pairs[0].prediction
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        view.confused.cellActivated.emit(0, 0)
    assert window.tabs.currentWidget() is window.images
    model = window.grid_model
    rows = model.rows()
    assert len(rows) == view._pairs[0].images and all(row.wnid == truth for row in rows)
    name = window.taxonomy.node(prediction)["lemmas"][0]
    assert model.first_label(rows[0]).startswith(f"→ {name}")
    window.grid.setFocus()
    window.grid.setCurrentIndex(model.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: window.curation_dialog is not None, timeout=3000)
    dialog = window.curation_dialog
    assert dialog.search.field.text() == prediction  # the prediction, ready to accept
    qtbot.keyClick(dialog.search.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.curation_dialog is None, timeout=3000)
    flag = window.store.state(rows[0].path).flags[0]
    assert (flag.reason, flag.suggested_wnid) == ("wrong_label", prediction)


def test_a_subtree_without_scored_images_says_so(qtbot, window, val, monkeypatch):
    _score(qtbot, window, val, monkeypatch)
    view = window.evaluation
    window.select("n05220461")  # body part: no val class
    qtbot.waitUntil(lambda: view.empty_state.isVisible(), timeout=5000)
    assert "No scored image" in view.empty_state.text()


def test_shift_w_takes_the_prediction_in_one_key(qtbot, window, val, monkeypatch):
    _score(qtbot, window, val, monkeypatch)
    view = window.evaluation
    prediction = view._pairs[0].prediction
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        view.confused.cellActivated.emit(0, 0)
    model = window.grid_model
    rows = model.rows()
    window.grid.setFocus()
    window.grid.setCurrentIndex(model.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_W, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not window.store.state(rows[0].path).empty, timeout=3000)
    flag = window.store.state(rows[0].path).flags[0]
    assert (flag.reason, flag.suggested_wnid) == ("wrong_label", prediction)
    assert window.curation_dialog is None  # no dialog: one key
    qtbot.waitUntil(lambda: window.grid.currentIndex().row() == 1, timeout=3000)  # the next
