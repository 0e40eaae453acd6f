"""check_image on hostile files made with Pillow and on the 1000 real ILSVRC samples."""

from __future__ import annotations

import hashlib
import os
import random
import time
import tracemalloc
import typing
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile_corpus import (
    CLEAN,
    NON_UTF8_NAME,
    encode,
    make_hostile_corpus,
    many_scans_jpeg,
    photo,
)
from PIL import Image, ImageFile, JpegImagePlugin

from explorer.core.images import PROBLEM_CODES, ImageCheck, check_image, image_metadata
from explorer.core.images import decoding as decoding

# /work/shared/data/README.md: the 23 grayscale files among the 1000 samples.
GRAYSCALE_SAMPLES = {
    "n02096051_Airedale.JPEG",
    "n02676566_acoustic_guitar.JPEG",
    "n02692877_airship.JPEG",
    "n02749479_assault_rifle.JPEG",
    "n02815834_beaker.JPEG",
    "n02823750_beer_glass.JPEG",
    "n03388043_fountain.JPEG",
    "n03417042_garbage_truck.JPEG",
    "n03692522_loupe.JPEG",
    "n03697007_lumbermill.JPEG",
    "n03764736_milk_can.JPEG",
    "n03804744_nail.JPEG",
    "n03873416_paddle.JPEG",
    "n03908714_pencil_sharpener.JPEG",
    "n03992509_potter's_wheel.JPEG",
    "n04008634_projectile.JPEG",
    "n04090263_rifle.JPEG",
    "n04254680_soccer_ball.JPEG",
    "n04356056_sunglasses.JPEG",
    "n04371774_swing.JPEG",
    "n04372370_switch.JPEG",
    "n04532670_viaduct.JPEG",
    "n04554684_washer.JPEG",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, set[str]]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, make_hostile_corpus(folder)


def test_problem_codes_are_described_on_one_line():
    assert len(PROBLEM_CODES) == 17
    for code, text in PROBLEM_CODES.items():
        assert code.isidentifier() and text and "\n" not in text
    # codes imports only typing (the CLI's help stays fast): its figures are checked here
    assert f"more than {decoding.MAX_SCANS} scans" in PROBLEM_CODES["too_many_scans"]
    budget = f"more than {decoding.MAX_DECODE_BYTES // 2**20} MiB"
    assert budget in PROBLEM_CODES["too_large_to_decode"]


def test_the_code_types_list_the_tables_codes_in_order():
    from explorer.core.images import AUDIT_CODES, AuditCode, ProblemCode

    assert tuple(PROBLEM_CODES) == typing.get_args(ProblemCode)
    assert tuple(AUDIT_CODES) == typing.get_args(AuditCode)


def test_every_hostile_file_gets_exactly_its_codes(corpus):
    folder, expected = corpus
    wrong = {}
    for name, codes in expected.items():
        check = check_image(folder / name)
        assert isinstance(check, ImageCheck)
        if set(check.problems) != codes:
            wrong[name] = (check.problems, check.detail)
    assert wrong == {}


def test_every_code_is_detectable(corpus):
    _, expected = corpus
    found = set().union(*expected.values()) | {"too_large"}  # too_large: see its own test
    assert found == set(PROBLEM_CODES)


def test_problems_come_in_code_order(corpus):
    folder, _ = corpus
    problems = check_image(folder / "gray16.png").problems
    assert problems == ("high_bit_depth", "grayscale")
    order = list(PROBLEM_CODES)
    assert [order.index(code) for code in problems] == sorted(order.index(c) for c in problems)


def test_clean_files_have_no_problems_and_full_facts(corpus):
    folder, _ = corpus
    for name, form in zip(CLEAN, ("JPEG", "PNG"), strict=True):
        data = (folder / name).read_bytes()
        check = check_image(folder / name)
        assert check == ImageCheck(
            format=form,
            width=96,
            height=64,
            mode="RGB",
            problems=(),
            content_hash=hashlib.blake2b(data, digest_size=16).hexdigest(),
            size=len(data),
            detail="",
        )


def test_hash_and_size_cover_every_byte(corpus):
    folder, expected = corpus
    for name, codes in expected.items():
        path = folder / name
        if "unreadable" in codes:
            assert check_image(path).content_hash is None
            continue
        data = path.read_bytes()
        check = check_image(path)
        assert check.size == len(data), name
        assert check.content_hash == hashlib.blake2b(data, digest_size=16).hexdigest(), name
    assert (folder / "noise.bin").stat().st_size > 2 * 1024 * 1024  # read in several chunks


def test_unreadable_files_say_why(corpus):
    folder, expected = corpus
    cases = [name for name, codes in expected.items() if codes == {"unreadable"}]
    assert "directory.JPEG" in cases
    for name in [*cases, "vanished.JPEG"]:
        check = check_image(folder / name)
        assert check.problems == ("unreadable",)
        assert check.detail and str(folder) not in check.detail
        assert (check.format, check.width, check.size, check.content_hash) == (None,) * 4


def test_unreadable_when_permission_is_denied(tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode; the corpus covers this case as clean")
    path = tmp_path / "locked.JPEG"
    path.write_bytes(encode(photo(), "JPEG"))
    path.chmod(0)
    assert check_image(path).problems == ("unreadable",)


def test_header_facts_survive_a_failed_decode(corpus):
    folder, _ = corpus
    check = check_image(folder / "truncated.JPEG")
    # The full size from the header, not the 1/8 size the draft decode works at.
    assert (check.format, check.width, check.height, check.mode) == ("JPEG", 256, 192, "RGB")
    assert check.problems == ("truncated",)
    assert "truncated" in check.detail


@pytest.mark.parametrize("progressive", [False, True])
def test_truncated_jpeg_is_caught_on_the_reduced_decode(tmp_path, monkeypatch, progressive):
    drafts = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        before = self.size
        result = original(self, mode, size)
        drafts.append((before, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    data = encode(photo((512, 384)), "JPEG", quality=95, progressive=progressive)
    path = tmp_path / "cut.JPEG"
    path.write_bytes(data)
    assert check_image(path).problems == ()
    for cut in (len(data) // 4, len(data) // 2, len(data) * 9 // 10, len(data) - 16):
        path.write_bytes(data[:cut])
        check = check_image(path)
        assert check.problems == ("truncated",), cut
    assert set(drafts) == {((512, 384), (64, 48))}  # every decode ran at 1/8 scale
    assert len(drafts) == 5


def test_truncation_is_found_even_when_pillow_was_told_to_ignore_it(corpus, monkeypatch):
    folder, _ = corpus
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    for name in ("truncated.JPEG", "truncated.png"):
        assert check_image(folder / name).problems == ("truncated",)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the caller's setting comes back


def test_bomb_is_judged_from_the_header_without_allocating(corpus):
    folder, _ = corpus
    tracemalloc.start()
    started = time.perf_counter()
    try:
        check = check_image(folder / "bomb.png")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert check.problems == ("decompression_bomb",)
    assert (check.format, check.width, check.height) == ("PNG", 100_000, 100_000)
    assert check.content_hash is not None
    assert elapsed < 1.0
    assert peak < 10 * 1024 * 1024


def test_a_header_just_over_pillows_limit_is_a_bomb_and_nothing_is_printed(corpus, capfd):
    folder, _ = corpus
    side = int(Image.MAX_IMAGE_PIXELS**0.5) + 10  # over Pillow's limit, under twice it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check = check_image(folder / "just_over_limit.png")
    assert caught == []  # Image.open would warn DecompressionBombWarning
    assert check.problems == ("decompression_bomb",)
    assert (check.width, check.height, check.mode) == (side, side, "RGB")
    assert capfd.readouterr() == ("", "")


def test_no_hostile_file_gives_a_warning_whatever_the_filter(corpus, capfd):
    """Pillow warns of a corrupt EXIF IFD, a pixel count over its limit...: never printed,
    never raised; the file gets its code instead (exif_invalid, decompression_bomb)."""
    folder, expected = corpus
    for action in ("always", "error"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter(action)
            found = {name: set(check_image(folder / name).problems) for name in expected}
        assert caught == [], action
        assert found == expected, action
    assert capfd.readouterr() == ("", "")


def test_quiet_parsing_leaves_the_warning_filters_as_it_found_them():
    """Another thread's catch_warnings (the taxonomy loader has one) may start or end while
    a quiet parse runs: the filters must end as they would have without the parse."""
    before = list(warnings.filters)
    other = warnings.catch_warnings()
    other.__enter__()
    warnings.simplefilter("error")
    with decoding.quiet_pillow():
        other.__exit__(None, None, None)  # the other ends first
    assert warnings.filters == before
    with decoding.quiet_pillow():
        other = warnings.catch_warnings()
        other.__enter__()  # the other starts inside...
        warnings.simplefilter("error")
    other.__exit__(None, None, None)  # ...and ends after
    assert warnings.filters == before


@pytest.mark.parametrize("name", ["exif_ifd_offset.JPEG", "exif_value_offset.JPEG"])
def test_exif_that_pillow_only_warns_about_is_invalid(corpus, name):
    folder, _ = corpus
    with pytest.warns(UserWarning), Image.open(folder / name) as image:
        image.getexif()  # Pillow alone: a warning on stderr, and no orientation read
    check = check_image(folder / name)
    assert check.problems == ("exif_invalid",)
    assert "EXIF" in check.detail and "past" in check.detail


def test_the_viewers_metadata_of_hostile_files_prints_nothing(corpus, capfd, monkeypatch):
    folder, expected = corpus

    def refuse(self):
        raise AssertionError("the metadata decoded an image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)  # a PNG's getexif would
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metadata = {name: image_metadata(folder / name) for name in expected}
    assert caught == []
    assert capfd.readouterr() == ("", "")
    assert metadata["rotated.JPEG"]["exif"]["Orientation"] == "6"
    assert metadata["bomb.png"]["width"] == 100_000
    assert metadata["big_rgba.png"]["mode"] == "RGBA"
    assert "not a regular file: a folder" in metadata["directory.JPEG"]["error"]


def test_images_over_max_pixels_are_never_decoded(corpus, monkeypatch):
    folder, _ = corpus

    def refuse(self):
        raise AssertionError("decoded an image over the pixel limit")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    for name in CLEAN:
        check = check_image(folder / name, max_pixels=96 * 64 - 1)
        assert check.problems == ("decompression_bomb",)  # a decode would add "truncated"
        assert check.detail == "96×64 pixels, over 6,143"


def test_files_over_max_bytes_are_not_read(corpus):
    folder, _ = corpus
    path = folder / "clean.JPEG"
    check = check_image(path, max_bytes=1000)
    assert check.problems == ("too_large",)
    assert (check.format, check.width, check.height) == ("JPEG", 96, 64)  # header only
    assert check.content_hash is None
    assert check.size == path.stat().st_size
    assert check_image(path, max_bytes=path.stat().st_size).problems == ()


def test_every_form_of_an_odd_path_is_flagged(corpus):
    folder, expected = corpus
    name = os.fsdecode(NON_UTF8_NAME)
    if name not in expected:
        pytest.skip("this file system refuses names that are not UTF-8")
    as_bytes = os.fsencode(folder) + b"/" + NON_UTF8_NAME
    for path in (as_bytes, os.fsdecode(as_bytes), folder / name):
        check = check_image(path)
        assert (check.problems, check.format) == (("odd_filename",), "JPEG")
    assert check_image(os.fsencode(folder / "clean.JPEG")).problems == ()
    lone = check_image(str(folder / "lone_\ud800_surrogate.JPEG"))
    assert lone.problems == ("unreadable", "odd_filename")


def test_a_non_path_is_a_caller_bug():
    with pytest.raises(TypeError):
        check_image(None)


def test_mangled_files_never_raise_nor_warn(corpus, tmp_path):
    folder, _ = corpus
    seeds = [
        (folder / name).read_bytes()
        for name in ("clean.JPEG", "clean.png", "animated.gif", "gray16.png", "rotated.JPEG")
    ]
    chance = random.Random(20240601)
    path = tmp_path / "mangled.JPEG"
    for _ in range(600):
        data = bytearray(chance.choice(seeds))
        for _ in range(chance.randint(1, 8)):
            where = chance.randrange(len(data))
            action = chance.random()
            if action < 0.6:
                data[where] = chance.randrange(256)
            elif action < 0.8:
                del data[where:]
            else:
                data[where:where] = chance.randbytes(chance.randint(1, 64))
            if not data:
                break
        path.write_bytes(bytes(data))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check = check_image(path)
        assert set(check.problems) <= set(PROBLEM_CODES)
        assert caught == [], [str(warning.message) for warning in caught]


def test_threads_agree_with_a_single_thread(corpus, monkeypatch):
    folder, expected = corpus
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    paths = [folder / name for name in expected] * 4
    serial = [check_image(path) for path in paths]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(check_image, paths)) == serial
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_the_real_ilsvrc_samples(shared_data):
    folder = shared_data / "imagenet-samples"
    names = sorted(os.listdir(folder))
    assert len(names) == 1000
    checks = {name: check_image(folder / name) for name in names}
    flagged = {name: check.problems for name, check in checks.items() if check.problems}
    assert {name for name, problems in flagged.items() if "grayscale" in problems} == (
        GRAYSCALE_SAMPLES
    )
    assert flagged.pop("n02951585_can_opener.JPEG") == ("exif_rotated",)
    assert flagged.pop("n01728572_thunder_snake.JPEG") == ("exif_invalid",)
    assert flagged.pop("n03337140_file.JPEG") == ("exif_invalid",)
    assert set(flagged.values()) == {("grayscale",)}  # no cmyk, truncated, mismatch...
    assert all(check.format == "JPEG" for check in checks.values())
    assert len({check.content_hash for check in checks.values()}) == 1000


# --- bounded decoding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "reason"),
    [
        ("many_scans.JPEG", "too_many_scans", "too many JPEG scans to decode: more than 100"),
        ("big_rgba.png", "too_large_to_decode", "9400×9400 RGBA needs 337 MiB, over 256"),
    ],
)
def test_costly_decodes_are_judged_from_the_file(corpus, monkeypatch, name, code, reason):
    """Decoded, these took 7 s (3,000 scans) and 353 MB (9,400² RGBA) on the dev-vm."""
    folder, _ = corpus

    def refuse(self):
        raise AssertionError(f"decoded {name}")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    started = time.perf_counter()
    check = check_image(folder / name)
    assert time.perf_counter() - started < 1.0
    assert check.problems == (code,) and reason in check.detail
    assert check.content_hash is not None and min(check.width, check.height) > 2000


def test_the_decode_budget_counts_the_bytes_pillow_allocates(corpus, tmp_path):
    folder, _ = corpus
    png = folder / "clean.png"  # 96×64 RGB: Pillow keeps 4 bytes a pixel
    assert check_image(png, max_decode_bytes=96 * 64 * 4).problems == ()
    assert check_image(png, max_decode_bytes=96 * 64 * 4 - 1).problems == ("too_large_to_decode",)
    gray = folder / "gray.JPEG"  # 1 byte a pixel, decoded at 1/8 scale: 12×8
    assert check_image(gray, max_decode_bytes=12 * 8).problems == ("grayscale",)
    # A progressive JPEG holds every coefficient of the full image, whatever the scale:
    # 2 bytes × 512 × 384 × 1.5 samples a pixel (4:2:0) on top of its 64×48 pixels.
    picture = photo((512, 384))
    for progressive, budget in ((False, 64 * 48 * 4), (True, 64 * 48 * 4 + 2 * 512 * 384 * 3 // 2)):
        path = tmp_path / f"progressive_{progressive}.JPEG"
        path.write_bytes(encode(picture, "JPEG", progressive=progressive))
        assert check_image(path, max_decode_bytes=budget).problems == (), progressive
        assert check_image(path, max_decode_bytes=budget - 1).problems == ("too_large_to_decode",)


def test_scans_are_counted_by_a_marker_walk(tmp_path):
    picture = photo((256, 192))

    def scans(data: bytes) -> int:
        path = tmp_path / "counted.JPEG"
        path.write_bytes(data)
        with open(path, "rb") as file:
            return decoding.jpeg_scan_count(file)

    assert scans(encode(picture, "JPEG")) == 1
    assert scans(encode(picture, "JPEG", progressive=True)) == 10  # libjpeg's colour script
    assert scans(encode(picture.convert("L"), "JPEG", progressive=True)) == 6
    # Scan markers in an ICC profile, a comment or after the end of the image are not scans.
    markers = b"\xff\xda" * 300
    crowded = encode(picture, "JPEG", icc_profile=markers, comment=markers) + markers
    assert scans(crowded) == 1
    many = many_scans_jpeg(side=64, scans=decoding.MAX_SCANS + 50)
    assert scans(many) == decoding.MAX_SCANS + 1  # counting stops past the limit
    # A walk through endless empty segments stops too: it counts as too many scans.
    padded = b"\xff\xd8" + b"\xff\xfe\x00\x02" * 20_000 + encode(picture, "JPEG")[2:]
    assert scans(padded) == decoding.MAX_SCANS + 1


def test_a_jpeg_with_few_scans_is_decoded(tmp_path):
    path = tmp_path / "ninety.JPEG"
    path.write_bytes(many_scans_jpeg(side=64, scans=decoding.MAX_SCANS))
    check = check_image(path)
    assert check.problems == () and check.format == "JPEG"
