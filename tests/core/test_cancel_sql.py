"""A cancel reaches SQLite (issue 14): a listing stopped while a query runs ends at once with
the job's cancelled outcome, whatever the query (Catalogue.cancelled_by)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from manifests import write_manifest

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.catalogue import orders as orders_module
from explorer.core.catalogue.listing import list_images
from explorer.core.errors import Cancelled, CatalogueError
from explorer.core.jobs import JobState
from explorer.core.workspace import ListingJob

# A query that runs for minutes unless interrupted (counts to 10**9)
ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)


@pytest.fixture(scope="module")
def chunked(tmp_path_factory, taxonomy):
    """6,000 images over four synsets, stored in chunks of 512."""
    folder = tmp_path_factory.mktemp("chunked")
    wnids = ["n02084071", "n02085620", "n02099601", "n01440764"]
    manifest = write_manifest(folder / "m.csv", wnids, 6000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(orders_module, "CHUNK", 512)
        summary = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=folder / "c.sqlite")
    return summary.catalogue


class CancelledInsideSQLite(JobState):
    """The user cancels while SQLite works: the first time the query asks (through the
    progress handler, which reads ``cancelled``), the cancel is there. ``check`` between
    units of work does not see it before."""

    def __init__(self) -> None:
        super().__init__()
        self.asked_by_sqlite = False

    @property
    def cancelled(self) -> bool:
        if not self.asked_by_sqlite:
            self.asked_by_sqlite = True
            self.cancel()
        return True


def test_a_cancel_during_a_filter_query_stops_the_listing(chunked):
    paths = [f"n01440764/n01440764_{i}.JPEG" for i in range(3, 6000, 4)]
    state = CancelledInsideSQLite()
    with Catalogue.open(chunked) as catalogue:
        with pytest.raises(Cancelled) as stopped:
            list_images(catalogue, ["n01440764"], keep="not_reviewed", curated=paths, state=state)
        assert state.asked_by_sqlite
        cause = stopped.value.__cause__
        assert isinstance(cause, sqlite3.OperationalError | CatalogueError)
        assert "interrupt" in str(cause)
        # the connection is usable afterwards, without the handler
        assert len(list_images(catalogue, ["n01440764"], keep="not_reviewed", curated=paths)) == 0


def test_a_listing_job_cancelled_in_an_endless_query_ends(chunked, monkeypatch):
    """Without the interrupt this job would run for minutes: the cancel ends it."""
    started = threading.Event()
    real = Catalogue.order_labels

    def slow_labels(self):
        started.set()
        self._db.execute(ENDLESS).fetchone()
        return real(self)

    monkeypatch.setattr(Catalogue, "order_labels", slow_labels)
    job = ListingJob(str(chunked), ["n01440764"], generation=1)
    state = JobState()
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(job.run(state))
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert started.wait(30)
    state.cancel()
    worker.join(60)
    assert not worker.is_alive()
    assert len(outcome) == 1 and type(outcome[0]) is Cancelled


def test_an_error_that_is_not_a_cancel_stays_an_error(chunked, monkeypatch):
    def broken(self):
        self._db.execute("SELECT * FROM no_such_table").fetchone()

    monkeypatch.setattr(Catalogue, "order_labels", broken)
    catalogue = Catalogue.open(chunked)
    with catalogue, pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        list_images(catalogue, ["n01440764"], state=JobState())
