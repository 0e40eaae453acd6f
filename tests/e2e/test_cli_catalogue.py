"""The catalogue commands: index, counts, coverage, audit, from the command line."""

from __future__ import annotations

import csv
import io
import json

import not_catalogues
import pytest
from cli_run import run
from hostile_corpus import encode, photo

from explorer.cli import main
from explorer.core.catalogue import Catalogue, resolve_catalogue
from explorer.core.errors import CatalogueError

TENCH, GOLDEN, DOG = "n01440764", "n02099601", "n02084071"


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "train"
    for k, (wnid, count) in enumerate(((TENCH, 3), (GOLDEN, 2))):
        (root / wnid).mkdir(parents=True)
        for i in range(count):
            jpeg = encode(photo(), "JPEG", quality=60 + 10 * k + i)  # distinct bytes
            (root / wnid / f"{wnid}_{i}.JPEG").write_bytes(jpeg)
    jpeg = encode(photo(), "JPEG")
    (root / GOLDEN / "broken.JPEG").write_bytes(jpeg[: len(jpeg) // 2])
    return root


def test_index_counts_coverage_audit(capsys, dataset, tmp_path):
    catalogue = str(tmp_path / "c.sqlite")
    status, out, err = run(capsys, "index", str(dataset), "--catalogue", catalogue, "--json")
    summary = json.loads(out)
    assert status == 0 and summary["images"] == 6 and summary["synsets"] == 2
    assert summary["layout"] == "folders" and summary["added"] == 6
    assert "Indexed" in err  # progress goes to stderr

    status, out, _ = run(capsys, "counts", GOLDEN, DOG, "--catalogue", catalogue, "--json")
    figures = json.loads(out)
    assert figures[GOLDEN] == {"direct": 3, "subtree": 3, "synsets_with_images": 1}
    assert figures[DOG] == {"direct": 0, "subtree": 3, "synsets_with_images": 1}
    status, out, _ = run(capsys, "counts", "--catalogue", catalogue, "--json")
    everything = json.loads(out)
    assert everything["n00001740"]["subtree"] == 6 and TENCH in everything

    status, out, err = run(
        capsys, "coverage", "--catalogue", catalogue, "--under", "n02099029", "--min", "5"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and {r["wnid"] for r in rows} >= {GOLDEN, "n02099712"}
    assert {r["status"] for r in rows} == {"thin", "empty"}
    assert "synsets judged:" in err and "covered" in err
    output = tmp_path / "gaps.json"
    status, out, err = run(
        capsys, "coverage", "--catalogue", str(dataset), "--format", "json", "-o", str(output),
        "--under", DOG,
    )  # fmt: skip
    assert (status, out) == (1, "")  # the dataset was indexed into c.sqlite, not its default
    assert f"{dataset} has not been indexed yet: run `wnexplorer index {dataset}`" in err

    status, out, _ = run(capsys, "audit", "--catalogue", catalogue, "--json")
    report = json.loads(out)
    problems = {i["path"]: i["problems"] for i in report["images"]}
    assert problems == {f"{GOLDEN}/broken.JPEG": ["truncated"]}
    assert report["summary"]["this_run"]["checked"] == 6


def test_dataset_folder_finds_its_default_catalogue(capsys, dataset):
    status, out, _ = run(capsys, "index", str(dataset))
    assert status == 0 and "Images:    6 on 2 synsets" in out
    status, out, _ = run(capsys, "counts", TENCH, "--catalogue", str(dataset))
    assert status == 0 and f"{TENCH}" in out and "tench.n.01" in out


def test_coverage_of_targets_writes_a_file(capsys, dataset, tmp_path):
    catalogue = str(tmp_path / "c.sqlite")
    run(capsys, "index", str(dataset), "--catalogue", catalogue)
    targets = tmp_path / "targets.txt"
    targets.write_text(f"{TENCH}\n{GOLDEN}\n{DOG}\nn99999999\n")
    output = tmp_path / "gaps.json"
    status, _, err = run(
        capsys, "coverage", "--catalogue", catalogue, "--targets", str(targets), "--basis",
        "direct", "--min", "3", "--format", "json", "-o", str(output),
    )  # fmt: skip
    payload = json.loads(output.read_text())
    statuses = {r["wnid"]: r["status"] for r in payload["rows"]}
    assert status == 0 and statuses == {DOG: "empty", "n99999999": "not_in_wordnet"}
    assert payload["summary"]["judged"] == 4 and payload["summary"]["ok"] == 2  # tench, golden
    assert f"Wrote {output}" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["counts", "--catalogue", "/nonexistent.sqlite"], "No such file or folder"),
        (["index", "/nonexistent"], "does not exist"),
        (["coverage", "--catalogue", "/nonexistent.sqlite", "--sort", "bogus"], "--sort"),
    ],
)
def test_catalogue_errors_are_one_line(capsys, args, needle):
    status, out, err = run(capsys, *args)
    assert status in (1, 2) and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_an_indexed_list_opens_by_its_own_name(capsys, tmp_path):
    listing = tmp_path / "train_cls.lst"  # any file `index` takes as a manifest
    listing.write_text(f"a.JPEG,{TENCH}\nb.JPEG,{GOLDEN}\n")
    status, out, err = run(capsys, "counts", TENCH, "--catalogue", listing)
    assert (status, out) == (1, "")
    command = f"wnexplorer index {listing}"
    assert err == f"wnexplorer: error: {listing} has not been indexed yet: run `{command}`.\n"
    run(capsys, "index", listing)
    status, out, _ = run(capsys, "counts", TENCH, "--catalogue", listing)
    assert status == 0 and "tench.n.01" in out


@pytest.mark.parametrize("case", list(not_catalogues.CASES))
def test_catalogue_option_says_what_the_path_is(capsys, tmp_path, case):
    """The one line the core's message makes, and the file left as it was."""
    given = not_catalogues.make(case, tmp_path)
    before = not_catalogues.snapshot(tmp_path)
    with pytest.raises(CatalogueError) as core:
        Catalogue.open(resolve_catalogue(given))
    status, out, err = run(capsys, "counts", "--catalogue", given)
    assert (status, out, err) == (1, "", f"wnexplorer: error: {core.value}\n")
    assert not_catalogues.snapshot(tmp_path) == before


@pytest.mark.parametrize("case", ["under a file", "cache is a file"])
def test_an_unusable_data_folder_is_one_line(capsys, tmp_path, case):
    (tmp_path / "file").write_text("x")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cache").write_text("x")
    data_dir, reason = {
        "under a file": (tmp_path / "file" / "sub", "Not a directory"),
        "cache is a file": (tmp_path / "data", f"{tmp_path / 'data' / 'cache'} is a file"),
    }[case]
    status, out, err = run(capsys, "--data-dir", data_dir, "stats")
    assert (status, out) == (1, "")
    assert err == (
        f"wnexplorer: error: Cannot use {data_dir} as the data folder: {reason}; choose another "
        "with --data-dir or WNEXPLORER_DATA_DIR.\n"
    )


def test_an_unexpected_os_error_is_one_line_but_a_bug_is_not_hidden(capsys, monkeypatch):
    import explorer.core.taxonomy

    def fail(*_args):
        raise PermissionError(13, "Permission denied", "/srv/shared/x.sqlite")

    monkeypatch.setattr(explorer.core.taxonomy, "load_taxonomy", fail)
    assert run(capsys, "stats") == (
        1,
        "",
        "wnexplorer: error: Permission denied: /srv/shared/x.sqlite\n",
    )

    def bug(*_args):
        raise ValueError("a programming error")

    monkeypatch.setattr(explorer.core.taxonomy, "load_taxonomy", bug)
    with pytest.raises(ValueError, match="a programming error"):
        main(["stats"])
