"""Every example in explorer's docstrings runs here, and must be true.

An example runs with its module's names and these, made from real data:
``taxonomy`` (WordNet 3.0), ``catalogue_path`` and ``catalogue`` (a copy of the demo
catalogue, indexed and audited; its images are the demo's), ``store`` (that catalogue's
flag store, empty), ``counts`` (the catalogue's counts over the taxonomy) and ``tmp``
(an empty folder, also the working directory). Each module gets fresh copies, so an
example may flag, write and delete.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import shutil
from pathlib import Path

import pytest

import explorer

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples() -> list[str]:
    names = []
    for module in pkgutil.walk_packages(explorer.__path__, "explorer."):
        spec = importlib.util.find_spec(module.name)
        if spec and spec.origin and ">>> " in Path(spec.origin).read_text(encoding="utf-8"):
            names.append(module.name)
    return sorted(names)


@pytest.fixture(scope="module")
def demo_catalogue(tmp_path_factory, taxonomy) -> Path:
    from explorer.core.demo import ensure_demo_catalogue

    return ensure_demo_catalogue(tmp_path_factory.mktemp("demo-data"), nouns=set(taxonomy.wnids))


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples_are_true(name, tmp_path, monkeypatch, taxonomy, demo_catalogue):
    from explorer.core.analysis import compute_counts
    from explorer.core.catalogue import Catalogue
    from explorer.core.curation import FlagStore

    monkeypatch.chdir(tmp_path)
    catalogue_path = tmp_path / "catalogue.sqlite"
    shutil.copyfile(demo_catalogue, catalogue_path)
    catalogue = Catalogue.open(catalogue_path)
    store = FlagStore.open_for(catalogue_path)
    namespace = {
        "taxonomy": taxonomy,
        "catalogue_path": catalogue_path,
        "catalogue": catalogue,
        "store": store,
        "counts": compute_counts(taxonomy, catalogue.direct_counts(taxonomy.graph)),
        "tmp": tmp_path / "tmp",
    }
    namespace["tmp"].mkdir()
    module = importlib.import_module(name)
    assert "+SKIP" not in Path(module.__file__).read_text(encoding="utf-8"), (
        f"{name}: an example that is skipped is not checked; make it run, or make it prose"
    )
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    tests = doctest.DocTestFinder().find(module, name, globs={**vars(module), **namespace})
    try:
        for test in tests:
            runner.run(test, out=report.append)
    finally:
        store.close()
        catalogue.close()
    assert runner.failures == 0, "".join(report)
    assert runner.tries > 0, f"{name} mentions '>>> ' but has no example doctest finds"
