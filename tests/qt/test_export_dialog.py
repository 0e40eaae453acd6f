"""The export dialog: several synsets chosen in the tree, a preview with counts, then the file
(pytest-qt, offscreen, the real taxonomy and the real ILSVRC samples)."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from windows import open_window

from explorer.core.catalogue import index_catalogue
from explorer.core.curation import ImageRef, flag_images
from explorer.core.exports import EXPORT_KINDS, FLAGGED_CHOICES, OVERLAP_CHOICES
from explorer.qt.export_dialog import FLAGGED_LABELS, KIND_LABELS, OVERLAP_LABELS, PREVIEW_LINES

DOG, CAT, DOMESTIC_ANIMAL, CARNIVORE = "n02084071", "n02121620", "n01317541", "n02075296"
GOLDEN_JPEG = "n02099601/n02099601_golden_retriever.JPEG"


@pytest.fixture(scope="module")
def catalogue_path(taxonomy, shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("export-dialog") / "train"
    for sample in sorted((shared_data / "imagenet-samples").glob("n02*.JPEG")):
        wnid = sample.name.split("_")[0]
        (root / wnid).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, root / wnid / sample.name)
    return index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c.sqlite").catalogue


@pytest.fixture
def window(qtbot, taxonomy, tmp_path, session_data_dir, catalogue_path):
    main = open_window(qtbot, tmp_path, session_data_dir)
    main.open_catalogue(catalogue_path)
    yield main
    main.close()


def _choose(qtbot, window, taxonomy, *wnids):
    """Select the first wnid like a click, then the others like Ctrl+clicks."""
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.select(wnids[0])
    for wnid in wnids[1:]:
        index = window.tree_model.index_for_path(taxonomy.paths_to_root(wnid)[0])
        window.tree.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        )


def _preview(qtbot, dialog, **changes):
    with qtbot.waitSignal(dialog.preview_ready, timeout=20_000):
        for combo_name, key in changes.items():
            combo = getattr(dialog, combo_name)
            combo.setCurrentIndex(combo.findData(key))
        if not changes:
            dialog.refresh_preview()


def test_preview_counts_and_export_of_several_synsets(qtbot, window, taxonomy, tmp_path):
    _choose(qtbot, window, taxonomy, DOG, CAT)
    assert set(window.selected_wnids()) == {DOG, CAT}
    window.open_export_dialog()
    dialog = window.export_dialog
    qtbot.waitSignal(dialog.preview_ready, timeout=20_000).wait()

    # subtree list (the default): the union of both subtrees
    expected = sorted(taxonomy.descendants(DOG) | taxonomy.descendants(CAT) | {DOG, CAT})
    shown = dialog.preview.toPlainText().splitlines()
    assert shown[:PREVIEW_LINES] == expected[:PREVIEW_LINES]
    assert shown[PREVIEW_LINES:] == [f"… {len(expected) - PREVIEW_LINES} more lines"]
    assert f"<b>{len(expected):,} rows</b>" in dialog.summary.text()

    # image list: the preview is the file, with its counts
    _preview(qtbot, dialog, kind="images")
    rows = list(csv.DictReader(io.StringIO(dialog.preview.toPlainText())))
    assert rows and {r["class_wnid"] for r in rows} == {DOG, CAT}
    assert f"<b>{len(rows):,} rows</b> in 2 classes" in dialog.summary.text()
    # flag one: left out now, and alone with "only flagged"
    window.store.apply(flag_images(window.store, [ImageRef(GOLDEN_JPEG)], "duplicate").after)
    _preview(qtbot, dialog)
    assert "left out: 1 flagged" in dialog.summary.text()
    _preview(qtbot, dialog, flagged="only")
    assert [r["path"] for r in csv.DictReader(io.StringIO(dialog.preview.toPlainText()))] == [
        GOLDEN_JPEG
    ]
    _preview(qtbot, dialog, flagged="exclude")
    target = tmp_path / "images.csv"
    with qtbot.waitSignal(dialog.exported, timeout=20_000):
        dialog.export_to(str(target))
    assert target.read_text() == dialog.preview.toPlainText() + "\n"
    assert "Wrote" in dialog.summary.text()

    # folders: the preview lists the classes and their image counts
    _preview(qtbot, dialog, kind="folders")
    classes = {line.split("/")[0] for line in dialog.preview.toPlainText().splitlines()}
    assert classes == {DOG, CAT}  # in tree order: cat (under chordate) before dog
    dialog.grab().save(str(tmp_path / "export-dialog.png"))
    dialog.close()


def test_overlapping_superclasses_are_reported(qtbot, window, taxonomy):
    _choose(qtbot, window, taxonomy, DOMESTIC_ANIMAL, CARNIVORE)
    window.open_export_dialog()
    dialog = window.export_dialog
    qtbot.waitSignal(dialog.preview_ready, timeout=20_000).wait()
    _preview(qtbot, dialog, kind="superclasses")
    assert "went to the most specific" in dialog.summary.text()
    # carnivore is deeper: domestic animal is left empty, and the dialog says why
    assert f"{DOMESTIC_ANIMAL} (domestic animal) is empty: its " in dialog.summary.text()
    assert "--on-overlap fail" in dialog.last_report.warnings[0]
    _preview(qtbot, dialog, on_overlap="fail")
    assert "under several chosen nodes" in dialog.last_error
    assert not dialog.export_button.isEnabled()
    dialog.close()


def test_images_outside_the_root_are_left_out_unless_asked(
    qtbot, window, taxonomy, shared_data, tmp_path
):
    """A link out of the dataset folder: counted as left out, kept when the box is ticked,
    never hard-linked; the grid shows the picture with a badge."""
    root = tmp_path / "train"
    (root / "n02099601").mkdir(parents=True)
    golden = shared_data / "imagenet-samples" / "n02099601_golden_retriever.JPEG"
    shutil.copyfile(golden, root / "n02099601" / "golden.JPEG")
    shutil.copyfile(golden, tmp_path / "elsewhere.JPEG")
    (root / "n02099601" / "out.JPEG").symlink_to(tmp_path / "elsewhere.JPEG")
    path = index_catalogue(root, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite").catalogue
    window.open_catalogue(path)
    _choose(qtbot, window, taxonomy, DOG)
    badged = [window.grid_model.data(window.grid_model.index(i)) for i in range(2)]
    assert badged == ["golden.JPEG", "↗ out.JPEG"]
    assert "Outside the catalogue root" in window.grid_model.data(
        window.grid_model.index(1), Qt.ItemDataRole.ToolTipRole
    )
    window.open_export_dialog()
    dialog = window.export_dialog
    qtbot.waitSignal(dialog.preview_ready, timeout=20_000).wait()
    _preview(qtbot, dialog, kind="images")
    assert "left out: 1 outside root" in dialog.summary.text()
    with qtbot.waitSignal(dialog.preview_ready, timeout=20_000):
        dialog.outside_root.setChecked(True)
    assert "left out" not in dialog.summary.text()
    assert "n02099601/out.JPEG" in dialog.preview.toPlainText()
    _preview(qtbot, dialog, kind="folders", mode="hardlink")
    assert "left out: 1 outside root" in dialog.summary.text()
    assert "hard links are never made to a file outside the root" in dialog.summary.text()
    dialog.close()


def test_the_dialog_labels_exactly_the_cores_choices():
    """The choices are the core's; the dialog only names them (a new one needs a label)."""
    assert list(KIND_LABELS) == list(EXPORT_KINDS)
    assert list(FLAGGED_LABELS) == list(FLAGGED_CHOICES)
    assert list(OVERLAP_LABELS) == list(OVERLAP_CHOICES)


def test_a_long_image_list_preview_counts_the_lines_it_does_not_hold(
    qtbot, window, taxonomy, monkeypatch
):
    """The core's preview of an image list holds its first PREVIEW_ROWS rows (the root's
    would be 14 million): the dialog counts the rest from the report, not from the text."""
    from explorer.core.exports import export as export_module
    from explorer.qt import export_dialog

    monkeypatch.setattr(export_module, "PREVIEW_ROWS", 4)
    monkeypatch.setattr(export_dialog, "PREVIEW_ROWS", 4)
    monkeypatch.setattr(export_dialog, "PREVIEW_LINES", 2)
    _choose(qtbot, window, taxonomy, DOG, CAT)
    window.open_export_dialog()
    dialog = window.export_dialog
    qtbot.waitSignal(dialog.preview_ready, timeout=20_000).wait()
    _preview(qtbot, dialog, kind="images")
    rows = dialog.last_report.rows
    assert rows > 4
    shown = dialog.preview.toPlainText().splitlines()
    # the csv's header and rows: all but the two lines shown are counted
    assert shown[2:] == [f"… {1 + rows - 2:,} more lines"]


@pytest.fixture(scope="module")
def chunked_catalogue(taxonomy, tmp_path_factory):
    """6,000 images (a manifest, the files absent) over four synsets, in chunks of 512."""
    from manifests import write_manifest

    from explorer.core.catalogue import orders as orders_module

    folder = tmp_path_factory.mktemp("export-chunked")
    manifest = write_manifest(folder / "m.csv", ["n02085620", "n02099601", "n02123045"], 6000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(orders_module, "CHUNK", 512)
        summary = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=folder / "c.sqlite")
    return summary.catalogue


@pytest.fixture
def slow_export(monkeypatch):
    """The image export in windows of 250 rows, each read a little slowly: 24 windows, time
    to see the progress and to cancel midway."""
    import time

    from explorer.core.catalogue import Catalogue
    from explorer.core.exports import images as images_module

    monkeypatch.setattr(images_module, "WINDOW", 250)
    real = Catalogue.paths_by_ids

    def paths_by_ids(self, *args, **kwargs):
        time.sleep(0.02)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Catalogue, "paths_by_ids", paths_by_ids)


def _export_dialog(qtbot, window, taxonomy, catalogue):
    window.open_catalogue(catalogue)
    _choose(qtbot, window, taxonomy, "n02083346")  # canine: the dogs of the manifest
    window.open_export_dialog()
    dialog = window.export_dialog
    qtbot.waitSignal(dialog.preview_ready, timeout=20_000).wait()
    _preview(qtbot, dialog, kind="images")
    assert dialog.last_report.rows == 4000
    return dialog


def test_an_export_shows_its_progress_and_writes_every_row(
    qtbot, window, taxonomy, tmp_path, chunked_catalogue, slow_export
):
    dialog = _export_dialog(qtbot, window, taxonomy, chunked_catalogue)
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    output = tmp_path / "dogs.csv"
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        dialog.export_to(str(output))
        assert dialog.progress.isVisible() and dialog.cancel_button.isVisible()
    assert len([v for v in seen if 0 < v < 1000]) >= 2  # it moved on the way
    assert not dialog.progress.isVisible() and not dialog.cancel_button.isVisible()
    with output.open(newline="") as f:
        assert sum(1 for _ in csv.reader(f)) == 4001  # the header and every row


def test_cancel_midway_leaves_no_file(
    qtbot, capfd, window, taxonomy, tmp_path, chunked_catalogue, slow_export, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warned.append(args[2]))
    dialog = _export_dialog(qtbot, window, taxonomy, chunked_catalogue)
    folder = tmp_path / "out"
    folder.mkdir()
    midway: list[int] = []

    def cancel_at_a_third(value: int) -> None:
        if 300 <= value < 1000 and not midway:
            midway.append(value)
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    dialog.progress.valueChanged.connect(cancel_at_a_third)
    exported: list[object] = []
    dialog.exported.connect(exported.append)
    capfd.readouterr()
    dialog.export_to(str(folder / "dogs.csv"))
    qtbot.waitUntil(lambda: "cancelled" in dialog.summary.text(), timeout=30_000)
    assert midway and exported == [] and warned == []
    assert list(folder.iterdir()) == []  # neither the file nor its temporary one
    assert not dialog.progress.isVisible() and dialog.export_button.isEnabled()
    assert capfd.readouterr() == ("", "")
