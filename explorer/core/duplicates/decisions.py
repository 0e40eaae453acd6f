"""What a curator decides about a near-duplicate pair, as curation commands (with undo):

- one image is a duplicate of the other: a ``duplicate`` flag on it whose note names its
  twin ("duplicate of n01440764/x.JPEG"), so exports leave it out;
- the two are not duplicates: remembered on the pair's first image (its
  ``ImageState.distinct``), so the pair is never reported again.

A twin in another catalogue (a ``--against`` pair) is named by its absolute location.

>>> stack = UndoStack(store)
>>> stack.push(flag_duplicate(store, ImageRef("n01440764/b.JPEG"), "n01440764/a.JPEG"))
>>> flag = store.state("n01440764/b.JPEG").flags[0]
>>> flag.reason, flag.note
('duplicate', 'duplicate of n01440764/a.JPEG')
>>> stack.push(mark_not_duplicate(store, "n01440764/c.JPEG", "n01440764/d.JPEG"))
>>> store.not_duplicates()
[('n01440764/c.JPEG', 'n01440764/d.JPEG')]
>>> stack.undo().label
'Mark 1 pair not a duplicate'
>>> store.not_duplicates()
[]
"""

from __future__ import annotations

from dataclasses import replace

from explorer.core.curation import Command, FlagStore, ImageRef, UndoStack, flag_images

__all__ = ["UndoStack", "flag_duplicate", "mark_not_duplicate", "twin_note"]


def twin_note(twin: str) -> str:
    return f"duplicate of {twin}"


def flag_duplicate(store: FlagStore, image: ImageRef, twin: str) -> Command:
    """Flag ``image`` as a duplicate of ``twin`` (the copy to keep)."""
    return flag_images(store, [image], "duplicate", note=twin_note(twin))


def mark_not_duplicate(store: FlagStore, path: str, twin: str) -> Command:
    """Remember that the image at ``path`` is not a duplicate of ``twin``."""
    before = {path: store.state(path)}
    state = before[path]
    after = {path: replace(state, distinct=tuple(sorted({*state.distinct, twin})))}
    return Command("Mark 1 pair not a duplicate", before, after, "Marked 1 pair not a duplicate")
