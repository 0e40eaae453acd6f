"""One exception family for the whole core; each message says what to do."""

from __future__ import annotations

from pathlib import Path


class ExplorerError(Exception):
    """Base class of every error the core raises on purpose."""


class WordNetError(ExplorerError):
    """WordNet 3.0 is missing, unreadable, damaged or another version."""


class TaxonomyError(ExplorerError):
    """A query names a synset the taxonomy does not hold."""


class DataDirError(ExplorerError):
    """The app's data folder (or a folder inside it) cannot be made."""


class CatalogueError(ExplorerError):
    """An image catalogue cannot be read or written."""


class NotIndexedError(CatalogueError):
    """A dataset folder or manifest that has no catalogue yet; ``source`` is its path."""

    def __init__(self, message: str, source: Path) -> None:
        super().__init__(message)
        self.source = source


class CatalogueDamagedError(CatalogueError):
    """A catalogue of ours that is damaged: ``wnexplorer index`` moves it aside and rebuilds.
    ``source`` is the dataset it lists, when its meta could still be read."""

    def __init__(self, message: str, source: str | None) -> None:
        super().__init__(message)
        self.source = source


class StoreError(ExplorerError):
    """The curation store cannot be read or written."""


class ExportError(ExplorerError):
    """An export cannot be written."""


class Cancelled(ExplorerError):
    """A long job stopped because its caller asked it to."""
