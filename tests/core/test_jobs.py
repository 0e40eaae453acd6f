"""Progress as the command line prints it."""

from __future__ import annotations

import io

from explorer.core.jobs import StderrProgress


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
