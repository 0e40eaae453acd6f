"""image_list.arrange: the grid's filters and sorts, on a real audited catalogue."""

from __future__ import annotations

import pytest

from explorer.core.catalogue import FILTERS, SORTS, Catalogue, arrange, index_catalogue
from explorer.core.images import audit_catalogue


@pytest.fixture(scope="module")
def rows(tmp_path_factory, taxonomy, shared_data):
    """The 1,000 real ILSVRC samples, indexed and audited."""
    folder = shared_data / "imagenet-samples"
    work = tmp_path_factory.mktemp("arrange")
    summary = index_catalogue(folder, nouns=taxonomy.graph, catalogue=work / "c.sqlite")
    audit_catalogue(summary.catalogue)
    with Catalogue.open(summary.catalogue) as catalogue:
        return catalogue.images(catalogue.label_counts())


def test_every_sort_orders_every_row(rows):
    assert len(rows) == 1000
    by_name = arrange(rows, "name")
    names = [r.path.rsplit("/", 1)[-1].lower() for r in by_name]
    assert names == sorted(names) and len(by_name) == len(rows)
    sizes = [r.size for r in arrange(rows, "size")]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert [r.path for r in arrange(rows, "path")] == sorted(r.path for r in rows)
    with_problems = arrange(rows, "problems")
    first_clean = next(i for i, r in enumerate(with_problems) if not r.problems)
    assert first_clean > 0 and not any(r.problems for r in with_problems[first_clean:])
    for sort in SORTS:
        assert {r.id for r in arrange(rows, sort)} == {r.id for r in rows}


def test_filters_split_the_rows(rows):
    problems, clean = arrange(rows, keep="problems"), arrange(rows, keep="clean")
    assert problems and clean
    assert len(problems) + len(clean) == len(rows)  # every sample was audited
    assert arrange(rows, keep="not_audited") == []
    grayscale = arrange(rows, keep="grayscale")
    assert grayscale and all("grayscale" in r.problems for r in grayscale)
    assert len(arrange(rows, keep="all")) == len(rows) and "all" in FILTERS


def test_unknown_sort_or_filter_is_a_clear_error(rows):
    """The caller's mistake, not the catalogue's: a ValueError (the CLI and the window
    offer only the known ones)."""
    with pytest.raises(ValueError, match="Unknown sort"):
        arrange(rows, sort="colour")
    with pytest.raises(ValueError, match="Unknown image filter"):
        arrange(rows, keep="blurry")
