"""Indexing a dataset folder or manifest into a catalogue: the first index and every rescan."""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeGuard, TypeVar, cast

import sqlite_utils

from explorer.core.catalogue.folders import (
    SeenFolders,
    scan_flat,
    scan_folders,
    scan_ilsvrc_val,
)
from explorer.core.catalogue.labels import (
    _OFFSET,
    _SYNSET_NAME,
)
from explorer.core.catalogue.manifests import read_manifest
from explorer.core.catalogue.opening import (
    _SQLITE,
    _catalogue_error,
    _file_kind,
    _looks,
    default_catalogue_path,
)
from explorer.core.catalogue.orders import write_orders
from explorer.core.catalogue.rescan import (
    _DigestsOutOfStep,
    _rescan,
    _store_digests,
    _stored_digests,
)
from explorer.core.catalogue.rows import OddLabel
from explorer.core.catalogue.scan_writes import (
    AsWnids,
    ScanFigures,
    Scanned,
    _count_labels,
    _finish_scan,
    _relabel,
    _relabelled,
    _repeated_paths,
    _repeated_paths_error,
    _start_scan,
    _write_batches,
)
from explorer.core.catalogue.schema import (
    _IMAGE_INDEXES,
    _WNID_INDEX,
    MIGRATIONS,
)
from explorer.core.catalogue.sources import (
    LAYOUTS,
    Layout,
    SourceReport,
    detect_layout,
)
from explorer.core.catalogue.store import Catalogue
from explorer.core.errors import CatalogueDamagedError, CatalogueError
from explorer.core.files import atomic_path
from explorer.core.jobs import JobState
from explorer.core.sql import failure, why

if TYPE_CHECKING:
    import networkx as nx

_Item = TypeVar("_Item")


@dataclass
class IndexSummary:
    """What an index or rescan did, and what the catalogue holds afterwards."""

    catalogue: str
    source: str
    layout: Layout
    images: int = 0
    synsets: int = 0
    labelled: int = 0
    unknown: int = 0
    unknown_wnid: int = 0
    not_noun: int = 0
    no_label: int = 0
    missing: int = 0
    outside_root: int = 0  # images outside the root: left out of audits and exports
    outside_root_examples: list[str] = field(default_factory=list)  # the first few
    root: str | None = None  # the folder the images' paths are relative to and kept within
    seen: int = 0
    added: int = 0
    changed: int = 0
    restored: int = 0
    newly_missing: int = 0
    other_files: int = 0
    stat_failed: int = 0
    unreadable_dirs: int = 0
    unreadable_examples: list[str] = field(default_factory=list)  # a few, relative to the root
    bad_rows: int = 0
    seconds: float = 0.0
    odd_labels: list[OddLabel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what looks wrong with the input
    labels: str | None = None  # the ilsvrc-val label file
    labels_reused: bool = False  # not given: the one the last scan used
    relabelled: int = 0  # distinct labels given as an offset or synset name, stored as wnids
    relabelled_examples: dict[str, str] = field(default_factory=dict)  # a few of them

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _entries(
    source: Path,
    layout: Layout,
    labels: Path | None,
    root: str,
    report: SourceReport,
    folders: SeenFolders | None,
) -> Iterator[Scanned]:
    if folders is None:
        return ((None, batch) for batch in read_manifest(source, report, root))
    if layout == "folders":
        return scan_folders(source, report, folders)
    if layout == "flat":
        return scan_flat(source, report, folders)
    return scan_ilsvrc_val(source, labels, report, folders)


def _scan(
    source: Path,
    layout: Layout,
    labels: Path | None,
    root: str,
    report: SourceReport,
    folders: SeenFolders | None,
    state: JobState,
) -> Iterator[Scanned]:
    """The source's batches; a manifest's first rows and a label file are read here."""
    batches = _entries(source, layout, labels, root, report, folders)
    if layout == "manifest":
        # parsing a manifest is pure Python, and a second thread only adds GIL hand-offs
        # (3M rows: 12.9 s threaded, 10.2 s in one thread)
        return batches
    # a folder walk waits on its walker processes: a thread overlaps that with the writes
    return _batches_in_background(batches, state)


def _batches_in_background(batches: Iterator[_Item], state: JobState) -> Iterator[_Item]:
    """Produce the source's batches in a thread while the caller writes them to SQLite.

    Stat calls and SQLite's own work release the GIL, so on two cores the
    scan costs about the larger of the two instead of their sum.
    """
    handoff: queue.Queue[_Item | BaseException | None] = queue.Queue(maxsize=4)
    done = None  # after the last batch
    stop = threading.Event()  # set when the consumer leaves early (error, cancel)

    def produce() -> None:
        try:
            for batch in batches:
                handoff.put(batch)
                if stop.is_set() or state.cancelled:
                    return
            handoff.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            handoff.put(exc)

    worker = threading.Thread(target=produce, name="catalogue-scan", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.05)


def index_catalogue(
    source: str | os.PathLike[str],
    *,
    nouns: Container[str],
    catalogue: str | os.PathLike[str] | None = None,
    layout: Layout | Literal["auto"] = "auto",
    labels: str | os.PathLike[str] | None = None,
    relayout: bool = False,
    root: str | os.PathLike[str] | None = None,
    synset_names: Callable[[], Mapping[str, str]] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    state: JobState | None = None,
) -> IndexSummary:
    """Index ``source`` (a dataset folder or a manifest) into a catalogue; rescan if it exists.

    A rescan is incremental: new files are added, changed ones (size, mtime
    or label) updated, vanished ones marked missing; ids never change. Every file
    is stat-ed again, and a folder whose listing has the digest the last scan
    stored (folders.Listing.digest) is passed over, its rows left as they are. Runs as
    one transaction, so a cancel (``state.cancel()``) or a crash leaves the
    catalogue as it was. ``nouns`` is the set of WordNet 3.0 noun wnids
    (:func:`explorer.core.wordnet.taxonomy.load_noun_wnids`, or a taxonomy's graph);
    labels outside it are kept and reported.

    A label given as an offset (``2084071``) or a synset name (``dog.n.01``)
    is stored as its wnid. ``synset_names`` returns the names' wnids (e.g.
    :func:`explorer.core.wordnet.taxonomy.load_synset_names`) and is called only when
    a label looks like a name; by default the names of ``nouns`` when it is a
    taxonomy graph.

    The root is the folder image paths are relative to and must stay within:
    a folder is its own; a manifest's is ``root`` if given, else its own
    folder. An image outside it (a manifest's ``../`` or absolute path
    elsewhere, a folder's link that points out) is kept, marked and counted;
    audits and exports leave it out unless asked.

    A rescan keeps the catalogue's layout, ilsvrc-val label file and manifest
    root unless told otherwise; another layout is refused unless ``relayout``
    (it relabels every image). Every check is made before anything is written.
    Returns an :class:`IndexSummary`.

    A rescan of a catalogue whose folder has not changed:

    >>> summary = index_catalogue(catalogue.source, nouns=taxonomy.graph, catalogue=catalogue_path)
    >>> summary.seen, summary.added, summary.changed, summary.newly_missing, summary.images
    (322, 0, 0, 0, 322)
    """
    if layout != "auto" and layout not in LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}; choose auto or one of {', '.join(LAYOUTS)}.")
    state = state or JobState()
    started = time.monotonic()
    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise CatalogueError(f"{source} does not exist.")
    target = Path(catalogue) if catalogue else default_catalogue_path(source, data_dir)
    try:
        stored, damaged = _stored_meta(target, source)
        layout = _choose_layout(source, layout, stored, relayout, target)
        if layout == "manifest" and not source.is_file():
            raise CatalogueError(f"The manifest layout needs a CSV/TSV file; {source} is a folder.")
        if layout != "manifest" and not source.is_dir():
            raise CatalogueError(f"The {layout} layout needs a folder; {source} is a file.")
        labels_path, labels_reused = _choose_labels(source, layout, labels, stored, target)
        root = _choose_root(source, layout, root, stored)
        meta: dict[str, str] = {"source": str(source), "root": root, "layout": layout}
        if labels_path:
            meta["labels"] = str(labels_path)

        report = SourceReport()
        folders = None
        if layout != "manifest":
            folders = SeenFolders(layout, _stored_digests(target) if stored else {})
        # a manifest's first rows and a label file are read here: their errors come first
        batches = _scan(source, layout, labels_path, root, report, folders, state)
        state.progress(0, None, f"Indexing {source}")
        if synset_names is None and _is_graph(nouns):  # a taxonomy graph knows its names
            synset_names = partial(_graph_names, nouns)
        as_wnids = partial(_labels_as_wnids, nouns=nouns, synset_names=synset_names)

        if stored is None:
            if damaged:
                report.warnings.append(_move_aside(target, damaged))
            figures = _first_index(target, batches, meta, state, as_wnids, folders)
        else:
            with Catalogue.open(target, write=True) as existing:
                try:
                    figures = _rescan(existing._db, batches, meta, state, as_wnids, folders)
                except _DigestsOutOfStep:
                    # present rows that no folder's digest accounts for (a catalogue changed
                    # by other means): scan again and compare every row, as without digests
                    report, folders = SourceReport(), SeenFolders(layout, {})
                    batches = _scan(source, layout, labels_path, root, report, folders, state)
                    figures = _rescan(existing._db, batches, meta, state, as_wnids, folders)
    except (OSError, sqlite3.Error) as exc:  # a full disk, a source that cannot be read...
        raise _index_error(target, source, exc) from exc

    with Catalogue.open(target) as done:
        summary = IndexSummary(
            **done.summary(nouns),
            **figures,
            odd_labels=done.odd_labels(nouns),
            outside_root_examples=done.outside_root_paths(),
        )
    summary.labels = meta.get("labels")
    summary.labels_reused = labels_reused
    summary.other_files = report.other_files
    summary.stat_failed = report.stat_failed
    summary.unreadable_dirs = report.unreadable_dirs
    summary.unreadable_examples = sorted(report.unreadable_examples)
    summary.bad_rows = report.bad_rows
    summary.warnings = report.warnings
    summary.seconds = round(time.monotonic() - started, 3)
    state.progress(summary.seen, summary.seen, f"Indexed {source}")
    return summary


def _index_error(target: Path, source: Path, exc: OSError | sqlite3.Error) -> CatalogueError:
    """What a failure while indexing means: the catalogue could not be written (SQLite's
    errors, a full disk, its folder's), or the source could not be read (the rest)."""
    filename = getattr(exc, "filename", None)
    writing = (
        isinstance(exc, sqlite3.Error)
        or failure(exc) == "full"
        or (
            filename is not None
            and os.path.dirname(os.path.abspath(os.fsdecode(filename)))
            == os.path.dirname(os.path.abspath(target))
        )
    )
    if writing:
        return _catalogue_error(target, exc)
    return CatalogueError(
        f"Cannot read {source} ({why(exc)}); check that it can be read, and index it again "
        "(the catalogue was left as it was)."
    )


def _stored_meta(target: Path, source: Path) -> tuple[dict[str, str] | None, str]:
    """The meta of the catalogue at ``target`` (None when there is none yet, or when it is
    ours but damaged: then why, and the index rebuilds it)."""
    if not target.exists():
        return None, ""
    kind = _file_kind(target)
    if kind != _SQLITE:  # Catalogue.open's advice (index it) would be wrong here
        raise CatalogueError(
            f"{target} is not a catalogue ({_looks(kind)}); `wnexplorer index` writes only to a "
            "new file or to a catalogue of its own: choose another --catalogue file."
        )
    try:
        with Catalogue.open(target, write=True) as existing:
            meta = existing.meta
    except CatalogueDamagedError as exc:
        if exc.source not in (None, str(source)):
            raise
        return None, str(exc)
    if meta.get("source") not in (None, str(source)):
        raise CatalogueError(
            f"The catalogue {target} lists {meta['source']}, not {source}; "
            "choose another --catalogue file."
        )
    return meta, ""


def _move_aside(target: Path, why: str) -> str:
    """Rename a damaged catalogue (and its -wal, -shm) out of the way; what was done, in words."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for suffix in ("-wal", "-shm", ""):  # the database last: never a new file beside an old -wal
        part = Path(f"{target}{suffix}")
        if part.exists():
            os.replace(part, f"{target}.damaged-{stamp}{suffix}")
    return (
        f"{why.split(' It holds no curation')[0]} It was moved aside as "
        f"{target.name}.damaged-{stamp} and rebuilt from the dataset (audit results are redone "
        "by the next audit)."
    )


def _choose_layout(
    source: Path,
    layout: Layout | Literal["auto"],
    stored: dict[str, str] | None,
    relayout: bool,
    target: Path,
) -> Layout:
    """The layout asked for; on a rescan the catalogue's own unless ``relayout``."""
    # a catalogue's layout was written by index_catalogue, from LAYOUTS
    before = cast("Layout | None", stored.get("layout") if stored and not relayout else None)
    if layout == "auto":
        return before or detect_layout(source)
    if before and layout != before:
        raise CatalogueError(
            f"The catalogue {target} lists {source} in the {before} layout; rescanning it as "
            f"{layout} would relabel its images. Leave out --layout to rescan it as {before}, "
            "or add --relayout to relabel them."
        )
    return layout


def _choose_root(
    source: Path,
    layout: Layout,
    root: str | os.PathLike[str] | None,
    stored: dict[str, str] | None,
) -> str:
    """The root of the images: a folder's is itself; a manifest's is ``root``, else the
    one the last scan used, else the manifest's folder."""
    if layout != "manifest":
        if root is not None:
            raise CatalogueError(f"--root is for a manifest; the folder {source} is its own root.")
        return str(source)
    if root is None:
        return stored["root"] if stored else str(source.parent)
    # as given, not resolved: a manifest's absolute paths are compared with it as written
    root = os.path.abspath(os.path.expanduser(root))
    if not os.path.isdir(root):
        raise CatalogueError(
            f"--root {root} is not a folder; give the folder the manifest's paths are relative to."
        )
    return root


def _choose_labels(
    source: Path,
    layout: Layout,
    labels: str | os.PathLike[str] | None,
    stored: dict[str, str] | None,
    target: Path,
) -> tuple[Path | None, bool]:
    """(the ilsvrc-val label file, whether it is the one the last scan used)."""
    if labels:
        if layout != "ilsvrc-val":
            raise CatalogueError(
                f"--labels is for the ilsvrc-val layout; {source} is indexed as {layout}."
            )
        return Path(labels).expanduser().resolve(), False
    if layout == "ilsvrc-val" and stored and stored.get("labels"):
        remembered = Path(stored["labels"])
        if not remembered.is_file():
            raise CatalogueError(
                f"The catalogue {target} was indexed with the label file {remembered}, which "
                "is gone; give the label file with --labels FILE."
            )
        return remembered, True
    return None, False


def _is_graph(nouns: Container[str]) -> TypeGuard[nx.DiGraph[str]]:
    return hasattr(nouns, "nodes")  # without importing networkx, which a set of wnids spares


def _graph_names(graph: nx.DiGraph[str]) -> dict[str, str]:
    # types-networkx gives nodes(data=KEY) the whole data dict; it yields that key's value
    return {name: wnid for wnid, name in graph.nodes(data="name")}  # type: ignore[misc]


def _labels_as_wnids(
    labels: Iterable[str | None],
    nouns: Container[str],
    synset_names: Callable[[], Mapping[str, str]] | None,
) -> dict[str, str]:
    """The labels that name a noun by offset or synset name, with its wnid.

    Asked once per distinct label, never per image: a label that already is a
    wnid in ``nouns`` costs a set lookup.
    """
    found: dict[str, str] = {}
    names: Mapping[str, str] | None = None
    for label in labels:
        if label is None or label in nouns:
            continue
        wnid: str | None
        if _OFFSET.match(label):
            wnid = "n%08d" % int(label)
        elif _SYNSET_NAME.match(label.lower()) and synset_names is not None:
            names = synset_names() if names is None else names
            wnid = names.get(label) or names.get(label.lower())
        else:
            continue
        if wnid is not None and wnid in nouns:
            found[label] = wnid
    return found


def _first_index(
    target: Path,
    scanned: Iterable[Scanned],
    meta: dict[str, str],
    state: JobState,
    as_wnids: AsWnids,
    folders: SeenFolders | None,
) -> ScanFigures:
    """Write a new catalogue into a temporary file and rename it into place.

    Without a journal, and with the indexes built after the rows: bulk
    loading this way is several times faster than row-by-row upkeep, and
    the rename means a cancelled or crashed index leaves no half-written file.
    """
    # Not fsync'd: a catalogue is rebuildable, a torn one is found on open and rebuilt, and
    # the fsync of a 14M-row catalogue would cost seconds for that.
    with atomic_path(target, parents=True, sync=False, prefix=target.name + ".") as tmp:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            db = sqlite_utils.Database(conn)
            MIGRATIONS.apply(db)
            conn.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA threads = 2; "
                # images_missing stays: new rows are present, so it costs them nothing;
                # images_outside is built afterwards all the same (3M rows: 0.6 s less)
                "DROP INDEX images_path; DROP INDEX images_wnid; DROP INDEX images_outside; "
                "BEGIN;"
            )
            scan = _start_scan(conn, meta)
            batches = (batch for _, batch in scanned if batch is not None)
            seen = _write_batches(conn, "images", batches, state, f"Indexing {meta['source']}")
            try:
                for statement in _IMAGE_INDEXES:
                    conn.execute(statement)
            except sqlite3.IntegrityError as exc:  # the unique path index: a path twice
                raise _repeated_paths_error(_repeated_paths(conn, "images")) from exc
            # the labels to relabel come from the counts, which cost nothing more: the
            # common case, every label a wnid, adds no pass over the images
            _count_labels(conn)
            counts = dict(conn.execute("SELECT wnid, images FROM label_counts"))
            found = as_wnids(counts)
            if found:
                # relabelling many rows, rebuilding the label index beats updating it
                # (3M rows given as offsets: 23 s updated, 13 s rebuilt; 8 s given as wnids)
                rebuild = sum(counts[label] for label in found) > seen // 10
                if rebuild:
                    conn.execute("DROP INDEX images_wnid")
                _relabel(conn, "images", found)
                if rebuild:
                    conn.execute(_WNID_INDEX)
                _count_labels(conn)
            figures: ScanFigures = {
                "seen": seen,
                "added": seen,
                "changed": 0,
                "restored": 0,
                "newly_missing": 0,
                **_relabelled(found),
            }
            write_orders(conn, state)
            if folders is not None:
                _store_digests(conn, folders)
            _finish_scan(conn, scan, meta, figures)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
    return figures
