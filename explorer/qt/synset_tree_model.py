"""A lazy Qt tree over the WordNet noun DAG, with image counts and gap colouring.

WordNet is a DAG: a synset with k parents appears under each of them, as a
separate row (a separate node object) per appearance, marked with
``MULTI_PARENT_MARK`` and the number of parents. Nothing is built up front:
the invisible root holds one node, entity; a node's children are built by
``fetchMore`` (Qt's Fetch More pattern, which ``QTreeView`` drives when a row is
expanded) and ``rowCount`` reports 0 until then, while ``hasChildren`` answers
from the graph's out-degree so the view can draw the expand arrow.

Each index's ``internalPointer`` is a ``_Node`` held in its parent's
``children`` list (the root is held by the model), so the object outlives every
index that points at it: nodes are never dropped while the model lives.

>>> model = SynsetTreeModel(taxonomy)
>>> model.set_counts(counts)
>>> dog = model.index_for_path(taxonomy.paths_to_root("n02084071")[0])
>>> [model.index(dog.row(), column, dog.parent()).data() for column in range(3)]
['dog  ↗2', '6', '80']
>>> model.hasChildren(dog), model.rowCount(dog)  # from the out-degree; nothing built yet
(True, 0)
>>> model.fetchMore(dog)  # what a view does when the row is expanded
>>> model.rowCount(dog)
18

A view then shows the row with ``view.expand(dog.parent())`` and
``view.setCurrentIndex(dog)``.

With ``curation=True`` more columns follow the counts: "Flagged" (images of
the subtree with a flag) and "Reviewed" (the share of the subtree's images that
are flagged or marked OK), from ``set_curation_counts``, and "Dups" (images of the
subtree in a near-duplicate pair), from ``set_duplicate_counts``; "–" where none are; and
"Top-1" (a scored model's accuracy over the subtree, tinted on a red–green scale), from
``set_accuracy``.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from explorer.core.analysis import coverage_status
from explorer.qt.palette import DUPLICATE_TEXT, FLAGGED_TEXT, STATUS, accuracy_colour

if TYPE_CHECKING:
    from explorer.core.analysis import Counts
    from explorer.core.wordnet import CachedHierarchy, Taxonomy

ENTITY = "n00001740"

WNID_ROLE = Qt.ItemDataRole.UserRole  # the row's wnid (str)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # raw value to sort on: name (str) or count (int)
PATH_ROLE = Qt.ItemDataRole.UserRole + 2  # wnids from entity down to this appearance (tuple)
# the subtree's share of its parent's subtree images (float, 0 to 1; None: no counts, the
# root, or a parent without images), and its coverage status (str; None: no counts)
SHARE_ROLE = Qt.ItemDataRole.UserRole + 3
STATUS_ROLE = Qt.ItemDataRole.UserRole + 4

NAME_COLUMN, DIRECT_COLUMN, SUBTREE_COLUMN, FLAGGED_COLUMN, REVIEWED_COLUMN = range(5)
DUPLICATES_COLUMN, ACCURACY_COLUMN = 5, 6
HEADERS = ("Synset", "Images", "Subtree")
CURATION_HEADERS = ("Flagged", "Reviewed", "Dups", "Top-1")  # with curation=True
_HEADER_TIPS = {
    DIRECT_COLUMN: "Images labelled with the synset itself",
    SUBTREE_COLUMN: "Images of the synset and everything under it, each once",
    FLAGGED_COLUMN: "Images of the subtree with at least one curation flag",
    REVIEWED_COLUMN: "Share of the subtree's images reviewed (flagged or marked OK)",
    DUPLICATES_COLUMN: "Images of the subtree in a near-duplicate pair (the Duplicates tab's "
    "last search; pairs marked not duplicates left out)",
    ACCURACY_COLUMN: "The scored model's top-1 over the subtree's images (Evaluation menu): "
    "red 0%, yellow 50%, green 100%",
}

# U+2197: fonts everywhere have it (DejaVu has no U+29C9 "⧉", which drew as a box).
MULTI_PARENT_MARK = "↗"
# the palette's colours of the coverage statuses: an empty subtree greys the row's text, a
# thin one tints its background
EMPTY_FOREGROUND: QColor = STATUS["empty"].text or QColor("#969696")
THIN_BACKGROUND: QColor = STATUS["thin"].background or QColor("#ffe0b2")
FLAGGED_FOREGROUND = FLAGGED_TEXT  # the Flagged column, when some are

NONE_MARK = "–"  # the curation columns' zero, where the subtree has images
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_NO_INDEX = QModelIndex()
_COUNT_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ToolTipRole,
    SORT_ROLE,
    SHARE_ROLE,
    STATUS_ROLE,
]
_CURATION_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, SORT_ROLE]


def short_count(n: int) -> str:
    """A count in at most six characters, so the count columns keep one narrow width from
    the demo to ImageNet-21k; the tooltip gives it exactly.

    >>> [short_count(n) for n in (0, 99_999, 100_000, 1_281_167, 14_197_122)]
    ['0', '99,999', '100k', '1.28M', '14.2M']
    """
    if n < 100_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n // 1000}k"
    for digits, limit in ((2, 10_000_000), (1, 100_000_000)):
        if n < limit:
            return f"{n / 1_000_000:.{digits}f}M"
    return f"{n // 1_000_000:,}M"


class _Node:
    """One appearance of a synset: the same wnid has one node per path to it."""

    __slots__ = ("children", "parent", "row", "wnid")

    def __init__(self, wnid: str, parent: _Node | None, row: int) -> None:
        self.wnid = wnid
        self.parent = parent
        self.row = row
        self.children: list[_Node] | None = None  # None until fetched


class SynsetTreeModel(QAbstractItemModel):
    """Synsets as a tree (one row per appearance) with name, image and subtree columns."""

    def __init__(
        self,
        source: Taxonomy | CachedHierarchy,
        parent: QObject | None = None,
        curation: bool = False,
    ) -> None:
        """``source`` answers the tree's questions: the Taxonomy, or the cache's
        CachedHierarchy until the Taxonomy has loaded (see ``set_source``).
        ``curation``: add the Flagged and Reviewed columns."""
        super().__init__(parent)
        self._source = source
        self._headers = HEADERS + CURATION_HEADERS if curation else HEADERS
        self._counts: Counts | None = None
        self._flagged: Counts | None = None
        self._reviewed: Counts | None = None
        self._duplicates: Counts | None = None
        self._accuracy: Any = None  # top-1 per node (numpy, NaN: no image scored) or None
        self._thin_threshold = 0
        self._root = _Node("", None, 0)
        self._root.children = [_Node(ENTITY, self._root, 0)]

    # --- public API ------------------------------------------------------------

    @property
    def counts(self) -> Counts | None:
        return self._counts

    @property
    def thin_threshold(self) -> int:
        return self._thin_threshold

    def set_source(self, source: Taxonomy | CachedHierarchy) -> None:
        """Answer from ``source`` from now on: the same hierarchy, so no row changes."""
        self._source = source

    def set_counts(self, counts: Counts | None) -> None:
        """Show these image counts (None: no catalogue, empty count columns, no colouring)."""
        if counts is None and self._counts is None:
            return
        self._counts = counts
        self._emit_fetched_changed(_COUNT_ROLES)

    def set_curation_counts(self, flagged: Counts | None, reviewed: Counts | None) -> None:
        """Flagged and reviewed images per node (their ``subtree`` arrays are shown); None:
        no curation store, empty columns. Only the two columns are signalled."""
        if (
            flagged is None
            and reviewed is None
            and self._flagged is None
            and self._reviewed is None
        ):
            return
        self._flagged, self._reviewed = flagged, reviewed
        if len(self._headers) > FLAGGED_COLUMN:
            self._emit_fetched_changed(_CURATION_ROLES, columns=(FLAGGED_COLUMN, REVIEWED_COLUMN))

    def set_duplicate_counts(self, duplicates: Counts | None) -> None:
        """Images in a near-duplicate pair per node (the ``subtree`` array is shown); None:
        no search, an empty column."""
        if duplicates is None and self._duplicates is None:
            return
        self._duplicates = duplicates
        if len(self._headers) > DUPLICATES_COLUMN:
            columns = (DUPLICATES_COLUMN, DUPLICATES_COLUMN)
            self._emit_fetched_changed(_CURATION_ROLES, columns=columns)

    def set_accuracy(self, accuracy: Any) -> None:
        """A model's top-1 per node (taxonomy index order, NaN where none was scored); None:
        no evaluation, an empty column."""
        if accuracy is None and self._accuracy is None:
            return
        self._accuracy = accuracy
        if len(self._headers) > ACCURACY_COLUMN:
            roles = [*_CURATION_ROLES, Qt.ItemDataRole.BackgroundRole]
            self._emit_fetched_changed(roles, columns=(ACCURACY_COLUMN, ACCURACY_COLUMN))

    def _top1(self, wnid: str) -> float | None:
        counts, accuracy = self._counts, self._accuracy
        if accuracy is None or counts is None:
            return None
        i = counts.index.get(wnid)
        value = None if i is None else float(accuracy[i])
        return None if value is None or value != value else value  # NaN: nothing scored

    def set_thin_threshold(self, n: int) -> None:
        """Tint synsets whose subtree holds fewer than ``n`` images (but some); 0 or 1: none."""
        if n == self._thin_threshold:
            return
        low, high = sorted((self._thin_threshold, n))
        self._thin_threshold = n
        if self._counts is not None:
            # Only rows with 0 < subtree and low <= subtree < high change tint: signal
            # just their span, so dragging a spin box does not make the view
            # re-measure every fetched row.
            self._emit_fetched_changed([Qt.ItemDataRole.BackgroundRole], (max(low, 1), high))

    def node_wnid(self, index: QModelIndex | QPersistentModelIndex) -> str | None:
        """The wnid of the row at ``index``; None for an invalid index."""
        return self._node(index).wnid if index.isValid() else None

    def node_path(self, index: QModelIndex | QPersistentModelIndex) -> tuple[str, ...]:
        """The wnids from entity down to this appearance (empty for an invalid index)."""
        if not index.isValid():
            return ()
        node: _Node | None = self._node(index)
        path = []
        while node is not None and node is not self._root:
            path.append(node.wnid)
            node = node.parent
        return tuple(reversed(path))

    def index_for_path(self, path: Sequence[str]) -> QModelIndex:
        """The index (column 0) of the appearance at the end of a root-to-node ``path``.

        Fetches the children of every node along the way, so a view can expand
        to the row and select it. Invalid when the path is empty or is not a
        chain of parent and child from entity.
        """
        node = self._root
        index = QModelIndex()
        for wnid in path:
            if self.canFetchMore(index):
                self.fetchMore(index)
            child = next((c for c in node.children or () if c.wnid == wnid), None)
            if child is None:
                return QModelIndex()
            node = child
            index = self.createIndex(node.row, 0, node)
        return index

    # --- Qt overrides: structure ------------------------------------------------

    def index(
        self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX
    ) -> QModelIndex:
        if column < 0 or column >= len(self._headers) or parent.column() > 0:
            return QModelIndex()
        children = self._node(parent).children
        if children is None or not 0 <= row < len(children):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    @overload
    def parent(self) -> QObject | None: ...
    @overload
    def parent(self, child: QModelIndex | QPersistentModelIndex) -> QModelIndex: ...
    def parent(
        self, child: QModelIndex | QPersistentModelIndex | None = None
    ) -> QObject | QModelIndex | None:
        if child is None:  # QObject.parent()
            return super().parent()
        if not child.isValid():
            return QModelIndex()
        up = self._node(child).parent
        if up is None or up is self._root:
            return QModelIndex()
        return self.createIndex(up.row, 0, up)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        if parent.column() > 0:
            return 0
        children = self._node(parent).children
        return 0 if children is None else len(children)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return len(self._headers)

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> bool:
        if parent.column() > 0:
            return False
        node = self._node(parent)
        if node.children is not None:
            return bool(node.children)
        return self._source.child_count(node.wnid) > 0  # nothing gets built

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if parent.column() > 0:
            return False
        node = self._node(parent)
        return node.children is None and self._source.child_count(node.wnid) > 0

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not self.canFetchMore(parent):
            return
        node = self._node(parent)
        wnids = self._source.children(node.wnid)  # sorted by synset name
        children = [_Node(wnid, node, row) for row, wnid in enumerate(wnids)]
        # Empty while Qt announces the rows: the old state it expects, and a view or
        # tester reacting to the signal cannot start a second fetch of this node.
        node.children = []
        self.beginInsertRows(parent, 0, len(children) - 1)
        node.children = children
        self.endInsertRows()

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() > 0 or not self._source.child_count(self._node(index).wnid):
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        return flags

    # --- Qt overrides: data ------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(section)
        if role == Qt.ItemDataRole.TextAlignmentRole and section != NAME_COLUMN:
            return _RIGHT
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME_COLUMN:
                return self._label(node.wnid)
            if column == REVIEWED_COLUMN:
                return self._reviewed_text(node.wnid)
            if column == ACCURACY_COLUMN:
                top1 = self._top1(node.wnid)
                return None if top1 is None else f"{int(top1 * 100)}%"
            count = self._count(node.wnid, column)
            if count is None:
                return None
            # none flagged (or in a pair): a quiet dash, so the rows with some stand out
            quiet = column in (FLAGGED_COLUMN, DUPLICATES_COLUMN) and not count
            return NONE_MARK if quiet else short_count(count)
        if role == SORT_ROLE:
            if column == NAME_COLUMN:
                return self._name(node.wnid)
            if column == REVIEWED_COLUMN:
                return self._reviewed_share(node.wnid)
            if column == ACCURACY_COLUMN:
                return self._top1(node.wnid)
            return self._count(node.wnid, column)
        if role == WNID_ROLE:
            return node.wnid
        if role == PATH_ROLE:
            return self.node_path(index)
        if role == SHARE_ROLE:
            return self._share(node)
        if role == STATUS_ROLE:
            return self._status(node.wnid)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return None if column == NAME_COLUMN else _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._status(node.wnid) == "empty":
                return EMPTY_FOREGROUND
            if column in (FLAGGED_COLUMN, DUPLICATES_COLUMN) and self._count(node.wnid, column):
                return FLAGGED_FOREGROUND if column == FLAGGED_COLUMN else DUPLICATE_TEXT
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if column == ACCURACY_COLUMN:
                top1 = self._top1(node.wnid)
                return None if top1 is None else accuracy_colour(top1)
            return THIN_BACKGROUND if self._status(node.wnid) == "thin" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        return None

    # --- internals ---------------------------------------------------------------

    def _node(self, index: QModelIndex | QPersistentModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def _name(self, wnid: str) -> str:
        return self._source.node(wnid)["lemmas"][0]

    def _label(self, wnid: str) -> str:
        parents = self._source.parent_count(wnid)
        name = self._name(wnid)
        return f"{name}  {MULTI_PARENT_MARK}{parents}" if parents > 1 else name

    def _count(self, wnid: str, column: int) -> int | None:
        counts = self._counts
        if counts is None:
            return None
        i = counts.index.get(wnid)
        if i is None:
            return None
        if column == DIRECT_COLUMN:
            return int(counts.direct[i])
        if column in (FLAGGED_COLUMN, DUPLICATES_COLUMN):  # blank where no image is
            figures = self._flagged if column == FLAGGED_COLUMN else self._duplicates
            if figures is None or not counts.subtree[i]:
                return None
            return int(figures.subtree[i])
        return int(counts.subtree[i])

    def _status(self, wnid: str) -> str | None:
        """The subtree's coverage status; None without counts."""
        subtree = self._count(wnid, SUBTREE_COLUMN)
        return None if subtree is None else coverage_status(subtree, self._thin_threshold)

    def _reviewed_share(self, wnid: str) -> float | None:
        """Reviewed images / images of the subtree; None without images or curation."""
        counts, reviewed = self._counts, self._reviewed
        if counts is None or reviewed is None:
            return None
        i = counts.index.get(wnid)
        if i is None or not counts.subtree[i]:
            return None
        return float(reviewed.subtree[i]) / float(counts.subtree[i])

    def _reviewed_text(self, wnid: str) -> str | None:
        share = self._reviewed_share(wnid)
        if share is None:
            return None
        percent = int(share * 100)  # floored: 100% only when every image is reviewed
        if not share:
            return NONE_MARK  # none reviewed
        return "<1%" if percent == 0 else f"{percent}%"

    def _share(self, node: _Node) -> float | None:
        above = node.parent
        if above is None or above is self._root:
            return None
        mine = self._count(node.wnid, SUBTREE_COLUMN)
        theirs = self._count(above.wnid, SUBTREE_COLUMN)
        if mine is None or not theirs:
            return None
        return mine / theirs

    def _figures(self, node: _Node) -> str | None:
        """The row's counts in words, for the tooltip: what the columns and the bar show."""
        subtree = self._count(node.wnid, SUBTREE_COLUMN)
        if subtree is None:
            return None
        direct = self._count(node.wnid, DIRECT_COLUMN) or 0
        text = f"{direct:,} images of its own, {subtree:,} in its subtree"
        share = self._share(node)
        if share is not None and node.parent is not None:
            percent = f"{share:.0%}" if share >= 0.01 or not share else "<1%"
            text += f" ({percent} of {html.escape(self._name(node.parent.wnid))}'s)"
        return text

    def _tooltip(self, node: _Node) -> str:
        # Rich text, so Qt wraps long glosses instead of drawing a screen-wide tip.
        data = self._source.node(node.wnid)
        lines = [
            f"<b>{html.escape(data['lemmas'][0])}</b> ({html.escape(data['name'])}, {node.wnid})",
            html.escape(data["gloss"]),
        ]
        figures = self._figures(node)
        if figures:
            lines.append(figures)
        above = node.parent.wnid if node.parent is not None else None
        others = [p for p in self._source.parents(node.wnid) if p != above]
        if others:
            names = ", ".join(html.escape(self._name(p)) for p in others)
            lines.append(f"<i>also under: {names}</i>")
        return "<br>".join(lines)

    def _fetched_parents(self) -> Iterator[tuple[QModelIndex, list[_Node]]]:
        """(index, children) of every node whose children have been fetched."""
        stack = [(QModelIndex(), self._root)]
        while stack:
            index, node = stack.pop()
            if not node.children:
                continue
            yield index, node.children
            stack.extend((self.createIndex(c.row, 0, c), c) for c in node.children if c.children)

    def _emit_fetched_changed(
        self,
        roles: list[Qt.ItemDataRole] | list[int],
        subtrees: tuple[int, int] | None = None,
        columns: tuple[int, int] | None = None,
    ) -> None:
        # One dataChanged per fetched parent, across ``columns`` (first, last; default:
        # all) and over its rows (only the span of those whose subtree count is in the
        # half-open range ``subtrees``, when given): views keep their expansion and
        # selection, which a model reset would lose.
        first_column, last = columns or (0, len(self._headers) - 1)
        for parent, children in self._fetched_parents():
            rows: Sequence[int] = range(len(children))
            if subtrees is not None:
                low, high = subtrees
                counts = ((c.row, self._count(c.wnid, SUBTREE_COLUMN) or 0) for c in children)
                rows = [row for row, subtree in counts if low <= subtree < high]
                if not rows:
                    continue
            top_left = self.index(rows[0], first_column, parent)
            bottom_right = self.index(rows[-1], last, parent)
            self.dataChanged.emit(top_left, bottom_right, roles)
