"""The CLI's printing: escaped text, tab-separated lines, tables, labelled lines."""

from __future__ import annotations

from explorer.cli.render import labelled, one_line, printable, tab_line, table, warn


def test_text_for_a_terminal_has_its_control_characters_escaped():
    assert printable("bell\a\x1b[31mred\x9b") == "bell\\x07\\x1b[31mred\\x9b"
    assert printable("plain é") == "plain é"
    assert one_line("  see\n\x1b[2J  this ") == "see \\x1b[2J this" and one_line(None) == "-"
    assert tab_line("a\tb.JPEG", None, 3, "ok") == "a\\x09b.JPEG\t-\t3\tok"


def test_tables_and_labelled_lines_align():
    assert table(("wnid", "images", "name"), [("n02084071", 1200, "dog\x1b.n.01")], (10, -7)) == [
        "wnid        images  name",
        "n02084071    1,200  dog\\x1b.n.01",
    ]
    assert labelled([("Cache:", "/x"), ("Synsets:", 82115)], 8) == [
        "Cache:   /x",
        "Synsets: 82,115",
    ]


def test_a_warning_goes_to_stderr_escaped(capsys):
    warn("row 3 skipped: unknown reason '\x1b[2J'")
    out, err = capsys.readouterr()
    assert out == "" and err == "wnexplorer: warning: row 3 skipped: unknown reason '\\x1b[2J'\n"
