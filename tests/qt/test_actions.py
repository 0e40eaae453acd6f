"""The action registry: the menus and the F1 table come from it, and agree."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence

from explorer.core.curation import REASON_TABLE
from explorer.core.images import ThumbnailCache
from explorer.qt.actions import ACTION_NAMES, MENUS, Action, Submenu, shortcut_rows
from explorer.qt.main_window import MainWindow


def _actions():
    return [entry for _title, entries in MENUS for entry in entries if isinstance(entry, Action)]


def test_f1_lists_every_shortcut():
    keys = " / ".join(keys for keys, _text in shortcut_rows())
    unlisted = [
        (action.text, key)
        for action in _actions()
        for key in action.keys
        if key not in keys and not key.startswith("StandardKey.")
    ]
    assert unlisted == []
    assert [a.text for a in _actions() if a.keys and not a.help] == ["&Quit"]  # as every app's
    for reason in REASON_TABLE:  # one line per reason, from the core's table
        assert (reason.key, f"{reason.name}: {reason.meaning}") in [
            (k, t.split(";")[0].split(", which")[0]) for k, t in shortcut_rows()
        ]


def test_each_name_finds_one_action_and_each_reason_one_flag_key():
    assert sorted(a.name for a in _actions() if a.name) == sorted(ACTION_NAMES)
    assert [a.reason for a in _actions() if a.reason] == [r.code for r in REASON_TABLE]
    assert all(a.args == (a.reason,) for a in _actions() if a.reason)


def test_no_two_actions_share_a_key():
    keys = [QKeySequence(k).toString() for a in _actions() for k in a.keys if "." not in k]
    assert "" not in keys and len(keys) == len(set(keys))


def test_the_window_has_the_registry_s_menus(qtbot, tmp_path, session_data_dir):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, lambda: ThumbnailCache(tmp_path / "t"), session_data_dir)
    qtbot.addWidget(window)
    menus = [a.menu() for a in window.menuBar().actions()]
    assert [m.title() for m in menus] == [title for title, _entries in MENUS]
    texts = [a.text() for m in menus for a in m.actions() if not a.isSeparator()]
    assert texts == [
        entry.text
        for _title, entries in MENUS
        for entry in entries
        if isinstance(entry, Action | Submenu)
    ]
    assert window.menus.submenus["recent"].title() == "&Recent catalogues"
    flags = [window.menus.flags[r.code] for r in REASON_TABLE]
    assert [a.shortcut().toString() for a in flags] == [r.key for r in REASON_TABLE]
    assert all(a.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut for a in flags)
    assert window.menus.actions["undo"].shortcutContext() == Qt.ShortcutContext.WindowShortcut
    assert window.menus.actions["undo"] in window.grid.actions()  # the grid's right-click menu
    assert not window.menus.actions["rescan"].isEnabled()  # no catalogue yet
    window.close()
