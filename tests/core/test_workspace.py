"""The Workspace without Qt: the session's state and its events, on the real taxonomy and a
small generated catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hostile_corpus import encode, photo

from explorer.core import JobState, Workspace
from explorer.core.catalogue import index_catalogue
from explorer.core.curation import EMPTY, QueueItem
from explorer.core.errors import CatalogueError, StoreError

GOLDEN, LABRADOR, RETRIEVER, DOG = "n02099601", "n02099712", "n02099029", "n02084071"
ENTITY, TENCH = "n00001740", "n01440764"
EVENTS = (
    "taxonomy_loaded",
    "catalogue_opened",
    "catalogue_closed",
    "counts_changed",
    "curation_changed",
    "selection_changed",
    "scope_changed",
    "threshold_changed",
    "queue_changed",
    "listing_changed",
    "images_listed",
)


def _picture(folder, name: str, i: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(encode(photo((90 + 8 * i, 70)).rotate(17 * i), "JPEG"))


@pytest.fixture
def dataset(tmp_path):
    """4 golden retrievers and 2 Labradors, in folders; the catalogue beside them."""
    root = tmp_path / "train"
    for wnid, count in ((GOLDEN, 4), (LABRADOR, 2)):
        for i in range(count):
            _picture(root / wnid, f"{wnid}_{i}.JPEG", i)
    return root


@pytest.fixture
def catalogue_path(dataset, taxonomy, tmp_path):
    return index_catalogue(dataset, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite").catalogue


class Recorder:
    """Every event a Workspace emits, in order, as (name, args)."""

    def __init__(self, workspace: Workspace) -> None:
        self.events: list[tuple[str, tuple]] = []
        for name in EVENTS:
            getattr(workspace, name).connect(
                lambda *args, name=name: self.events.append((name, args))
            )

    def names(self) -> list[str]:
        names = [name for name, _args in self.events]
        self.events.clear()
        return names

    def take(self) -> list[tuple[str, tuple]]:
        events, self.events = self.events, []
        return events


@pytest.fixture
def workspace(taxonomy, session_data_dir):
    ws = Workspace(session_data_dir)
    ws.set_taxonomy(taxonomy)
    yield ws
    ws.close()


def _list(ws: Workspace) -> list:
    """Run the listing job here, as a worker would, and hand back its answer."""
    job = ws.listing_job()
    assert job is not None
    listing = job.run(JobState())
    assert ws.set_listed(job, listing)
    return ws.rows_at(0, len(listing))


def test_the_workspace_module_imports_no_qt_and_nothing_heavy():
    import subprocess

    script = (
        "import sys\n"
        "from explorer.core import Workspace\n"
        "print(sorted(m for m in ('PySide6', 'numpy', 'networkx', 'PIL') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_open_and_close_a_catalogue(taxonomy, session_data_dir, catalogue_path):
    ws = Workspace(session_data_dir)
    events = Recorder(ws)
    ws.open_catalogue(catalogue_path)  # before the taxonomy: nothing to count on yet
    assert events.names() == ["catalogue_opened"]
    assert ws.store is not None and ws.writable and ws.undo_stack is not None
    assert ws.counts is None

    ws.set_taxonomy(taxonomy)
    assert events.names() == ["taxonomy_loaded", "counts_changed", "listing_changed"]
    assert ws.counts.of(GOLDEN)["direct"] == 4
    assert ws.counts.of(RETRIEVER)["subtree"] == 6
    assert ws.listing_job() is None  # nothing selected

    store = ws.store
    ws.close_catalogue()
    assert events.names() == ["catalogue_closed", "counts_changed", "listing_changed"]
    assert ws.catalogue is ws.store is ws.counts is ws.undo_stack is None
    assert store.db is None or not ws.writable
    ws.close_catalogue()  # again: nothing to say
    assert events.names() == []


def test_opening_another_catalogue_replaces_the_open_one(workspace, catalogue_path, tmp_path):
    workspace.open_catalogue(catalogue_path)
    events = Recorder(workspace)
    other = tmp_path / "other"
    _picture(other / TENCH, "tench.JPEG", 1)
    nouns = workspace.taxonomy.graph
    path = index_catalogue(other, nouns=nouns, catalogue=tmp_path / "o").catalogue
    workspace.open_catalogue(path)
    # the old one's counts are not announced as gone: the new ones follow at once
    assert events.names() == [
        "catalogue_closed",
        "catalogue_opened",
        "counts_changed",
        "listing_changed",
    ]
    assert workspace.counts.of(TENCH)["direct"] == 1 and workspace.counts.of(GOLDEN)["direct"] == 0


def test_a_catalogue_that_cannot_be_opened_changes_nothing(workspace, catalogue_path, tmp_path):
    workspace.open_catalogue(catalogue_path)
    events = Recorder(workspace)
    (tmp_path / "notes.txt").write_text("not a catalogue\n")
    with pytest.raises(CatalogueError):
        workspace.open_catalogue(tmp_path / "notes.txt")
    assert events.names() == [] and workspace.catalogue.path == Path(catalogue_path).resolve()


def test_selection_scope_threshold_and_the_listing(workspace, catalogue_path):
    workspace.open_catalogue(catalogue_path)
    events = Recorder(workspace)
    assert workspace.select(RETRIEVER)
    (name, (wnid, path)), relisted = events.take()
    assert (name, wnid, relisted[0]) == ("selection_changed", RETRIEVER, "listing_changed")
    assert path == tuple(workspace.taxonomy.paths_to_root(RETRIEVER)[0]) and path[0] == ENTITY
    assert workspace.select(RETRIEVER)  # the same again: no events
    assert not workspace.select("n99999999")
    assert events.names() == []

    assert workspace.scope == "subtree"
    assert len(_list(workspace)) == 6  # golden and Labrador, each once
    assert events.names() == ["images_listed"]

    stale = workspace.listing_job()
    workspace.set_scope("direct")
    assert events.names() == ["scope_changed", "listing_changed"]
    assert not workspace.set_listed(stale, stale.run())  # asked for before the scope changed
    assert events.names() == [] and workspace.listed is None
    assert _list(workspace) == []  # the retriever itself has no images of its own
    with pytest.raises(ValueError):
        workspace.set_scope("everything")
    assert events.names() == ["images_listed"]

    other = workspace.taxonomy.paths_to_root(GOLDEN)[1]  # golden retriever has two paths
    assert workspace.select(GOLDEN, other) and workspace.current_path == tuple(other)
    assert len(_list(workspace)) == 4

    workspace.set_threshold(3)
    workspace.set_threshold(3)
    assert events.names() == [
        "selection_changed",
        "listing_changed",
        "images_listed",
        "threshold_changed",
    ]


def test_a_flag_command_its_undo_and_redo(workspace, catalogue_path):
    workspace.open_catalogue(catalogue_path)
    workspace.select(GOLDEN)
    rows = _list(workspace)
    assert workspace.curation_counts()[0].of(GOLDEN)["subtree"] == 0
    events = Recorder(workspace)
    refs = workspace.image_refs(rows[:2])
    command = workspace.flag(refs, "duplicate", curator="tester")
    ((name, (before, after, message)),) = events.take()
    assert (name, message) == ("curation_changed", "Flagged 2 images: duplicate")
    assert before == {ref.path: EMPTY for ref in refs}
    assert {path: state.reasons for path, state in after.items()} == {
        ref.path: ("duplicate",) for ref in refs
    }
    assert after == command.after and workspace.states == after
    assert workspace.store.state(refs[0].path).flags[0].curator == "tester"
    flagged, reviewed = workspace.curation_counts()
    assert flagged.of(GOLDEN)["subtree"] == 2 and flagged.of(DOG)["subtree"] == 2
    assert reviewed.of(RETRIEVER)["subtree"] == 2

    assert workspace.undo() is command
    ((name, (before, after, message)),) = events.take()
    assert message == "Undone: Flag 2 images: duplicate"
    assert before == command.after and after == command.before  # from the flags back
    assert workspace.states == {} and workspace.store.states() == {}
    assert workspace.curation_counts()[0].of(GOLDEN)["subtree"] == 0
    assert workspace.undo() is None and events.names() == []

    assert workspace.redo() is command
    ((_name, (before, after, message)),) = events.take()
    assert (before, after, message) == (command.before, command.after, f"Redone: {command.label}")

    workspace.mark_reviewed(refs[:1])  # OK removes its flags
    workspace.clear(refs)
    assert events.names() == ["curation_changed", "curation_changed"]
    assert workspace.states == {} and workspace.undo_stack.undo_label.startswith("Clear flags")


def test_without_a_store_commands_are_refused(workspace):
    with pytest.raises(StoreError):
        workspace.flag([], "duplicate")
    assert workspace.undo() is None and workspace.curation_counts() == (None, None)


def test_rows_of_a_closed_catalogue_have_no_refs(workspace, catalogue_path):
    """They were an AttributeError from deep inside ImageRef.from_row."""
    workspace.open_catalogue(catalogue_path)
    workspace.select(GOLDEN)
    rows = _list(workspace)
    workspace.close_catalogue()
    with pytest.raises(CatalogueError, match="No catalogue is open"):
        workspace.image_refs(rows)
    assert workspace.image_refs([]) == []


def test_counts_change_after_a_rescan(workspace, dataset, catalogue_path):
    workspace.open_catalogue(catalogue_path)
    events = Recorder(workspace)
    _picture(dataset / LABRADOR, "new.JPEG", 5)
    index_catalogue(dataset, nouns=workspace.taxonomy.graph, catalogue=catalogue_path)  # a job
    workspace.recount()
    (name, (counts,)), relisted = events.take()
    assert (name, relisted[0]) == ("counts_changed", "listing_changed")
    assert counts is workspace.counts and counts.of(LABRADOR)["direct"] == 3
    assert counts.of(RETRIEVER)["subtree"] == 7


def test_the_review_queue(workspace, catalogue_path):
    workspace.open_catalogue(catalogue_path)
    workspace.select(LABRADOR)
    rows = _list(workspace)
    events = Recorder(workspace)
    assert workspace.show_queue() is None  # nothing queued: nothing changes
    assert events.names() == []
    first, second = rows[0].path, rows[1].path
    workspace.store.queue_add(
        [
            QueueItem(first, "cleanlab", "a cat?", "n02123045"),
            QueueItem(first, "mine", "blurred", None),
            QueueItem(second, "mine", "tilted", None),
            QueueItem("gone/away.JPEG", "mine", "not in the catalogue", None),
        ]
    )
    assert workspace.show_queue() == (2, 1)
    (name, (queue,)), (listed, (shown,)) = events.take()
    assert (name, listed) == ("queue_changed", "images_listed")
    assert queue[first].note == "[cleanlab] a cat?\n[mine] blurred"
    assert queue[first].suggested_wnid == "n02123045"
    assert [row.path for row in workspace.rows_at(0, len(shown))] == [first, second]  # its order
    assert workspace.listing_job() is None  # the queue is what is listed

    workspace.select(GOLDEN)  # another synset leaves the queue
    assert events.names() == ["selection_changed", "queue_changed", "listing_changed"]
    assert workspace.queue is None
    workspace.show_queue()
    workspace.set_arrangement("size", "all")  # the queue keeps its order, and stays
    assert workspace.queue is not None and workspace.sort == "size"
    workspace.leave_queue()
    assert events.names() == ["queue_changed", "images_listed", "queue_changed", "listing_changed"]


def test_the_listing_is_sorted_and_filtered_by_the_workspace(workspace, catalogue_path):
    workspace.open_catalogue(catalogue_path)
    workspace.select(GOLDEN)
    workspace.set_scope("subtree")
    total = workspace.listing_total()
    rows = _list(workspace)
    assert total == len(rows) == len(workspace.listed)  # known before the job ran
    workspace.set_arrangement("size", "all")
    by_size = _list(workspace)
    assert [r.size for r in by_size] == sorted(r.size for r in rows)
    assert workspace.row_at(len(rows)) is None
    last = by_size[-1]
    assert workspace.position_of(last.path) == len(rows) - 1
    workspace.flag(workspace.image_refs([last]), "duplicate")
    workspace.set_arrangement("size", "flagged")
    assert workspace.listing_total() is None  # a filter: known once listed
    assert [r.path for r in _list(workspace)] == [last.path]
    assert workspace.listed_among([last.path, by_size[0].path]) == {last.path}
    workspace.set_arrangement("name", "not_reviewed")
    assert len(_list(workspace)) == len(rows) - 1
    with pytest.raises(ValueError, match="Unknown sort"):
        workspace.set_arrangement("colour", "all")  # type: ignore[arg-type]
