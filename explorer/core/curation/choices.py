"""The formats flags are shared in, spelled once (the CLI's choices read them): a module of
its own, so that reading them loads nothing else of curation."""

from __future__ import annotations

from typing import Literal, get_args

ExchangeFormat = Literal["csv", "json"]
EXCHANGE_FORMATS: tuple[ExchangeFormat, ...] = get_args(ExchangeFormat)
