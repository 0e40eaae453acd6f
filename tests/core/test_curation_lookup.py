"""Paths to images, marks with labels, the review queue, and commands applied only when they
change something: the curation rules the command line uses, in the core."""

from __future__ import annotations

import csv
import json

import pytest
from hostile_corpus import encode, photo

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.curation import (
    FlagStore,
    QueueItem,
    apply_fresh,
    clear_images,
    flag_images,
    image_refs,
    mark_reviewed,
    mark_rows,
    queue_entries,
    write_export,
)
from explorer.core.errors import CatalogueError

DOG, GOLDEN, CAT = "n02084071", "n02099601", "n02121620"


@pytest.fixture
def opened(tmp_path, taxonomy):
    """Two images each of dog, golden retriever and cat; the catalogue and its flag store."""
    root = tmp_path / "train"
    for wnid in (DOG, GOLDEN, CAT):
        (root / wnid).mkdir(parents=True)
        for number in (1, 2):
            (root / wnid / f"{wnid}_{number}.JPEG").write_bytes(encode(photo(), "JPEG"))
    path = index_catalogue(root, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite").catalogue
    with Catalogue.open(path) as catalogue, FlagStore.open_for(path) as store:
        yield root, catalogue, store


def test_image_refs_take_relative_or_absolute_paths_once_each(opened):
    root, catalogue, _store = opened
    first = f"{DOG}/{DOG}_1.JPEG"
    refs = image_refs(catalogue, [first, str(root / first), f"{CAT}/./{CAT}_2.JPEG"])
    assert [ref.path for ref in refs] == [first, f"{CAT}/{CAT}_2.JPEG"]
    assert refs[0].wnid == DOG and refs[0].size and refs[0].file == str(root / first)


def test_unknown_paths_are_named_and_counted(opened):
    _root, catalogue, store = opened
    unknown = [f"{DOG}/gone_{n}.JPEG" for n in range(7)]
    with pytest.raises(CatalogueError) as caught:
        image_refs(catalogue, [f"{DOG}/{DOG}_1.JPEG", *unknown])
    message = str(caught.value)
    assert ", ".join(unknown[:5]) + " and 2 more (paths are relative to" in message
    assert "`wnexplorer index` rescans it" in message
    with pytest.raises(CatalogueError, match="outside the catalogue root"):
        image_refs(catalogue, ["../elsewhere.JPEG"])
    # a path the catalogue lost is accepted where the store has curation for it
    lost = unknown[0]
    refs = image_refs(catalogue, [f"{DOG}/{DOG}_1.JPEG"])
    store.apply(flag_images(store, refs, "low_quality").after)
    store.apply({lost: store.state(f"{DOG}/{DOG}_1.JPEG")})
    (ref,) = image_refs(catalogue, [lost], store)
    assert ref.path == lost and ref.file is None
    with pytest.raises(CatalogueError, match="gone_1"):
        image_refs(catalogue, unknown[:2], store)


def test_a_command_that_changes_nothing_is_not_written(opened):
    _root, catalogue, store = opened
    refs = image_refs(catalogue, [f"{CAT}/{CAT}_1.JPEG"])
    command = apply_fresh(store, lambda: clear_images(store, refs))
    assert command.unchanged and command.label == "Clear flags of 1 image"
    assert store.states() == {}
    command = apply_fresh(store, lambda: mark_reviewed(store, refs))
    assert not command.unchanged and store.state(refs[0].path).review is not None
    again = apply_fresh(store, lambda: clear_images(store, refs, "low_quality"))
    assert again.unchanged  # no low_quality flag to clear: the OK mark stays as it was


def test_mark_rows_give_labels_and_missing_images(opened, taxonomy):
    root, catalogue, store = opened
    dog, golden, cat = (image_refs(catalogue, [f"{w}/{w}_1.JPEG"])[0] for w in (DOG, GOLDEN, CAT))
    store.apply(flag_images(store, [dog, golden], "wrong_label", "not a dog?").after)
    store.apply(mark_reviewed(store, [cat]).after)
    (root / golden.path).unlink()
    index_catalogue(root, nouns=taxonomy.graph, catalogue=catalogue.path)  # golden: missing
    with Catalogue.open(catalogue.path) as rescanned:
        rows = mark_rows(store, rescanned)
        under_dog = mark_rows(store, rescanned, taxonomy.descendants(DOG) | {DOG})
    assert [(r["path"], r["reason"], r["label"], r["missing"]) for r in rows] == [
        (dog.path, "wrong_label", DOG, False),
        (golden.path, "wrong_label", GOLDEN, True),
        (cat.path, "reviewed_ok", CAT, False),
    ]
    assert [r["path"] for r in under_dog] == [dog.path, golden.path]
    assert rows[0]["note"] == "not a dog?" and rows[0]["time"].endswith("+00:00")


def test_the_review_queue_lists_items(opened):
    _root, _catalogue, store = opened
    assert queue_entries(store) == []
    items = [
        QueueItem("b.JPEG", "cleanlab", "guessed cat", CAT),
        QueueItem("a.JPEG", "x", "", None),
    ]
    store.queue_add(items)
    assert queue_entries(store) == sorted(items, key=lambda item: item.path)


def test_a_flags_export_takes_its_format_from_the_suffix(opened, tmp_path):
    _root, catalogue, store = opened
    store.apply(mark_reviewed(store, image_refs(catalogue, [f"{CAT}/{CAT}_1.JPEG"])).after)
    assert write_export(store, tmp_path / "flags.json") == 1
    assert json.loads((tmp_path / "flags.json").read_text())[0]["reason"] == "reviewed_ok"
    write_export(store, tmp_path / "flags.txt")
    assert next(csv.DictReader((tmp_path / "flags.txt").open()))["reason"] == "reviewed_ok"
    write_export(store, tmp_path / "named.json", "csv")  # the format given wins
    assert (tmp_path / "named.json").read_text().startswith("path,reason,")
    with pytest.raises(ValueError, match="format: 'xml' is not one of csv, json"):
        write_export(store, tmp_path / "flags.xml", "xml")
