"""The detail panel: lemmas, gloss, counts and every path to the root as clickable breadcrumbs."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from explorer.core.analysis import coverage_status
from explorer.core.text import plural
from explorer.qt.palette import STATUS

if TYPE_CHECKING:
    from explorer.core.analysis import Counts
    from explorer.core.wordnet import TaxonomyView
    from explorer.core.workspace import Workspace

_STATUS_WORDS = {  # a coverage status said in full: {} is the threshold ("Thin below")
    "empty": "<b>empty</b>: no image anywhere in its subtree",
    "thin": "<b>thin</b>: fewer than {:,} images in its subtree",
    "ok": "<b>covered</b>: {:,} or more images in its subtree",
}
_STYLE = "h3 { margin: 0 } p { margin-top: 2px; margin-bottom: 4px }"  # compact: see the children


def _figures(counts: Counts, wnid: str, threshold: int) -> str:
    """The synset's counts and coverage status in words (each term says what it counts)."""
    figures = counts.of(wnid)
    status = _STATUS_WORDS[coverage_status(figures["subtree"], threshold)].format(threshold)
    synsets = figures["synsets_with_images"]
    return (
        f"<b>{figures['direct']:,}</b> image{'' if figures['direct'] == 1 else 's'} "
        f"of this synset · <b>{figures['subtree']:,}</b> in its subtree, in "
        f"{plural(synsets, 'synset')} that {'has' if synsets == 1 else 'have'} images · {status}"
    )


def line_spans(document: QTextDocument) -> list[tuple[int, int]]:
    """The (top, bottom) of every laid-out line of ``document``, in document pixels."""
    layout = document.documentLayout()
    spans = []
    block = document.begin()
    while block.isValid():
        top = layout.blockBoundingRect(block).top()
        lines = block.layout()
        for i in range(lines.lineCount()):
            line = lines.lineAt(i)
            spans.append((math.floor(top + line.y()), math.ceil(top + line.y() + line.height())))
        block = block.next()
    return spans


def line_bottoms(document: QTextDocument) -> list[int]:
    return [bottom for _top, bottom in line_spans(document)]


class DetailPanel(QTextBrowser):
    """Shows one synset; links select a synset (``wnid_clicked``) or a path (``path_clicked``).

    Given a Workspace, it shows the Workspace's selection with its counts and
    threshold, and its links select there.
    """

    wnid_clicked = Signal(str)
    path_clicked = Signal(list)
    shown = Signal()  # a synset shown: its text's height changed (the window fits it)

    def __init__(self, workspace: Workspace | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._follow)
        self._paths: list[list[str]] = []
        self.document().setDefaultStyleSheet(_STYLE)
        self.setHtml("<p>Choose a synset in the tree, or search for one.</p>")
        self.workspace = workspace
        if workspace is not None:
            for event in (
                workspace.selection_changed,
                workspace.counts_changed,
                workspace.threshold_changed,
            ):
                event.connect(self._show_current)
            self.wnid_clicked.connect(workspace.select)
            self.path_clicked.connect(lambda path: workspace.select(path[-1], path))

    def fitted_height(self, cap: int) -> int:
        """The panel's height (its frame included) that shows its whole text, when that is
        ``cap`` or less; else the largest height up to ``cap`` whose last line is whole
        (the scroll bar then says there is more): never a line cut in half."""
        frame = 2 * self.frameWidth()
        # laid out beside a scroll bar: the width it has when the text is cut, and a width
        # at which a text that fits keeps fitting (a scroll bar shown before stays, Qt
        # lays the text out again beside it, and a line more would be cut)
        width = self.width() - frame - self.verticalScrollBar().sizeHint().width()
        live = self.document()
        document = live.clone(self)
        document.setDefaultFont(live.defaultFont())  # what clone() may leave out
        document.setDocumentMargin(live.documentMargin())
        document.setDefaultTextOption(live.defaultTextOption())
        try:
            document.setTextWidth(width)
            whole = math.ceil(document.size().height()) + frame
            if whole <= cap:
                return whole
            bottoms = [bottom + frame for bottom in line_bottoms(document)]
            return max((b for b in bottoms if b <= cap), default=cap)
        finally:
            document.deleteLater()

    def cut_line(self) -> tuple[int, int] | None:
        """The (top, bottom) of a line the viewport's bottom edge cuts through, in viewport
        coordinates, or None: what the layout must never leave."""
        height, offset = self.viewport().height(), self.verticalScrollBar().value()
        for top, bottom in line_spans(self.document()):
            if top - offset < height < bottom - offset:
                return top - offset, bottom - offset
        return None

    def _show_current(self) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        if workspace.current_wnid is not None and workspace.hierarchy is not None:
            self.show_synset(
                workspace.hierarchy, workspace.current_wnid, workspace.counts, workspace.threshold
            )

    def _follow(self, url: QUrl) -> None:
        kind, _, value = url.toString().partition(":")
        if kind == "node":
            self.wnid_clicked.emit(value)
        elif kind == "path":
            self.path_clicked.emit(self._paths[int(value)])

    def _paths_html(self, link: Callable[[str], str], name: Callable[[str], str]) -> str:
        """Every path from the root, one line each; a root's is its name alone, without
        "1." or a "›" before it. ``[show]`` selects that path in the tree."""
        paths = self._paths
        if len(paths) == 1 and len(paths[0]) == 1:
            return f"<p><b>Path:</b> {html.escape(name(paths[0][0]))} (the root)</p>"
        lines = []
        for number, path in enumerate(paths):
            crumbs = " › ".join([*map(link, path[:-1]), f"<b>{html.escape(name(path[-1]))}</b>"])
            lines.append(
                crumbs + (f' <a href="path:{number}">[show]</a>' if len(paths) > 1 else "")
            )
        if len(paths) == 1:
            return f"<p><b>Path:</b> {lines[0]}</p>"
        return f"<p><b>{len(paths)} paths:</b><br>" + "<br>".join(lines) + "</p>"

    def show_synset(
        self, taxonomy: TaxonomyView, wnid: str, counts: Counts | None = None, threshold: int = 1
    ) -> None:
        esc = html.escape
        data = taxonomy.node(wnid)

        def short(w: str) -> str:
            return taxonomy.node(w)["lemmas"][0]

        def link(w: str, text: str | None = None) -> str:
            colour = None
            if counts is not None:
                status = coverage_status(counts.of(w)["subtree"], threshold)
                text_colour = STATUS[status].text
                colour = text_colour.name() if text_colour is not None else None
            style = f' style="color:{colour}"' if colour else ""
            return f'<a href="node:{w}"{style}>{esc(text or short(w))}</a>'

        self._paths = taxonomy.paths_to_root(wnid)
        depth = f"{data['min_depth']}" + (
            f"–{data['max_depth']}" if data["max_depth"] != data["min_depth"] else ""
        )
        parts = [
            f"<h3>{esc(', '.join(data['lemmas']))}</h3>",
            f"<p><code>{wnid}</code> · {esc(data['name'])} · {esc(data['lexname'])} · "
            f"depth {depth}</p>",
            f"<p><i>{esc(data['gloss'])}</i></p>",
        ]
        if counts is not None:
            parts.append(f"<p>{_figures(counts, wnid, threshold)}</p>")
        parts.append(self._paths_html(link, short))
        instance_of = [
            p for p in taxonomy.parents(wnid) if taxonomy.edge_kind(p, wnid) == "instance"
        ]
        if instance_of:  # the paths show the parents; an instance's are not its kinds
            parts.append(f"<p><b>Instance of:</b> {' · '.join(map(link, instance_of))}</p>")
        children = taxonomy.children(wnid)
        if children:
            shown = children[:200]
            items = []
            for child in shown:
                text = link(child)
                if counts is not None:
                    text += f" <small>{counts.of(child)['subtree']:,}</small>"
                items.append(text)
            more = f" · … {len(children) - len(shown):,} more" if len(children) > len(shown) else ""
            numbers = " (images in each subtree)" if counts is not None else ""
            parts.append(
                f"<p><b>Children ({len(children)})</b>{numbers}: {' · '.join(items)}{more}</p>"
            )
        else:
            parts.append("<p>A leaf: no hyponyms or instances.</p>")
        self.setHtml("\n".join(parts))
        self.shown.emit()
