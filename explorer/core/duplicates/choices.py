"""The duplicates' choices, light to import (the CLI declares its options with them)."""

from __future__ import annotations

from typing import Literal, get_args

Relation = Literal["same_synset", "ancestor", "different", "unknown_label"]
RELATIONS: tuple[Relation, ...] = get_args(Relation)
DEFAULT_DISTANCE = 8  # bits of 64: see bench/README.md ("Duplicates") for how it was chosen
