"""The demo dataset and catalogue: real synsets, deliberate problems found, made once."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from explorer.core import paths
from explorer.core.analysis import compute_counts
from explorer.core.catalogue import Catalogue
from explorer.core.demo import (
    DEMO_PROBLEMS,
    DEMO_SYNSETS,
    ensure_demo_catalogue,
    make_demo_dataset,
)
from explorer.core.errors import Cancelled
from explorer.core.images import AUDIT_CODES, audit_report
from explorer.core.jobs import JobState

DOG, EDIBLE_FRUIT, MUSICAL_INSTRUMENT = "n02084071", "n07705931", "n03800933"


class Recorder(JobState):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, int | None, str]] = []

    def progress(self, done, total=None, message=""):
        super().progress(done, total, message)
        self.calls.append((done, total, message))


@pytest.fixture(scope="module")
def demo(tmp_path_factory, taxonomy) -> tuple[Path, Path]:
    """(data dir, catalogue) of one demo, made once for the module."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    return data_dir, ensure_demo_catalogue(data_dir, nouns=taxonomy.graph)


def digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def files_of(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_synsets_are_real_wordnet_nouns_in_several_subtrees(taxonomy):
    assert 24 <= len(DEMO_SYNSETS) <= 30 and len(set(DEMO_SYNSETS)) == len(DEMO_SYNSETS)
    for wnid in DEMO_SYNSETS:
        assert wnid in taxonomy, wnid
    assert len(taxonomy.parents(DOG)) == 2 and DOG in DEMO_SYNSETS
    with_parent_in_set = [w for w in DEMO_SYNSETS if set(taxonomy.parents(w)) & set(DEMO_SYNSETS)]
    assert len(with_parent_in_set) >= 5
    lexnames = {taxonomy.node(w)["lexname"] for w in DEMO_SYNSETS}
    assert {"noun.animal", "noun.artifact", "noun.food"} <= lexnames


def test_demo_synsets_are_imagenet_synsets(shared_data):
    listed = (shared_data / "imagenet21k" / "imagenet22k_synsets.txt").read_text().split()
    ilsvrc = (shared_data / "ilsvrc2012" / "imagenet_synsets.txt").read_text().split()
    assert set(DEMO_SYNSETS) <= set(listed)
    assert len(set(DEMO_SYNSETS) & set(ilsvrc)) >= 15  # ILSVRC breeds, fish, fruit...


def test_the_catalogue_has_a_few_hundred_images_on_the_demo_synsets(demo, taxonomy):
    _data_dir, path = demo
    with Catalogue.open(path) as catalogue:
        summary = catalogue.summary(taxonomy.graph)
        direct = catalogue.direct_counts(taxonomy.graph)
    assert 200 <= summary["images"] <= 600
    assert summary["labelled"] == summary["images"] - 1
    assert summary["no_label"] == 1 and summary["unknown"] == 0 and summary["missing"] == 0
    assert set(direct) <= set(DEMO_SYNSETS)
    assert summary["synsets"] == len(direct) >= len(DEMO_SYNSETS) - 3
    # Thin and empty synsets for the coverage view, and subtrees larger than their root.
    assert min(direct.values()) <= 3 and max(direct.values()) >= 15
    assert MUSICAL_INSTRUMENT not in direct and EDIBLE_FRUIT not in direct
    counts = compute_counts(taxonomy, direct)
    assert counts.of(DOG)["subtree"] > counts.of(DOG)["direct"] > 0
    assert counts.of(EDIBLE_FRUIT)["subtree"] > 0 and counts.of(MUSICAL_INSTRUMENT)["subtree"] > 0


def test_the_audit_finds_each_deliberate_problem_and_nothing_else(demo):
    _data_dir, path = demo
    with Catalogue.open(path) as catalogue:
        report = audit_report(catalogue)
        odd = catalogue.odd_labels(set(DEMO_SYNSETS))
    summary = report["summary"]
    assert summary["audited"] == summary["images"]  # audited when it was made
    found = {image["path"]: set(image["problems"]) for image in report["images"]}
    wanted = {p: code for p, code in DEMO_PROBLEMS.items() if code in AUDIT_CODES}
    assert set(wanted.values()) == {
        "truncated",
        "zero_byte",
        "extension_mismatch",
        "cmyk",
        "grayscale",
        "tiny",
        "exif_rotated",
        "duplicate",
    }
    assert found == {p: {code} for p, code in wanted.items()}  # every clean image is clean
    assert summary["duplicate_groups"] == 1
    (unsorted,) = [p for p, code in DEMO_PROBLEMS.items() if code == "no_label"]
    assert odd == [{"path": unsorted, "label": None, "problem": "no_label", "note": "no label"}]


def test_a_second_call_reuses_the_demo(demo, taxonomy):
    data_dir, path = demo
    before = {p: p.stat().st_mtime_ns for p in path.parent.rglob("*") if p.is_file()}
    started = time.perf_counter()
    assert ensure_demo_catalogue(data_dir, nouns=taxonomy.graph) == path
    assert time.perf_counter() - started < 0.5
    after = {p: p.stat().st_mtime_ns for p in path.parent.rglob("*") if p.is_file()}
    assert after == before


def test_drawing_is_deterministic_varied_and_stays_in_its_folder(demo, tmp_path):
    data_dir, _path = demo
    state = Recorder()
    out = make_demo_dataset(tmp_path / "out", state)
    assert out == tmp_path / "out" and [p.name for p in tmp_path.iterdir()] == ["out"]
    drawn = files_of(out)
    assert drawn.keys() == files_of(data_dir / "demo" / "images").keys()
    same = [
        name for name, p in drawn.items() if digest(p) == digest(data_dir / "demo/images" / name)
    ]
    assert len(same) == len(drawn)  # the same bytes as the demo made earlier
    for name in drawn:
        folder, file = name.split("/")
        assert folder == "unsorted" or (folder in DEMO_SYNSETS and file.startswith(folder + "_"))
        assert file.endswith(".JPEG")
    # Every picture differs, except the one deliberate copy (and the empty file).
    repeated = Counter(digest(p) for p in drawn.values())
    assert sorted(repeated.values(), reverse=True)[:2] == [2, 1]
    sizes = Counter()
    for name, p in list(drawn.items())[::7]:
        if DEMO_PROBLEMS.get(name) in ("zero_byte", "truncated"):
            continue
        with Image.open(p) as image:
            sizes[image.size] += 1
    assert len(sizes) >= 6 and any(w < h for w, h in sizes)
    assert state.calls[-1][0] == state.calls[-1][1] == len(drawn)
    assert [c[0] for c in state.calls] == sorted(c[0] for c in state.calls)


def test_drawing_stops_when_cancelled(tmp_path):
    state = JobState()
    state.cancel()
    with pytest.raises(Cancelled):
        make_demo_dataset(tmp_path / "out", state)


def test_a_cancelled_first_run_leaves_nothing_half_made(tmp_path, taxonomy):
    state = JobState()
    state.cancel()
    with pytest.raises(Cancelled):
        ensure_demo_catalogue(tmp_path, nouns=taxonomy.graph, state=state)
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == []


def copy_demo(demo, tmp_path) -> Path:
    data_dir, _path = demo
    target = tmp_path / "data"
    shutil.copytree(data_dir / "demo", target / "demo")
    return target


def test_a_damaged_catalogue_is_made_again(demo, tmp_path, taxonomy, monkeypatch):
    data_dir = copy_demo(demo, tmp_path)
    images = data_dir / "demo" / "images"
    before = {name: p.stat().st_mtime_ns for name, p in files_of(images).items()}
    catalogue = data_dir / "demo" / "demo.sqlite"
    catalogue.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(data_dir))  # the default data dir
    assert ensure_demo_catalogue(nouns=taxonomy.graph) == catalogue
    with Catalogue.open(catalogue) as opened:
        assert opened.summary(taxonomy.graph)["images"] == len(before)
        assert opened.source == images.resolve()
        assert audit_report(opened)["summary"]["by_code"]["duplicate"] == 2
    # The images were intact: they were kept, not drawn again.
    assert {name: p.stat().st_mtime_ns for name, p in files_of(images).items()} == before


def test_a_changed_or_missing_image_makes_the_demo_again(demo, tmp_path, taxonomy):
    data_dir = copy_demo(demo, tmp_path)
    images = data_dir / "demo" / "images"
    expected = {name: digest(p) for name, p in files_of(images).items()}
    (images / DEMO_SYNSETS[2] / f"{DEMO_SYNSETS[2]}_0.JPEG").unlink()
    (images / DEMO_SYNSETS[3] / f"{DEMO_SYNSETS[3]}_1.JPEG").write_bytes(b"edited")
    state = Recorder()
    path = ensure_demo_catalogue(data_dir, nouns=taxonomy.graph, state=state)
    assert {name: digest(p) for name, p in files_of(images).items()} == expected
    assert not list((data_dir / "demo").glob("images.tmp-*"))
    with Catalogue.open(path) as opened:
        summary = audit_report(opened)["summary"]
    assert summary["images"] == summary["audited"] == len(expected)
    assert {message for _, _, message in state.calls} >= {"Drawing the demo images"}
