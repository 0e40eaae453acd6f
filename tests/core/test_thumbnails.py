"""Thumbnails of the real ILSVRC samples and of hostile files, and their disk cache."""

from __future__ import annotations

import io
import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile_corpus import NON_UTF8_NAME, encode, make_hostile_corpus, photo
from PIL import ExifTags, Image, ImageChops, ImageFile, ImageOps, ImageStat

from explorer.core import paths
from explorer.core.images import (
    SIZES,
    Thumbnail,
    ThumbnailCache,
    default_thumbnail_cache,
    make_thumbnail,
)
from explorer.core.images import fast_jpeg as fast_jpeg
from explorer.core.images.decoding import open_header, upright_turn

CAN_OPENER = "n02951585_can_opener.JPEG"  # EXIF Orientation 6 (shared/data/README.md)
GRAYSCALE_SAMPLES = ("n02096051_Airedale.JPEG", "n02676566_acoustic_guitar.JPEG")
# Files of the hostile corpus that cannot give a thumbnail; every other one must.
HOSTILE_FAILURES = {
    "zero_byte.JPEG",
    "truncated.JPEG",
    "truncated.png",
    "bomb.png",
    "just_over_limit.png",
    "big_rgba.png",
    "many_scans.JPEG",
    "notes.jpg",
    "noise.bin",
    "directory.JPEG",
    "dangling.JPEG",
    "loop_a.JPEG",
    "loop_b.JPEG",
    "fifo.JPEG",
    "zero_link.JPEG",
    "urandom_link.JPEG",
    "socket.JPEG",
}


@pytest.fixture(scope="module")
def samples(shared_data) -> list[Path]:
    folder = shared_data / "imagenet-samples"
    found = sorted(folder.glob("*.JPEG"))
    if not found:
        pytest.skip(f"no ILSVRC sample images in {folder}")
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, dict[str, set[str]]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, make_hostile_corpus(folder)


def decoded(thumb: Thumbnail) -> Image.Image:
    assert thumb.data is not None, thumb.error
    image = Image.open(io.BytesIO(thumb.data))
    image.load()
    return image


def shown_size(path: Path) -> tuple[int, int]:
    """The image's size as a viewer shows it: EXIF orientations 5-8 swap the sides."""
    with Image.open(path) as image:
        orientation = image.getexif().get(ExifTags.Base.Orientation)
        width, height = image.size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def assert_fits(thumb: Thumbnail, shown: tuple[int, int], size: int) -> None:
    width, height = shown
    scale = min(1.0, size / max(width, height))  # never enlarged
    assert max(thumb.width, thumb.height) <= size
    assert abs(thumb.width - width * scale) <= 1 and abs(thumb.height - height * scale) <= 1
    assert max(thumb.width, thumb.height) == round(max(width, height) * scale)


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def reference(path: Path, size: int) -> Image.Image:
    """A slow, obviously right thumbnail: full decode, exif_transpose, Lanczos."""
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image.convert("RGB"))
    upright.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=None)
    return upright


# --- make_thumbnail on real images -------------------------------------------------------


def test_real_samples_fit_keep_their_aspect_and_are_rgb(samples):
    chosen = samples[::2]  # half of them: the other half costs seconds and adds little
    with ThreadPoolExecutor(2) as pool:  # as the GUI calls it: from worker threads
        thumbs = list(pool.map(lambda path: make_thumbnail(path, 128), chosen))
    for path, thumb in zip(chosen, thumbs, strict=True):
        assert thumb.error == "" and not thumb.from_cache, path.name
        assert_fits(thumb, shown_size(path), 128)
        image = decoded(thumb)
        assert (image.format, image.mode, image.size) == (
            "JPEG",
            "RGB",
            (thumb.width, thumb.height),
        )


@pytest.mark.parametrize("size", SIZES)
def test_every_grid_size_fits(samples, size):
    for path in samples[::50]:
        thumb = make_thumbnail(path, size)
        assert_fits(thumb, shown_size(path), size)
        assert decoded(thumb).size == (thumb.width, thumb.height)


def test_exif_rotation_is_applied(samples):
    path = next(p for p in samples if p.name == CAN_OPENER)
    with Image.open(path) as image:
        assert image.width > image.height  # stored landscape...
        assert image.getexif()[ExifTags.Base.Orientation] == 6
    thumb = make_thumbnail(path, 128)
    assert thumb.height > thumb.width  # ...shown portrait
    # And turned the right way (270°, not 90°): close to a slow, obviously right reference.
    want = reference(path, 128)
    got = decoded(thumb).resize(want.size)
    assert mean_difference(got, want) < 8
    assert mean_difference(got, want.transpose(Image.Transpose.ROTATE_180)) > 20


def test_thumbnails_look_like_a_careful_resize(samples):
    differences = []
    for path in samples[::50]:
        want = reference(path, 128)
        got = decoded(make_thumbnail(path, 128))
        assert got.size == want.size, path.name
        differences.append(mean_difference(got, want))
    # Levels of 255: bilinear after a draft decode, JPEG q85, against full-size Lanczos.
    assert max(differences) < 14 and sum(differences) / len(differences) < 6


def test_grayscale_and_cmyk_become_rgb(samples, tmp_path):
    for name in GRAYSCALE_SAMPLES:
        path = next(p for p in samples if p.name == name)
        with Image.open(path) as image:
            assert image.mode == "L"
        assert decoded(make_thumbnail(path, 96)).mode == "RGB"
    source = samples[0]
    cmyk = tmp_path / "cmyk.JPEG"
    with Image.open(source) as image:
        image.convert("CMYK").save(cmyk, "JPEG", quality=95)
    with Image.open(cmyk) as image:
        assert image.mode == "CMYK"
    image = decoded(make_thumbnail(cmyk, 96))
    assert image.mode == "RGB"
    assert mean_difference(image, decoded(make_thumbnail(source, 96))) < 8  # same colours


def test_transparency_gives_png_and_opaque_alpha_gives_jpeg(tmp_path):
    clear = Image.new("RGBA", (300, 200), (255, 0, 0, 0))
    clear.paste((0, 128, 0, 255), (50, 50, 150, 150))
    clear.save(tmp_path / "clear.png")
    Image.new("RGBA", (300, 200), (0, 0, 255, 255)).save(tmp_path / "opaque.png")
    Image.new("LA", (90, 60), (100, 50)).save(tmp_path / "gray_alpha.png")
    Image.new("RGB", (90, 60), (1, 2, 3)).save(tmp_path / "trns.png", transparency=(1, 2, 3))
    photo((90, 60)).quantize(16).save(tmp_path / "palette.gif")
    expect = {
        "clear.png": ("PNG", "RGBA"),
        "opaque.png": ("JPEG", "RGB"),
        "gray_alpha.png": ("PNG", "RGBA"),
        "trns.png": ("PNG", "RGBA"),
        "palette.gif": ("JPEG", "RGB"),
    }
    for name, (fmt, mode) in expect.items():
        image = decoded(make_thumbnail(tmp_path / name, 64))
        assert (image.format, image.mode) == (fmt, mode), name
    image = decoded(make_thumbnail(tmp_path / "clear.png", 64))
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((20, 21))[3] == 255


def test_small_images_are_not_enlarged(tmp_path):
    encode_to = tmp_path / "small.JPEG"
    encode_to.write_bytes(encode(photo((40, 30)), "JPEG"))
    thumb = make_thumbnail(encode_to, 256)
    assert (thumb.width, thumb.height) == (40, 30)


def test_size_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        make_thumbnail(tmp_path / "x.JPEG", 0)


# --- hostile files ---------------------------------------------------------------------


def test_every_hostile_file_gives_a_thumbnail_or_a_reason(hostile):
    folder, expected = hostile
    names = [os.fsencode(name) for name in expected]
    with ThreadPoolExecutor(4) as pool:
        thumbs = list(
            pool.map(lambda name: make_thumbnail(os.fsencode(folder) + b"/" + name, 64), names)
        )
    for name, thumb in zip(expected, thumbs, strict=True):
        # no_permission.JPEG is unreadable for a user, but root reads it (CI runs as root)
        if name in HOSTILE_FAILURES or "unreadable" in expected[name]:
            assert thumb.data is None and thumb.error, name
            assert (thumb.width, thumb.height) == (0, 0)
            assert len(thumb.error) <= 120
        else:
            assert thumb.error == "", (name, thumb.error)
            assert decoded(thumb).size == (thumb.width, thumb.height)


def test_reasons_say_what_is_wrong(hostile):
    folder, _expected = hostile
    reasons = {name: make_thumbnail(folder / name, 64).error for name in HOSTILE_FAILURES}
    assert reasons["zero_byte.JPEG"] == "empty file"
    assert "truncated" in reasons["truncated.JPEG"]
    assert "not an image" in reasons["notes.jpg"]
    assert "pixels" in reasons["bomb.png"]
    assert reasons["directory.JPEG"] == "not a regular file: a folder"
    assert reasons["many_scans.JPEG"] == "too many JPEG scans to decode: more than 100"
    assert reasons["big_rgba.png"] == (
        "too large to decode: 9400×9400 RGBA needs 337 MiB, over 256 MiB"
    )


def test_missing_files_are_told_apart_from_files_that_cannot_be_shown(hostile, tmp_path):
    """No file at the path (deleted, moved, a link to nowhere, a file where a folder of the
    path should be) is "missing"; every file that is there but gives no thumbnail is not."""
    folder, _expected = hostile
    for name in HOSTILE_FAILURES:
        thumb = make_thumbnail(folder / name, 64)
        assert thumb.missing == (name == "dangling.JPEG"), (name, thumb.error)
    (tmp_path / "a_file").write_bytes(b"")
    for gone in (tmp_path / "deleted.JPEG", tmp_path / "a_file" / "below.JPEG"):
        thumb = make_thumbnail(gone, 64)
        assert (thumb.data, thumb.error, thumb.missing) == (None, "file not found", True)
        # bytes paths, and the cache whether it stats the file or is given its key
        assert make_thumbnail(os.fsencode(gone), 64).missing
        cache = ThumbnailCache(tmp_path / "cache")
        assert cache.get_or_make(gone, None, None, 64).missing
        assert cache.get_or_make(gone, 1234, 5678, 64).missing
        again = cache.get_or_make(gone, 1234, 5678, 64)  # remembered: still missing
        assert again.from_cache and again.missing and again.error == "file not found"
    assert not make_thumbnail(tmp_path / "nul\0byte.JPEG", 64).missing  # a bad name


@pytest.mark.parametrize("name", ["many_scans.JPEG", "big_rgba.png"])
def test_costly_decodes_are_refused_in_milliseconds(hostile, monkeypatch, name):
    """Plain Pillow took 7 s (3,000 scans) and 708 MB (9,400² RGBA) for these thumbnails."""
    folder, _expected = hostile

    def refuse(self):
        raise AssertionError(f"decoded {name}")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    started = time.perf_counter()
    thumb = make_thumbnail(folder / name, 256)
    assert time.perf_counter() - started < 1.0
    assert thumb.data is None and "to decode" in thumb.error


def test_hostile_files_print_nothing_whatever_the_warning_filter(hostile, capfd):
    folder, expected = hostile
    unreadable = {name for name, codes in expected.items() if "unreadable" in codes}
    for action in ("always", "error"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter(action)
            errors = {name: make_thumbnail(folder / name, 64).error for name in expected}
        assert caught == [], action
        failed = {name for name, error in errors.items() if error}
        assert failed <= HOSTILE_FAILURES | unreadable, action
    assert capfd.readouterr() == ("", "")


def test_the_bomb_is_judged_from_its_header(hostile):
    folder, _expected = hostile
    started = time.perf_counter()
    thumb = make_thumbnail(folder / "bomb.png", 256)  # 100,000 × 100,000 declared
    assert thumb.data is None and "pixels" in thumb.error
    assert time.perf_counter() - started < 0.5  # decoding it would take minutes and 30 GB


def test_a_fifo_does_not_block(hostile):
    folder, expected = hostile
    if "fifo.JPEG" not in expected:
        pytest.skip("no FIFOs on this platform")
    assert make_thumbnail(folder / "fifo.JPEG", 64).error


def test_non_utf8_names_work_as_bytes(hostile, tmp_path):
    folder, expected = hostile
    if os.fsdecode(NON_UTF8_NAME) not in expected:
        pytest.skip("this file system refuses names that are not UTF-8")
    path = os.fsencode(folder) + b"/" + NON_UTF8_NAME
    assert make_thumbnail(path, 64).error == ""
    cache = ThumbnailCache(tmp_path / "cache")
    assert not cache.get_or_make(path, None, None, 64).from_cache
    assert cache.get_or_make(path, None, None, 64).from_cache


# --- the fast path: plain JPEGs decoded by simplejpeg --------------------------------------


@pytest.fixture
def pillow_only(monkeypatch):
    """make_thumbnail as it is where simplejpeg does not import: Pillow decodes everything."""
    monkeypatch.setattr(fast_jpeg, "_simplejpeg", lambda: None)


def sample(samples: list[Path], name: str) -> Path:
    return next(path for path in samples if path.name == name)


def with_icc(samples: list[Path], description: bytes) -> Path:
    """The first sample whose embedded ICC profile's bytes hold ``description``."""
    for path in samples:
        with Image.open(path) as image:
            if description in image.info.get("icc_profile", b""):
                return path
    pytest.skip(f"no sample with a {description!r} ICC profile")


def test_the_decoder_is_chosen_by_the_file(samples, tmp_path):
    """A plain JPEG takes the fast path; CMYK, progressive and other formats take Pillow's.
    If simplejpeg stopped importing, the first assertion would fail, not just run slower."""
    assert fast_jpeg.fast_jpeg_available()
    assert make_thumbnail(samples[0], 128).decoder == "simplejpeg"
    assert make_thumbnail(sample(samples, GRAYSCALE_SAMPLES[0]), 128).decoder == "simplejpeg"
    with Image.open(samples[0]) as image:
        picture = image.convert("RGB")
    made = {
        "cmyk.JPEG": encode(picture.convert("CMYK"), "JPEG"),
        "progressive.JPEG": encode(picture, "JPEG", progressive=True),
        "picture.png": encode(picture, "PNG"),
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
        thumb = make_thumbnail(tmp_path / name, 128)
        assert (thumb.error, thumb.decoder) == ("", "pillow"), name
    assert make_thumbnail(tmp_path / "gone.JPEG", 128).decoder == ""  # nothing decoded


def test_the_fast_path_looks_like_pillows(samples, pillow_only, monkeypatch):
    """Same size, close pixels: 1.9 levels of 255 apart on average over 100 samples, 6.6 at
    most (simplejpeg decodes at 3/8 where Pillow's draft decodes at 1/2, before the resize)."""
    chosen = samples[::40] + [sample(samples, name) for name in (CAN_OPENER, *GRAYSCALE_SAMPLES)]
    slow = [make_thumbnail(path, 128) for path in chosen]
    monkeypatch.undo()  # simplejpeg back
    fast = [make_thumbnail(path, 128) for path in chosen]
    differences = []
    for path, pillow, simple in zip(chosen, slow, fast, strict=True):
        assert (pillow.decoder, simple.decoder) == ("pillow", "simplejpeg"), path.name
        assert (simple.width, simple.height) == (pillow.width, pillow.height), path.name
        differences.append(mean_difference(decoded(simple), decoded(pillow)))
    assert max(differences) < 8 and sum(differences) / len(differences) < 3


def test_the_fast_path_keeps_the_exif_and_xmp_orientation(samples, hostile, tmp_path):
    """The orientation is read from the JPEG's bytes exactly as Pillow reads it: EXIF first,
    else XMP; a corrupt EXIF is the image as stored, as on Pillow's path."""
    folder, expected = hostile
    jpegs = [folder / name for name in expected if name.endswith(".JPEG") and "exif" in name]
    jpegs += [folder / "rotated.JPEG", sample(samples, CAN_OPENER)]
    picture = photo((90, 60))
    (tmp_path / "xmp.JPEG").write_bytes(
        encode(picture, "JPEG", xmp=b'<x:xmpmeta><rdf:Description tiff:Orientation="8"/>')
    )
    jpegs.append(tmp_path / "xmp.JPEG")
    for path in jpegs:
        data = path.read_bytes()
        header = fast_jpeg.plain_jpeg(data)
        assert header is not None, path.name
        with open(path, "rb") as file, open_header(file) as image:
            assert fast_jpeg.decode(data, header, (32, 32))[2] == upright_turn(image), path.name
    thumb = make_thumbnail(tmp_path / "xmp.JPEG", 64)
    assert (thumb.decoder, thumb.width, thumb.height) == ("simplejpeg", 43, 64)  # turned 90°
    can_opener = make_thumbnail(sample(samples, CAN_OPENER), 128)
    assert can_opener.decoder == "simplejpeg" and can_opener.height > can_opener.width


def test_icc_tagged_jpegs_look_as_on_pillows_path(samples, pillow_only, monkeypatch):
    """An embedded ICC profile is ignored on both paths (as it was before the fast path): a
    thumbnail of an Adobe RGB sample is the same picture whichever decoder made it."""
    path = with_icc(samples, b"Adobe RGB")
    pillow = make_thumbnail(path, 128)
    monkeypatch.undo()
    simple = make_thumbnail(path, 128)
    assert (pillow.decoder, simple.decoder) == ("pillow", "simplejpeg")
    assert mean_difference(decoded(simple), decoded(pillow)) < 8


def test_what_the_fast_path_does_not_take_goes_to_pillow(hostile, tmp_path):
    """Hostile JPEGs: those the fast path must not decode still give Pillow's reasons, and a
    comment full of scan markers is skipped by its length."""
    folder, _expected = hostile
    assert fast_jpeg.plain_jpeg((folder / "many_scans.JPEG").read_bytes()) is None
    assert fast_jpeg.plain_jpeg((folder / "cmyk.JPEG").read_bytes()) is None
    truncated = make_thumbnail(folder / "truncated.JPEG", 64)  # libjpeg-turbo warns: Pillow
    assert truncated.data is None and "truncated" in truncated.error
    assert make_thumbnail(folder / "scan_markers_in_comment.JPEG", 64).decoder == "simplejpeg"
    # A header that claims 30,000² pixels: refused from the header, never decoded.
    data = bytearray((folder / "clean.JPEG").read_bytes())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = (30_000).to_bytes(2, "big") * 2
    (tmp_path / "claims_30000.JPEG").write_bytes(bytes(data))
    started = time.perf_counter()
    thumb = make_thumbnail(tmp_path / "claims_30000.JPEG", 64)
    assert time.perf_counter() - started < 0.5
    assert thumb.data is None and "too many pixels" in thumb.error


def test_the_fast_path_never_raises_on_cut_or_damaged_headers(samples):
    """Every prefix of a real header, and bytes flipped in it: a header or None, no exception."""
    data = samples[0].read_bytes()
    header_end = data.index(b"\xff\xda") + 14
    for end in range(header_end):
        fast_jpeg.plain_jpeg(data[:end])
    for at in range(2, header_end):
        damaged = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 : header_end + 2000]
        header = fast_jpeg.plain_jpeg(damaged)
        if header is not None:
            fast_jpeg.decode(damaged, header, (64, 64))


# --- the disk cache --------------------------------------------------------------------


@pytest.fixture
def pictures(tmp_path) -> list[Path]:
    folder = tmp_path / "pictures"
    folder.mkdir()
    made = []
    for number in range(12):
        path = folder / f"p{number:02d}.JPEG"
        path.write_bytes(encode(photo((160 + 8 * number, 120)), "JPEG", quality=90))
        made.append(path)
    return made


def stat_key(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def entries(cache: ThumbnailCache) -> list[Path]:
    return sorted(p for p in cache.folder.rglob("*") if p.is_file())


def test_second_call_comes_from_the_cache(pictures, tmp_path):
    cache = ThumbnailCache(tmp_path / "cache")
    path = pictures[0]
    first = cache.get_or_make(path, *stat_key(path), 96)
    second = cache.get_or_make(path, *stat_key(path), 96)
    assert not first.from_cache and second.from_cache
    assert (second.data, second.width, second.height) == (first.data, first.width, first.height)
    assert second.error == ""
    (entry,) = entries(cache)
    assert entry.parent.parent == cache.folder and len(entry.parent.name) == 2
    assert entry.suffix == ".jpg" and entry.stem.startswith(entry.parent.name)
    # Another size is another entry; a new instance on the same folder finds both.
    cache.get_or_make(path, *stat_key(path), 64)
    again = ThumbnailCache(tmp_path / "cache")
    assert again.get_or_make(path, *stat_key(path), 96).from_cache
    assert again.get_or_make(path, *stat_key(path), 64).from_cache
    assert len(entries(cache)) == 2


def test_png_entries_are_cached_too(tmp_path):
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (300, 200), (255, 0, 0, 60)).save(clear)
    cache = ThumbnailCache(tmp_path / "cache")
    first = cache.get_or_make(clear, None, None, 128)
    second = cache.get_or_make(clear, None, None, 128)
    assert second.from_cache and second.data == first.data
    assert (second.width, second.height) == (128, 85)
    assert [p.suffix for p in entries(cache)] == [".png"]


def test_changed_mtime_or_size_misses(pictures, tmp_path):
    cache = ThumbnailCache(tmp_path / "cache")
    path = pictures[1]
    size, mtime = stat_key(path)
    cache.get_or_make(path, size, mtime, 96)
    assert cache.get_or_make(path, size, mtime, 96).from_cache
    assert not cache.get_or_make(path, size, mtime + 1, 96).from_cache
    assert not cache.get_or_make(path, size + 1, mtime, 96).from_cache
    # With no size and mtime the file is stat'ed (the same entry), and an edit misses by itself.
    assert cache.get_or_make(path, None, None, 96).from_cache
    path.write_bytes(encode(photo((64, 64)), "JPEG"))
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    fresh = cache.get_or_make(path, None, None, 96)
    assert not fresh.from_cache and (fresh.width, fresh.height) == (64, 64)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"\0" * len(data), id="zeros"),
        pytest.param(lambda data: b"GIF89a" + data[6:], id="wrong-signature"),
        pytest.param(lambda data: data[:2] + b"\xff\xd9", id="no-frame"),
    ],
)
def test_a_damaged_entry_is_a_miss_and_is_repaired(pictures, tmp_path, damage):
    cache = ThumbnailCache(tmp_path / "cache")
    path = pictures[2]
    good = cache.get_or_make(path, *stat_key(path), 128)
    (entry,) = entries(cache)
    entry.write_bytes(damage(entry.read_bytes()))
    again = cache.get_or_make(path, *stat_key(path), 128)
    assert not again.from_cache and again.data == good.data
    assert entry.read_bytes() == good.data  # repaired
    assert cache.get_or_make(path, *stat_key(path), 128).from_cache


def test_an_unreadable_entry_never_crashes(pictures, tmp_path):
    cache = ThumbnailCache(tmp_path / "cache")
    path = pictures[3]
    key = cache.key(path, *stat_key(path), 64)
    jpeg, _png = cache.entry_paths(key)
    jpeg.mkdir(parents=True)  # a folder where the entry should be
    thumb = cache.get_or_make(path, *stat_key(path), 64)
    assert thumb.error == "" and thumb.data
    assert not [p for p in jpeg.parent.iterdir() if p.name.startswith(".tmp-")]


def test_failures_are_not_written_to_disk(hostile, tmp_path):
    folder, _expected = hostile
    cache = ThumbnailCache(tmp_path / "cache")
    broken = folder / "truncated.JPEG"
    first = cache.get_or_make(broken, None, None, 64)
    second = cache.get_or_make(broken, None, None, 64)
    assert first.data is None and "truncated" in first.error and not first.from_cache
    assert second.data is None and second.error == first.error  # remembered for a while
    assert entries(cache) == []
    assert not ThumbnailCache(tmp_path / "cache").get_or_make(broken, None, None, 64).from_cache
    missing = cache.get_or_make(folder / "not_there.JPEG", None, None, 64)
    assert missing.error == "file not found" and missing.missing and not first.missing
    assert not second.missing  # what is remembered keeps its kind


def test_a_file_gone_since_its_entry_was_made(pictures, tmp_path):
    """Given the key the catalogue recorded, a hit never looks at the file (a grid of cached
    thumbnails reads no image file); without it, the file is stat'ed: a file a rescan
    found gone (its row not present) shows as missing, not as its old thumbnail."""
    cache = ThumbnailCache(tmp_path / "cache")
    path = pictures[0]
    key = stat_key(path)
    assert cache.get_or_make(path, *key, 64).data
    path.unlink()
    assert cache.get_or_make(path, *key, 64).from_cache
    gone = cache.get_or_make(path, None, None, 64)
    assert gone.data is None and gone.missing and gone.error == "file not found"


def test_four_threads_on_the_same_files(pictures, tmp_path):
    files = pictures
    work = [(path, size) for _ in range(3) for path in files for size in (64, 128)]
    expected = {(path, size): make_thumbnail(path, size) for path in files for size in (64, 128)}
    cache = ThumbnailCache(tmp_path / "cache")
    start = threading.Barrier(4)

    def run(chunk):
        start.wait()
        return [(item, cache.get_or_make(item[0], *stat_key(item[0]), item[1])) for item in chunk]

    with ThreadPoolExecutor(4) as pool:
        results = [r for chunk in pool.map(run, [work[i::4] for i in range(4)]) for r in chunk]
    for item, thumb in results:
        want = expected[item]
        assert thumb.error == "" and thumb.data == want.data
        assert (thumb.width, thumb.height) == (want.width, want.height)
    stored = entries(cache)
    assert len(stored) == len(expected)  # one entry each, no temp files left over
    assert all(cache.get_or_make(p, *stat_key(p), s).from_cache for p, s in expected)


def test_prune_drops_the_least_recently_used_above_max_bytes(pictures, tmp_path):
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10**9)
    for path in pictures:
        cache.get_or_make(path, *stat_key(path), 128)
    stored = entries(cache)
    by_picture = {}
    now = time.time()
    for age, path in enumerate(reversed(pictures)):  # pictures[0] is the oldest used
        entry = cache.entry_paths(cache.key(path, *stat_key(path), 128))[0]
        os.utime(entry, (now - 100 * age, now - 100 * age))
        by_picture[path] = entry
    stale_temp = stored[0].parent / ".tmp-crashed.jpg"
    stale_temp.write_bytes(b"x" * 100)
    os.utime(stale_temp, (now - 7200, now - 7200))
    total = sum(p.stat().st_size for p in stored)
    assert cache.prune() == 100  # under the limit: only the crash's leftover goes

    cache.max_bytes = total // 2
    freed = cache.prune()
    left = entries(cache)
    assert sum(p.stat().st_size for p in left) <= cache.max_bytes
    assert freed == total - sum(p.stat().st_size for p in left)
    kept = [path for path in pictures if by_picture[path].exists()]
    assert kept == pictures[len(pictures) - len(kept) :]  # the most recently used survive
    assert by_picture[pictures[-1]].exists() and not by_picture[pictures[0]].exists()
    # A hit refreshes an old entry's clock, so it outlives entries used after it.
    survivor = kept[0]
    os.utime(by_picture[survivor], (now - 10**6, now - 10**6))
    assert cache.get_or_make(survivor, *stat_key(survivor), 128).from_cache
    assert by_picture[survivor].stat().st_mtime > now - 10


def test_the_cache_prunes_itself(pictures, tmp_path):
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=12_000)
    for path in pictures:
        cache.get_or_make(path, *stat_key(path), 256)
    assert 0 < sum(p.stat().st_size for p in entries(cache)) <= 12_000


def test_default_cache_is_under_the_cache_dir():
    cache = default_thumbnail_cache()
    assert cache.folder == paths.cache_dir() / "thumbnails"
    assert cache.folder.is_dir()
    assert str(cache.folder).startswith(os.environ["WNEXPLORER_DATA_DIR"])
