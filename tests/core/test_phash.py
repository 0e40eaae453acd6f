"""Perceptual hashes (issue 17, first step) on the real ILSVRC samples: altered copies stay
within a few bits, distinct photographs far apart, hostile files give a reason, never an
exception; the JPEG draft decode keeps the hash within a few bits of a full decode."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hostile_corpus import make_hostile_corpus
from PIL import Image, ImageEnhance

from explorer.core.images.phash import distance, hash_pixels, perceptual_hash

ALTERATIONS = {
    "resized by half": lambda im: im.resize((im.width // 2, im.height // 2)),
    "JPEG quality 30": lambda im: im,  # saved at quality 30 below
    "grayscale": lambda im: im.convert("L"),
    "30% brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "5% cropped": lambda im: im.crop(
        (im.width // 40, im.height // 40, im.width - im.width // 40, im.height - im.height // 40)
    ),
}


@pytest.fixture(scope="module")
def samples(shared_data):
    files = sorted((shared_data / "imagenet-samples").glob("*.JPEG"))
    assert len(files) == 1000
    return files


def _full_decode_hash(path) -> int:
    with Image.open(path) as image:
        small = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    return hash_pixels(np.asarray(small))


def test_altered_copies_stay_within_ten_bits(samples, tmp_path):
    chosen = random.Random(17).sample(samples, 40)
    worst = {}
    for path in chosen:
        original = perceptual_hash(path).value
        with Image.open(path) as image:
            photo = image.convert("RGB")
        for name, alter in ALTERATIONS.items():
            copy = tmp_path / "copy.jpg"
            alter(photo).save(copy, "JPEG", quality=30 if "30" in name else 85)
            worst[name] = max(worst.get(name, 0), distance(original, perceptual_hash(copy).value))
    assert all(bits <= 10 for bits in worst.values()), worst
    assert worst["grayscale"] <= 3 and worst["resized by half"] <= 6, worst


def test_distinct_photographs_are_far_apart(samples):
    hashes = [perceptual_hash(path).value for path in samples[:250]]
    assert None not in hashes
    closest = min(distance(a, b) for a, b in itertools.combinations(hashes, 2))
    assert closest >= 12  # 31,125 pairs; measured 14 on the first 300


def test_the_draft_decode_keeps_the_hash_of_a_full_decode(samples, tmp_path):
    for path in samples[:30]:
        assert distance(perceptual_hash(path).value, _full_decode_hash(path)) <= 6, path.name
    png = tmp_path / "photo.png"  # no draft for a PNG: the very same hash
    with Image.open(samples[0]) as image:
        image.save(png)
    assert perceptual_hash(png).value == _full_decode_hash(png)


def test_hostile_files_give_a_reason_never_an_exception(tmp_path):
    expected = make_hostile_corpus(tmp_path / "corpus")
    results = {name: perceptual_hash(tmp_path / "corpus" / name) for name in expected}
    assert results["clean.JPEG"].value is not None and results["clean.JPEG"].error == ""
    failed = {name for name, result in results.items() if result.value is None}
    assert all(results[name].error for name in failed)
    broken = {name for name, codes in expected.items() if codes & {"zero_byte", "unreadable"}}
    assert broken <= failed


def test_a_rotated_camera_photo_hashes_as_shown(shared_data, tmp_path):
    """n02951585_can_opener.JPEG carries EXIF orientation 6: its upright copy must pair."""
    from PIL import ImageOps

    original = shared_data / "imagenet-samples" / "n02951585_can_opener.JPEG"
    with Image.open(original) as image:
        assert image.getexif().get(0x0112) == 6
        upright = ImageOps.exif_transpose(image).convert("RGB")
    copy = tmp_path / "upright.jpg"
    upright.save(copy, "JPEG", quality=85)
    assert distance(perceptual_hash(original).value, perceptual_hash(copy).value) <= 4
    upright.resize((upright.width // 2, upright.height // 2)).save(copy, "JPEG", quality=75)
    assert distance(perceptual_hash(original).value, perceptual_hash(copy).value) <= 6
