"""Model evaluation (issue 18) on the real files: a cross-validated model's predicted class for
each of ILSVRC-2012's 50,000 validation images, the original labels, and ReaL. The val set
is a manifest catalogue of those 50,000 paths and labels (the files need not exist); each
figure is checked against one computed here by hand from the same files."""

from __future__ import annotations

import json
import random

import networkx as nx
import numpy as np
import pytest
from val_predictions import write_val_files

from explorer.core.catalogue import Catalogue, index_catalogue
from explorer.core.errors import CatalogueError
from explorer.core.evaluation import LAYOUTS, class_order, evaluate, read_predictions

DOG = "n02084071"


@pytest.fixture(scope="module")
def known(shared_data):
    folder = shared_data / "known-issues"
    return {
        "paths": json.loads((folder / "imagenet_val_set_index_to_filepath.json").read_text()),
        "truth": np.load(folder / "imagenet_val_set_original_labels.npy").astype(int),
        "predicted": np.load(folder / "imagenet_val_set_pyx_argmax_predicted_labels.npy").astype(
            int
        ),
        "real": json.loads((folder / "real.json").read_text()),
        "real_path": folder / "real.json",
    }


@pytest.fixture(scope="module")
def val(known, taxonomy, tmp_path_factory):
    """The 50,000 validation images as a manifest catalogue, and the model's predictions as
    path,class_index (the class indices of ILSVRC-2012, guessed from their range)."""
    folder = tmp_path_factory.mktemp("val")
    write_val_files(known["real_path"].parent, folder)
    index_catalogue(folder / "val.csv", nouns=taxonomy.graph, catalogue=folder / "val.sqlite")
    return folder


@pytest.fixture(scope="module")
def scored(val, taxonomy, known):
    with Catalogue.open(val / "val.sqlite") as catalogue:
        return evaluate(
            catalogue, taxonomy, read_predictions(val / "pred.csv"), real=known["real_path"]
        )


def test_top1_and_real_are_what_the_files_say(scored, known):
    truth, predicted = known["truth"], known["predicted"]
    assert scored.images == 50_000 and scored.unmatched == 0 and scored.layout == "ilsvrc2012"
    assert scored.top1 == pytest.approx((truth == predicted).mean())  # 0.72732
    assert round(scored.top1, 5) == 0.72732
    # ReaL: real.json is in the order of the files' numbers; empty lists are left out
    hits = []
    for path, guess in zip(known["paths"], predicted, strict=True):
        labels = known["real"][int(path[-13:-5]) - 1]
        if labels:
            hits.append(guess in labels)
    assert scored.real == {"images": len(hits), "top1": pytest.approx(np.mean(hits))}
    assert scored.real["images"] == 50_000 - 3_163
    assert scored.top5 is None  # one prediction per image


def test_the_dog_subtree_by_hand(scored, known, taxonomy):
    order = class_order("ilsvrc2012")
    dogs = taxonomy.descendants(DOG) | {DOG}
    in_dogs = np.array([order[t] in dogs for t in known["truth"]])
    predicted_dog = np.array([order[p] in dogs for p in known["predicted"]])
    right = known["truth"] == known["predicted"]
    assert scored.node(DOG) == {
        "images": int(in_dogs.sum()),  # 118 dog classes x 50
        "top1": pytest.approx(right[in_dogs].mean()),
        "in_subtree": pytest.approx(predicted_dog[in_dogs].mean()),
    }
    assert scored.node(DOG)["images"] == 5_900
    entity = scored.node("n00001740")
    assert entity["images"] == 50_000 and entity["in_subtree"] == 1.0
    # the five domestic cat classes; body part: no val class, so no image and no figure
    assert scored.node("n02121808")["images"] == 250
    assert scored.node("n05220461") == {"images": 0, "top1": None, "in_subtree": None}


def test_severity_is_the_height_of_the_lowest_common_hypernym(scored, known, taxonomy):
    """Against a plain networkx reading of the definition, on 60 mistakes."""
    graph, order = taxonomy.graph, class_order("ilsvrc2012")

    def steps_up(node):
        return nx.single_source_shortest_path_length(graph.reverse(copy=False), node)

    mistakes = np.flatnonzero(known["truth"] != known["predicted"])
    position = {int(i): n for n, i in enumerate(scored.image_ids.tolist())}
    ids_by_path = _ids_by_path(scored, known)
    for i in random.Random(18).sample(mistakes.tolist(), 60):
        t, p = order[known["truth"][i]], order[known["predicted"][i]]
        up_t, up_p = steps_up(t), steps_up(p)
        expected = min(max(d, up_p[a]) for a, d in up_t.items() if a in up_p)
        assert scored.image_severity[position[ids_by_path[known["paths"][i]]]] == expected
    histogram = scored.severity["histogram"]
    assert sum(histogram.values()) == scored.severity["mistakes"] == len(mistakes)
    assert min(histogram) >= 1


def _ids_by_path(scored, known):
    # the manifest was indexed in file order: image ids follow the paths
    return {path: i + 1 for i, path in enumerate(known["paths"])}


def test_the_most_confused_pairs_and_what_real_says_of_them(scored, known):
    order = class_order("ilsvrc2012")
    pairs = {}
    for n, (t, p) in enumerate(zip(known["truth"], known["predicted"], strict=True)):
        if t != p:
            pairs.setdefault((order[t], order[p]), []).append(n)
    most = max(len(v) for v in pairs.values())
    first = scored.confused[0]
    assert first.images == most == len(pairs[(first.truth, first.prediction)])
    assert [c.images for c in scored.confused] == sorted(
        (c.images for c in scored.confused), reverse=True
    )
    members = pairs[(first.truth, first.prediction)]
    agrees = sum(
        1
        for n in members
        if known["predicted"][n] in known["real"][int(known["paths"][n][-13:-5]) - 1]
    )
    assert first.real_agrees == agrees


def test_top_k_and_matching_by_file_name(val, taxonomy, known, tmp_path):
    """Ranked wnids, paths without the val/ folder: matched by file name."""
    order = class_order("ilsvrc2012")
    rng = random.Random(5)
    lines, hits = [], 0
    for path, t, p in list(zip(known["paths"], known["truth"], known["predicted"], strict=True))[
        :2000
    ]:
        ranked = [order[p]] + [order[rng.randrange(1000)] for _ in range(4)]
        if rng.random() < 0.5:
            ranked[rng.randrange(1, 5)] = order[t]
        hits += order[t] in ranked
        lines.append(f"{path.split('/')[-1]}\t" + "\t".join(ranked))
    lines.append("ILSVRC2012_val_99999999.JPEG\tn02084071")  # no such image
    (tmp_path / "top5.tsv").write_text(
        "image\twnid_1\twnid_2\twnid_3\twnid_4\twnid_5\n" + "\n".join(lines)
    )
    with Catalogue.open(val / "val.sqlite") as catalogue:
        result = evaluate(catalogue, taxonomy, read_predictions(tmp_path / "top5.tsv"))
    assert result.images == 2000 and result.unmatched == 1
    assert result.unmatched_examples == ["ILSVRC2012_val_99999999.JPEG"]
    assert result.top5 == pytest.approx(hits / 2000)
    assert result.top1 == pytest.approx((known["truth"][:2000] == known["predicted"][:2000]).mean())


def test_flagged_wrong_labels_are_scored_apart_or_left_out(val, taxonomy, known):
    wrong = {
        p
        for p, t, q in zip(known["paths"], known["truth"], known["predicted"], strict=True)
        if t != q
    }
    wrong = set(sorted(wrong)[:500])
    predictions = read_predictions(val / "pred.csv")
    with Catalogue.open(val / "val.sqlite") as catalogue:
        apart = evaluate(catalogue, taxonomy, predictions, wrong_label=wrong)
        left_out = evaluate(
            catalogue, taxonomy, predictions, wrong_label=wrong, exclude_flagged=True
        )
    assert apart.images == 50_000 and apart.flagged == {
        "images": 500,
        "top1": 0.0,
        "excluded": False,
    }
    assert left_out.images == 49_500
    right = int((known["truth"] == known["predicted"]).sum())
    assert left_out.top1 == pytest.approx(right / 49_500)


def test_class_orders_ship_with_the_app():
    for name, (size, _) in LAYOUTS.items():
        order = class_order(name)
        assert len(order) == size == len(set(order)), name
    assert class_order("imagenet22k") == sorted(class_order("imagenet22k"))
    assert class_order("imagenet22k_ms")[:1000] == class_order("ilsvrc2012")


def test_bad_prediction_files_are_said_clearly(val, taxonomy, tmp_path):
    cases = {
        "no_header.csv": ("val/n01440764/x.JPEG,n01440764\n", "looks like data"),
        "mixed.csv": ("path,wnid\na.JPEG,n01440764\nb.JPEG,7\n", "mixes wnids and class indices"),
        "big_indices.csv": ("path,class\na.JPEG,5000\n", "--classes"),
        "one_column.csv": ("path\na.JPEG\n", "header"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(CatalogueError, match=message):
            read_predictions(tmp_path / name)
    with pytest.raises(CatalogueError, match="neither a known order"):
        read_predictions(tmp_path / "big_indices.csv", classes="imagenet99k")
    (tmp_path / "classes.txt").write_text("n01440764 tench\nnot-a-wnid\n")
    with pytest.raises(CatalogueError, match=r"classes\.txt:2"):
        class_order(tmp_path / "classes.txt")
    with pytest.raises(CatalogueError, match="Cannot read"):
        read_predictions(tmp_path / "missing.csv")
    # rows that cannot be read are counted, with examples, and the rest scored
    (tmp_path / "rows.csv").write_text(
        "path,class,score\na.JPEG,1,0.9\n,2,0.1\nb.JPEG,,0.5\nc.JPEG,x,0.2\nd.JPEG,1200,0.3\n"
    )
    rows = read_predictions(tmp_path / "rows.csv", classes="ilsvrc2012")
    assert rows.paths == ["a.JPEG"] and rows.bad_rows == 4
    assert any("past the 1,000 classes" in e for e in rows.bad_examples)
    # 21k indices with their order named
    (tmp_path / "w21k.csv").write_text("path,class\na.JPEG,20000\n")
    assert read_predictions(tmp_path / "w21k.csv", classes="imagenet22k").wnids(0) == [
        class_order("imagenet22k")[20000]
    ]
