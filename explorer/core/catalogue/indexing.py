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
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeGuard, TypeVar, cast

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
from explorer.core.catalogue.rows import OddLabel
from explorer.core.catalogue.schema import (
    _IMAGE_INDEXES,
    _WNID_INDEX,
    MIGRATIONS,
)
from explorer.core.catalogue.sources import (
    LAYOUTS,
    Batch,
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

# the distinct labels of a scan -> those that name a noun by offset or synset name, as wnids
AsWnids = Callable[[Iterable[str | None]], dict[str, str]]
# a folder and its rows (folders.FolderBatch), or a manifest's rows (in no folder: None)
Scanned = tuple[str | None, Batch | None]
_Item = TypeVar("_Item")


class ScanFigures(TypedDict):
    """What one index or rescan did (the scans table keeps the first five)."""

    seen: int
    added: int
    changed: int
    restored: int
    newly_missing: int
    relabelled: int
    relabelled_examples: dict[str, str]


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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


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


def _stored_digests(target: Path) -> dict[str, bytes]:
    """Each folder's digest as the last scan left it (none in a catalogue of a manifest or
    of a version before them)."""
    with Catalogue.open(target) as existing:
        return dict(existing._db.execute("SELECT folder, digest FROM folder_digests"))


def _store_digests(conn: sqlite3.Connection, folders: SeenFolders) -> None:
    """Keep the digests of the folders just scanned: only those that changed are written."""
    if not folders.stored:  # every row was compared (no digests, or they were out of step):
        conn.execute("DELETE FROM folder_digests")  # the found ones are the whole truth
    conn.executemany(
        "DELETE FROM folder_digests WHERE folder = ?",
        [(folder,) for folder in folders.vanished()],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO folder_digests (folder, digest) VALUES (?, ?)",
        [(f, digest) for f, digest in folders.found.items() if folders.stored.get(f) != digest],
    )


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


def _relabel(conn: sqlite3.Connection, table: str, found: dict[str, str]) -> None:
    """Store the labels ``found`` in ``table`` as their wnids."""
    # one statement, whatever the number of labels: the scan table has no index to find them
    conn.execute("CREATE TEMP TABLE relabel (label TEXT PRIMARY KEY, wnid TEXT NOT NULL)")
    try:
        conn.executemany("INSERT INTO temp.relabel VALUES (?, ?)", found.items())
        conn.execute(
            f"UPDATE {table} SET wnid = (SELECT wnid FROM temp.relabel WHERE label = "
            f"{table}.wnid) WHERE wnid IN (SELECT label FROM temp.relabel)"
        )
    finally:
        conn.execute("DROP TABLE temp.relabel")


class _Relabelled(TypedDict):
    relabelled: int
    relabelled_examples: dict[str, str]


def _relabelled(found: dict[str, str]) -> _Relabelled:
    return {"relabelled": len(found), "relabelled_examples": dict(sorted(found.items())[:5])}


# A source's rows: from disk (path, raw_path, label, size, mtime_ns), and outside_root too
# from a folder with an odd name or a link; from a manifest (path, label), or (path, label,
# raw_path, outside_root) in a batch with an odd name (see manifests._stored)
_ROW_COLUMNS = {
    5: ("path", "raw_path", "wnid", "size", "mtime_ns"),
    6: ("path", "raw_path", "wnid", "size", "mtime_ns", "outside_root"),
    2: ("path", "wnid"),
    4: ("path", "wnid", "raw_path", "outside_root"),
}


def _insert(conn: sqlite3.Connection, table: str, batch: Batch) -> None:
    if batch:
        columns = _ROW_COLUMNS[len(batch[0])]
        marks = ",".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)


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


def _rescan(
    db: sqlite_utils.Database,
    scanned: Iterable[Scanned],
    meta: dict[str, str],
    state: JobState,
    as_wnids: AsWnids,
    folders: SeenFolders | None,
) -> ScanFigures:
    """Compare a fresh scan with the catalogue, in SQL, inside one transaction.

    The folders passed over (their digest unchanged) hold the rows the catalogue has:
    nothing of theirs is compared or written. A changed folder that the last scan listed
    is compared with its rows here, and only its new and differing rows go to the scan
    table; every row does without digests (a manifest, an earlier version's catalogue).
    With nothing changed, the label counts and the orders stay as they are.
    """
    conn = db.conn
    conn.execute(
        "CREATE TEMP TABLE scan (path TEXT, raw_path BLOB, wnid TEXT, size INTEGER, "
        "mtime_ns INTEGER, outside_root INTEGER NOT NULL DEFAULT 0)"
    )
    try:
        with db.atomic():
            scan = _start_scan(conn, meta)
            message = f"Rescanning {meta['source']}"
            labels: set[str | None] = set()
            listed = _write_changes(conn, scanned, folders, state, message, labels)
            seen = listed.rows + (folders.unchanged_images if folders is not None else 0)
            # a catalogue with digests has one for every folder that holds a present image
            by_folder = folders is not None and bool(folders.stored)
            # relabelled before the comparison, or every such image would count as changed
            found = as_wnids(labels)
            if found:
                _relabel(conn, "temp.scan", found)
            conn.execute("CREATE INDEX temp.scan_path ON scan (path)")
            repeated = _repeated_paths(conn, "temp.scan")
            if repeated:
                raise _repeated_paths_error(repeated)
            differs = (
                "(i.size IS NOT s.size OR i.mtime_ns IS NOT s.mtime_ns OR i.wnid IS NOT s.wnid "
                "OR i.raw_path IS NOT s.raw_path OR i.outside_root IS NOT s.outside_root)"
            )
            changed, restored = conn.execute(
                f"SELECT coalesce(sum(i.present = 1 AND {differs}), 0), "
                "coalesce(sum(i.present = 0), 0) FROM images i JOIN scan s ON s.path = i.path"
            ).fetchone()
            conn.execute(
                "UPDATE images AS i SET size = s.size, mtime_ns = s.mtime_ns, wnid = s.wnid, "
                "raw_path = s.raw_path, outside_root = s.outside_root, present = 1 "
                f"FROM scan s WHERE s.path = i.path AND (i.present = 0 OR {differs})"
            )
            if folders is not None and by_folder:
                conn.executemany(
                    "UPDATE images SET present = 0 WHERE id = ?", ((i,) for i in listed.gone)
                )
                whole = folders.vanished() + listed.whole  # none of their rows left out
                newly_missing = len(listed.gone) + _mark_missing(conn, whole)
            else:
                newly_missing = conn.execute(
                    "UPDATE images SET present = 0 WHERE present = 1 AND NOT EXISTS "
                    "(SELECT 1 FROM scan s WHERE s.path = images.path)"
                ).rowcount
            added = conn.execute(
                "INSERT INTO images (path, raw_path, wnid, size, mtime_ns, outside_root) "
                "SELECT path, raw_path, wnid, size, mtime_ns, outside_root "
                "FROM scan s WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.path = s.path)"
            ).rowcount
            if by_folder and _present(conn) != seen:
                raise _DigestsOutOfStep  # rolls back: index_catalogue scans again, whole
            figures: ScanFigures = {
                "seen": seen,
                "added": added,
                "changed": changed,
                "restored": restored,
                "newly_missing": newly_missing,
                **_relabelled(found),
            }
            if added or changed or restored or newly_missing or not _has_orders(conn):
                _count_labels(conn)
                write_orders(conn, state)
            if folders is not None:
                _store_digests(conn, folders)
            _finish_scan(conn, scan, meta, figures)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.scan")
    return figures


@dataclass
class _Listed:
    rows: int = 0  # listed in the folders not passed over
    gone: list[int] = field(default_factory=list)  # present images the folders compared lack
    whole: list[str] = field(default_factory=list)  # folders whose rows all went to the table


# A folder with more rows is compared whole in SQL: its rows are not all held in Python.
_FOLDER_ROWS_HELD = 1 << 16


def _write_changes(
    conn: sqlite3.Connection,
    scanned: Iterable[Scanned],
    folders: SeenFolders | None,
    state: JobState,
    message: str,
    labels: set[str | None],
) -> _Listed:
    """Write to the scan table the rows to compare in SQL, reporting progress; stop at a
    cancel. ``labels`` collects their distinct labels."""
    listed = _Listed()
    for folder, batch in scanned:
        if batch is not None:  # None: passed over, its rows are the catalogue's
            listed.rows += len(batch)
            if folder is not None and folders is not None and folder in folders.stored:
                compared = _differing_rows(conn, folder, batch)
                if compared is None:
                    listed.whole.append(folder)
                else:
                    batch, gone = compared
                    listed.gone += gone
            if batch:
                labels.update(map(itemgetter(_ROW_COLUMNS[len(batch[0])].index("wnid")), batch))
                _insert(conn, "temp.scan", batch)
        unchanged = folders.unchanged_images if folders is not None else 0
        state.progress(listed.rows + unchanged, None, message)
        state.check()
    return listed


def _differing_rows(
    conn: sqlite3.Connection, folder: str, batch: Batch
) -> tuple[Batch, list[int]] | None:
    """A changed folder's rows without those the catalogue holds as they are (new, changed
    and missing ones remain), and the ids of its present images that it no longer lists.
    None for a folder too large to hold here: its rows are all compared in SQL.

    Reading a folder's rows to compare them here costs less than writing them all to the
    scan table and joining it: 1.28M files with a change in each of their 1,000 folders,
    9.5 s of CPU for the whole rescan against 13 s.
    """
    if len(batch) > _FOLDER_ROWS_HELD:
        return None
    within: tuple[str, ...] = (folder, folder[:-1] + "0") if folder else ()
    held = conn.execute(
        "SELECT path, raw_path, wnid, size, mtime_ns, outside_root, present, id FROM images "
        "WHERE "
        + ("path >= ? AND path < ? AND " if within else "")
        + "instr(substr(path, ?), '/') = 0",
        (*within, len(folder) + 1),
    ).fetchmany(_FOLDER_ROWS_HELD + 1)
    if len(held) > _FOLDER_ROWS_HELD:
        return None
    by_path = {row[0]: row for row in held}
    differing = []
    for row in cast("Iterable[Any]", batch):  # rows (path, raw_path, label, size, mtime[, out])
        stored = by_path.pop(row[0], None)
        if (
            stored is None
            or not stored[6]  # missing: restored
            or stored[1:5] != row[1:5]
            or stored[5] != (row[5] if len(row) > 5 else 0)
        ):
            differing.append(row)
    return differing, [row[7] for row in by_path.values() if row[6]]


class _DigestsOutOfStep(Exception):
    """A rescan that passed over folders found present images it cannot account for."""


def _mark_missing(conn: sqlite3.Connection, folders: Iterable[str]) -> int:
    """Mark missing the present images directly in ``folders`` (not in their subfolders,
    which have digests of their own) that the scan table does not list. Returns how many.

    A folder's images are a range of the path index: ``a/b/`` up to ``a/b0`` ("0" follows
    "/"), which the root ("") is not: it reads them all.
    """
    newly_missing = 0
    for folder in folders:
        within: tuple[str, ...] = (folder, folder[:-1] + "0") if folder else ()
        newly_missing += conn.execute(
            "UPDATE images SET present = 0 WHERE "
            + ("path >= ? AND path < ? AND " if within else "")
            + "present = 1 AND instr(substr(path, ?), '/') = 0 "
            "AND NOT EXISTS (SELECT 1 FROM scan s WHERE s.path = images.path)",
            (*within, len(folder) + 1),
        ).rowcount
    return newly_missing


def _present(conn: sqlite3.Connection) -> int:
    # both counts read an index: a few ms for 1.3M images
    return int(
        conn.execute(
            "SELECT (SELECT count(*) FROM images) - (SELECT count(*) FROM images WHERE present = 0)"
        ).fetchone()[0]
    )


def _has_orders(conn: sqlite3.Connection) -> bool:
    # a catalogue indexed before the orders existed gets them at its next rescan
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM image_order)").fetchone()[0])


def _write_batches(
    conn: sqlite3.Connection,
    table: str,
    batches: Iterable[Batch],
    state: JobState,
    message: str,
    labels: set[str | None] | None = None,
) -> int:
    """Write every batch into ``table``, reporting progress; stop at a cancel. Returns rows.

    ``labels``, a set, collects the distinct labels: in C, a fifth of the time SQLite takes
    to find them in the table afterwards (3M rows: 0.17 s against 0.8 s).
    """
    seen = 0
    for batch in batches:
        if labels is not None and batch:
            labels.update(map(itemgetter(_ROW_COLUMNS[len(batch[0])].index("wnid")), batch))
        _insert(conn, table, batch)
        seen += len(batch)
        state.progress(seen, None, message)
        state.check()
    return seen


def _repeated_paths(conn: sqlite3.Connection, table: str) -> list[str]:
    rows = conn.execute(f"SELECT path FROM {table} GROUP BY path HAVING count(*) > 1 LIMIT 3")
    return [path for (path,) in rows]


def _repeated_paths_error(paths: list[str]) -> CatalogueError:
    return CatalogueError(
        f"The source lists the same path more than once ({', '.join(paths[:3])}); "
        "fix the manifest and index again."
    )


def _start_scan(conn: sqlite3.Connection, meta: dict[str, str]) -> int:
    scan = conn.execute(
        "INSERT INTO scans (started, layout) VALUES (?, ?)", (_now(), meta["layout"])
    ).lastrowid
    assert scan is not None  # an INSERT's row has an id
    return scan


def _count_labels(conn: sqlite3.Connection) -> None:
    # All images per label from the wnid index alone, minus the missing ones from their own
    # small index: a "WHERE present = 1" would read all 14 million rows of a big catalogue.
    conn.execute("DELETE FROM label_counts")
    conn.execute(
        "INSERT INTO label_counts SELECT wnid, count(*) FROM images INDEXED BY images_wnid "
        "GROUP BY wnid"
    )
    for wnid, missing in conn.execute(
        "SELECT wnid, count(*) FROM images WHERE present = 0 GROUP BY wnid"
    ).fetchall():
        conn.execute("UPDATE label_counts SET images = images - ? WHERE wnid IS ?", (missing, wnid))
    conn.execute("DELETE FROM label_counts WHERE images = 0")


def _finish_scan(
    conn: sqlite3.Connection, scan: int, meta: dict[str, str], figures: ScanFigures
) -> None:
    conn.execute("DELETE FROM meta WHERE key = 'labels'")  # gone after a --relayout
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
    conn.execute(
        "UPDATE scans SET finished = ?, seen = ?, added = ?, changed = ?, restored = ?, "
        "missing = ? WHERE id = ?",
        (
            _now(),
            figures["seen"],
            figures["added"],
            figures["changed"],
            figures["restored"],
            figures["newly_missing"],
            scan,
        ),
    )
