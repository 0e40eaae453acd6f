"""The detail panel: lemmas, gloss, counts and every path to the root as clickable breadcrumbs."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from explorer.core.analysis import COVERAGE_COLOURS, coverage_status
from explorer.core.text import plural

if TYPE_CHECKING:
    from explorer.core.analysis import Counts
    from explorer.core.wordnet import Taxonomy
    from explorer.core.workspace import Workspace

_STATUS_WORDS = {"empty": "no images", "thin": "thin (fewer than {:,})", "ok": "covered"}


class DetailPanel(QTextBrowser):
    """Shows one synset; links select a synset (``wnid_clicked``) or a path (``path_clicked``).

    Given a Workspace, it shows the Workspace's selection with its counts and
    threshold, and its links select there.
    """

    wnid_clicked = Signal(str)
    path_clicked = Signal(list)

    def __init__(self, workspace: Workspace | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._follow)
        self._paths: list[list[str]] = []
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

    def _show_current(self) -> None:
        workspace = self.workspace
        if workspace is None:
            return
        if workspace.current_wnid is not None and workspace.taxonomy is not None:
            self.show_synset(
                workspace.taxonomy, workspace.current_wnid, workspace.counts, workspace.threshold
            )

    def _follow(self, url: QUrl) -> None:
        kind, _, value = url.toString().partition(":")
        if kind == "node":
            self.wnid_clicked.emit(value)
        elif kind == "path":
            self.path_clicked.emit(self._paths[int(value)])

    def show_synset(
        self, taxonomy: Taxonomy, wnid: str, counts: Counts | None = None, threshold: int = 1
    ) -> None:
        esc = html.escape
        graph = taxonomy.graph
        data = graph.nodes[wnid]

        def short(w: str) -> str:
            return graph.nodes[w]["lemmas"][0]

        def link(w: str, text: str | None = None) -> str:
            colour = None
            if counts is not None:
                status = coverage_status(counts.of(w)["subtree"], threshold)
                colour = COVERAGE_COLOURS[status]["text"]
            style = f' style="color:{colour}"' if colour else ""
            return f'<a href="node:{w}"{style}>{esc(text or short(w))}</a>'

        self._paths = taxonomy.paths_to_root(wnid)
        parts = [
            f"<h2>{esc(', '.join(data['lemmas']))}</h2>",
            f"<p><code>{wnid}</code> · {esc(data['name'])} · {esc(data['lexname'])} · "
            f"depth {data['min_depth']}"
            + (f"–{data['max_depth']}" if data["max_depth"] != data["min_depth"] else "")
            + "</p>",
            f"<p><i>{esc(data['gloss'])}</i></p>",
        ]
        if counts is not None:
            figures = counts.of(wnid)
            status = _STATUS_WORDS[coverage_status(figures["subtree"], threshold)].format(threshold)
            parts.append(
                f"<p><b>{figures['direct']:,}</b> image{'' if figures['direct'] == 1 else 's'} "
                f"of this synset · <b>{figures['subtree']:,}</b> in its subtree · "
                f"{plural(figures['synsets_with_images'], 'synset')} with images · {status}</p>"
            )
        title = "Path to the root" if len(self._paths) == 1 else f"{len(self._paths)} paths"
        parts.append(f"<h4>{title}</h4><ol>")
        for number, path in enumerate(self._paths):
            crumbs = " › ".join(link(w) for w in path[:-1])
            parts.append(
                f'<li>{crumbs} › <b>{esc(short(wnid))}</b> <a href="path:{number}">[show]</a></li>'
            )
        parts.append("</ol>")
        parents = taxonomy.parents(wnid)
        if parents:
            items = [
                link(p) + (" (instance of)" if taxonomy.edge_kind(p, wnid) == "instance" else "")
                for p in parents
            ]
            parts.append(f"<h4>Parents ({len(parents)})</h4><p>{' · '.join(items)}</p>")
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
            parts.append(f"<h4>Children ({len(children)})</h4><p>{' · '.join(items)}{more}</p>")
        else:
            parts.append("<p>A leaf: no hyponyms or instances.</p>")
        self.setHtml("\n".join(parts))
