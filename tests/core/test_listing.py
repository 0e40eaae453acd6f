"""Listings read by position (issue 14): every sort and filter against the rule the whole-list
code applies (image_list.arrange), on the demo catalogue and on one large enough to need
several stored chunks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from manifests import write_manifest

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.catalogue import orders as orders_module
from explorer.core.catalogue.image_list import arrange
from explorer.core.catalogue.listing import list_images
from explorer.core.catalogue.orders import read_order
from explorer.core.curation import FlagStore, ImageRef, flag_images, mark_reviewed
from explorer.core.demo import ensure_demo_catalogue
from explorer.core.text import natural_key, natural_path_key


@pytest.fixture(scope="module")
def demo(tmp_path_factory, taxonomy) -> Path:
    return ensure_demo_catalogue(tmp_path_factory.mktemp("data"), nouns=taxonomy.graph)


def _paths(catalogue: Catalogue, ids) -> list[str]:
    return [row.path for row in catalogue.rows_by_ids(ids)]


def test_natural_key_orders_numbers_by_value():
    names = ["a10.jpg", "a2.jpg", "A1.jpg", "a.jpg", "a2b1.jpg", "b1.jpg", "a02.jpg"]
    # as natsort: "a" < "a.jpg", so a name's number comes before its own extension
    assert sorted(names, key=natural_key) == [
        "A1.jpg",
        "a2.jpg",
        "a02.jpg",
        "a10.jpg",
        "a2b1.jpg",
        "a.jpg",
        "b1.jpg",
    ]


def test_every_order_holds_every_present_image_once_in_its_order(demo, taxonomy):
    with Catalogue.open(demo) as catalogue:
        present = catalogue.present_count()
        for order in ("name", "path", "size"):
            ids, labels = read_order(catalogue, order)
            assert len(ids) == len(set(ids.tolist())) == present
            rows = catalogue.rows_by_ids(ids)
            if order == "size":
                sizes = [row.size for row in rows]
                assert sizes == sorted(sizes)
            else:

                def key(row, order=order):
                    if order == "path":
                        return natural_path_key(row.path)
                    return natural_key(row.path.rsplit("/", 1)[-1])

                assert [key(r) for r in rows] == sorted(key(r) for r in rows)
            wnids = catalogue.order_labels()
            assert [wnids[n] if n >= 0 else None for n in labels] == [row.wnid for row in rows]


@pytest.mark.parametrize("sort", ["name", "path", "size", "problems"])
@pytest.mark.parametrize(
    "keep",
    [
        "all",
        "problems",
        "clean",
        "not_audited",
        "truncated",
        "flagged",
        "not_reviewed",
        "flag:duplicate",
    ],
)
@pytest.mark.parametrize("scope", ["dog", "everything"])  # every label: the ids alone are read
def test_a_listing_keeps_what_arrange_keeps(demo, taxonomy, tmp_path, sort, keep, scope):
    copy = tmp_path / "c.sqlite"
    copy.write_bytes(demo.read_bytes())
    dogs = sorted(taxonomy.descendants("n02084071") | {"n02084071"})
    if scope == "everything":
        dogs = sorted(taxonomy.wnids)
    with Catalogue.open(copy) as catalogue, FlagStore.open_for(copy) as store:
        rows = catalogue.images(dogs)
        flag_images(store, [ImageRef.from_row(catalogue, r) for r in rows[:3]], "duplicate")
        mark_reviewed(store, [ImageRef.from_row(catalogue, rows[5])])
        states = store.states()
        curated = [p for p, s in states.items() if keep != "flagged" or s.flags]
        if keep.startswith("flag:"):
            curated = [p for p, s in states.items() if "duplicate" in s.reasons]
        listing = list_images(catalogue, dogs, sort=sort, keep=keep, curated=curated)
        expected = arrange(rows, sort=sort, keep=keep, states=states)
        got = _paths(catalogue, listing.ids)
        assert sorted(got) == sorted(r.path for r in expected)
        if sort in ("size", "problems"):  # the same rule; ties in natural path order
            assert [r.path for r in catalogue.rows_by_ids(listing.ids)] == got
            assert [r.size for r in catalogue.rows_by_ids(listing.ids)] == [
                r.size for r in sorted(expected, key=lambda r: got.index(r.path))
            ]


def test_an_unknown_sort_or_filter_is_a_value_error(demo):
    with Catalogue.open(demo) as catalogue:
        with pytest.raises(ValueError, match="Unknown sort"):
            list_images(catalogue, ["n01440764"], sort="colour")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="Unknown image filter"):
            list_images(catalogue, ["n01440764"], keep="blurry")


def test_a_listing_over_several_chunks_reads_any_window(tmp_path, taxonomy, monkeypatch):
    """Stored in chunks of 64 rows here: windows across chunk boundaries, the end, the root."""
    monkeypatch.setattr(orders_module, "CHUNK", 64)
    wnids = ["n02084071", "n02085620", "n02099601", "n01440764"]  # dog, chihuahua, golden, tench
    manifest = write_manifest(tmp_path / "m.csv", wnids, 1000)
    summary = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite")
    with Catalogue.open(summary.catalogue) as catalogue:
        chunks = (
            sqlite3.connect(summary.catalogue)
            .execute("SELECT count(*) FROM image_order WHERE sort = 'name'")
            .fetchone()[0]
        )
        assert chunks == 16
        dog = list_images(catalogue, sorted(taxonomy.descendants("n02084071") | {"n02084071"}))
        assert len(dog) == 750
        names = _paths(catalogue, dog.ids)
        assert names == sorted(names, key=lambda p: natural_key(p.rsplit("/", 1)[-1]))
        assert _paths(catalogue, dog.window(60, 70)) == names[60:70]
        assert _paths(catalogue, dog.window(745, 800)) == names[745:]
        assert dog.position_of(catalogue.rows_by_ids(dog.window(500, 501))[0].id) == 500
        root = list_images(catalogue, taxonomy.wnids)
        assert len(root) == 1000 and dog.position_of(-5) is None


def test_the_root_leaves_out_images_without_a_noun_label(tmp_path, taxonomy, monkeypatch):
    """Every noun label in the subtree, but not every image: those labelled with no wnid or
    with one that is not a WordNet noun stay out of the root's listing."""
    monkeypatch.setattr(orders_module, "CHUNK", 64)
    manifest = write_manifest(tmp_path / "m.csv", ["n02084071", "n01440764"], 300)
    with manifest.open("a") as f:
        f.write("odd/x_1.JPEG,n99999999\nodd/x_2.JPEG,\n")
    summary = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite")
    with Catalogue.open(summary.catalogue) as catalogue:
        assert catalogue.present_count() == 302
        root = list_images(catalogue, taxonomy.wnids)
        paths = _paths(catalogue, root.ids)
        assert len(paths) == 300 and not any(p.startswith("odd/") for p in paths)
        labelled = list_images(catalogue, [*taxonomy.wnids, "n99999999"], sort="size")
        assert len(labelled) == 301  # the odd label asked for; the unlabelled one still out


def test_a_catalogue_indexed_before_the_orders_gets_them_on_its_first_listing(tmp_path):
    """tests/data/catalogue-0003.sqlite, written by schema 0003: a manifest in /tmp/fx3/data
    of n01440764_10, _2 and _1 and one golden retriever."""
    old = tmp_path / "old.sqlite"
    old.write_bytes((Path(__file__).parents[1] / "data" / "catalogue-0003.sqlite").read_bytes())
    with Catalogue.open(old) as catalogue:  # the upgrade adds the tables, not the orders
        assert not catalogue.has_orders()
        listing = list_images(catalogue, ["n01440764", "n02099601"], sort="path")
        assert catalogue.has_orders()
        assert _paths(catalogue, listing.ids) == [
            "n01440764/n01440764_1.JPEG",
            "n01440764/n01440764_2.JPEG",
            "n01440764/n01440764_10.JPEG",
            "n02099601/n02099601_3.JPEG",
        ]


def test_names_without_digits_stay_with_their_folder_in_path_order(tmp_path, taxonomy):
    """The folder's number is not a file's: n01/x~2 comes before n02/x, as a person reads."""
    tench, golden = "n01440764", "n02099601"
    manifest = tmp_path / "m.csv"
    names = [f"{golden}/x.JPEG", f"{tench}/x~2.JPEG", f"{tench}/x.JPEG", f"{golden}/a10.JPEG"]
    manifest.write_text("path,wnid\n" + "".join(f"{p},{p[:9]}\n" for p in names))
    summary = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=tmp_path / "c.sqlite")
    with Catalogue.open(summary.catalogue) as catalogue:
        listing = list_images(catalogue, [tench, golden], sort="path")
        assert _paths(catalogue, listing.ids) == [
            f"{tench}/x.JPEG",
            f"{tench}/x~2.JPEG",
            f"{golden}/a10.JPEG",
            f"{golden}/x.JPEG",
        ]
