"""The window's actions in one registry: its menus and the F1 shortcuts window are made from it.

``MENUS`` lists each menu's entries in order: an ``Action`` (a menu item, its
keys, what it calls), a ``KeyHelp`` (keys a widget handles itself, listed in
F1 only), a ``Submenu`` (filled by the window) or ``SEPARATOR``. A handler is
named by its path from the window ("curation.undo"), with arguments when one
handler serves several actions: the flag keys, one per reason of the core's
Reason table. F1 lists every entry with help. Code finds the
QActions it enables or relabels by name (``ActionName``), and the flag keys by
their reason's code. F1 groups the entries by area (``Area``: an entry's own, or
its menu's), with the viewer's keys from explorer.qt.image_viewer.VIEWER_KEYS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Literal, get_args

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from explorer.core.curation import REASON_TABLE

if TYPE_CHECKING:
    from explorer.core.curation import ReasonCode

ActionName = Literal[
    "rescan",
    "audit",
    "ok",
    "clear",
    "undo",
    "redo",
    "queue",
    "curation_columns",
    "details",
    "legend",
]
ACTION_NAMES: tuple[ActionName, ...] = get_args(ActionName)
SubmenuName = Literal["recent"]
# The shortcuts window's groups, in its order; an entry's area defaults to its menu's
Area = Literal["Navigate", "Curation", "Grid", "Viewer", "Window"]
AREAS: tuple[Area, ...] = get_args(Area)
_MENU_AREAS: dict[str, Area] = {
    "&Catalogue": "Window",
    "&View": "Window",
    "C&uration": "Curation",
    "E&valuation": "Window",
}


@dataclass(frozen=True)
class Action:
    text: str
    call: str  # the handler's path from the window ("catalogues.rescan")
    keys: tuple[str, ...] = ()  # shortcuts; "StandardKey.ZoomIn": the platform's own
    args: tuple[object, ...] = ()
    help: str = ""  # its line in F1 (none when empty)
    help_keys: str = ""  # its keys as F1 writes them, when not its shortcuts
    tip: str = ""
    name: ActionName | None = None  # how code finds its QAction (``Menus.actions``)
    reason: ReasonCode | None = None  # a flag key's reason code (``Menus.flags``)
    checkable: bool = False
    images: bool = False  # acts on images: in the grid's and the viewer's right-click menus
    local: bool = False  # its keys work in the grid and the viewer only, not in the tree
    area: Area | None = None  # its group in the shortcuts window (default: its menu's)


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    help: str
    area: Area | None = None


@dataclass(frozen=True)
class Submenu:
    text: str
    name: SubmenuName


SEPARATOR = None
Entry = Action | KeyHelp | Submenu | None  # None: SEPARATOR
Menu = tuple[str, tuple[Entry, ...]]  # its title, its entries
_ASKS = {
    "synset": "; asks for the right synset (Enter: first match, Skip: none)",
    "note": ", which it asks for",
}

MENUS: tuple[Menu, ...] = (
    (
        "&Catalogue",
        (
            Action(
                "Open &folder…",
                "catalogues.choose_folder",
                ("Ctrl+O",),
                help="Open a dataset folder",
            ),
            Action(
                "Open &manifest or catalogue file…",
                "catalogues.choose_file",
                ("Ctrl+Shift+O",),
                help="Open a manifest (CSV/TSV) or catalogue file",
            ),
            Submenu("&Recent catalogues", "recent"),
            Action("Open the &demo catalogue", "catalogues.open_demo"),
            SEPARATOR,
            Action(
                "&Rescan",
                "catalogues.rescan",
                ("F5",),
                name="rescan",
                help="Rescan the catalogue's dataset",
            ),
            Action(
                "&Audit images",
                "catalogues.audit",
                ("Ctrl+Shift+A",),
                name="audit",
                help="Audit the catalogue's images",
            ),
            Action(
                "&Where heavy jobs run…",
                "catalogues.choose_heavy_jobs",
                tip="The audit here, on a local Dask cluster, or on a cluster you started",
            ),
            SEPARATOR,
            KeyHelp(
                "Ctrl+click / Shift+click in the tree",
                "Select several synsets (for an export)",
                "Navigate",
            ),
            Action(
                "&Export the selected synsets…",
                "open_export_dialog",
                ("Ctrl+E",),
                help="Export the selected synsets: subtree, images, class map, superclasses, "
                "folders",
            ),
            SEPARATOR,
            Action("&Quit", "close", ("StandardKey.Quit",)),
        ),
    ),
    (
        "&View",
        (
            Action(
                "&Search",
                "focus_search",
                ("Ctrl+F",),
                help="Search synsets (lemma, wnid, offset, gloss words)",
                area="Navigate",
            ),
            KeyHelp(
                "Enter / ↓ in search",
                "Go to the first result / move into the results",
                "Navigate",
            ),
            KeyHelp(
                "↑ ↓ / ← → in the tree",
                "Move up and down / collapse and expand a synset",
                "Navigate",
            ),
            Action("&Images", "show_tab", ("Ctrl+1",), (0,), help="Images tab"),
            Action("&Coverage", "show_tab", ("Ctrl+2",), (1,), help="Coverage tab"),
            Action("C&uration", "show_tab", ("Ctrl+3",), (2,), help="Curation tab"),
            Action("&Duplicates", "show_tab", ("Ctrl+4",), (3,), help="Duplicates tab"),
            Action("E&valuation", "show_tab", ("Ctrl+5",), (4,), help="Evaluation tab"),
            Action(
                "Toggle synset / sub&tree images",
                "images.toggle_scope",
                ("Ctrl+T",),
                help="Images of this synset only / of its whole subtree",
                area="Grid",
            ),
            Action(
                "&Larger thumbnails",
                "images.zoom",
                ("StandardKey.ZoomIn",),
                (1,),
                help="Larger thumbnails",
                help_keys="Ctrl++",
                area="Grid",
            ),
            Action(
                "S&maller thumbnails",
                "images.zoom",
                ("StandardKey.ZoomOut",),
                (-1,),
                help="Smaller thumbnails",
                help_keys="Ctrl+-",
                area="Grid",
            ),
            Action(
                "Curation columns in the &tree",
                "tree_panel.set_curation_columns",
                name="curation_columns",
                checkable=True,
                tip="The tree's Flagged and Reviewed columns (shown by themselves once an "
                "image is flagged or reviewed)",
            ),
            SEPARATOR,
            Action(
                "&Details panel",
                "panels.set_details",
                ("Ctrl+Shift+D",),
                name="details",
                checkable=True,
                help="Show / hide the synset's details above the tabs",
            ),
            Action(
                "Le&gend",
                "panels.set_legend",
                ("Ctrl+Shift+L",),
                name="legend",
                checkable=True,
                help="Show / hide the legend of colours and badges under the tree",
            ),
            KeyHelp(
                "Arrows, Page Up / Down, Home / End",
                "Move in the grid (with Shift: extend the selection)",
                "Grid",
            ),
            KeyHelp("Ctrl+A", "Select every image of the listing", "Grid"),
            KeyHelp(
                "Enter or double-click", "Open the image viewer on the current thumbnail", "Grid"
            ),
        ),
    ),
    (
        "C&uration",
        (
            KeyHelp("Flag keys", "Flag the selected images (grid) or the image (viewer):"),
            *(
                Action(
                    reason.label,
                    "curation.flag",
                    (reason.key,),
                    (reason.code,),
                    help=f"{reason.name}: {reason.meaning}" + _ASKS.get(reason.asks or "", ""),
                    tip=f"Flag the selected images ({reason.key}): {reason.meaning}",
                    reason=reason.code,
                    images=True,
                    local=True,
                )
                for reason in REASON_TABLE
            ),
            Action(
                "Wrong label: the &suggested synset",
                "curation.accept_suggestion",
                ("Shift+W",),
                images=True,
                local=True,
                help="Wrong label, with the review list's suggested synset at once (a model's "
                "prediction, a published correction)",
                tip="Flag the selected images wrong_label with the synset their review list "
                "suggests (Shift+W): one key per mistake",
            ),
            SEPARATOR,
            Action(
                "Reviewed &OK",
                "curation.mark_ok",
                ("Space", "A"),
                name="ok",
                images=True,
                local=True,
                help="Mark reviewed OK (removes flags)",
                tip="Mark the selected images reviewed, OK (Space or A); removes their flags",
            ),
            KeyHelp("", "After flagging or OK on one image, the next image is selected"),
            Action(
                "&Clear flags",
                "curation.clear_flags",
                ("Backspace", "Delete"),
                name="clear",
                images=True,
                local=True,
                help="Clear the flags and the OK mark",
                tip="Remove the flags and OK marks of the selected images (Backspace or Delete)",
            ),
            SEPARATOR,
            Action(
                "&Undo",
                "curation.undo",
                ("Ctrl+Z",),
                name="undo",
                images=True,
                help="Undo the last curation change",
            ),
            Action(
                "&Redo",
                "curation.redo",
                ("Ctrl+Shift+Z", "Ctrl+Y"),
                name="redo",
                images=True,
                help="Redo it",
            ),
            SEPARATOR,
            Action(
                "Review &queue",
                "curation.toggle_queue",
                name="queue",
                checkable=True,
                tip="Show the images queued for review (e.g. published label errors) in the "
                "grid; again: back to the synset's images",
            ),
            Action("Set curator &name…", "curation.ask_curator"),
        ),
    ),
    (
        "E&valuation",
        (
            Action(
                "&Open predictions…",
                "catalogues.score_predictions",
                ("Ctrl+Shift+P",),
                help="Score a model's predictions on the catalogue's labels",
                tip="A CSV or TSV of predictions: top-1 per subtree in the tree, and the "
                "Evaluation tab's figures, severity and confusions",
            ),
        ),
    ),
    (
        "&Help",
        (
            Action("&Keyboard shortcuts", "show_shortcuts", ("F1",), help="This list"),
            Action("&About", "show_about"),
        ),
    ),
)


@dataclass
class Menus:
    """What :func:`build_menus` made: actions by name, the flag keys by reason code,
    submenus by name, the image actions."""

    actions: dict[ActionName, QAction] = field(default_factory=dict)
    flags: dict[str, QAction] = field(default_factory=dict)
    submenus: dict[SubmenuName, QMenu] = field(default_factory=dict)
    images: list[QAction] = field(default_factory=list)  # for the grid's and viewer's menus


def _key(text: str) -> QKeySequence:
    if text.startswith("StandardKey."):
        return QKeySequence(getattr(QKeySequence.StandardKey, text.split(".", 1)[1]))
    return QKeySequence(text)


def build_menus(window: QMainWindow, menus: tuple[Menu, ...] = MENUS) -> Menus:
    """Add ``menus`` to the window's menu bar, each action calling its handler on ``window``."""
    made = Menus()
    for title, entries in menus:
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry is SEPARATOR:
                menu.addSeparator()
            elif isinstance(entry, Submenu):
                made.submenus[entry.name] = menu.addMenu(entry.text)
            elif isinstance(entry, Action):
                action = _make(window, entry)
                menu.addAction(action)
                if entry.tip:
                    menu.setToolTipsVisible(True)
                if entry.name is not None:
                    made.actions[entry.name] = action
                if entry.reason is not None:
                    made.flags[entry.reason] = action
                if entry.images:
                    made.images.append(action)
    return made


def _make(window: QObject, entry: Action) -> QAction:
    handler = reduce(getattr, entry.call.split("."), window)
    action = QAction(entry.text, window)
    action.setShortcuts([_key(key) for key in entry.keys])
    if entry.tip:
        action.setToolTip(entry.tip)
    if entry.local:
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    args = entry.args
    if entry.checkable:
        action.setCheckable(True)
        action.triggered.connect(lambda checked, h=handler: h(*args, checked))
    else:
        action.triggered.connect(lambda _checked=False, h=handler: h(*args))
    return action


def shortcut_rows(menus: tuple[Menu, ...] = MENUS) -> list[tuple[str, str]]:
    """(keys, what they do) of every entry with help, as the shortcuts window lists them."""
    return [row for rows in shortcut_groups(menus).values() for row in rows]


def shortcut_groups(menus: tuple[Menu, ...] = MENUS) -> dict[Area, list[tuple[str, str]]]:
    """(keys, what they do) of every entry with help, by area (in ``AREAS`` order), in
    menu order within each."""
    groups: dict[Area, list[tuple[str, str]]] = {area: [] for area in AREAS}
    for title, entries in menus:
        for entry in entries:
            if isinstance(entry, KeyHelp):
                row = (entry.keys, entry.help)
            elif isinstance(entry, Action) and entry.help:
                row = (entry.help_keys or " or ".join(entry.keys), entry.help)
            else:
                continue
            groups[entry.area or _MENU_AREAS.get(title, "Window")].append(row)
    return groups
