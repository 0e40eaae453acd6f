"""``wnexplorer eval`` on the real val predictions: the JSON the issue names, nodes, two
files side by side, the flags, and errors (issue 18)."""

from __future__ import annotations

import json

import pytest
from cli_run import ok, run
from val_predictions import write_val_files

from explorer.core.evaluation import class_order

DOG = "n02084071"


@pytest.fixture(scope="module")
def val(shared_data, tmp_path_factory):
    """The first 5,000 validation images as a manifest, and two prediction files: the
    cross-validated model's class indices, and the truth itself as wnids (top-1 = 1)."""
    known = shared_data / "known-issues"
    folder = tmp_path_factory.mktemp("eval")
    written = write_val_files(known, folder, slice(0, 5000))
    truth, predicted = written["truth"], written["predicted"]
    order = class_order("ilsvrc2012")
    rows = zip(written["paths"], truth, strict=True)
    (folder / "oracle.csv").write_text(
        "path,wnid\n" + "".join(f"{p},{order[t]}\n" for p, t in rows)
    )
    return folder, float((truth == predicted).mean()), known / "real.json"


def _index(capsys, folder):
    catalogue = folder / f"val-{id(capsys)}.sqlite"
    ok(capsys, "index", folder / "val.csv", "--catalogue", catalogue)
    return catalogue


def test_json_has_the_fields_the_issue_names(capsys, val):
    folder, top1, real = val
    catalogue = _index(capsys, folder)
    out, _ = ok(
        capsys, "eval", folder / "pred.csv", "--catalogue", catalogue, "--real", real,
        "--node", "dog.n.01", "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert {"images", "top1", "top5", "unmatched", "real", "nodes", "severity", "confused"} <= set(
        data
    )
    assert data["images"] == 5000 and data["unmatched"] == 0 and data["top5"] is None
    assert data["top1"] == pytest.approx(top1)
    assert set(data["real"]) == {"images", "top1"} and 0 < data["real"]["images"] < 5000
    assert set(data["nodes"]) == {"n00001740", DOG}
    assert set(data["nodes"][DOG]) == {"images", "top1", "in_subtree"}
    assert data["severity"]["mistakes"] == sum(data["severity"]["histogram"].values())
    assert data["confused"] and set(data["confused"][0]) == {
        "truth", "prediction", "images", "severity", "real_agrees", "flagged"
    }  # fmt: skip


def test_two_files_side_by_side(capsys, val):
    folder, top1, _ = val
    catalogue = _index(capsys, folder)
    out, _ = ok(
        capsys, "eval", folder / "pred.csv", folder / "oracle.csv", "--catalogue", catalogue
    )
    header, *rows = out.splitlines()
    assert "pred.csv" in header and "oracle.csv" in header
    top1_row = next(r for r in rows if r.startswith("top-1"))
    assert f"{top1:.2%}" in top1_row and "100.00%" in top1_row
    out, _ = ok(
        capsys,
        "eval",
        folder / "pred.csv",
        folder / "oracle.csv",
        "--catalogue",
        catalogue,
        "--json",
    )
    both = json.loads(out)
    assert [run["top1"] for run in both] == [pytest.approx(top1), 1.0]


def test_flagged_wrong_labels_are_left_out_when_asked(capsys, val):
    folder, _, _ = val
    catalogue = _index(capsys, folder)
    first = (folder / "val.csv").read_text().splitlines()[1].split(",")[0]
    ok(capsys, "flags", "add", first, "--reason", "wrong_label", "--catalogue", catalogue)
    out, _ = ok(capsys, "eval", folder / "pred.csv", "--catalogue", catalogue, "--json")
    assert json.loads(out)["flagged"]["images"] == 1 and json.loads(out)["images"] == 5000
    out, _ = ok(
        capsys,
        "eval",
        folder / "pred.csv",
        "--catalogue",
        catalogue,
        "--flagged",
        "exclude",
        "--json",
    )
    assert json.loads(out)["images"] == 4999


def test_errors_are_one_line(capsys, val, tmp_path):
    folder, _, _ = val
    catalogue = _index(capsys, folder)
    (tmp_path / "big.csv").write_text("path,class\na.JPEG,5000\n")
    status, _, err = run(capsys, "eval", tmp_path / "big.csv", "--catalogue", catalogue)
    assert status == 1 and "--classes" in err and len(err.strip().splitlines()) == 1
    status, _, err = run(
        capsys, "eval", folder / "pred.csv", "--catalogue", catalogue, "--classes", "nope"
    )
    assert status == 1 and "neither a known order" in err
    status, _, err = run(capsys, "eval", "--catalogue", catalogue)
    assert status == 2
