"""The subtree as nested nodes: the one JSON tree of ``wnexplorer tree --json`` and of the
``tree-json`` export (and the shape the indented ``tree`` text is printed from).

WordNet is a DAG: a synset with several parents appears under each of them,
marked by ``parents`` > 1. Each node is::

    {
      "wnid": "n02084071",             WordNet 3.0 wnid
      "name": "dog.n.01",              synset name
      "lemmas": ["dog", "domestic dog", "Canis familiaris"],
      "kind": "hypernym",              the edge from the node above: "hypernym" (a kind of
                                       it) or "instance" (an instance of it); null at the top
      "parents": 2,                    the synset's parents in WordNet (2+: it appears under
                                       each of them that is in the tree)
      "selected": true,                false: not itself chosen (an export's --leaves-only or
                                       --with-images), there as the way to chosen ones below
      "direct": 12, "subtree": 340,    images of the synset itself and of its subtree (each
                                       once): only when a catalogue was counted
      "children": [ ...nodes... ],     the children shown, by name (none: [])
      "children_not_shown": 3          only where the depth limit cut children off
    }

Children that hold nothing chosen (with an export's filters) are left out, not
counted. The depth counts levels of this tree: a synset reached by paths of two
lengths may be shown at one place and cut at the other.

>>> dog = nested_subtree(taxonomy, "n02084071", depth=0)
>>> dog["parents"], dog["children"], dog["children_not_shown"]
(2, [], 18)
>>> toy_dog = nested_subtree(taxonomy, "n02085374", depth=1)
>>> [(child["lemmas"][0], child["kind"]) for child in toy_dog["children"]][:2]
[('Chihuahua', 'hypernym'), ('Japanese spaniel', 'hypernym')]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NotRequired, TypedDict

if TYPE_CHECKING:
    from explorer.core.exports.export import SubtreeRow
    from explorer.core.wordnet import TaxonomyView


class _Fields(TypedDict):
    """A node without its place: the same wherever the synset appears."""

    name: str
    lemmas: list[str]
    parents: int
    selected: bool
    direct: NotRequired[int]
    subtree: NotRequired[int]
    children: list[TreeNode]
    children_not_shown: NotRequired[int]


class TreeNode(_Fields):
    """A node of the nested tree (the schema above), under its parent."""

    wnid: str
    kind: str | None


def nested_subtree(
    taxonomy: TaxonomyView,
    wnid: str,
    depth: int | None = None,
    rows: Mapping[str, SubtreeRow] | None = None,
) -> TreeNode:
    """The subtree under ``wnid`` as nested nodes (the schema above), ``depth`` levels deep
    (None: all).

    ``rows``: the chosen synsets by wnid, as :func:`subtree_rows` gives them (their
    ``direct`` and ``subtree`` counts are copied when counted); None: every synset.
    ``wnid`` itself is always the top node, chosen or not.
    """
    if depth is not None and depth < 0:
        raise ValueError(f"depth: {depth} is negative")
    taxonomy.node(wnid)  # a clear error for an unknown wnid
    # A synset under several parents is built once per depth left, then placed under each
    # (with the kind of its edge there): the whole hierarchy expands to 111,557 nodes.
    built: dict[tuple[str, int | None], _Fields | None] = {}

    def body(node: str, left: int | None) -> _Fields | None:
        key = (node, left)
        if key in built:
            return built[key]
        children = taxonomy.children(node)
        shown: list[TreeNode] = []
        if left is None or left > 0:
            below = None if left is None else left - 1
            for child in children:
                part = body(child, below)
                if part is not None:
                    shown.append(_placed(child, taxonomy.edge_kind(node, child), part))
        row = rows.get(node) if rows is not None else None
        selected = rows is None or row is not None
        if not selected and not shown:
            built[key] = None
            return None
        counts = None
        if row is not None and row["direct"] is not None and row["subtree"] is not None:
            counts = (row["direct"], row["subtree"])
        fields = _fields(taxonomy, node, selected, counts, shown)
        if left == 0 and children:
            fields["children_not_shown"] = len(children)
        built[key] = fields
        return fields

    top = body(wnid, depth)
    if top is None:  # nothing chosen under it: the top alone
        top = _fields(taxonomy, wnid, False, None, [])
    return _placed(wnid, None, top)


def _fields(
    taxonomy: TaxonomyView,
    node: str,
    selected: bool,
    counts: tuple[int, int] | None,
    children: list[TreeNode],
) -> _Fields:
    """In the JSON's order: the counts (direct, subtree) when counted, then the children."""
    data = taxonomy.node(node)
    name, lemmas, parents = data["name"], list(data["lemmas"]), taxonomy.parent_count(node)
    if counts is None:
        return {
            "name": name,
            "lemmas": lemmas,
            "parents": parents,
            "selected": selected,
            "children": children,
        }
    return {
        "name": name,
        "lemmas": lemmas,
        "parents": parents,
        "selected": selected,
        "direct": counts[0],
        "subtree": counts[1],
        "children": children,
    }


def _placed(wnid: str, kind: str | None, fields: _Fields) -> TreeNode:
    return {
        "wnid": wnid,
        "name": fields["name"],
        "lemmas": fields["lemmas"],
        "kind": kind,
        **fields,
    }
