"""What a catalogue's labels are: WordNet 3.0 noun wnids, or why not (judged per distinct
label, never per image)."""

from __future__ import annotations

import re
from collections.abc import Container
from typing import Final, Literal

from explorer.core.catalogue.sources import (
    WNID,
)

# What an image's label is, judged per distinct label (a catalogue has at most tens of
# thousands), never stored per image (it may have 14 million).
LabelKind = Literal["ok", "unknown_wnid", "not_noun", "no_label"]
LABEL_OK: Final = "ok"
LABEL_UNKNOWN: Final = "unknown_wnid"
LABEL_NOT_NOUN: Final = "not_noun"
LABEL_NONE: Final = "no_label"
_OTHER_POS_ID = re.compile(r"^[vars]\d{8}$")  # a WordNet verb/adjective/adverb id
_OFFSET = re.compile(r"^\d{1,8}$")  # 2084071 or 02084071, as `wnexplorer show` takes it
_SYNSET_NAME = re.compile(r"^\S+\.n\.\d\d$")  # dog.n.01
# ids of other WordNets: "wn31-02086723-n", "oewn-02086723-n", or a bare "02086723-n"
_OTHER_WORDNET_ID = re.compile(r"^((wn31|oewn|pwn31)[-:])|^\d{8}-[nvasr]$", re.IGNORECASE)


def classify_label(label: str | None, nouns: Container[str]) -> LabelKind:
    """LABEL_OK for a WordNet 3.0 noun wnid in ``nouns`` (a set of wnids, or the taxonomy's
    graph); else why not.

    >>> [classify_label(label, taxonomy.graph) for label in ("n02084071", "n99999999")]
    ['ok', 'unknown_wnid']
    >>> classify_label("v01166351", taxonomy.graph), classify_label(None, taxonomy.graph)
    ('not_noun', 'no_label')
    """
    if label in nouns:  # the common case first: a set lookup, no regex
        return LABEL_OK
    if label is None:
        return LABEL_NONE
    if _OTHER_POS_ID.match(label):
        return LABEL_NOT_NOUN
    return LABEL_UNKNOWN


def label_note(label: str | None, nouns: Container[str]) -> str:
    """Why ``label`` is not counted, in words (for a label that is not LABEL_OK).

    >>> label_note("wn31-02086723-n", taxonomy.graph)
    'wn31-02086723-n: a WordNet 3.1 or Open English WordNet id? ImageNet uses WordNet 3.0 ...'
    """
    if label is None:
        return "no label"
    if classify_label(label, nouns) == LABEL_NOT_NOUN:
        return f"{label}: a WordNet verb, adjective or adverb id, not a noun"
    if WNID.match(label):
        return f"{label}: no such noun in WordNet 3.0; a WordNet 3.1 id? ImageNet uses 3.0"
    if _OTHER_WORDNET_ID.match(label):
        return (
            f"{label}: a WordNet 3.1 or Open English WordNet id? ImageNet uses WordNet 3.0 "
            "wnids like n02084071"
        )
    return f"{label}: not a WordNet 3.0 wnid, offset or synset name"
