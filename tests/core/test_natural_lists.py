"""Natural name order everywhere names are sorted (issue 14): n01_2 before n01_10 in the
audit report, the duplicates, the missing images, the flags list, its export and the
review queue, as in the grid and the exports."""

from __future__ import annotations

import json

import pytest
from cli_run import run
from hostile_corpus import encode, photo

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.curation import FlagStore, ImageRef, QueueItem, export_rows, flag_images
from explorer.core.images import audit_catalogue, audit_report
from explorer.core.text import natural_path_key

TENCH = "n01440764"
NUMBERS = (10, 2, 1, 33, 100, 9)  # as text: 1, 10, 100, 2, 33, 9


def _name(number: int) -> str:
    return f"{TENCH}/{TENCH}_{number}.JPEG"


def _natural() -> list[str]:
    return [_name(n) for n in sorted(NUMBERS)]


@pytest.fixture
def catalogue_path(tmp_path, taxonomy):
    """Broken JPEGs (truncated), two pairs of duplicates, and files that go missing."""
    folder = tmp_path / "train" / TENCH
    folder.mkdir(parents=True)
    for n in NUMBERS:
        jpeg = encode(photo(), "JPEG", quality=50 + n % 40)
        (folder / f"{TENCH}_{n}.JPEG").write_bytes(jpeg[: len(jpeg) // 2])
    same = encode(photo(), "JPEG")
    for n in (20, 3):
        (folder / f"{TENCH}_dup{n}.JPEG").write_bytes(same)
    path = tmp_path / "c.sqlite"
    index_catalogue(tmp_path / "train", nouns=taxonomy.graph, catalogue=path)
    return path


def test_the_audit_report_and_duplicates_are_in_natural_order(catalogue_path):
    audit_catalogue(catalogue_path, workers=1)
    with Catalogue.open(catalogue_path) as catalogue:
        report = audit_report(catalogue)
        duplicates = list(catalogue.duplicate_paths().values())
    paths = [image["path"] for image in report["images"]]
    assert paths == sorted(paths, key=natural_path_key)
    truncated = [image["path"] for image in report["images"] if "truncated" in image["problems"]]
    assert truncated == _natural()
    assert duplicates == [[f"{TENCH}/{TENCH}_dup3.JPEG", f"{TENCH}/{TENCH}_dup20.JPEG"]]


def test_missing_images_are_listed_in_natural_order(catalogue_path, taxonomy):
    for n in NUMBERS:
        (catalogue_path.parent / "train" / _name(n)).unlink()
    index_catalogue(catalogue_path.parent / "train", nouns=taxonomy.graph, catalogue=catalogue_path)
    with Catalogue.open(catalogue_path) as catalogue:
        assert [path for path, _ in catalogue.missing_images()] == _natural()


def test_flags_their_export_and_the_queue_are_in_natural_order(catalogue_path, capsys):
    with FlagStore.open_for(catalogue_path) as store:
        refs = [ImageRef(_name(n), TENCH) for n in NUMBERS]
        store.apply(flag_images(store, refs, "low_quality").after)
        store.queue_add(QueueItem(_name(n), "test", "", None) for n in NUMBERS)
        assert list(store.states()) == _natural()
        assert [row["path"] for row in export_rows(store)] == _natural()
        assert [entry[0] for entry in store.queue()] == _natural()
    status, out, _ = run(capsys, "flags", "list", "--catalogue", str(catalogue_path), "--json")
    assert status == 0
    assert [mark["path"] for mark in json.loads(out)["marks"]] == _natural()
