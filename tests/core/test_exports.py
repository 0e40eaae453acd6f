"""Exports on the real WordNet and a catalogue of real ILSVRC samples; every export read back."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import shutil
import stat

import pytest
from hostile_corpus import encode, photo

from explorer.core.analysis import compute_counts
from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.curation import FlagStore, ImageRef, flag_images, write_export
from explorer.core.errors import ExportError
from explorer.core.exports import (
    ExportRequest,
    classmap_text,
    format_subtree,
    run_export,
    select_images,
    subtree_rows,
)
from explorer.core.images import audit_catalogue

DOG, DOMESTIC_ANIMAL, CARNIVORE, CANINE = "n02084071", "n01317541", "n02075296", "n02083346"
CAT, TENCH = "n02121620", "n01440764"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, taxonomy, shared_data):
    """The 1,000 real samples as a folders layout (dogs, cats, fish...), indexed and audited,
    plus one truncated copy of a dog picture the audit marks unusable."""
    root = tmp_path_factory.mktemp("exports") / "train"
    for sample in sorted((shared_data / "imagenet-samples").glob("*.JPEG")):
        wnid = sample.name.split("_")[0]
        (root / wnid).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, root / wnid / sample.name)
    golden = root / "n02099601"
    whole = next(golden.iterdir()).read_bytes()
    (golden / "broken.JPEG").write_bytes(whole[: len(whole) // 3])
    summary = index_catalogue(root, nouns=taxonomy.graph, catalogue=root.parent / "c.sqlite")
    audit_catalogue(summary.catalogue)
    return root, summary.catalogue


@pytest.fixture
def catalogue(dataset):
    with Catalogue.open(dataset[1]) as opened:
        yield opened


# --- subtree lists and class maps ---------------------------------------------------------


def test_subtree_list_in_every_format(taxonomy, catalogue, tmp_path):
    rows = subtree_rows(taxonomy, DOG)
    assert [r["wnid"] for r in rows] == sorted(taxonomy.descendants(DOG) | {DOG})
    leaves = subtree_rows(taxonomy, DOG, leaves_only=True)
    assert leaves and all(not taxonomy.children(r["wnid"]) for r in leaves)
    one_level = subtree_rows(taxonomy, DOG, depth=1)
    assert {r["wnid"] for r in one_level} == {DOG, *taxonomy.children(DOG)}
    counts = compute_counts(taxonomy, catalogue.direct_counts(taxonomy.graph))
    with_images = subtree_rows(taxonomy, DOG, counts=counts, with_images=True)
    assert all(r["subtree"] > 0 for r in with_images) and len(with_images) < len(rows)
    assert next(r for r in with_images if r["wnid"] == DOG)["subtree"] == counts.of(DOG)["subtree"]

    written = {}
    for fmt in ("txt", "csv", "json", "tree-json"):
        report = run_export(
            ExportRequest("subtree", [DOG], tmp_path / f"dog.{fmt}", fmt), taxonomy
        ).report
        written[fmt] = (tmp_path / f"dog.{fmt}").read_text()
        assert report.rows == len(rows)
    assert written["txt"].split() == [r["wnid"] for r in rows]
    from_csv = list(csv.DictReader(io.StringIO(written["csv"])))
    assert [r["wnid"] for r in from_csv] == [r["wnid"] for r in rows]
    assert from_csv[0]["lemmas"] == "; ".join(rows[0]["lemmas"])
    assert json.loads(written["json"]) == rows
    tree = json.loads(written["tree-json"])
    assert tree["wnid"] == DOG and len(tree["children"]) == len(taxonomy.children(DOG))
    assert not list(tmp_path.glob(".*.tmp"))  # atomic: no temporary file left

    # a multi-parent synset appears under each parent in the nested tree
    def count(node, wnid):
        return (node["wnid"] == wnid) + sum(count(c, wnid) for c in node["children"])

    mammal_tree = json.loads(
        format_subtree(taxonomy, "n01861778", subtree_rows(taxonomy, "n01861778"), "tree-json")
    )
    assert count(mammal_tree, DOG) == len(
        [p for p in taxonomy.paths_to_root(DOG) if "n01861778" in p]
    )


def test_classmap_matches_imagenets_own_mapping(taxonomy, shared_data):
    reference = (shared_data / "ilsvrc2012" / "LOC_synset_mapping.txt").read_text().splitlines()
    classes = [line.split()[0] for line in reference]
    ours = classmap_text(taxonomy, classes, "loc").splitlines()
    # the one known difference (shared data's README): this copy renamed crane to "crane bird"
    differ = [
        (theirs, mine) for theirs, mine in zip(reference, ours, strict=True) if theirs != mine
    ]
    assert differ == [("n02012849 crane bird", "n02012849 crane")]
    as_json = json.loads(classmap_text(taxonomy, classes, "json"))
    assert as_json["0"] == [TENCH, "tench"] and len(as_json) == 1000
    with pytest.raises(ExportError, match="twice"):
        classmap_text(taxonomy, [DOG, DOG])


# --- image lists ------------------------------------------------------------------------------


def test_flagged_and_unusable_images_stay_out_unless_asked(taxonomy, catalogue, tmp_path):
    dogs = [r for r in catalogue.images(taxonomy.descendants(DOG) | {DOG})]
    with FlagStore.open(tmp_path / "c.flags.sqlite") as store:
        store.apply(flag_images(store, [ImageRef(dogs[0].path)], "wrong_label").after)
        default = select_images(taxonomy, catalogue, [DOG], store=store)
        paths = {path for path, _, _ in default.items()}
        assert dogs[0].path not in paths and "n02099601/broken.JPEG" not in paths
        assert default.report.left_out == {"flagged": 1, "audit_failure": 1}
        assert len(paths) == len(dogs) - 2
        everything = select_images(
            taxonomy, catalogue, [DOG], store=store, flagged="include", audit_failures=True
        )
        assert len(list(everything.items())) == len(dogs)
        only = select_images(taxonomy, catalogue, [DOG], store=store, flagged="only")
        assert [path for path, _, _ in only.items()] == [dogs[0].path]


def test_overlaps_on_real_multi_parent_synsets(taxonomy, catalogue, tmp_path):
    """Dog is under both domestic animal and carnivore: its images overlap."""
    with pytest.raises(ExportError, match="under several chosen nodes"):
        select_images(taxonomy, catalogue, [DOMESTIC_ANIMAL, CARNIVORE], on_overlap="fail")
    chosen = [DOMESTIC_ANIMAL, CARNIVORE, DOG]
    selection = select_images(taxonomy, catalogue, chosen)
    by_label = {wnid: chosen[index] for _, wnid, index in selection.items()}
    assert by_label["n02099601"] == DOG  # golden retriever: dog is the most specific
    assert by_label["n02123045"] == CARNIVORE  # tabby cat: only under carnivore
    under = [taxonomy.descendants(w) | {w} for w in chosen]
    overlapping = [wnid for _, wnid, _ in selection.items() if sum(wnid in u for u in under) > 1]
    assert selection.report.overlaps == len(overlapping) > len(by_label) // 2
    # domestic cats are under domestic animal and carnivore too, neither under the other
    siamese = "n02123597"
    assert siamese in taxonomy.descendants(DOMESTIC_ANIMAL) and by_label[siamese] in chosen[:2]
    # incomparable nodes (neither under the other): the deeper one takes the image
    deeper = select_images(taxonomy, catalogue, [DOMESTIC_ANIMAL, CANINE])
    depths = {w: taxonomy.node(w)["min_depth"] for w in (DOMESTIC_ANIMAL, CANINE)}
    expected = max((DOMESTIC_ANIMAL, CANINE), key=depths.get)
    assert {
        [DOMESTIC_ANIMAL, CANINE][i] for _, wnid, i in deeper.items() if wnid == "n02099601"
    } == {expected}


def test_image_list_and_superclasses_are_reproducible(taxonomy, dataset, tmp_path):
    path = dataset[1]
    for run in ("a", "b"):
        images = ExportRequest("images", [DOG, CAT], tmp_path / run / "images.csv", parents=True)
        run_export(images, taxonomy, path)  # parents: makes tmp_path / run
        run_export(
            ExportRequest(
                "superclasses", [DOG, CAT, TENCH], tmp_path / run / "breeds", balance=10, seed=7
            ),
            taxonomy,
            path,
        )
    for name in ("images.csv", "breeds/images.csv", "breeds/classes.txt", "breeds/classes.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    rows = list(csv.DictReader((tmp_path / "a" / "breeds" / "images.csv").open()))
    per_class = {}
    for row in rows:
        per_class[row["class_wnid"]] = per_class.get(row["class_wnid"], 0) + 1
    assert per_class[DOG] == 10 and per_class[TENCH] == 1  # capped, and one tench sample
    assert (
        (tmp_path / "a" / "breeds" / "classes.txt")
        .read_text()
        .splitlines()[0]
        .startswith(f"{DOG} dog, domestic dog")
    )
    other_seed = tmp_path / "c" / "breeds"
    run_export(
        ExportRequest(
            "superclasses", [DOG, CAT, TENCH], other_seed, balance=10, seed=8, parents=True
        ),
        taxonomy,
        path,
    )
    assert (other_seed / "images.csv").read_bytes() != (
        tmp_path / "a" / "breeds" / "images.csv"
    ).read_bytes()


@pytest.mark.parametrize("mode", ["symlink", "hardlink", "copy"])
def test_folder_layout(taxonomy, dataset, tmp_path, mode):
    root, path = dataset
    out = tmp_path / "subset"
    report = run_export(ExportRequest("folders", [DOG, CAT], out, mode=mode), taxonomy, path).report
    files = sorted(out.rglob("*.JPEG"))
    assert len(files) == report.rows and {f.parent.name for f in files} == {DOG, CAT}
    sample = out / DOG / "n02099601_golden_retriever.JPEG"
    original = root / "n02099601" / "n02099601_golden_retriever.JPEG"
    assert sample.read_bytes() == original.read_bytes()
    if mode == "symlink":
        assert sample.is_symlink() and os.path.samefile(sample, original)
    elif mode == "hardlink":
        assert sample.stat().st_ino == original.stat().st_ino
    else:
        assert not sample.is_symlink() and sample.stat().st_ino != original.stat().st_ino
    with pytest.raises(ExportError, match="not empty"):
        run_export(ExportRequest("folders", [DOG], out, mode=mode), taxonomy, path)
    assert not list(tmp_path.glob(".subset.*"))


def test_a_copy_of_an_endless_file_fails_at_once_and_leaves_nothing(taxonomy, tmp_path):
    folder = tmp_path / "train" / CAT
    folder.mkdir(parents=True)
    (folder / "cat.JPEG").write_bytes(encode(photo(), "JPEG"))
    (folder / "zero.JPEG").symlink_to("/dev/zero")  # indexed like any image
    path = index_catalogue(folder.parent, nouns=taxonomy.graph, catalogue=tmp_path / "c").catalogue
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2**24, hard))  # a regression stops at 16 MB
    endless = r"not a regular file: a character device: .*zero\.JPEG"
    try:
        # the link leads out of the dataset: left out, unless asked for; then it is refused
        kept = run_export(
            ExportRequest("folders", [CAT], tmp_path / "kept", mode="copy"), taxonomy, path
        )
        assert kept.report.left_out["outside_root"] == 1 and kept.report.rows == 1
        asked = ExportRequest(
            "folders", [CAT], tmp_path / "tree", mode="copy", allow_outside_root=True
        )
        with pytest.raises(ExportError, match=endless):
            run_export(asked, taxonomy, path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert not (tmp_path / "tree").exists() and not list(tmp_path.glob(".tree.*"))


def test_a_preview_writes_nothing_and_names_what_it_needs(taxonomy, dataset, tmp_path):
    result = run_export(ExportRequest("images", [DOG, CAT]), taxonomy, dataset[1])
    assert result.text.startswith("path,wnid,class_index,class_wnid\n")
    assert result.report.rows == len(result.text.splitlines()) - 1 and not result.report.outputs
    union = run_export(ExportRequest("subtree", [DOG, CAT]), taxonomy)
    assert union.text.split() == sorted(
        taxonomy.descendants(DOG) | taxonomy.descendants(CAT) | {DOG, CAT}
    )
    with pytest.raises(ExportError, match="needs a catalogue"):
        run_export(ExportRequest("folders", [DOG], tmp_path / "x"), taxonomy)
    with pytest.raises(ExportError, match="at least one"):
        run_export(ExportRequest("classmap", []), taxonomy)


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"kind": "zip"}, "kind: 'zip' is not one of subtree, images"),
        ({"fmt": "loc"}, "format of a subtree export: 'loc' is not one of txt, csv"),
        ({"kind": "folders", "fmt": "csv"}, "format of a folders export: 'csv' is not one of"),
        ({"flagged": "maybe"}, "flagged: 'maybe'"),
        ({"on_overlap": "first"}, "on_overlap: 'first'"),
        ({"mode": "move"}, "mode: 'move' is not one of symlink, hardlink, copy"),
        ({"balance": 0}, "balance: the cap per class must be at least 1, not 0"),
        ({"depth": -1}, "depth: -1 is negative"),
    ],
)
def test_a_request_with_a_bad_choice_is_a_value_error(fields, needle):
    """A caller's bug (both front ends offer only the core's choices), not an ExportError."""
    with pytest.raises(ValueError, match=needle):
        ExportRequest(**{"kind": "subtree", "wnids": [DOG], **fields})


def test_the_format_functions_refuse_a_format_they_do_not_write(taxonomy):
    with pytest.raises(ValueError, match="format: 'csv' is not one of loc, json"):
        classmap_text(taxonomy, [DOG], "csv")
    with pytest.raises(ValueError, match="format: 'loc'"):
        format_subtree(taxonomy, DOG, subtree_rows(taxonomy, DOG), "loc")


# --- what an empty class is told, and where outputs may go ------------------------------

UNICORN = "n10737964"  # unicorn.n.01: no ILSVRC class under it


def test_an_empty_class_is_named_with_the_reason(taxonomy, catalogue, tmp_path):
    counts = catalogue.label_counts()
    both = {
        label
        for label in counts
        if label in taxonomy.descendants(DOMESTIC_ANIMAL)
        and label in taxonomy.descendants(CARNIVORE)
    }
    overlap = select_images(taxonomy, catalogue, [DOMESTIC_ANIMAL, CARNIVORE])
    assert overlap.report.per_class[DOMESTIC_ANIMAL] == 0  # carnivore is deeper: it takes all
    assert overlap.report.warnings == [
        f"{DOMESTIC_ANIMAL} (domestic animal) is empty: its "
        f"{sum(counts[label] for label in both):,} images are also under {CARNIVORE} "
        "(carnivore) and went to that more specific chosen node (--on-overlap fail lists the "
        "overlaps)."
    ]
    nothing = select_images(taxonomy, catalogue, [DOG, UNICORN])
    assert nothing.report.warnings == [
        f"{UNICORN} (unicorn) is empty: the catalogue has no images under it."
    ]
    with FlagStore.open(tmp_path / "c.flags.sqlite") as store:  # nothing flagged
        only = select_images(taxonomy, catalogue, [TENCH], store=store, flagged="only")
    assert only.report.warnings == [
        f"{TENCH} (tench) is empty: the {counts[TENCH]} image given to it was left out."
    ]
    assert select_images(taxonomy, catalogue, [DOG, CAT]).report.warnings == []


@pytest.mark.parametrize("kind", ["subtree", "classmap", "images", "superclasses", "folders"])
def test_a_missing_output_folder_is_an_error_unless_parents(taxonomy, dataset, tmp_path, kind):
    output = tmp_path / "no" / "such" / ("out" if kind in ("superclasses", "folders") else "x.txt")
    with pytest.raises(ExportError) as caught:
        run_export(ExportRequest(kind, [DOG], output), taxonomy, dataset[1])
    assert str(caught.value) == (
        f"The folder {output.parent} does not exist; create it or pass --parents."
    )
    assert not (tmp_path / "no").exists()
    report = run_export(
        ExportRequest(kind, [DOG], output, parents=True), taxonomy, dataset[1]
    ).report
    assert report.outputs and all(os.path.exists(o) for o in report.outputs)


@pytest.mark.parametrize(
    ("mask", "file_mode", "folder_mode"),
    [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700), (0o002, 0o664, 0o775)],
)
def test_outputs_get_the_umasks_modes(taxonomy, dataset, tmp_path, mask, file_mode, folder_mode):
    """Like cp and mkdir: a class map written for colleagues is as readable as their umask says."""
    path = dataset[1]
    old = os.umask(mask)
    try:
        run_export(ExportRequest("images", [DOG], tmp_path / "images.csv"), taxonomy, path)
        run_export(ExportRequest("superclasses", [DOG, CAT], tmp_path / "breeds"), taxonomy, path)
        run_export(ExportRequest("folders", [CAT], tmp_path / "tree", mode="copy"), taxonomy, path)
        with FlagStore.open(tmp_path / "c.flags.sqlite") as store:
            write_export(store, tmp_path / "flags.csv")
    finally:
        os.umask(old)
    files = [tmp_path / "images.csv", tmp_path / "flags.csv", *(tmp_path / "breeds").iterdir()]
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
        f.name: file_mode for f in files
    }
    folders = [tmp_path / "breeds", tmp_path / "tree", tmp_path / "tree" / CAT]
    assert [stat.S_IMODE(f.stat().st_mode) for f in folders] == [folder_mode] * 3
