"""What the commands share: the global options and their context (the taxonomy loaded once),
and the options several commands take."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from explorer.core import paths
from explorer.core.jobs import StderrProgress

if TYPE_CHECKING:
    from click.decorators import FC

    from explorer.core.cluster import ClusterSpec
    from explorer.core.wordnet import CachedLookup, Taxonomy


Choice = TypeVar("Choice", bound=str)


def chosen(value: str, choices: tuple[Choice, ...]) -> Choice:
    """``value``, which click's Choice of ``choices`` has checked, as the core's type of
    those choices (a Literal that its package does not name for us).

    >>> from explorer.core.analysis import BASES
    >>> chosen("direct", BASES)
    'direct'
    """
    return choices[choices.index(value)]


class Context:
    """Global options, and the taxonomy loaded once on first use."""

    def __init__(self, data_dir: str | None, wordnet: str | None) -> None:
        self.data_dir = data_dir
        self.wordnet = wordnet
        self._taxonomy: Taxonomy | None = None
        self._lookup: CachedLookup | None = None

    def taxonomy(self, rebuild: bool = False) -> Taxonomy:
        if self._taxonomy is None or rebuild:
            from explorer.core.wordnet import load_taxonomy

            progress = StderrProgress()
            try:
                self._taxonomy = load_taxonomy(self.wordnet, self.data_dir, progress, rebuild)
            finally:
                progress.close()
        return self._taxonomy

    def lookup(self) -> Taxonomy | CachedLookup:
        """What answers a command that needs no graph algorithm (show, search, tree, counts,
        coverage, exports): the taxonomy cache by SQL when it is current (no graph built: a
        one-shot command in milliseconds), else the loaded taxonomy."""
        if self._taxonomy is None:
            if self._lookup is None:
                from explorer.core.wordnet import open_cached_lookup

                self._lookup = open_cached_lookup(self.wordnet, self.data_dir)
            if self._lookup is not None:
                return self._lookup
        return self.taxonomy()

    def catalogue_file(self, value: str) -> Path:
        """--catalogue takes the catalogue file, or the dataset folder/manifest it was made
        from."""
        from explorer.core.catalogue import resolve_catalogue

        return resolve_catalogue(value, self.data_dir)


pass_context = click.make_pass_decorator(Context)


def data_dir_option(envvar: bool = False, extra_help: str = "") -> Callable[[FC], FC]:
    """--data-dir. ``envvar``: click reads the variable (the group; the gui command's own
    copy must not, or the variable would win over the group's option given explicitly; the
    core reads it when no option is given)."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        envvar=paths.DATA_DIR_ENV if envvar else None,
        help=f"Where the app keeps data and caches [env {paths.DATA_DIR_ENV}; "
        f"default: the user data directory].{extra_help}",
    )


def wordnet_option(envvar: bool = False, extra_help: str = "") -> Callable[[FC], FC]:
    """--wordnet; ``envvar`` as for :func:`data_dir_option`."""
    return click.option(
        "--wordnet",
        type=click.Path(),
        envvar="WNEXPLORER_WORDNET" if envvar else None,
        help="WordNet 3.0 'dict' directory or nltk wordnet.zip [env WNEXPLORER_WORDNET; "
        f"default: searched for].{extra_help}",
    )


catalogue_option = click.option(
    "--catalogue",
    "catalogue",
    required=True,
    metavar="FILE",
    help="The catalogue file (or the dataset folder or manifest it was indexed from).",
)
parents_option = click.option(
    "--parents", is_flag=True, help="Create the output's missing folders (as mkdir -p)."
)


def threads_option(doing: str) -> Callable[[FC], FC]:
    """``--threads N``: how many threads a heavy per-image job uses in-process (``doing``:
    what they do, "make them")."""
    return click.option(
        "--threads",
        type=click.IntRange(1, 64),
        default=None,
        metavar="N",
        help=f"In-process: {doing} on N threads [default: up to 4].",
    )


def cluster_options(command: FC) -> FC:
    """``--workers``, ``--scheduler`` and ``--path-map``: where a heavy per-image job runs
    (read them with :func:`cluster_spec`)."""
    for option in reversed(
        (
            click.option(
                "--workers",
                type=click.IntRange(1, 1024),
                default=None,
                metavar="N",
                help="Run on a local Dask cluster of N processes.",
            ),
            click.option(
                "--scheduler",
                metavar="ADDRESS",
                help="Run on the Dask cluster whose scheduler is at ADDRESS "
                "(tcp://host:8786: `dask scheduler`, then `dask worker ADDRESS` on each machine).",
            ),
            click.option(
                "--path-map",
                "path_map",
                multiple=True,
                metavar="LOCAL=REMOTE",
                help="The workers see LOCAL (the catalogue's root, or a folder above it) as "
                "REMOTE. Repeatable.",
            ),
        )
    ):
        command = option(command)
    return command


def cluster_spec(
    workers: int | None, scheduler: str | None, path_map: tuple[str, ...]
) -> ClusterSpec | None:
    """The ClusterSpec the options name; None: run in-process."""
    from explorer.core.cluster import ClusterSpec, parse_path_map

    if workers is not None and scheduler is not None:
        raise click.UsageError("Give --workers (a local cluster) or --scheduler, not both.")
    if workers is None and scheduler is None:
        if path_map:
            raise click.UsageError("--path-map is for the workers of --workers or --scheduler.")
        return None
    try:
        return ClusterSpec(workers, scheduler, parse_path_map(path_map))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
