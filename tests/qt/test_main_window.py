"""The main window on the real taxonomy and a small real catalogue (pytest-qt, offscreen)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import not_catalogues
import pytest
from hostile_corpus import encode, many_scans_jpeg, photo
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from explorer.core.catalogue import Catalogue, index_catalogue, resolve_catalogue
from explorer.core.errors import CatalogueError
from explorer.core.images import MAX_SCANS, Thumbnail, ThumbnailCache, audit_catalogue
from explorer.core.images import thumbnail_cache as thumbnail_cache
from explorer.core.wordnet import MAX_QUERY_CHARS
from explorer.qt.images_panel import THUMBNAIL_SIZES
from explorer.qt.main_window import MainWindow
from explorer.qt.synset_tree_model import WNID_ROLE

GOLDEN, LABRADOR, RETRIEVER, TENCH = "n02099601", "n02099712", "n02099029", "n01440764"


@pytest.fixture(scope="module")
def catalogue_path(taxonomy, tmp_path_factory):
    """A folders-layout dataset of generated photos, indexed and audited, with one broken file."""
    root = tmp_path_factory.mktemp("dataset") / "train"
    counts = {GOLDEN: 14, LABRADOR: 5, TENCH: 3}
    for k, (wnid, count) in enumerate(counts.items()):
        (root / wnid).mkdir(parents=True)
        for i in range(count):
            picture = photo((160 + 8 * i, 120 + 4 * k)).rotate(15 * i)
            (root / wnid / f"{wnid}_{i}.JPEG").write_bytes(encode(picture, "JPEG", quality=80))
    whole = encode(photo((200, 150)), "JPEG")
    (root / GOLDEN / "broken.JPEG").write_bytes(whole[: len(whole) // 2])
    summary = index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c.sqlite")
    audit_catalogue(summary.catalogue)
    return summary.catalogue


@pytest.fixture
def window(qtbot, taxonomy, tmp_path, session_data_dir):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings, lambda: ThumbnailCache(tmp_path / "thumbnails"), session_data_dir)
    qtbot.addWidget(main)
    main.show()
    with qtbot.waitSignal(main.taxonomy_ready, timeout=30_000):
        main.load_taxonomy()  # from the session's warm cache, in a worker
    yield main
    main.close()


def _open(qtbot, window, catalogue_path, wnid=None):
    window.open_catalogue(catalogue_path)
    if wnid:
        with qtbot.waitSignal(window.images_ready, timeout=10_000):
            window.select(wnid)


def test_search_selects_the_node_and_fills_the_grid(qtbot, window, catalogue_path):
    _open(qtbot, window, catalogue_path)
    qtbot.keyClicks(window.search.field, "golden retr")
    qtbot.waitUntil(lambda: window.search.results.isVisible(), timeout=3000)
    first = window.search.results.item(0)
    assert first.data(Qt.ItemDataRole.UserRole) == GOLDEN
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        qtbot.keyClick(window.search.field, Qt.Key.Key_Return)
    assert window.current_wnid == GOLDEN
    current = window.tree.currentIndex()
    assert current.isValid() and current.data(Qt.ItemDataRole.UserRole) == GOLDEN
    assert window.grid_model.rowCount() == 15  # 14 photos and the broken one
    assert "golden retriever" in window.detail.toPlainText()
    assert "2 paths" in window.detail.toPlainText()


def test_search_runs_off_the_gui_thread_and_bounds_its_input(qtbot, window, monkeypatch):
    threads = []
    real_search = window.taxonomy.search

    def recorded(text, limit=20):
        threads.append(threading.current_thread() is threading.main_thread())
        return real_search(text, limit)

    monkeypatch.setattr(window.taxonomy, "search", recorded)
    box = window.search
    box.field.setText("x" * 1_000_000)  # a pasted megabyte
    assert len(box.field.text()) == MAX_QUERY_CHARS
    box.field.setText("dog\x00cat")  # a NUL does not end the query early
    box.search_now()
    qtbot.waitUntil(box.results.isVisible, timeout=3000)
    assert box.results.item(0).data(Qt.ItemDataRole.UserRole) is not None
    assert threads and not any(threads), "searched on the GUI thread"
    # an answer to text typed over since is dropped: the results are those of the last text
    box.field.setText("golden retriever")
    box.search_now()
    box.field.setText("tench")
    box.search_now()
    qtbot.waitUntil(lambda: box.answered == "tench", timeout=3000)
    qtbot.wait(200)  # the answer for "golden retriever" has come and gone
    assert box.results.item(0).data(Qt.ItemDataRole.UserRole) == TENCH


def test_thumbnails_arrive_and_broken_files_are_marked(qtbot, window, catalogue_path):
    _open(qtbot, window, catalogue_path, GOLDEN)
    model = window.grid_model
    window.grid.viewport().repaint()  # the view asks for what it shows
    qtbot.waitUntil(lambda: model.loaded_count() >= 15, timeout=15_000)
    broken = next(r for r in model.rows() if r.path.endswith("broken.JPEG"))
    assert broken.problems == ("truncated",)
    assert model.is_loaded(broken.id)
    assert model.thumbnail(broken.id) is None
    assert "truncated" in (model.thumbnail_error(broken.id) or "")
    good = next(r for r in model.rows() if model.thumbnail(r.id) is not None)
    pixmap = model.thumbnail(good.id)
    assert max(pixmap.width(), pixmap.height()) <= THUMBNAIL_SIZES[2]
    loaded = model.loaded_count()
    with qtbot.waitSignal(window.images_ready, timeout=10_000):  # arranged in a worker
        window.filter.setCurrentIndex(window.filter.findData("problems"))
    assert [r.path.rsplit("/", 1)[-1] for r in model.rows()] == ["broken.JPEG"]
    assert model.loaded_count() == loaded  # thumbnails are kept across a filter change
    assert window.image_count.text() == "1 of 15 images"


def test_the_window_closes_at_once_while_a_thumbnail_decodes(
    qtbot, taxonomy, tmp_path, session_data_dir, catalogue_path, monkeypatch
):
    """A C decode cannot be stopped: closing (and destroying) the window waits for it no
    longer than the loader's bounded wait (thumbnail_grid.SHUTDOWN_WAIT_S). Qt's thread
    pools waited as long as the decode lasted (minutes for some JPEGs)."""
    decoding, release = threading.Event(), threading.Event()

    def slow(path, size):
        decoding.set()
        release.wait(60)
        return Thumbnail(None, 0, 0, "slow", False)

    monkeypatch.setattr(thumbnail_cache, "make_thumbnail", slow)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings, lambda: ThumbnailCache(tmp_path / "thumbnails"), session_data_dir)
    main.show()
    with qtbot.waitSignal(main.taxonomy_ready, timeout=30_000):
        main.load_taxonomy()
    _open(qtbot, main, catalogue_path, GOLDEN)
    main.grid.viewport().repaint()  # the view asks for its thumbnails
    try:
        assert decoding.wait(10)
        started = time.monotonic()
        main.close()
        main.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        assert time.monotonic() - started < 1.0
    finally:
        release.set()


def test_the_window_closes_at_once_while_its_audit_decodes(
    qtbot, taxonomy, tmp_path, session_data_dir
):
    """The audit's checks run in worker processes: closing cancels the job, which kills the
    busy worker, instead of waiting for a decode (here about 4 s, within every bound)."""
    folder = tmp_path / "data" / TENCH
    folder.mkdir(parents=True)
    (folder / "slow.JPEG").write_bytes(many_scans_jpeg(side=8192, scans=MAX_SCANS))
    catalogue = index_catalogue(folder.parent, nouns=taxonomy.graph, catalogue=tmp_path / "c")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings, lambda: ThumbnailCache(tmp_path / "thumbnails"), session_data_dir)
    qtbot.addWidget(main)
    main.open_catalogue(catalogue.catalogue)
    main.catalogues.audit()
    qtbot.wait(1500)  # the workers start (0.35 s) and the check begins
    assert main.runner.running() == 1
    started = time.monotonic()
    main.close()
    assert time.monotonic() - started < 1.5
    assert not [c for c in multiprocessing.active_children() if c.name == "explorer-check"]


def test_subtree_scope_and_sorting(qtbot, window, catalogue_path):
    _open(qtbot, window, catalogue_path, RETRIEVER)
    assert window.scope.currentData() == "subtree"
    assert window.grid_model.rowCount() == 20  # golden 15 + Labrador 5, each once
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.scope.setCurrentIndex(window.scope.findData("direct"))
    assert window.grid_model.rowCount() == 0
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.scope.setCurrentIndex(window.scope.findData("subtree"))
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.sort.setCurrentIndex(window.sort.findData("size"))
    sizes = [r.size for r in window.grid_model.rows()]
    assert sizes == sorted(sizes)


def test_viewer_opens_and_moves_with_the_arrow_keys(qtbot, window, catalogue_path):
    _open(qtbot, window, catalogue_path, LABRADOR)
    window.grid.setCurrentIndex(window.grid_model.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    viewer = window.viewer
    qtbot.waitExposed(viewer)
    assert viewer.position == 0 and "1 of 5" in viewer.status.text()
    assert viewer.picture.pixmap() is not None and not viewer.picture.pixmap().isNull()
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.position == 1 and "2 of 5" in viewer.status.text()
    assert window.grid.currentIndex().row() == 1  # the grid follows
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)  # stops at the first image
    assert viewer.position == 0
    assert "EXIF" in viewer.details.toHtml() or "Format" in viewer.details.toPlainText()
    viewer.close()


def test_coverage_view_lists_gaps_of_the_subtree(qtbot, window, catalogue_path):
    _open(qtbot, window, catalogue_path, RETRIEVER)
    with qtbot.waitSignal(window.coverage.rows_shown, timeout=10_000):
        window.tabs.setCurrentWidget(window.coverage)
    with qtbot.waitSignal(window.coverage.rows_shown, timeout=10_000):
        window.coverage.threshold.setValue(11)
    rows = {r.wnid: r.status for r in window.coverage.table_model.rows}
    assert rows[LABRADOR] == "thin" and GOLDEN not in rows
    assert "n02099849" in rows and rows["n02099849"] == "empty"  # Chesapeake Bay retriever
    assert window.coverage.histogram.bins[0].synsets >= 1  # synsets with no images
    assert window.tree_model.thin_threshold == 11


def test_index_a_folder_in_the_background(qtbot, window, tmp_path):
    root = tmp_path / "new" / TENCH
    root.mkdir(parents=True)
    for i in range(4):
        (root / f"{i}.JPEG").write_bytes(encode(photo(), "JPEG", quality=60 + i))
    window.catalogues.index_source(str(tmp_path / "new"))
    assert window.progress.isVisible() or window.catalogue is not None
    qtbot.waitUntil(
        lambda: window.catalogue is not None and not window.busy_bar.busy, timeout=20_000
    )
    assert window.counts.of(TENCH)["direct"] == 4
    assert window.menus.actions["rescan"].isEnabled()


def test_settings_persist(qtbot, taxonomy, tmp_path, session_data_dir, catalogue_path):
    path = tmp_path / "settings.ini"
    first = MainWindow(
        QSettings(str(path), QSettings.Format.IniFormat),
        lambda: ThumbnailCache(tmp_path / "t"),
        session_data_dir,
    )
    qtbot.addWidget(first)
    first.size_slider.setValue(4)
    first.coverage.threshold.setValue(33)
    first.open_catalogue(catalogue_path)
    first.close()
    second = MainWindow(
        QSettings(str(path), QSettings.Format.IniFormat),
        lambda: ThumbnailCache(tmp_path / "t"),
        session_data_dir,
    )
    qtbot.addWidget(second)
    assert second.size_slider.value() == 4 and second.grid.iconSize().width() == 256
    assert second.coverage.threshold.value() == 33
    assert second.recent_catalogues() == [str(catalogue_path)]
    second.close()


def _dataset(root: Path, images: int = 4) -> Path:
    (root / TENCH).mkdir(parents=True)
    for i in range(images):
        (root / TENCH / f"{i}.JPEG").write_bytes(encode(photo(), "JPEG", quality=60 + i))
    return root


def test_rescanning_a_val_folder_does_not_ask_for_its_labels_again(
    qtbot, window, taxonomy, tmp_path, monkeypatch, session_data_dir
):
    val = tmp_path / "val"
    val.mkdir()
    for number in (1, 2, 3):
        (val / f"ILSVRC2012_val_{number:08d}.JPEG").write_bytes(encode(photo(), "JPEG"))
    labels = tmp_path / "labels.txt"
    labels.write_text(f"{TENCH}\n{TENCH}\nn02084071\n")
    index_catalogue(val, nouns=taxonomy.graph, labels=labels, data_dir=session_data_dir)
    (val / "ILSVRC2012_val_00000002.JPEG").unlink()

    def no_dialog(*_args):
        raise AssertionError("asked for the label file the catalogue remembers")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", no_dialog)
    window.catalogues.index_source(str(val))  # Catalogue > Open folder... on the same folder
    qtbot.waitUntil(
        lambda: window.catalogue is not None and not window.busy_bar.busy, timeout=20_000
    )
    assert window.catalogue.layout == "ilsvrc-val"
    assert window.counts.of(TENCH)["direct"] == 1 and window.counts.of("n02084071")["direct"] == 1


@pytest.fixture
def answers(monkeypatch):
    """The window's questions and warnings, answered with what ``answers.reply`` says."""

    answers = SimpleNamespace(reply=QMessageBox.StandardButton.No, asked=[], warned=[])

    def question(_parent, _title, text, *_args):
        answers.asked.append(text)
        return answers.reply

    def warning(_parent, _title, text, *_args):
        answers.warned.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QMessageBox, "warning", warning)
    return answers


def test_a_dataset_folder_opens_its_catalogue(window, taxonomy, tmp_path, session_data_dir):
    root = _dataset(tmp_path / "indexed")
    summary = index_catalogue(root, nouns=taxonomy.graph, data_dir=session_data_dir)
    assert window.open_catalogue(str(root))
    assert window.catalogue.path == Path(summary.catalogue)
    assert window.counts.of(TENCH)["direct"] == 4


def test_a_folder_not_indexed_yet_is_offered_indexing(qtbot, window, answers, tmp_path):
    root = _dataset(tmp_path / "new")
    assert not window.open_catalogue(str(root))  # answered No: nothing happens
    assert answers.asked == [f"{root} has not been indexed yet.\n\nIndex it now?"]
    assert not window.busy_bar.busy and window.catalogue is None

    answers.reply = QMessageBox.StandardButton.Yes
    window.open_catalogue(str(root))
    qtbot.waitUntil(
        lambda: window.catalogue is not None and not window.busy_bar.busy, timeout=20_000
    )
    assert window.catalogue.source == root.resolve()
    assert window.counts.of(TENCH)["direct"] == 4
    assert answers.warned == []


@pytest.mark.parametrize(
    "case", ["text file", "JPEG image", "foreign SQLite", "damaged rows", "nonexistent path"]
)
def test_what_is_not_a_catalogue_is_shown_as_the_core_says_it(window, answers, tmp_path, case):
    given = not_catalogues.make(case, tmp_path)
    before = not_catalogues.snapshot(tmp_path)
    with pytest.raises(CatalogueError) as core:
        Catalogue.open(resolve_catalogue(given, window.data_dir))
    assert not window.open_catalogue(str(given))
    assert answers.warned == [str(core.value)] and answers.asked == []
    assert window.catalogue is None
    assert not_catalogues.snapshot(tmp_path) == before


def _gui(data_dir, tmp_path, *args, timeout=90) -> subprocess.CompletedProcess:
    """`wnexplorer gui ARGS` as a process, offscreen, with its own settings folder."""
    return subprocess.run(
        [sys.executable, "-m", "explorer", "--data-dir", str(data_dir), "gui", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        },
    )


@pytest.mark.parametrize(
    "case", ["folder without catalogue", "text file", "nonexistent path", "unknown synset"]
)
def test_screenshot_mode_fails_fast_when_it_cannot_open(
    catalogue_path, session_data_dir, tmp_path, case
):
    """No dialog, no 20 s wait, no picture of an empty window: the error and exit status 1."""
    if case == "unknown synset":
        given, select, expected = catalogue_path, "n99999999", "'n99999999' is not a noun synset"
    else:
        given, select = not_catalogues.make(case, tmp_path), GOLDEN
        with pytest.raises(CatalogueError) as core:
            resolve_catalogue(given, session_data_dir)
        expected = str(core.value)
    shot = tmp_path / "window.png"
    started = time.monotonic()
    result = _gui(
        session_data_dir,
        tmp_path,
        "--catalogue",
        given,
        "--select",
        select,
        "--screenshot",
        shot,
        "--quit-after",
        20_000,
    )
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - started < 15, "it waited for --quit-after"
    assert expected in result.stderr
    assert not shot.exists()


def test_other_qt_warnings_still_reach_stderr(tmp_path):
    """The noise filter drops the offscreen platform's size-hint warning and nothing else."""
    script = (
        "from PySide6.QtCore import qWarning\n"
        "from PySide6.QtWidgets import QApplication, QWidget\n"
        "from explorer.qt.app import _hide_offscreen_noise\n"
        "_hide_offscreen_noise()\n"
        "app = QApplication([])\n"
        "widget = QWidget()\n"
        "widget.show()\n"
        "widget.setMinimumSize(300, 200)  # the offscreen platform warns here\n"
        "app.processEvents()\n"
        "qWarning('a warning that matters')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "a warning that matters\n"


def test_screenshot_mode_as_a_process(catalogue_path, session_data_dir, tmp_path):
    """`wnexplorer gui --select --screenshot` waits for thumbnails, saves the window, exits 0."""
    shot = tmp_path / "window.png"
    env_args = [sys.executable, "-m", "explorer", "--data-dir", str(session_data_dir), "gui"]
    result = subprocess.run(
        [
            *env_args,
            "--catalogue",
            str(catalogue_path),
            "--select",
            GOLDEN,
            "--screenshot",
            str(shot),
            "--quit-after",
            "30000",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        env={
            **__import__("os").environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "still waiting for" not in result.stderr
    assert "propagateSizeHints" not in result.stderr  # the offscreen platform's noise
    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)
    }
    assert len(colours) > 50, "the window is not blank"


def test_the_tree_details_and_images_come_before_the_taxonomy(
    qtbot, taxonomy, tmp_path, session_data_dir, catalogue_path
):
    """With a current cache the tree shows at once, and after its first paint the cache
    selects, describes, counts and lists (issue 19): a synset's details and thumbnails do
    not wait for the graph; search, which needs it, answers when it arrives."""
    from concurrent.futures import Future

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, lambda: ThumbnailCache(tmp_path / "t"), session_data_dir)
    qtbot.addWidget(window)
    window.show()
    loading: Future = Future()  # the load a test controls: still under way
    window.load_taxonomy(future=loading)
    assert window.tree.isVisible() and window.taxonomy is None
    model = window.tree_model
    entity = model.index(0, 0)
    assert entity.data(WNID_ROLE) == "n00001740" and window.tree.isExpanded(entity)
    assert [model.index(r, 0, entity).data() for r in range(model.rowCount(entity))] == [
        "abstraction",
        "physical entity",
        "thing",
    ]
    window.select_path(taxonomy.paths_to_root(GOLDEN)[0])  # chosen before the first paint
    qtbot.waitUntil(lambda: window.workspace.hierarchy is not None, timeout=5000)
    assert window.current_wnid == GOLDEN and window.taxonomy is None  # selected by the cache
    details = window.detail.toPlainText()
    assert "golden retriever" in details and "an English breed" in details
    assert "2 paths" in details and "A leaf" in details
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.open_catalogue(catalogue_path)
    assert window.workspace.counts.of(RETRIEVER) == {
        "direct": 0,
        "subtree": 20,
        "synsets_with_images": 2,
    }
    assert window.grid_model.rowCount() == 15  # 14 photos and the broken file
    qtbot.waitUntil(
        lambda: all(window.grid_model.is_loaded(window.grid_model.row(p).id) for p in range(15)),
        timeout=10_000,
    )
    assert window.taxonomy is None  # all of that before the graph
    qtbot.keyClicks(window.search.field, "tench")  # typing: answered when the graph arrives
    assert not window.search.results.isVisible()
    assert "WordNet is loading" in window.search.field.placeholderText()
    # what needs the graph meanwhile: said, then done when it arrives
    photo_row = next(  # not the broken file, whose decode Qt warns about
        p for p in range(15) if "broken" not in window.grid_model.row(p).path
    )
    window.images.open_viewer(window.grid_model.index(photo_row))
    viewer = window.viewer
    assert viewer is not None and "not a WordNet" not in viewer.breadcrumb.text()
    window.show_tab(1)  # Coverage: drawn when the graph is in
    assert "covered" not in window.coverage.summary.text()
    finds = []
    window.duplicates.find_requested.connect(lambda *args: finds.append(args))
    window.duplicates.request_find()
    assert not finds and "starts when WordNet has loaded" in window.duplicates.summary.text()

    with qtbot.waitSignal(window.taxonomy_ready, timeout=10_000):
        loading.set_result(taxonomy)
    assert window.tree_model is model  # the same rows, now answered by the graph
    assert window.current_wnid == GOLDEN
    assert "golden retriever" in window.detail.toPlainText()
    assert "golden retriever" in viewer.title.text()
    assert "retriever" in viewer.breadcrumb.text()
    qtbot.waitUntil(lambda: "1 covered" in window.coverage.summary.text(), timeout=5000)
    assert len(finds) == 1  # the search asked for early
    assert "golden retriever" in window.statusBar().currentMessage()  # the path
    viewer.close()
    window.show_tab(0)
    qtbot.waitUntil(window.search.results.isVisible, timeout=3000)
    assert window.search.results.item(0).data(Qt.ItemDataRole.UserRole) == TENCH
    window.close()


def test_screenshot_mode_closes_a_dialog_nobody_can_answer(
    catalogue_path, session_data_dir, tmp_path
):
    """A flag store recovered from its journal says so in a dialog; with --screenshot nobody
    is there to close it: its text goes to stderr, and the picture is still taken (a run on
    ImageNet-21k hung on it until killed)."""
    from windows import private_copy

    from explorer.core.curation import Flag, FlagStore, ImageState, flags_path_for

    copy = private_copy(catalogue_path, tmp_path / "data" / "c.sqlite")
    with FlagStore.open_for(copy) as store:  # a flag in the journal...
        store.apply({f"{GOLDEN}/{GOLDEN}_0.JPEG": ImageState((Flag("corrupt"),))})
    flags_path_for(copy).write_bytes(b"not a database at all" * 100)  # ...and the store lost
    shot = tmp_path / "window.png"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "explorer", "--data-dir", str(session_data_dir), "gui"),
            *("--catalogue", str(copy), "--select", GOLDEN, "--screenshot", str(shot)),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "closed the dialog 'Flags recovered'" in result.stderr
    assert QImage(str(shot)).width() >= 800
    with FlagStore.open_for(copy) as store:  # and the flag was recovered, not lost
        assert store.state(f"{GOLDEN}/{GOLDEN}_0.JPEG").reasons == ("corrupt",)
