"""Search noun synsets by wnid, offset, synset name, lemma and words of the gloss.

Runs on the SQLite indexes of the taxonomy cache, so it is fast enough for
every keystroke. Results come in tiers, best first:

1. ``id``: the query is a wnid (``n02084071``), an offset (``2084071``) or a
   synset name (``dog.n.01``);
2. ``exact``: a lemma equals the query;
3. ``prefix``: a lemma starts with the query;
4. ``substring``: a lemma contains the query (queries of 3+ characters);
5. ``gloss``: the gloss contains the query's words (the last one as a prefix).

Within a lemma tier, the commoner sense comes first (its tagged-corpus count,
then its sense number), then the shallower synset. Case, underscores and
runs of spaces do not matter.

>>> search = SynsetSearch(taxonomy.cache_path)     # what Taxonomy.search runs
>>> [(hit.name, hit.match) for hit in search.search("Retriever", limit=3)]
[('retriever.n.01', 'exact'), ('flat-coated_retriever.n.01', 'substring'),
 ('curly-coated_retriever.n.01', 'substring')]
>>> search.search("2084071", limit=1)[0].name
'dog.n.01'
>>> search.close()
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from explorer.core.errors import TaxonomyError
from explorer.core.wordnet.cache import LEMMA_SEPARATOR, normalise

Tier = Literal["id", "exact", "prefix", "substring", "gloss"]
TIERS: tuple[Tier, ...] = get_args(Tier)  # best first
# The longest lemma is 70 characters: 200 leaves room for a few gloss words. An unbounded
# query made the trigram and gloss matches cost 10.5 GB and 71 s for 1 MB of text.
MAX_QUERY_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a NUL ended FTS phrases early ("unterminated")
_WNID = re.compile(r"^n?(\d{1,8})$")
_SYNSET_NAME = re.compile(r"^.+\.n\.\d+$")
_WORD = re.compile(r"\w+", re.UNICODE)

_HIT_COLUMNS = "s.id, s.wnid, s.name, s.lemmas, s.gloss, s.min_depth"
_LEMMA_ORDER = "ORDER BY l.count DESC, l.sense, l.depth, l.synset"
# Above this many prefix matches ("s" has 16,000), walking the rank index and stopping
# after `limit` hits beats sorting them all; below it, sorting is faster.
_MANY_PREFIX_MATCHES = 1000


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result; ``match`` names the tier that found it."""

    wnid: str
    name: str
    lemmas: tuple[str, ...]
    gloss: str
    depth: int
    match: Tier

    def as_dict(self) -> dict[str, str | int | list[str]]:
        return {
            "wnid": self.wnid,
            "name": self.name,
            "lemmas": list(self.lemmas),
            "gloss": self.gloss,
            "depth": self.depth,
            "match": self.match,
        }


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class SynsetSearch:
    """Search over a taxonomy cache file; one SQLite connection per thread."""

    def __init__(self, cache_path: Path) -> None:
        self._uri = f"file:{cache_path}?mode=ro"
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._uri, uri=True)
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """Return up to ``limit`` synsets matching ``text``, best first.

        Raises TaxonomyError for a query longer than MAX_QUERY_CHARS; control
        characters count as spaces.
        """
        if len(text) > MAX_QUERY_CHARS:
            raise TaxonomyError(
                f"A search takes at most {MAX_QUERY_CHARS} characters; this one has "
                f"{len(text):,}. Search for a lemma, a wnid or a few words of a gloss."
            )
        query = normalise(_CONTROL.sub(" ", text))
        if not query or limit <= 0:
            return []
        hits: list[SearchHit] = []
        seen: set[int] = set()

        def take(tier: Tier, sql: str, args: tuple[str, ...]) -> None:
            if len(hits) >= limit:
                return
            for row in self._db().execute(sql, args):
                if row[0] in seen:
                    continue
                seen.add(row[0])
                lemmas = tuple(row[3].split(LEMMA_SEPARATOR))
                hits.append(SearchHit(row[1], row[2], lemmas, row[4], row[5], tier))
                if len(hits) >= limit:
                    return

        compact = query.replace(" ", "_")
        number = _WNID.match(compact)
        if number:
            wnid = "n%08d" % int(number.group(1))
            take("id", f"SELECT {_HIT_COLUMNS} FROM synsets s WHERE s.wnid = ?", (wnid,))
        elif _SYNSET_NAME.match(compact):
            take(
                "id",
                f"SELECT {_HIT_COLUMNS} FROM synsets s WHERE s.name = ? COLLATE NOCASE",
                (compact,),
            )

        lemma_join = f"SELECT {_HIT_COLUMNS} FROM lemma_index l JOIN synsets s ON s.id = l.synset"
        take("exact", f"{lemma_join} WHERE l.norm = ? {_LEMMA_ORDER}", (query,))
        prefix_range = (query, query + "\U0010ffff")
        many = (
            self._db()
            .execute(
                "SELECT count(*) FROM "
                "(SELECT 1 FROM lemma_index WHERE norm > ? AND norm < ? LIMIT ?)",
                (*prefix_range, _MANY_PREFIX_MATCHES),
            )
            .fetchone()[0]
        )
        # "+l.norm" keeps SQLite off the norm index, so it walks lemma_index_rank instead
        norm = "+l.norm" if many >= _MANY_PREFIX_MATCHES else "l.norm"
        take("prefix", f"{lemma_join} WHERE {norm} > ? AND {norm} < ? {_LEMMA_ORDER}", prefix_range)
        if len(query) >= 3:
            take(
                "substring",
                f"{lemma_join} WHERE l.id IN "
                f"(SELECT rowid FROM lemma_trigram WHERE lemma_trigram MATCH ?) {_LEMMA_ORDER}",
                (_fts_phrase(query),),
            )
        words = _WORD.findall(query)
        if words and len(query) >= 3:
            # the last word as a prefix, once it is long enough to narrow things down
            last = _fts_phrase(words[-1]) + ("*" if len(words[-1]) >= 3 else "")
            match = " ".join([*(_fts_phrase(w) for w in words[:-1]), last])
            take(
                "gloss",
                f"SELECT {_HIT_COLUMNS} FROM gloss_fts JOIN synsets s ON s.id = gloss_fts.rowid "
                "WHERE gloss_fts MATCH ? ORDER BY s.frequency DESC, s.min_depth, s.wnid",
                (match.strip(),),
            )
        return hits
