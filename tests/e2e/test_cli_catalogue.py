"""The catalogue commands: index, counts, coverage, audit, from the command line."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sqlite3

import not_catalogues
import pytest
from cli_run import run
from hostile_corpus import encode, photo
from read_only import make_read_only

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
        capsys,
        "coverage",
        "--catalogue",
        str(dataset),
        "--format",
        "json",
        "-o",
        str(output),
        "--under",
        DOG,
    )
    assert (status, out) == (1, "")  # the dataset was indexed into c.sqlite, not its default
    assert f"{dataset} has not been indexed yet: run `wnexplorer index {dataset}`" in err

    status, out, _ = run(capsys, "audit", "--catalogue", catalogue, "--json")
    report = json.loads(out)
    problems = {i["path"]: i["problems"] for i in report["images"]}
    assert problems == {f"{GOLDEN}/broken.JPEG": ["truncated"]}
    assert report["summary"]["this_run"]["checked"] == 6


def test_dataset_folder_finds_its_default_catalogue(capsys, dataset):
    status, out, _ = run(capsys, "index", str(dataset))
    assert status == 0 and "Images:    6 images on 2 synsets" in out
    status, out, _ = run(capsys, "counts", TENCH, "--catalogue", str(dataset))
    assert status == 0 and f"{TENCH}" in out and "tench.n.01" in out


def test_coverage_of_targets_writes_a_file(capsys, dataset, tmp_path):
    catalogue = str(tmp_path / "c.sqlite")
    run(capsys, "index", str(dataset), "--catalogue", catalogue)
    targets = tmp_path / "targets.txt"
    targets.write_text(f"{TENCH}\n{GOLDEN}\n{DOG}\nn99999999\n")
    output = tmp_path / "gaps.json"
    status, _, err = run(
        capsys,
        "coverage",
        "--catalogue",
        catalogue,
        "--targets",
        str(targets),
        "--basis",
        "direct",
        "--min",
        "3",
        "--format",
        "json",
        "-o",
        str(output),
    )
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
    import explorer.core.wordnet.taxonomy

    def fail(*_args):
        raise PermissionError(13, "Permission denied", "/srv/shared/x.sqlite")

    monkeypatch.setattr(explorer.core.wordnet.taxonomy, "load_taxonomy", fail)
    assert run(capsys, "stats") == (
        1,
        "",
        "wnexplorer: error: Permission denied: /srv/shared/x.sqlite\n",
    )

    def bug(*_args):
        raise ValueError("a programming error")

    monkeypatch.setattr(explorer.core.wordnet.taxonomy, "load_taxonomy", bug)
    with pytest.raises(ValueError, match="a programming error"):
        main(["stats"])


def test_index_summary_words(capsys, tmp_path):
    root = tmp_path / "data"
    (root / TENCH).mkdir(parents=True)
    (root / "misc").mkdir()
    jpeg = encode(photo(), "JPEG")
    (root / TENCH / "a.JPEG").write_bytes(jpeg)
    (root / "misc" / "b.JPEG").write_bytes(jpeg)
    (root / "misc" / "notes.txt").write_text("not an image")
    status, out, err = run(capsys, "index", str(root), "--catalogue", tmp_path / "c.sqlite")
    assert status == 0
    assert "Images:    2 images on 1 synset\n" in out
    assert "  misc/b.JPEG  (no label)\n" in out and "None" not in out
    assert "Skipped:   1 non-image file; 0 images could not be stat'ed; 0 unreadable folders" in out
    assert ": 0\n" not in err  # no count of nothing before the job starts
    (root / TENCH / "a.JPEG").unlink()
    status, out, _ = run(capsys, "index", str(root), "--catalogue", tmp_path / "c.sqlite")
    assert "Images:    1 image on 0 synsets\n" in out
    assert "Missing:   1 image listed before is no longer found\n" in out


# --- bad input: each a one-line error before anything is written, or a summary that says ---

JPEG = encode(photo(), "JPEG")


def _val_folder(tmp_path, numbers) -> str:
    root = tmp_path / "val"
    root.mkdir()
    for number in numbers:
        (root / f"ILSVRC2012_val_{number:08d}.JPEG").write_bytes(JPEG)
    return str(root)


def _non_utf8_manifest(tmp_path, shared):
    try:
        (tmp_path / os.fsdecode(b"caf\xe9.JPEG")).write_bytes(JPEG)
    except OSError as exc:
        pytest.skip(f"this file system refuses names that are not UTF-8: {exc}")
    (tmp_path / "latin1.csv").write_bytes(b"caf\xe9.JPEG,n02084071\n")
    return [tmp_path / "latin1.csv"], 0, "Images:    1 image on 1 synset\n"


def _wnid_list(tmp_path, shared):
    wnids = shared() / "ilsvrc2012" / "imagenet_synsets.txt"
    return [wnids, "--layout", "manifest"], 1, "looks like a list of wnids"


def _reversed_header(tmp_path, shared):
    (tmp_path / "m.csv").write_text(f"wnid,path\n{DOG},a.JPEG\n{TENCH},b.JPEG\n")
    return [tmp_path / "m.csv"], 0, "Images:    2 images on 2 synsets\n"


def _label_forms(tmp_path, shared):
    (tmp_path / "m.csv").write_text(f"path,label\na.JPEG,dog.n.01\nb.JPEG,2084071\nc.JPEG,{DOG}\n")
    read = "Read as:   2 labels given as an offset or synset name, stored as wnids: "
    return [tmp_path / "m.csv"], 0, read + f"2084071 → {DOG}, dog.n.01 → {DOG}\n"


def _json_as_labels(tmp_path, shared):
    mturk = shared() / "known-issues" / "imagenet_mturk.json"
    return [_val_folder(tmp_path, (1, 2)), "--labels", mturk], 1, "is JSON, not one wnid per line"


def _short_label_file(tmp_path, shared):
    real = (shared() / "ilsvrc2012" / "validation_synset_labels.txt").read_text().split()
    (tmp_path / "five.txt").write_text("\n".join(real[:5]))
    val = _val_folder(tmp_path, range(1, 13))
    warning = "Warning:   5 labels in {} for files numbered up to 12: 7 images have no label"
    return [val, "--labels", tmp_path / "five.txt"], 0, warning.format(tmp_path / "five.txt")


def _val_catalogue(tmp_path, shared) -> str:
    labels = shared() / "ilsvrc2012" / "validation_synset_labels.txt"
    val = _val_folder(tmp_path, (1, 2, 3))
    args = ["index", val, "--catalogue", str(tmp_path / "c.sqlite"), "--labels", str(labels)]
    assert main(args) == 0
    return val


def _wrong_layout_on_rescan(tmp_path, shared):
    val = _val_catalogue(tmp_path, shared)
    return [val, "--layout", "flat"], 1, "in the ilsvrc-val layout; rescanning it as flat would"


def _rescan_without_labels(tmp_path, shared):
    val = _val_catalogue(tmp_path, shared)
    labels = shared() / "ilsvrc2012" / "validation_synset_labels.txt"
    return [val], 0, f"Labels:    {labels} (the last scan's; --labels FILE gives another)\n"


def _unterminated_quote(tmp_path, shared):
    rows = f'path,wnid\na.JPEG,{DOG}\n"b.JPEG,{DOG}\nc.JPEG,{DOG}\nd.JPEG,{DOG}\n'
    (tmp_path / "m.csv").write_text(rows)  # b's quote would swallow c and d into one path
    return [tmp_path / "m.csv"], 1, "has a quoted field that runs over several lines, near line"


def _utf16_manifest(tmp_path, shared):
    text = f"path\twnid\nä.JPEG\t{DOG}\nb.JPEG\t{TENCH}\n"  # a spreadsheet's "Unicode text"
    (tmp_path / "m.txt").write_text(text, encoding="utf-16")
    return [tmp_path / "m.txt", "--layout", "manifest"], 0, "Images:    2 images on 2 synsets\n"


def _utf16_manifest_without_bom(tmp_path, shared):
    (tmp_path / "m.csv").write_bytes(f"path,wnid\na.JPEG,{DOG}\n".encode("utf-16-be"))
    return [tmp_path / "m.csv"], 0, "Images:    1 image on 1 synset\n"


def _binary_manifest(tmp_path, shared):
    (tmp_path / "m.csv").write_bytes(bytes(range(256)) * 8)
    return [tmp_path / "m.csv"], 1, "is not text (it holds NUL bytes)"


@pytest.mark.parametrize(
    "case",
    [
        _non_utf8_manifest,
        _unterminated_quote,
        _utf16_manifest,
        _utf16_manifest_without_bom,
        _binary_manifest,
        _wnid_list,
        _reversed_header,
        _label_forms,
        _json_as_labels,
        _short_label_file,
        _wrong_layout_on_rescan,
        _rescan_without_labels,
    ],
    ids=lambda case: case.__name__.strip("_").replace("_", "-"),
)
def test_bad_input_is_refused_or_reported(capsys, request, tmp_path, case):
    """Each case gives the index arguments, the exit status and what the output must say."""
    args, expected, needle = case(tmp_path, lambda: request.getfixturevalue("shared_data"))
    catalogue = tmp_path / "c.sqlite"
    before = _dump(catalogue)
    capsys.readouterr()
    status, out, err = run(capsys, "index", *args, "--catalogue", catalogue)
    assert status == expected, err
    if status == 0:
        assert needle in out and "Traceback" not in err
    else:
        # one error line; a fault found mid-file follows the progress line of the index
        errors = [line for line in err.splitlines() if not line.startswith("Indexing ")]
        assert out == "" and len(errors) == 1 and needle in errors[0]
        assert _dump(catalogue) == before, "a refused index writes nothing"


def _dump(catalogue) -> list[str] | None:
    if not catalogue.exists():
        return None
    with contextlib.closing(sqlite3.connect(catalogue)) as db:
        return list(db.iterdump())


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("text file", "writes only to a new file or to a catalogue of its own"),
        ("JPEG image", "(it looks like a JPEG image); `wnexplorer index` writes only"),
        ("empty file", "(it is empty); `wnexplorer index` writes only"),
        ("foreign SQLite", "not a WordNet Explorer catalogue"),
    ],
)
def test_index_never_writes_into_a_file_that_is_not_its_catalogue(
    capsys, dataset, tmp_path, case, needle
):
    folder = tmp_path / "given"
    folder.mkdir()
    given = not_catalogues.make(case, folder)
    before = not_catalogues.snapshot(folder)
    status, out, err = run(capsys, "index", dataset, "--catalogue", given)
    assert status == 1 and out == "" and needle in err and len(err.splitlines()) == 1, err
    assert "wnexplorer index " + str(given) not in err  # not the advice to index that file
    assert not_catalogues.snapshot(folder) == before


def test_read_only_catalogue_reads_and_refuses_writes_in_one_line(
    capsys, dataset, tmp_path, request
):
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    catalogue = shelf / "c.sqlite"
    run(capsys, "index", dataset, "--catalogue", catalogue)
    make_read_only(shelf, request)
    status, out, err = run(capsys, "counts", TENCH, "--catalogue", catalogue)
    assert status == 0 and "tench.n.01" in out, err
    status, out, err = run(capsys, "export", "images", TENCH, "--catalogue", catalogue)
    assert status == 0 and len(out.splitlines()) == 4, err  # the header and 3 tench images
    status, out, err = run(capsys, "flags", "list", "--catalogue", catalogue)
    assert status == 0 and out == "", err  # no store yet, and none can be made: no flags
    for command in (["audit"], ["index", dataset]):
        status, out, err = run(capsys, *command, "--catalogue", catalogue)
        assert status == 1 and out == "" and len(err.splitlines()) == 1
        assert f"The catalogue {catalogue} is read-only" in err, err


def test_coverage_priority_order_and_leaves_only(capsys, dataset, tmp_path):
    """`--sort priority`: the target WordNet lacks, then the empty synsets among covered
    siblings; `--leaves-only` lists leaves alone."""
    catalogue = str(tmp_path / "c.sqlite")
    run(capsys, "index", str(dataset), "--catalogue", catalogue)
    arguments = ["--catalogue", catalogue, "--under", "n02099029", "--min", "5"]
    status, out, _ = run(capsys, "coverage", *arguments, "--sort", "priority")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and rows[0]["status"] == "empty" and int(rows[0]["siblings_with_images"])
    assert rows[0]["wnid"] not in (GOLDEN, "n02099712")
    lonely = [i for i, r in enumerate(rows) if not int(r["siblings_with_images"])]
    assert all(i > 0 for i in lonely)
    status, out, _ = run(
        capsys, "coverage", "--catalogue", catalogue, "--under", DOG, "--leaves-only", "--all"
    )
    leaves = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and leaves and {r["leaf"] for r in leaves} == {"True"}
    assert GOLDEN in {r["wnid"] for r in leaves} and DOG not in {r["wnid"] for r in leaves}


def test_audit_on_a_local_dask_cluster_and_its_errors(capsys, dataset, tmp_path):
    """`audit --workers 2`: a local Dask cluster gives the in-process report; a scheduler
    that does not answer, and options that do not go together, are one-line errors."""
    import socket

    pytest.importorskip("distributed", reason="the Dask distributed package is not installed")
    here, there = str(tmp_path / "here.sqlite"), str(tmp_path / "there.sqlite")
    run(capsys, "index", str(dataset), "--catalogue", here)
    run(capsys, "index", str(dataset), "--catalogue", there)
    status, expected, _ = run(capsys, "audit", "--catalogue", here, "--json", "--processes", "1")
    status, out, err = run(capsys, "audit", "--catalogue", there, "--json", "--workers", "2")
    assert status == 0 and "on a local Dask cluster of 2 processes" in err
    got, want = json.loads(out), json.loads(expected)
    for report in (got, want):
        report["summary"]["this_run"].pop("seconds")
    assert got["images"] == want["images"] and got["summary"] == want["summary"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, out, err = run(
        capsys, "audit", "--catalogue", there, "--recheck", "--scheduler", f"tcp://127.0.0.1:{port}"
    )
    last = err.strip().splitlines()[-1]  # after the progress line: the error, in one line
    assert status == 1 and out == "" and "Traceback" not in err
    assert last.startswith(
        f"wnexplorer: error: Cannot reach the Dask cluster at tcp://127.0.0.1:{port}"
    )
    for args, needle in (
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
        (["--path-map", "/a=/b"], "--path-map is for the workers"),
        (["--workers", "1", "--path-map", "nothing"], "LOCAL=REMOTE"),
    ):
        status, out, err = run(capsys, "audit", "--catalogue", there, *args)
        assert status == 2 and needle in err, args


def test_thumbnails_fills_the_cache_the_grid_reads(capsys, dataset, tmp_path):
    from explorer.cli.catalogue import THUMBNAIL_SIZES
    from explorer.core.images import SIZES, default_thumbnail_cache

    assert tuple(str(size) for size in SIZES) == THUMBNAIL_SIZES
    catalogue = str(tmp_path / "c.sqlite")
    run(capsys, "index", str(dataset), "--catalogue", catalogue)
    status, out, _ = run(capsys, "thumbnails", GOLDEN, "--catalogue", catalogue, "--size", "64")
    made = "3 images: 2 thumbnails made, 0 already cached, 1 cannot be shown"  # broken.JPEG
    assert status == 0 and out.strip() == made
    status, out, _ = run(capsys, "thumbnails", "--catalogue", catalogue, "--size", "64")
    assert status == 0 and out.strip() == (
        "6 images: 3 thumbnails made, 2 already cached, 1 cannot be shown"
    )
    from explorer.core.catalogue import Catalogue

    cache = default_thumbnail_cache(os.environ.get("WNEXPLORER_DATA_DIR"))
    with Catalogue.open(catalogue) as opened:
        row = next(r for r in opened.images([GOLDEN]) if "broken" not in r.path)
        hit = cache.get_or_make(opened.absolute_path(row.path), row.size, row.mtime_ns, 64)
    assert hit.from_cache and hit.data  # what the grid asks for, it finds made
