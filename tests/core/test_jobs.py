"""Progress as the command line prints it."""

from __future__ import annotations

import io

from explorer.core.jobs import StderrProgress
from explorer.core.text import plural


def test_a_job_start_prints_its_name_not_a_count_of_zero():
    stream = io.StringIO()
    progress = StderrProgress(stream, interval=0)
    progress.progress(0, None, "Writing taxonomy cache")
    progress.progress(0, 10, "Auditing images")
    progress.progress(4, 10)
    progress.progress(10, 10)
    assert stream.getvalue().splitlines() == [
        "Writing taxonomy cache …",
        "Auditing images …",
        "Auditing images: 4/10 (40%)",
        "Auditing images: 10/10 (100%)",
    ]


def test_an_empty_job_still_says_it_finished():
    stream = io.StringIO()
    StderrProgress(stream, interval=0).progress(0, 0, "Indexed /data")
    assert stream.getvalue() == "Indexed /data: 0\n"


def test_plural():
    assert [plural(n, "synset") for n in (0, 1, 2, 1281167)] == [
        "0 synsets",
        "1 synset",
        "2 synsets",
        "1,281,167 synsets",
    ]
    assert plural(1, "child", "children") == "1 child"
    assert plural(3, "child", "children") == "3 children"
