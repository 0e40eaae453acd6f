"""The review queue as a curator reads it: each queued image once, with what every source said.

The store keeps one queue entry per image and source (:meth:`FlagStore.queue`);
an image two lists name is shown once, its notes one line per source, and
the first source's suggested synset is the one a wrong-label flag offers.

>>> merge_queue([("a.JPEG", "cleanlab", "a cat?", "n02123045"),
...              ("a.JPEG", "mine", "blurred", None)])["a.JPEG"]
QueuedImage(note='[cleanlab] a cat?\\n[mine] blurred', suggested_wnid='n02123045')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from explorer.core.curation.commands import QueueItem
from explorer.core.curation.store import FlagStore, QueueEntry


@dataclass(frozen=True)
class QueuedImage:
    note: str  # one line per source: "[source] note"
    suggested_wnid: str | None  # the first source's suggestion that names one


def merge_queue(items: Iterable[QueueEntry]) -> dict[str, QueuedImage]:
    """(path, source, note, suggested wnid) entries, as the store lists them, merged by path
    (in the order given)."""
    queue: dict[str, QueuedImage] = {}
    for path, source, note, suggested in items:
        text = f"[{source}] {note}"
        earlier = queue.get(path)
        if earlier is not None:
            text = f"{earlier.note}\n{text}"
            suggested = earlier.suggested_wnid or suggested
        queue[path] = QueuedImage(text, suggested)
    return queue


def queue_entries(store: FlagStore) -> list[QueueItem]:
    """The queue as the store keeps it: an entry per image and source, by path then source."""
    return [QueueItem(*item) for item in store.queue()]


def review_queue(store: FlagStore) -> dict[str, QueuedImage]:
    """The store's review queue, by image path (empty when nothing is queued)."""
    return merge_queue(store.queue())
