"""Special files named like images (a FIFO, links to /dev/zero and /dev/urandom, a socket, a
folder): every reader of image bytes refuses them at once with what they are, never blocks.

A plain open() of the FIFO waits for a writer, and reading the links never ends: each case
runs in a thread with a deadline, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Timeout

import pytest
from hostile_corpus import make_hostile_corpus

from explorer.core.curation import ImageRef, hash_files
from explorer.core.images import (
    NotRegularFileError,
    check_image,
    file_digest,
    make_thumbnail,
    open_regular_file,
)

KINDS = {
    "fifo.JPEG": "a FIFO",
    "zero_link.JPEG": "a character device",
    "urandom_link.JPEG": "a character device",
    "socket.JPEG": "a socket",
    "directory.JPEG": "a folder",
}
DEADLINE = 5.0  # seconds; each call takes well under a millisecond


@pytest.fixture(scope="module")
def special(tmp_path_factory):
    folder = tmp_path_factory.mktemp("special")
    made = make_hostile_corpus(folder)
    missing = set(KINDS) - set(made)
    if missing:
        pytest.skip(f"this platform cannot make {', '.join(sorted(missing))}")
    return folder


@pytest.fixture(scope="module")
def pool():
    # A hung call leaves its thread behind; the pool is not waited for at the end.
    executor = ThreadPoolExecutor(4, thread_name_prefix="special")
    yield executor
    executor.shutdown(wait=False, cancel_futures=True)


def promptly(pool, function, *args):
    started = time.monotonic()
    try:
        result = pool.submit(function, *args).result(timeout=DEADLINE)
    except Timeout:
        pytest.fail(f"{function.__name__}{args} blocked for more than {DEADLINE} s")
    assert time.monotonic() - started < 1.0
    return result


def _open_and_close(path):
    with open_regular_file(path):
        pass


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_opener_says_what_the_file_is(special, pool, name):
    with pytest.raises(NotRegularFileError) as raised:
        promptly(pool, _open_and_close, special / name)
    assert raised.value.strerror == f"not a regular file: {KINDS[name]}"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_check_image_calls_it_unreadable(special, pool, name):
    check = promptly(pool, check_image, special / name)
    assert check.problems == ("unreadable",)
    assert check.detail == f"not a regular file: {KINDS[name]}"
    assert check.content_hash is None


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_thumbnail_gives_the_reason(special, pool, name):
    thumb = promptly(pool, make_thumbnail, special / name, 64)
    assert thumb.data is None and thumb.error == f"not a regular file: {KINDS[name]}"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_content_digest_is_none(special, pool, name):
    assert promptly(pool, file_digest, special / name) is None
    assert promptly(pool, file_digest, os.fsencode(special / name)) is None


def test_curation_hashing_skips_them_and_hashes_the_rest(special, pool):
    refs = [ImageRef(name, special / name) for name in [*sorted(KINDS), "clean.JPEG"]]
    hashed = promptly(pool, hash_files, refs)
    assert [ref.content_hash for ref in hashed[:-1]] == [None] * len(KINDS)
    assert hashed[-1].content_hash == file_digest(special / "clean.JPEG") is not None
