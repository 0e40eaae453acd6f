"""The audit's report at scale (issue 14): every image with a problem written as read.

ImageNet-21k indexed from its manifest, the files absent, audits as 14.2 million
unreadable images; `wnexplorer audit` then took 9 GB building the report as a
list. Here a manifest of 20,000 absent files, its stored orders in chunks of 1,024: the
report's text and JSON are read a chunk at a time, in a fraction of the memory the list
takes.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest
from click.testing import CliRunner
from manifests import write_manifest

from explorer.cli.commands import cli
from explorer.core.catalogue import Catalogue, index_catalogue, orders
from explorer.core.images import audit_catalogue, audit_report, iter_audit_report

ROWS = 20_000


@pytest.fixture(scope="module")
def audited(tmp_path_factory, taxonomy):
    folder = tmp_path_factory.mktemp("absent")
    wnids = ["n02084071", "n01440764", "n02099601"]
    manifest = write_manifest(folder / "manifest.csv", wnids, ROWS)
    catalogue = folder / "c.sqlite"
    with pytest.MonkeyPatch.context() as patch:  # findings are read a stored chunk at a time
        patch.setattr(orders, "CHUNK", 1024)
        index_catalogue(manifest, nouns=taxonomy.graph, catalogue=catalogue)
    summary = audit_catalogue(catalogue, workers=2)
    assert summary.checked == ROWS and summary.by_code == {"unreadable": ROWS}
    return catalogue


def _peak(function) -> tuple[object, int]:
    """``function()`` and the peak of Python memory it allocated, in bytes."""
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_report_iterator_reads_what_the_list_holds_in_a_fraction_of_its_memory(audited):
    with Catalogue.open(audited) as catalogue:
        report, list_peak = _peak(lambda: audit_report(catalogue))

        def read_all():
            summary, entries = iter_audit_report(catalogue)
            count = sum(1 for entry in entries if entry["problems"] == ["unreadable"])
            return summary, count

        (summary, count), stream_peak = _peak(read_all)
    assert summary == report["summary"] and count == len(report["images"]) == ROWS
    assert stream_peak < list_peak / 4, (stream_peak, list_peak)  # ~1/8: a slice of rows


@pytest.mark.parametrize("as_json", [False, True])
def test_the_audit_command_prints_every_image_without_holding_them(audited, as_json):
    with Catalogue.open(audited) as catalogue:
        _, list_peak = _peak(lambda: audit_report(catalogue))
    arguments = ["audit", "--catalogue", str(audited), *(["--json"] if as_json else [])]
    CliRunner().invoke(cli, ["audit", "--help"])  # its module imported: not the output's memory
    result, peak = _peak(lambda: CliRunner().invoke(cli, arguments))
    assert result.exit_code == 0, result.output
    if as_json:
        images = json.loads(result.stdout)["images"]
        assert len(images) == ROWS and images[0]["problems"] == ["unreadable"]
        assert f"Writing the report: {ROWS:,}/{ROWS:,} (100%)" in result.stderr
    else:
        lines = [line for line in result.stdout.splitlines() if line.endswith("\tunreadable")]
        assert len(lines) == ROWS
    # CliRunner keeps the whole output in memory, as bytes (a buffer that grows by an eighth
    # more than it holds) and as text: allowed for. The JSON run's margin was 0.04 MB with
    # twice the output, and a clean clone's CI went 6 KB over it.
    output = len(result.stdout.encode())
    assert peak - 2.25 * output < list_peak / 4, (peak, output, list_peak)
