"""Image exports written as they are read (issue 14): on a catalogue stored in many chunks and
read in small windows, every export equals what the rule gives for the whole list at once
(each image under the chosen nodes, given to the most specific, in natural path order)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from pathlib import Path

import pytest
from manifests import write_manifest

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.catalogue import orders as orders_module
from explorer.core.csv_cells import csv_text
from explorer.core.curation import FlagStore, ImageRef, flag_images
from explorer.core.exports import ExportRequest, run_export, select_images
from explorer.core.exports import images as images_module
from explorer.core.jobs import Cancelled, JobState
from explorer.core.text import natural_key, natural_path_key

DOG, CHIHUAHUA, GOLDEN, TENCH = "n02084071", "n02085620", "n02099601", "n01440764"
FISH = "n02512053"
LABELS = [DOG, CHIHUAHUA, GOLDEN, TENCH]


@pytest.fixture
def big(tmp_path, taxonomy, monkeypatch) -> Path:
    """1,000 manifest rows stored in chunks of 64 and read in windows of 50; numbers that
    sort apart as text and as numbers (_2 before _10 only in natural order)."""
    monkeypatch.setattr(orders_module, "CHUNK", 64)
    monkeypatch.setattr(images_module, "WINDOW", 50)
    manifest = write_manifest(tmp_path / "m.csv", LABELS, 1000)
    return index_catalogue(
        manifest, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite"
    ).catalogue


def _expected(taxonomy, chosen: list[str], left_out: set[str] = frozenset()) -> list[dict]:
    """The rule over the whole list: each image to the most specific chosen node over its
    label (here: the deepest), the rows in natural path order."""
    rows = []
    for i in range(1000):
        wnid = LABELS[i % 4]
        path = f"{wnid}/{wnid}_{i}.JPEG"
        hits = [c for c in chosen if c == wnid or wnid in taxonomy.descendants(c)]
        if not hits or path in left_out:
            continue
        winner = max(hits, key=lambda c: taxonomy.node(c)["min_depth"])
        rows.append(
            {"path": path, "wnid": wnid, "class_index": chosen.index(winner), "class_wnid": winner}
        )
    return sorted(rows, key=lambda row: natural_path_key(row["path"]))


def test_an_image_list_over_many_chunks_and_windows_is_the_whole_rule(big, taxonomy, tmp_path):
    chosen = [DOG, CHIHUAHUA, FISH]  # chihuahua is under dog: its images go to chihuahua
    expected = _expected(taxonomy, chosen)
    result = run_export(ExportRequest("images", chosen, str(tmp_path / "i.csv")), taxonomy, big)
    text = (tmp_path / "i.csv").read_text()
    assert text == csv_text(expected, ("path", "wnid", "class_index", "class_wnid"))
    assert text.index(f"{DOG}_4.JPEG") < text.index(f"{DOG}_12.JPEG")  # natural order
    report = result.report
    assert report.rows == 1000 and report.overlaps == 250
    assert report.per_class == {DOG: 500, CHIHUAHUA: 250, FISH: 250}  # dog: dogs and goldens
    # the same bytes on a stream (the command line's stdout), and the txt format
    stream = io.StringIO()
    run_export(ExportRequest("images", chosen), taxonomy, big, stream)
    assert stream.getvalue() == text
    run_export(ExportRequest("images", chosen, str(tmp_path / "i.txt"), "txt"), taxonomy, big)
    lines = (tmp_path / "i.txt").read_text().splitlines()
    assert lines == [f"{row['path']} {row['class_index']}" for row in expected]
    absolute = io.StringIO()
    run_export(ExportRequest("images", [TENCH], fmt="txt", absolute=True), taxonomy, big, absolute)
    first = absolute.getvalue().splitlines()[0]
    assert os.path.isabs(first) and first.endswith(f"{TENCH}_3.JPEG 0")


def test_a_preview_holds_its_first_rows_and_every_count(big, taxonomy, monkeypatch):
    from explorer.core.exports import export as export_module

    monkeypatch.setattr(export_module, "PREVIEW_ROWS", 120)
    result = run_export(ExportRequest("images", [DOG]), taxonomy, big)
    assert result.report.rows == 750
    expected = _expected(taxonomy, [DOG])[:120]
    assert result.text == csv_text(expected, ("path", "wnid", "class_index", "class_wnid"))


def test_flags_leave_images_out_by_path(big, taxonomy):
    flagged = {f"{GOLDEN}/{GOLDEN}_{i}.JPEG" for i in (2, 10, 998)}
    with FlagStore.open_for(big) as store:
        refs = [ImageRef(path) for path in sorted(flagged)]
        store.apply(flag_images(store, refs, "wrong_label").after)
    stream = io.StringIO()
    report = run_export(ExportRequest("images", [DOG]), taxonomy, big, stream).report
    assert report.left_out == {"flagged": 3} and report.rows == 747
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert rows == [
        {k: str(v) for k, v in row.items()} for row in _expected(taxonomy, [DOG], flagged)
    ]
    only = io.StringIO()
    report = run_export(ExportRequest("images", [DOG], flagged="only"), taxonomy, big, only).report
    assert report.left_out == {"not_flagged": 747}
    assert [row["path"] for row in csv.DictReader(io.StringIO(only.getvalue()))] == sorted(
        flagged, key=natural_path_key
    )


def test_balance_keeps_a_seeded_sample_of_each_class(big, taxonomy):
    chosen = [DOG, CHIHUAHUA, TENCH]
    with Catalogue.open(big) as catalogue:
        whole = {
            path: index for path, _, index in select_images(taxonomy, catalogue, chosen).items()
        }
        first = select_images(taxonomy, catalogue, chosen, balance=40, seed=1)
        kept = list(first.items())
        again = list(select_images(taxonomy, catalogue, chosen, balance=40, seed=1).items())
        other = list(select_images(taxonomy, catalogue, chosen, balance=40, seed=2).items())
        loose = list(select_images(taxonomy, catalogue, chosen, balance=1000).items())
    assert kept == again and kept != other
    assert len(loose) == len(whole)  # a cap no class reaches leaves all
    paths = [path for path, _, _ in kept]
    assert paths == sorted(paths, key=natural_path_key)
    assert all(whole[path] == index for path, _, index in kept)
    per_class = [sum(1 for _, _, index in kept if index == i) for i in range(3)]
    assert per_class == [40, 40, 40]
    report = first.report
    assert report.rows == 120 and report.left_out == {"over_balance": 1000 - 120}
    assert report.per_class == dict(zip(chosen, per_class, strict=True))
    # the sample spreads over the class, not its first 40 images
    dogs = sorted((p for p, _, i in kept if i == 0), key=natural_path_key)
    assert natural_path_key(dogs[-1]) > natural_path_key(f"{DOG}/{DOG}_400.JPEG")
    assert report.overlaps == 40  # chihuahua's images are under dog too


def test_superclasses_and_folders_stream_the_same_selection(big, taxonomy, tmp_path):
    chosen = [DOG, FISH]
    run_export(
        ExportRequest("superclasses", chosen, str(tmp_path / "sub"), balance=30), taxonomy, big
    )
    rows = list(csv.DictReader((tmp_path / "sub" / "images.csv").open()))
    assert len(rows) == 60 and [r["path"] for r in rows] == sorted(
        (r["path"] for r in rows), key=natural_path_key
    )
    images = io.StringIO()
    run_export(ExportRequest("images", chosen), taxonomy, big, images)
    report = run_export(
        ExportRequest("folders", chosen, str(tmp_path / "tree"), mode="symlink"), taxonomy, big
    ).report
    assert report.per_class == {DOG: 750, FISH: 250}
    assert sorted(os.listdir(tmp_path / "tree" / FISH), key=natural_key) == [
        row["path"].split("/")[1]
        for row in csv.DictReader(io.StringIO(images.getvalue()))
        if row["class_wnid"] == FISH
    ]


def test_a_long_export_reports_progress_and_can_be_cancelled(big, taxonomy, tmp_path):
    seen: list[tuple[int, int | None]] = []

    class Watched(JobState):
        def progress(self, done: int, total: int | None = None, message: str = "") -> None:
            seen.append((done, total))
            if done >= 500:
                self.cancel()

    with pytest.raises(Cancelled):
        run_export(
            ExportRequest("images", [DOG], str(tmp_path / "d.csv")), taxonomy, big, state=Watched()
        )
    done = [d for d, _total in seen]  # by windows of at most 50, within chunks of 64
    assert {total for _d, total in seen} == {750} and done == sorted(done)
    assert all(0 < b - a <= 50 for a, b in itertools.pairwise(done)) and done[-1] >= 500
    assert not (tmp_path / "d.csv").exists()  # no half a file
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".d.csv")]


def test_flags_are_listed_a_page_at_a_time(big, taxonomy, capsys, monkeypatch):
    """2,500 marked images (flags, two on some, or an OK mark): pages of 1,000 images, the
    same rows as the whole store read at once, and `flags list --json` the same text."""
    from cli_run import ok

    from explorer.core.curation import mark_reviewed, mark_row_pages, mark_rows
    from explorer.core.curation.commands import export_row_pages

    paths = [f"{LABELS[i % 4]}/{LABELS[i % 4]}_{i}.JPEG" for i in range(1000)]
    with FlagStore.open_for(big) as store, Catalogue.open(big) as catalogue:
        store.apply(flag_images(store, [ImageRef(p) for p in paths[:700]], "low_quality").after)
        store.apply(flag_images(store, [ImageRef(p) for p in paths[:200]], "wrong_label").after)
        store.apply(mark_reviewed(store, [ImageRef(p) for p in paths[700:]]).after)
        missing = [ImageRef(f"gone/{i}.JPEG", TENCH) for i in range(1500)]
        store.apply(flag_images(store, missing, "duplicate").after)
        pages = list(export_row_pages(store))
        assert [len({row["path"] for row in page}) for page in pages] == [1000, 1000, 500]
        rows = [row for page in pages for row in page]
        paths = [r["path"] for r in rows]  # natural order: gone/2 before gone/10
        assert len(rows) == 2700 and paths == sorted(paths, key=natural_path_key)
        assert paths.index("gone/2.JPEG") < paths.index("gone/10.JPEG")
        whole = mark_rows(store, catalogue)
        assert [row for page in mark_row_pages(store, catalogue) for row in page] == whole
        assert sum(row["missing"] for row in whole) == 1500
        queue = store.queue_sources()
    out, err = ok(capsys, "flags", "list", "--catalogue", str(big), "--json")
    assert out == json.dumps({"marks": whole, "queue": queue}, ensure_ascii=False, indent=2) + "\n"
    out, err = ok(capsys, "flags", "list", "--catalogue", str(big))
    assert len(out.splitlines()) == 2700
    assert "2,700 marks on 2,500 images (1,500 missing)" in err
