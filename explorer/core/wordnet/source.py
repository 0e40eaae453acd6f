"""Find WordNet 3.0 on this machine and read its noun synsets through nltk.

This is the only module that imports nltk (nltk's reader seeks on shared file
handles, so it is used from one thread only, while the taxonomy cache is
built). Everything else reads the networkx graph or its cache.

Places searched, in order:

1. an explicit directory (the CLI's ``--wordnet DIR``) or ``WNEXPLORER_WORDNET``;
2. NLTK's data path (``nltk.download('wordnet')``), including the app's own
   ``<data dir>/nltk_data`` where ``wnexplorer setup`` downloads to;
3. Debian's ``wordnet-base`` (``/usr/share/wordnet``);
4. WordNet's own ``WNSEARCHDIR`` / ``WNHOME`` and its default install prefixes.

nltk quirks handled here rather than by the user: nltk refuses to read a
directory that is not on ``nltk.data.path`` (after resolving symlinks), so the
chosen directory is added to it; Debian's package has no ``lexnames`` file, so
the 45 lines documented in lexnames(5WN) ship with this package; nltk's
reader calls ``map_wn()`` in its constructor, which needs ``index.sense``
(also missing on Debian) and is only used for multilingual data, so it is
skipped.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, get_args

from explorer.core.errors import Cancelled, WordNetError
from explorer.core.jobs import JobState

if TYPE_CHECKING:  # nltk has no types (mypy reads these as Any); imported late at run time
    from nltk.corpus.reader.wordnet import Synset, WordNetCorpusReader

WORDNET_ENV = "WNEXPLORER_WORDNET"
DEBIAN_DIR = "/usr/share/wordnet"
# WordNet 3.0's offset of dog.n.01; 3.1 and Open English WordNet use others,
# and ImageNet's wnids are WordNet 3.0 offsets.
DOG_OFFSET_30 = 2084071
NOUN_SYNSETS_30 = 82115
# Files whose change must invalidate anything built from them.
_FINGERPRINT_FILES = ("data.noun", "index.noun", "data.adj", "cntlist.rev", "lexnames")
# Files nltk's reader needs to start at all.
_REQUIRED_FILES = (
    "data.noun",
    "index.noun",
    "data.verb",
    "index.verb",
    "data.adj",
    "index.adj",
    "data.adv",
    "index.adv",
)
FIX_HINT = (
    "Install WordNet 3.0 with `wnexplorer setup` (Debian: `apt-get install wordnet-base`; "
    "elsewhere: python -m nltk.downloader wordnet), or point --wordnet / "
    f"{WORDNET_ENV} at a WordNet 3.0 'dict' directory."
)


@dataclass(frozen=True)
class WordNetLocation:
    """A WordNet database found on disk: a directory or nltk's ``wordnet.zip``."""

    path: str
    origin: str  # how it was found, for messages: "--wordnet", "NLTK data", ...

    @property
    def is_zip(self) -> bool:
        return self.path.lower().endswith(".zip")

    def fingerprint(self) -> str:
        """A digest of the size and mtime of the files a cache is built from."""
        if self.is_zip:
            names = [self.path]
        else:
            names = [os.path.join(self.path, name) for name in _FINGERPRINT_FILES]
        stats = []
        for name in names:
            try:
                st = os.stat(name)
                stats.append([name, st.st_size, st.st_mtime_ns, st.st_ino])
            except OSError:
                stats.append([name, None])
        return hashlib.sha256(json.dumps(stats).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SynsetRecord:
    """One noun synset as read from WordNet."""

    wnid: str
    name: str
    lemmas: tuple[str, ...]  # spaces, not underscores, as in ImageNet's words.txt
    lemma_counts: tuple[int, ...]  # tagged-corpus counts from cntlist.rev, one per lemma
    lemma_senses: tuple[int, ...]  # this synset's sense number for each lemma (1 = commonest)
    gloss: str
    lexname: str
    hypernyms: tuple[str, ...]
    instance_hypernyms: tuple[str, ...]


def wnid_of(offset: int) -> str:
    return "n%08d" % offset


def _app_nltk_dir(data_dir: Path) -> Path:
    return data_dir / "nltk_data"


def _looks_like_wordnet_dir(path: Path) -> bool:
    return (path / "data.noun").is_file() and (path / "index.noun").is_file()


def _missing_files(path: Path) -> list[str]:
    return [name for name in _REQUIRED_FILES if not (path / name).is_file()]


def _nltk_data_roots(data_dir: Path | None) -> list[Path]:
    """nltk.data.path's default list, computed without importing nltk (0.3 s per start)."""
    roots = [_app_nltk_dir(data_dir)] if data_dir else []
    roots += [Path(d).expanduser() for d in os.environ.get("NLTK_DATA", "").split(os.pathsep) if d]
    roots.append(Path("~/nltk_data").expanduser())
    if sys.platform == "win32":
        roots += [Path(sys.prefix, "nltk_data")]
        roots += [Path(os.environ.get("APPDATA", "C:\\"), "nltk_data")]
    else:
        roots += [Path(sys.prefix, "nltk_data"), Path(sys.prefix, "share", "nltk_data")]
        roots += [Path(sys.prefix, "lib", "nltk_data")]
        roots += [Path(p) for p in ("/usr/share/nltk_data", "/usr/local/share/nltk_data")]
        roots += [Path(p) for p in ("/usr/lib/nltk_data", "/usr/local/lib/nltk_data")]
    return roots


def _nltk_candidates(data_dir: Path | None) -> list[Path]:
    found = []
    for root in _nltk_data_roots(data_dir):
        folder, archive = root / "corpora" / "wordnet", root / "corpora" / "wordnet.zip"
        if folder.is_dir() and _looks_like_wordnet_dir(folder):
            found.append(folder)
        elif archive.is_file():
            found.append(archive)
    return found


def _system_candidates() -> list[tuple[Path, str]]:
    found = [(Path(DEBIAN_DIR), "Debian wordnet-base")]
    if os.environ.get("WNSEARCHDIR"):
        found.append((Path(os.environ["WNSEARCHDIR"]), "WNSEARCHDIR"))
    if os.environ.get("WNHOME"):
        found.append((Path(os.environ["WNHOME"]) / "dict", "WNHOME"))
    for prefix in ("/usr/local/WordNet-3.0", "/usr/share/WordNet-3.0", "/opt/WordNet-3.0"):
        found.append((Path(prefix) / "dict", "WordNet install"))
    found.append((Path("/usr/local/share/wordnet"), "WordNet install"))
    return found


def locate_wordnet(
    explicit: str | os.PathLike[str] | None = None, data_dir: Path | None = None
) -> WordNetLocation:
    """Find a WordNet database; raise :class:`WordNetError` naming every place tried.

    On Debian with ``wordnet-base`` installed, ``locate_wordnet()`` gives
    ``WordNetLocation(path='/usr/share/wordnet', origin='Debian wordnet-base')``.
    A directory named explicitly must hold WordNet, or the error says what is missing:

    >>> locate_wordnet(tmp)
    Traceback (most recent call last):
    explorer.core.errors.WordNetError: --wordnet names ...tmp, which is not a WordNet database
    (missing data.noun, index.noun, ..., index.adv). Install WordNet 3.0 with `wnexplorer setup` ...
    """
    chosen = explicit or os.environ.get(WORDNET_ENV)
    if chosen:
        origin = "--wordnet" if explicit else WORDNET_ENV
        path = Path(chosen).expanduser()
        if path.is_dir() and not _looks_like_wordnet_dir(path) and (path / "dict").is_dir():
            path = path / "dict"  # accept a WordNet install prefix as well as its dict/
        if path.is_file() and path.suffix.lower() == ".zip":
            return WordNetLocation(str(path.resolve()), origin)
        if not path.is_dir():
            raise WordNetError(f"{origin} names {chosen}, which is not a directory. {FIX_HINT}")
        missing = _missing_files(path)
        if missing:
            raise WordNetError(
                f"{origin} names {chosen}, which is not a WordNet database "
                f"(missing {', '.join(missing)}). {FIX_HINT}"
            )
        return WordNetLocation(str(path.resolve()), origin)

    nltk_found = _nltk_candidates(data_dir)
    if nltk_found:
        return WordNetLocation(str(nltk_found[0].resolve()), "NLTK data")
    tried = ["NLTK's data path"]
    for path, origin in _system_candidates():
        if path.is_dir() and not _missing_files(path):
            return WordNetLocation(str(path.resolve()), origin)
        tried.append(str(path))
    raise WordNetError(f"WordNet 3.0 not found (looked in {'; '.join(tried)}). {FIX_HINT}")


def _reader_class() -> type[WordNetCorpusReader]:
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    # nltk is untyped, so its class is Any to mypy: subclassing it is what this module is for
    class Reader(WordNetCorpusReader):  # type: ignore[misc]
        def open(self, file: str) -> IO[str]:
            try:
                stream: IO[str] = super().open(file)
            except (OSError, LookupError, KeyError):
                if file != "lexnames":
                    raise
                text = resources.files("explorer.core").joinpath("resources/lexnames")
                return io.StringIO(text.read_text(encoding="utf-8"))
            return stream

        def map_wn(self, version: str = "wordnet") -> None:
            return None  # only the multilingual functions use the mapping

    return Reader


def open_reader(location: WordNetLocation) -> WordNetCorpusReader:
    """Return an nltk WordNet reader for ``location``, checked to be WordNet 3.0."""
    import nltk  # imported late: it costs 0.3 s and warm loads never need it

    guard_dir = str(Path(location.path).parent) if location.is_zip else location.path
    if guard_dir not in nltk.data.path:
        nltk.data.path.append(guard_dir)  # nltk only reads under its data path (pathsec)
    try:
        root = (
            nltk.data.ZipFilePathPointer(location.path, "wordnet/")
            if location.is_zip
            else location.path
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "multilingual functions are not available"
            reader = _reader_class()(root, None)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nltk warns, then fails, on a missing synset
            dog = reader.synset("dog.n.01")
    except Exception as exc:  # nltk raises many kinds on a damaged file
        raise WordNetError(
            f"Cannot read WordNet at {location.path} ({location.origin}): "
            f"{type(exc).__name__}: {exc}. The files look damaged or incomplete. {FIX_HINT}"
        ) from exc
    if dog.offset() != DOG_OFFSET_30:
        version = reader.get_version() or "unknown"
        raise WordNetError(
            f"WordNet at {location.path} is not WordNet 3.0 (it says version {version}; "
            f"dog.n.01 has offset {dog.offset():08d}, not {DOG_OFFSET_30:08d}). ImageNet wnids "
            f"are WordNet 3.0 offsets. {FIX_HINT}"
        )
    return reader


def _sense_numbers(reader: WordNetCorpusReader) -> dict[tuple[str, int], int]:
    """(lemma, offset) -> sense number, from index.noun (the order of its offsets)."""
    senses: dict[tuple[str, int], int] = {}
    with reader.open("index.noun") as index:
        for line in index:
            if line.startswith(" "):
                continue  # licence header
            fields = line.split()
            synset_count = int(fields[2])
            for number, offset in enumerate(fields[-synset_count:], start=1):
                senses[(fields[0], int(offset))] = number
    return senses


def _tag_counts(reader: WordNetCorpusReader) -> dict[str, int]:
    """Sense key -> tagged-corpus count, from cntlist.rev (absent: all zero)."""
    counts: dict[str, int] = {}
    try:
        stream = reader.open("cntlist.rev")
    except (OSError, LookupError, KeyError):
        return counts
    with stream:
        for line in stream:
            key, _number, count = line.split()
            counts[key] = int(count)
    return counts


def read_noun_synsets(
    location: WordNetLocation, state: JobState | None = None
) -> list[SynsetRecord]:
    """Return every noun synset of the WordNet 3.0 at ``location``.

    Reports progress as ``state.progress(done, 82115, ...)`` and stops with
    :class:`Cancelled` when ``state`` is cancelled. nltk's warnings (it warns,
    then returns None, for a pointer to a missing synset) count as damage.
    """
    state = state or JobState()
    state.progress(0, NOUN_SYNSETS_30, "Reading WordNet 3.0")
    reader = open_reader(location)
    records = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            senses = _sense_numbers(reader)
            counts = _tag_counts(reader)
            for synset in reader.all_synsets("n"):
                records.append(_record(synset, senses, counts))
                if len(records) % 2000 == 0:
                    state.check()
                    state.progress(len(records), NOUN_SYNSETS_30, "Reading WordNet 3.0")
    except (Cancelled, WordNetError):
        raise
    except Exception as exc:  # a damaged data.noun fails deep inside nltk
        raise WordNetError(
            f"WordNet at {location.path} is damaged: {type(exc).__name__}: {exc}. {FIX_HINT}"
        ) from exc
    if len(records) != NOUN_SYNSETS_30:
        raise WordNetError(
            f"WordNet at {location.path} holds {len(records):,} noun synsets where WordNet 3.0 "
            f"has {NOUN_SYNSETS_30:,}: data.noun is truncated or damaged. {FIX_HINT}"
        )
    return records


def _record(
    synset: Synset, senses: dict[tuple[str, int], int], counts: dict[str, int]
) -> SynsetRecord:
    offset = synset.offset()
    lemmas = synset.lemmas()
    for parent in (*synset.hypernyms(), *synset.instance_hypernyms()):
        if parent.pos() != "n":  # its offset would be read as a noun's: another synset
            raise WordNetError(
                f"WordNet's data.noun is damaged: the hypernym of {synset.name()} is "
                f"{parent.name()}, which is not a noun synset. {FIX_HINT}"
            )
    return SynsetRecord(
        wnid=wnid_of(offset),
        name=synset.name(),
        lemmas=tuple(lemma.name().replace("_", " ") for lemma in lemmas),
        lemma_counts=tuple(counts.get(lemma.key(), 0) for lemma in lemmas),
        lemma_senses=tuple(senses.get((lemma.name().lower(), offset), 0) for lemma in lemmas),
        gloss=synset.definition(),
        lexname=synset.lexname(),
        hypernyms=tuple(wnid_of(h.offset()) for h in synset.hypernyms()),
        instance_hypernyms=tuple(wnid_of(h.offset()) for h in synset.instance_hypernyms()),
    )


InstallMethod = Literal["auto", "apt", "nltk"]
INSTALL_METHODS: tuple[InstallMethod, ...] = get_args(InstallMethod)


def find_or_install_wordnet(
    explicit: str | os.PathLike[str] | None,
    data_dir: Path,
    method: InstallMethod = "auto",
    install: bool = True,
    state: JobState | None = None,
) -> tuple[WordNetLocation, str | None]:
    """:func:`locate_wordnet`, else :func:`install_wordnet` and locate again: where WordNet
    is, and what was installed (None: nothing).

    A WordNet named (``explicit`` or ``WNEXPLORER_WORDNET``) is never replaced by an
    install: that it is not there is the error to fix.
    """
    try:
        return locate_wordnet(explicit, data_dir), None
    except WordNetError:
        if not install or explicit or os.environ.get(WORDNET_ENV):
            raise
    installed = install_wordnet(method, data_dir, state)
    return locate_wordnet(None, data_dir), installed


def install_wordnet(method: InstallMethod, data_dir: Path, state: JobState | None = None) -> str:
    """Install WordNet 3.0: Debian's package where apt works and we are root, else nltk's.

    ``method`` is one of ``INSTALL_METHODS``: ``auto``, ``apt`` or ``nltk`` (else a
    ValueError). Returns a line saying what was done.
    """
    if method not in INSTALL_METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(INSTALL_METHODS)}")
    state = state or JobState()
    can_apt = shutil.which("apt-get") is not None and hasattr(os, "geteuid") and os.geteuid() == 0
    if method == "apt" or (method == "auto" and can_apt):
        if not can_apt:
            raise WordNetError(
                "apt-get is not available or this user is not root; "
                "run `sudo apt-get install wordnet-base` or use `wnexplorer setup --method nltk`."
            )
        state.progress(0, None, "Installing Debian package wordnet-base")
        command = ["apt-get", "install", "-y", "--no-install-recommends", "wordnet-base"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            update = subprocess.run(["apt-get", "update"], capture_output=True, text=True)
            if update.returncode == 0:
                result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise WordNetError(
                f"apt-get install wordnet-base failed: {result.stderr.strip()[-300:]}"
            )
        return "installed Debian package wordnet-base"
    target = _app_nltk_dir(data_dir)
    state.progress(0, None, f"Downloading WordNet with nltk into {target}")
    import nltk

    if not nltk.download("wordnet", download_dir=str(target), quiet=True, raise_on_error=False):
        raise WordNetError(
            "nltk could not download WordNet (no network?). Install the Debian package "
            "wordnet-base, or copy nltk's wordnet.zip into "
            f"{target / 'corpora'} and run setup again."
        )
    return f"downloaded WordNet with nltk into {target}"
