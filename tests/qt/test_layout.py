"""The window's layout (issue 15, item 7): usable at 1024x640 with nothing cut, the space of
1920x1080 used, the details panel and the legend collapsible and remembered, the shortcuts
window built from the registry and the viewer's key table, human words and one palette
(pytest-qt, offscreen, on the real taxonomy and the demo catalogue; the real samples when
present)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from windows import open_window

from explorer.core.catalogue import CURATION_FILTERS, index_catalogue
from explorer.core.curation import REASON_TABLE, REASONS
from explorer.core.demo import ensure_demo_catalogue
from explorer.core.images import AUDIT_CODES
from explorer.qt import image_viewer
from explorer.qt.actions import MENUS, Action
from explorer.qt.image_viewer import VIEWER_KEYS, ImageViewer
from explorer.qt.palette import LegendStrip
from explorer.qt.thumbnail_grid import ROW_ROLE

ENTITY, DOG, TENCH = "n00001740", "n02084071", "n01440764"
QT_DIR = Path(image_viewer.__file__).parent


@pytest.fixture(scope="module")
def demo_catalogue(taxonomy, tmp_path_factory):
    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=set(taxonomy.wnids))


def _window(qtbot, tmp_path, data_dir, catalogue, size, settings_dir=None):
    """The window at ``size`` on a private copy of ``catalogue``, its images listed."""
    main = open_window(qtbot, settings_dir or tmp_path, data_dir, size=size, curator="tester")
    copy = tmp_path / "copy.sqlite"
    if not copy.exists():
        shutil.copyfile(catalogue, copy)
    main.open_catalogue(copy)
    qtbot.waitUntil(lambda: main.workspace.counts is not None, timeout=10_000)
    return main


def _select(qtbot, window, wnid: str) -> None:
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.select(wnid)
    _settled(qtbot, window)


def _settled(qtbot, window) -> None:
    """The details panel fitted after the last change (its timers run at the next turn)."""
    qtbot.waitUntil(lambda: not window.panels._fit_timer.isActive(), timeout=5_000)
    qtbot.wait(1)  # the tree's deferred fit, the splitters' own layout: the next turn


def _full_rows(grid) -> int:
    return grid.viewport().height() // grid.gridSize().height()


def _inside(widget, ancestor) -> bool:
    """Whether ``widget`` lies wholly within ``ancestor`` (nothing cut by its edges)."""
    top_left = widget.mapTo(ancestor, widget.rect().topLeft())
    bottom_right = widget.mapTo(ancestor, widget.rect().bottomRight())
    return ancestor.rect().contains(top_left) and ancestor.rect().contains(bottom_right)


@pytest.mark.parametrize("wnid", [ENTITY, DOG, TENCH])
def test_at_1024x640_the_grid_shows_two_full_rows_and_no_detail_line_is_cut(
    qtbot, tmp_path, session_data_dir, demo_catalogue, wnid
):
    window = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1024, 640))
    _select(qtbot, window, wnid)
    assert window.size().width() == 1024 and window.size().height() == 640
    assert window.grid_model.rowCount() > 0
    assert _full_rows(window.grid) >= 2
    detail = window.detail
    assert detail.height() > 40  # shown, not collapsed to make room
    assert detail.cut_line() is None, str(
        (
            window.right.sizes(),
            detail.fitted_height(10_000),
            window.panels.default_details_cap(),
            detail.minimumSizeHint().height(),
            window.tabs.minimumSizeHint().height(),
            detail.document().textWidth(),
            detail.viewport().width(),
            detail.document().size().height(),
            detail.width(),
        )
    )
    # the text either fits (no scroll bar) or ends on a whole line and scrolls
    bar = detail.verticalScrollBar()
    assert bar.maximum() == 0 or detail.cut_line() is None
    # the filter bar, the tree and the legend: every control wholly on screen
    for widget in (
        window.scope,
        window.sort,
        window.filter,
        window.image_count,
        window.size_slider,
    ):
        assert _inside(widget, window), widget
    legend = window.tree_panel.legend
    assert _inside(legend, window)
    assert legend.height() >= legend.heightForWidth(legend.width())  # no line cut off
    assert window.tree_panel.width() >= 280  # names legible beside the counts
    window.close()


def test_at_1920x1080_the_space_goes_to_the_grid(qtbot, tmp_path, session_data_dir, demo_catalogue):
    window = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1920, 1080))
    _select(qtbot, window, DOG)
    detail = window.detail
    assert detail.verticalScrollBar().maximum() == 0  # its whole text shown...
    assert detail.height() == detail.fitted_height(10_000)  # ...in the height it needs
    assert detail.height() < 0.4 * window.right.height()
    assert 320 <= window.main_split.sizes()[0] <= 460  # the tree not stretched
    assert window.grid.columns() >= 8
    assert _full_rows(window.grid) >= 4
    window.close()


def test_the_details_panel_and_the_legend_collapse_and_stay_so(
    qtbot, tmp_path, session_data_dir, demo_catalogue
):
    window = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1024, 640))
    _select(qtbot, window, DOG)
    grid_before = window.grid.viewport().height()
    details, legend = window.menus.actions["details"], window.menus.actions["legend"]
    assert details.isChecked() and legend.isChecked()
    assert details.shortcut().toString() == "Ctrl+Shift+D"
    details.trigger()
    legend.trigger()
    qtbot.wait(1)
    assert window.right.sizes()[0] == 0 and not details.isChecked()
    assert window.tree_panel.legend.isHidden() and not legend.isChecked()
    assert window.grid.viewport().height() > grid_before  # the room went to the grid
    _select(qtbot, window, ENTITY)  # a new synset does not open it again
    assert window.right.sizes()[0] == 0
    window.close()  # saves the settings

    again = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1024, 640))
    _select(qtbot, again, DOG)
    assert again.right.sizes()[0] == 0 and not again.menus.actions["details"].isChecked()
    assert again.tree_panel.legend.isHidden()
    again.menus.actions["details"].trigger()
    again.menus.actions["legend"].trigger()
    _settled(qtbot, again)
    assert again.detail.height() > 40 and again.detail.cut_line() is None
    assert not again.tree_panel.legend.isHidden()
    assert _full_rows(again.grid) >= 2
    again.close()


def test_dragging_the_handle_collapses_or_sizes_the_details(
    qtbot, tmp_path, session_data_dir, demo_catalogue
):
    window = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1024, 640))
    _select(qtbot, window, DOG)
    window.right.moveSplitter(0, 1)  # as a drag to the top does: collapsed
    assert not window.menus.actions["details"].isChecked()
    window.right.moveSplitter(90, 1)  # a height of the user's: the cap from now on
    assert window.menus.actions["details"].isChecked()
    qtbot.waitUntil(lambda: not window.panels._settle_timer.isActive(), timeout=5_000)
    assert window.detail.height() <= 90 and window.detail.cut_line() is None
    _select(qtbot, window, ENTITY)
    assert window.detail.height() <= 90 and window.detail.cut_line() is None
    window.main_split.moveSplitter(0, 1)  # the tree does not fold away: it is how one moves
    assert window.main_split.sizes()[0] >= 200
    window.main_split.moveSplitter(350, 1)
    width = window.main_split.sizes()[0]
    assert 340 <= width <= 350
    window.close()
    again = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1024, 640))
    _select(qtbot, again, DOG)
    assert again.panels.details_cap == 90
    assert again.detail.height() <= 90
    # the user's width, remembered (set by a timer after the window's last resize)
    qtbot.waitUntil(lambda: again.main_split.sizes()[0] == width, timeout=5_000)
    again.resize(1200, 700)
    qtbot.waitUntil(lambda: again.main_split.width() > 1100, timeout=5_000)
    qtbot.wait(50)  # the resize's fit timer starts...
    qtbot.waitUntil(lambda: not again.panels._tree_timer.isActive(), timeout=5_000)  # ...ends
    assert again.main_split.sizes()[0] == width  # the user's width, kept as the window grows
    again.close()


def _keys_of(action: Action) -> list[str]:
    return [action.help_keys] if action.help_keys else list(action.keys)


def test_the_shortcuts_window_lists_every_action_and_viewer_key(qtbot, tmp_path, session_data_dir):
    window = open_window(qtbot, tmp_path, session_data_dir)
    shortcut = next(
        a
        for a in window.menuBar().actions()[-1].menu().actions()
        if a.shortcut().toString() == "F1"
    )
    shortcut.trigger()
    dialog = window.shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    rows = dialog.rows()
    areas = [area for area, _keys, _text in rows]
    assert list(dict.fromkeys(areas)) == ["Navigate", "Curation", "Grid", "Viewer", "Window"]
    listed = {keys for _area, keys, _text in rows}
    for _title, entries in MENUS:
        for entry in entries:
            if isinstance(entry, Action) and entry.keys and entry.help:
                for keys in _keys_of(entry):
                    assert any(keys in shown for shown in listed), (entry.text, keys)
    for reason in REASON_TABLE:
        assert ("Curation", reason.key) in {(a, k) for a, k, _t in rows}
    viewer_rows = {(keys, text) for area, keys, text in rows if area == "Viewer"}
    assert {(k.label, k.help) for k in VIEWER_KEYS} <= viewer_rows
    # the filter keeps the rows that mention what is typed, and says when none does
    dialog.filter.setText("zoom")
    kept = dialog.rows()
    assert kept and all("zoom" in (k + t).lower() for _a, k, t in kept)
    assert not dialog.empty.isVisible()
    dialog.filter.setText("no such key anywhere")
    assert dialog.rows() == [] and dialog.empty.isVisible()
    dialog.filter.clear()
    assert len(dialog.rows()) == len(rows)
    dialog.resize(400, 300)  # resizable
    assert dialog.width() == 400
    window.close()


# Every key a viewer might be sent: letters, digits, arrows, paging, editing and symbols
_CANDIDATES = [
    *(getattr(Qt.Key, f"Key_{c}") for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    *(
        getattr(Qt.Key, f"Key_{name}")
        for name in [
            "Left",
            "Right",
            "Up",
            "Down",
            "PageUp",
            "PageDown",
            "Home",
            "End",
            "Space",
            "Backspace",
            "Delete",
            "Return",
            "Enter",
            "Tab",
            "Escape",
            "Plus",
            "Minus",
            "Equal",
            "Underscore",
            "Period",
            "Comma",
            "Slash",
            "Asterisk",
            "Insert",
            "F2",
            "F3",
        ]
    ),
]


def test_every_key_the_viewer_handles_is_in_its_table(
    qtbot, tmp_path, session_data_dir, demo_catalogue
):
    """Black box: a key that changes the viewer (its image, zoom or visibility) must be one
    of VIEWER_KEYS, the table the shortcuts window lists."""
    window = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1024, 640))
    _select(qtbot, window, DOG)
    catalogue, rows = window.workspace.catalogue, window.grid_model.rows()
    assert len(rows) > 10
    listed = {key for entry in VIEWER_KEYS for key in entry.keys}
    handled = set()
    for key in _CANDIDATES:
        viewer = ImageViewer(catalogue, rows, 5)
        qtbot.addWidget(viewer)
        viewer.show()
        viewer.picture.zoom_to(2.0)
        before = (viewer.position, viewer.picture.scale)
        viewer.keyPressEvent(QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier))
        if (viewer.position, viewer.picture.scale) != before or not viewer.isVisible():
            handled.add(key)
        viewer.close()
    assert handled, "the viewer handles keys"
    unlisted = [QKeySequence(key).toString() for key in handled - listed]
    assert unlisted == []
    dead = [QKeySequence(key).toString() for key in listed & set(_CANDIDATES) - handled]
    assert dead == []  # and the table lists no key that does nothing
    window.close()


def test_grid_tooltips_name_problems_and_reasons_in_words(
    qtbot, tmp_path, session_data_dir, demo_catalogue
):
    window = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1024, 640))
    _select(qtbot, window, ENTITY)
    workspace, model = window.workspace, window.grid_model
    problem_rows = [model.row(p) for p in range(model.rowCount()) if model.row(p).problems][
        : len(REASON_TABLE)
    ]
    assert problem_rows, "the demo catalogue has files with problems"
    for reason, row in zip(REASON_TABLE, problem_rows, strict=False):
        suggested = DOG if reason.asks == "synset" else None
        workspace.flag(workspace.image_refs([row]), reason.code, suggested=suggested)
    codes = set(AUDIT_CODES) | set(REASONS) | set(CURATION_FILTERS)
    snake = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
    seen = 0
    for position in range(model.rowCount()):
        row = model.index(position).data(ROW_ROLE)
        if not (row.problems or workspace.store.state(row.path)):
            continue
        tip = model.index(position).data(Qt.ItemDataRole.ToolTipRole)
        display = model.index(position).data(Qt.ItemDataRole.DisplayRole)
        words = "\n".join([*tip.splitlines()[1:], display.split(" (", 1)[-1]])
        words = words.replace(row.path, "")  # the path may hold anything
        assert not snake.search(words), (row.path, words)
        assert not any(re.search(rf"\b{re.escape(code)}\b", words) for code in codes if "_" in code)
        seen += 1
    assert seen >= len(problem_rows)
    window.close()


def test_a_short_listing_starts_where_full_rows_start(
    qtbot, tmp_path, session_data_dir, demo_catalogue
):
    """Rows are centred as a block; the tiles of a listing shorter than a row are left-aligned
    in that block, as a long listing's last row is."""
    window = _window(qtbot, tmp_path, session_data_dir, demo_catalogue, (1920, 1080))
    _select(qtbot, window, ENTITY)
    grid, model = window.grid, window.grid_model
    columns = grid.columns()
    assert model.rowCount() > 2 * columns
    first = grid.visualRect(model.index(0)).left()
    last_row = (model.rowCount() - 1) // columns * columns
    assert grid.visualRect(model.index(last_row)).left() == first
    assert first == grid.left_margin()
    short = next(
        wnid
        for wnid in window.workspace.taxonomy.wnids
        if 0 < window.workspace.counts.of(wnid)["direct"] < columns
    )
    with qtbot.waitSignal(window.images_ready, timeout=10_000):
        window.scope.setCurrentIndex(window.scope.findData("direct"))
    _select(qtbot, window, short)
    assert 0 < model.rowCount() < columns
    assert grid.visualRect(model.index(0)).left() == first  # the same left edge
    window.close()


def test_the_legend_names_its_badges_when_it_has_the_room(qtbot):
    legend = LegendStrip(10)
    qtbot.addWidget(legend)
    legend.resize(legend.full_width() + 10, 60)
    legend.show()
    assert not legend.compact and "wrong&nbsp;label" in legend.text()
    legend.resize(280, 60)
    assert legend.compact and "wrong" not in legend.text()
    for reason in REASON_TABLE:  # the letters explained on hover
        assert reason.meaning in legend.toolTip()
    assert legend.heightForWidth(280) <= 3 * legend.fontMetrics().lineSpacing() + 12


def test_no_colour_literals_outside_the_palette():
    """The colours of badges, chips, tiles, the loupe and the details panel: palette.py."""
    literal = re.compile(r"#[0-9a-fA-F]{6}\b|QColor\(\s*[\"'\d]|color:\s*(gray|grey|white)\b")
    mine = [
        "badges.py",
        "detail_panel.py",
        "image_viewer.py",
        "images_panel.py",
        "thumbnail_grid.py",
        "thumbnail_view.py",
        "tree_panel.py",
        "main_window.py",
        "shortcuts_dialog.py",
        "window_layout.py",
        "export_dialog.py",
    ]
    found = [
        f"{name}:{number}: {line.strip()}"
        for name in mine
        for number, line in enumerate((QT_DIR / name).read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert found == []


@pytest.mark.parametrize("size", [(1024, 640), (1920, 1080)])
def test_on_the_real_samples_the_layout_holds(
    qtbot, tmp_path_factory, tmp_path, session_data_dir, taxonomy, shared_data, size
):
    target = tmp_path_factory.getbasetemp() / "samples" / "samples.sqlite"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        index_catalogue(shared_data / "imagenet-samples", nouns=taxonomy.graph, catalogue=target)
    window = _window(qtbot, tmp_path, session_data_dir, target, size)
    _select(qtbot, window, DOG)
    assert window.grid_model.rowCount() == 118
    assert _full_rows(window.grid) >= 2
    assert window.detail.cut_line() is None
    window.close()
