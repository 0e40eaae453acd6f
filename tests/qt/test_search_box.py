"""Search results tell the senses of a word apart, and the list is as tall as its rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from windows import open_window

from explorer.core.analysis import compute_counts
from explorer.core.demo import ensure_demo_catalogue
from explorer.core.text import plural
from explorer.qt.search_box import _MAX_ROWS, COUNT_ROLE, GLOSS_ROLE, PATH_ROLE, SearchBox

BIRD, MACHINE, WHOOPING = "n02012849", "n03126707", "n02013177"  # crane, crane, whooping crane
DOG = "n02084071"


def _search(qtbot, box: SearchBox, text: str) -> dict[str, object]:
    box.field.setText(text)
    box.search_now()
    qtbot.waitUntil(lambda: box.answered == text, timeout=5000)
    items = [box.results.item(i) for i in range(box.results.count())]
    return {item.data(Qt.ItemDataRole.UserRole): item for item in items}


def test_the_two_cranes_read_differently(qtbot, taxonomy):
    box = SearchBox()
    qtbot.addWidget(box)
    box.set_taxonomy(taxonomy)
    hits = _search(qtbot, box, "crane")
    bird, machine = hits[BIRD], hits[MACHINE]
    assert bird.text() == machine.text() == "crane"  # the same lemma...
    assert bird.data(PATH_ROLE) == "… › aquatic bird › wading bird › crane"  # ...told apart
    assert machine.data(PATH_ROLE) == "… › device › lifting device › crane"
    assert bird.data(GLOSS_ROLE).startswith("large long-necked wading bird")
    assert machine.data(GLOSS_ROLE).startswith("lifts and moves heavy objects")
    assert bird.data(COUNT_ROLE) is None  # no catalogue: no count
    # a catalogue opens: its subtree counts appear on the rows shown and on later ones
    box.set_counts(compute_counts(taxonomy, {BIRD: 3, WHOOPING: 2}))
    assert bird.data(COUNT_ROLE) == "5 images" and machine.data(COUNT_ROLE) == "no images"
    hits = _search(qtbot, box, "whooping crane")
    assert hits[WHOOPING].data(COUNT_ROLE) == "2 images"
    box.set_counts(None)  # closed
    assert hits[WHOOPING].data(COUNT_ROLE) is None


def test_the_list_is_as_tall_as_its_rows(qtbot, taxonomy):
    box = SearchBox()
    qtbot.addWidget(box)
    box.set_taxonomy(taxonomy)
    box.resize(320, 900)  # room for _MAX_ROWS rows in 40% of it
    box.show()
    few = _search(qtbot, box, "tench")
    results = box.results
    row = results.sizeHintForRow(0)
    assert 1 <= len(few) < _MAX_ROWS
    assert row >= 2 * results.fontMetrics().height()  # two lines a row
    assert results.height() == len(few) * row + 2 * results.frameWidth() + 2
    assert results.verticalScrollBar().maximum() == 0  # every hit in view, no scrolling
    many = _search(qtbot, box, "crane")
    assert len(many) > _MAX_ROWS
    assert results.height() == _MAX_ROWS * row + 2 * results.frameWidth() + 2
    box.resize(320, 400)  # a small window: the list takes 40% of it, the rest scrolls
    _search(qtbot, box, "crane fly")
    _search(qtbot, box, "crane")
    assert results.height() == int(400 * 0.4) // row * row + 2 * results.frameWidth() + 2


def test_the_window_s_results_count_the_demo_catalogue(qtbot, taxonomy, tmp_path, session_data_dir):
    """The window's box follows the open catalogue's counts: shown when one is open."""
    window = open_window(qtbot, tmp_path, session_data_dir)
    box = window.search
    assert _search(qtbot, box, "dog")[DOG].data(COUNT_ROLE) is None  # no catalogue yet
    window.open_catalogue(ensure_demo_catalogue(session_data_dir, taxonomy.graph))
    qtbot.waitUntil(lambda: window.workspace.counts is not None, timeout=10_000)
    dogs = window.workspace.counts.of(DOG)["subtree"]
    assert dogs > 0
    assert _search(qtbot, box, "dog")[DOG].data(COUNT_ROLE) == plural(dogs, "image")
    window.close()
