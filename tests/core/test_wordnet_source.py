"""Finding WordNet 3.0, refusing other versions and damaged files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from explorer.core.errors import WordNetError
from explorer.core.wordnet import WordNetLocation, locate_wordnet, open_reader
from explorer.core.wordnet import source as wordnet_source


def test_explicit_directory_wins_over_everything(wordnet_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("WNEXPLORER_WORDNET", "/nonexistent")
    location = locate_wordnet(wordnet_copy, data_dir=tmp_path)
    assert location.path == str(wordnet_copy.resolve())
    assert location.origin == "--wordnet"


def test_environment_variable_is_second(wordnet_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("WNEXPLORER_WORDNET", str(wordnet_copy))
    location = locate_wordnet(data_dir=tmp_path)
    assert (location.path, location.origin) == (str(wordnet_copy.resolve()), "WNEXPLORER_WORDNET")


def test_install_prefix_with_dict_subfolder_is_accepted(wordnet_copy, tmp_path):
    prefix = wordnet_copy.parent
    wordnet_copy.rename(prefix / "dict")
    assert locate_wordnet(prefix, data_dir=tmp_path).path == str((prefix / "dict").resolve())


@pytest.mark.parametrize("make", ["missing", "empty", "file"])
def test_bad_explicit_location_is_a_clear_error(tmp_path, make):
    target = tmp_path / "wn"
    if make == "empty":
        target.mkdir()
    elif make == "file":
        target.write_text("not wordnet")
    with pytest.raises(WordNetError, match="wnexplorer setup"):
        locate_wordnet(target, data_dir=tmp_path)


def _zip_wordnet(source: Path, archive: Path) -> None:
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for path in sorted(source.iterdir()):
            zf.write(path, f"wordnet/{path.name}")


def test_nltk_data_zip_is_found_before_debian_and_read(wordnet_dir, tmp_path, monkeypatch):
    """nltk.download('wordnet') leaves corpora/wordnet.zip on NLTK's data path."""
    nltk_data = tmp_path / "nltk_data"
    _zip_wordnet(wordnet_dir, nltk_data / "corpora" / "wordnet.zip")
    monkeypatch.setenv("NLTK_DATA", str(nltk_data))
    location = locate_wordnet(data_dir=tmp_path / "app")
    assert location.origin == "NLTK data" and location.is_zip
    reader = open_reader(location)
    assert reader.synset("golden_retriever.n.01").offset() == 2099601


def test_missing_lexnames_is_supplied(wordnet_copy):
    """Debian's wordnet-base has no lexnames; the reader must still name lexicographer files."""
    (wordnet_copy / "lexnames").unlink(missing_ok=True)
    reader = open_reader(WordNetLocation(str(wordnet_copy), "test"))
    assert reader.synset("dog.n.01").lexname() == "noun.animal"
    assert reader.synset("run.v.01").lexname() == "verb.motion"


def _replace_same_length(path: Path, old: bytes, new: bytes, count: int = 1) -> None:
    assert len(old) == len(new)  # keep every byte offset of WordNet's files valid
    data = path.read_bytes()
    assert data.count(old) >= count, old
    path.write_bytes(data.replace(old, new, count))


def test_another_wordnet_version_is_refused(wordnet_copy):
    """Stand-in for WordNet 3.1 / Open English WordNet: dog.n.01 at another offset.

    Swapping the first two senses of "dog" in index.noun keeps every file
    readable and makes dog.n.01 resolve to offset 10114209 (frump), the way a
    different release's offsets would.
    """
    index = wordnet_copy / "index.noun"
    line = next(li for li in index.read_bytes().split(b"\n") if li.startswith(b"dog n "))
    fields = line.split(b" ")
    first = fields.index(b"02084071")
    swapped = [*fields[:first], fields[first + 1], fields[first], *fields[first + 2 :]]
    _replace_same_length(index, line, b" ".join(swapped))
    _replace_same_length(
        wordnet_copy / "data.adj", b"WordNet 3.0 Copyright", b"WordNet 3.1 Copyright"
    )
    with pytest.raises(WordNetError) as error:
        open_reader(WordNetLocation(str(wordnet_copy), "test"))
    message = str(error.value)
    assert "not WordNet 3.0" in message and "3.1" in message and "10114209" in message
    assert "wnexplorer setup" in message


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_wordnet_is_a_clear_error(wordnet_copy, tmp_path, damage):
    data_noun = wordnet_copy / "data.noun"
    content = data_noun.read_bytes()
    if damage == "truncated":
        data_noun.write_bytes(content[: len(content) // 3])
    elif damage == "garbage":
        data_noun.write_bytes(content[:3_000_000] + b"\x00\xff garbage \n" * 1000)
    else:
        data_noun.write_bytes(b"")
    from explorer.core.wordnet import load_taxonomy

    with pytest.raises(WordNetError, match=r"damaged|truncated|Cannot read"):
        load_taxonomy(wordnet_copy, data_dir=tmp_path)
    assert not list((tmp_path / "cache").glob("*.sqlite")), "no cache from damaged WordNet"


def test_fingerprint_follows_the_files(wordnet_copy):
    location = WordNetLocation(str(wordnet_copy), "test")
    before = location.fingerprint()
    assert location.fingerprint() == before
    (wordnet_copy / "data.noun").touch()
    assert location.fingerprint() != before


def test_install_refuses_apt_without_root(monkeypatch, tmp_path):
    monkeypatch.setattr(wordnet_source.os, "geteuid", lambda: 1000)
    with pytest.raises(WordNetError, match="not root"):
        wordnet_source.install_wordnet("apt", tmp_path)


def test_find_or_install_installs_only_what_nobody_named(monkeypatch, tmp_path, wordnet_copy):
    with pytest.raises(ValueError, match="method: 'pip' is not one of auto, apt, nltk"):
        wordnet_source.install_wordnet("pip", tmp_path)
    installs = []
    found = WordNetLocation(str(wordnet_copy), "test")

    def install(method, data_dir, state=None):
        installs.append(method)
        return "installed"

    def nowhere(explicit=None, data_dir=None):
        if not installs:
            raise WordNetError("WordNet 3.0 not found")
        return found

    monkeypatch.setattr(wordnet_source, "install_wordnet", install)
    monkeypatch.setattr(wordnet_source, "locate_wordnet", nowhere)
    monkeypatch.delenv("WNEXPLORER_WORDNET", raising=False)
    find = wordnet_source.find_or_install_wordnet
    with pytest.raises(WordNetError):
        find(None, tmp_path, install=False)
    with pytest.raises(WordNetError):
        find(tmp_path / "named", tmp_path)  # named but not there: fix the name
    monkeypatch.setenv("WNEXPLORER_WORDNET", str(tmp_path / "named"))
    with pytest.raises(WordNetError):
        find(None, tmp_path)
    monkeypatch.delenv("WNEXPLORER_WORDNET")
    assert installs == []
    assert find(None, tmp_path, "nltk") == (found, "installed") and installs == ["nltk"]
    assert find(None, tmp_path) == (found, None)  # found now: nothing more to install


def test_wordnet_zip_given_with_wordnet_option_is_read(wordnet_dir, tmp_path):
    """README: --wordnet takes nltk's wordnet.zip; nltk 3.9+ only opens files under its data
    path, so the zip's folder is added before nltk sees the zip."""
    archive = tmp_path / "downloads" / "wordnet.zip"
    _zip_wordnet(wordnet_dir, archive)
    location = locate_wordnet(archive, data_dir=tmp_path / "app")
    assert location.is_zip and location.origin == "--wordnet"
    assert open_reader(location).synset("golden_retriever.n.01").offset() == 2099601


@pytest.mark.slow
@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        # canine's pointer to its hyponym dog made a hypernym: dog -> canine -> dog
        (b"~ 02084071 n 0000 ~ 02114100", b"@ 02084071 n 0000 ~ 02114100", "cycle"),
        # dog's hypernym canine replaced by a verb synset (breathe.v.01)
        (b"@ 02083346 n 0000 @ 01317541", b"@ 00001740 v 0000 @ 01317541", "not a noun"),
    ],
    ids=["hypernym cycle", "hypernym is a verb"],
)
def test_a_hierarchy_that_is_not_a_noun_dag_is_damage(wordnet_copy, tmp_path, old, new, needle):
    _replace_same_length(wordnet_copy / "data.noun", old, new)
    from explorer.core.wordnet import load_taxonomy

    with pytest.raises(WordNetError) as error:
        load_taxonomy(wordnet_copy, data_dir=tmp_path)
    assert needle in str(error.value) and "wnexplorer setup" in str(error.value)
    assert not list((tmp_path / "cache").glob("*.sqlite")), "no cache from damaged WordNet"
