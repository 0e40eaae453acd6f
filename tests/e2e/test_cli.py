"""The wnexplorer command line: help, JSON output, and errors without tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from cli_run import run

from explorer.cli import cli

DOG = "n02084071"


@pytest.mark.parametrize("command", [None, *sorted(cli.commands)])
def test_every_command_has_help(capsys, command):
    args = [command, "--help"] if command else ["--help"]
    status, out, _ = run(capsys, *args)
    assert status == 0
    assert "Usage: wnexplorer" in out
    if command:
        assert cli.commands[command].help.split("\n")[0][:30] in " ".join(out.split())


def test_top_level_help_gives_each_command_its_whole_first_sentence(capsys):
    _, out, _ = run(capsys, "--help")
    listing = " ".join(out.split("Commands:")[1].split())
    for name, command in cli.commands.items():
        first = " ".join(command.help.split("\n\n")[0].split())
        assert f"{name} {first.split('. ')[0]}" in listing, name
    assert "..." not in listing.replace("duplicates, ...", "")  # nothing cut short


def test_help_lists_every_audit_code_and_flag_reason(capsys):
    from explorer.core.curation import REASONS
    from explorer.core.images import AUDIT_CODES

    _, out, _ = run(capsys, "audit", "--help")
    listed = re.findall(r"^  (\w+)\s", out.split("Problem codes:")[1], re.MULTILINE)
    assert listed == list(AUDIT_CODES)
    table = " ".join(out.split("Problem codes:")[1].split())
    assert "truncated image data ends early or does not decode; unusable: exports leave" in table
    assert "cmyk CMYK colour: most loaders need a conversion to RGB high_bit_depth" in table
    assert "README" not in out  # the bundle has none
    _, out, _ = run(capsys, "flags", "add", "--help")
    assert all(f"  {reason}  " in out for reason in REASONS)


def test_the_desktop_entry_is_the_gui_command_with_the_same_options(capsys):
    """`wordnet-explorer` runs `wnexplorer gui` on its own: one parser for both."""
    import tomllib
    from importlib import import_module
    from pathlib import Path

    from explorer.cli import exit_status
    from explorer.cli.context import Context
    from explorer.cli.gui import gui

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    module, function = project["project"]["gui-scripts"]["wordnet-explorer"].split(":")
    assert getattr(import_module(module), function).__module__ == "explorer.cli.gui"

    def desktop(*args):
        status = exit_status(gui, list(args), "wordnet-explorer", obj=Context(None, None))
        return (status, *capsys.readouterr())

    status, out, _ = desktop("--help")
    _, gui_help, _ = run(capsys, "gui", "--help")
    assert status == 0 and out.startswith("Usage: wordnet-explorer [OPTIONS]")
    assert out.split("Options:")[1] == gui_help.split("Options:")[1]
    for option in (
        "--demo",
        "--catalogue",
        "--select",
        "--screenshot",
        "--quit-after",
        "--size",
        "--tab",
        "--viewer",
        "--smoke-test",
        "--data-dir",
        "--wordnet",
    ):
        assert f"{option} " in out
    status, out, err = desktop("--demo", "--catalogue", "c.sqlite")
    assert (status, out) == (2, "")
    assert err == (
        "wordnet-explorer: error: --demo and --catalogue exclude each other "
        "(see `wordnet-explorer --help`)\n"
    )
    status, _, err = run(capsys, "gui", "--quit-after", "0")
    assert status == 2 and "--quit-after" in err


def test_gui_hands_its_options_to_the_window_and_its_status_back(capsys, monkeypatch):
    """What `gui` parsed reaches explorer.qt.app.main, and the window's exit status is the
    command's (here without Qt: a stand-in for the one Qt module the CLI imports)."""
    import sys
    import types

    calls = []
    stand_in = types.ModuleType("explorer.qt.app")
    stand_in.main = lambda **options: calls.append(options) or 3
    monkeypatch.setitem(sys.modules, "explorer.qt.app", stand_in)
    status, out, err = run(
        capsys,
        "--data-dir",
        "/d",
        "gui",
        "--catalogue",
        "c.sqlite",
        "--select",
        "dog",
        "--quit-after",
        "5",
        "--size",
        "1024X640",
        "--tab",
        "coverage",
        "--viewer",
        "--wordnet",
        "/w",
    )
    assert (status, out, err) == (3, "", "")
    assert calls == [
        {
            "smoke_test": False,
            "demo": False,
            "catalogue": "c.sqlite",
            "select": "dog",
            "screenshot": None,
            "quit_after": 5,
            "size": (1024, 640),
            "tab": "coverage",
            "viewer": True,
            "data_dir": "/d",
            "wordnet": "/w",
        }
    ]


def test_show_a_word_gives_its_commonest_sense_and_lists_the_others(capsys):
    status, out, err = run(capsys, "show", "dog")
    assert status == 0 and out.startswith("dog.n.01  n02084071")
    assert "'dog' names 7 noun synsets" in err
    others = [line.split()[1] for line in err.splitlines()[1:]]
    assert len(others) == 6 and "frump.n.01" in others and "dog.n.01" not in others
    status, out, err = run(capsys, "show", "Golden Retriever")  # one sense: nothing to list
    assert status == 0 and out.startswith("golden_retriever.n.01") and err == ""


def test_counts_in_messages_agree_with_their_nouns(capsys):
    _, out, _ = run(capsys, "tree", DOG, "--depth", "1")
    assert "dalmatian.n.02  [1 child not shown]" in out  # dalmatian has one breed below
    assert "griffon.n.02  [1 child not shown]" in out and "1 children" not in out
    _, out, _ = run(capsys, "show", "n02099601")  # golden retriever: a leaf
    assert "subtree:  0 synsets below" in out


def test_show_json(capsys):
    status, out, _ = run(capsys, "show", "dog.n.01", "--json")
    assert status == 0
    info = json.loads(out)
    assert info["wnid"] == DOG and info["name"] == "dog.n.01"
    assert info["lemmas"] == ["dog", "domestic dog", "Canis familiaris"]
    assert [p["wnid"] for p in info["parents"]] == ["n01317541", "n02083346"]
    assert len(info["children"]) == 18
    assert len(info["paths"]) == 2
    assert all(p[0] == "n00001740" and p[-1] == DOG for p in info["paths"])
    assert info["depth"] == 8


@pytest.mark.parametrize("query", ["n02084071", "2084071", "02084071", "dog.n.01"])
def test_show_accepts_wnid_offset_and_name(capsys, query):
    status, out, _ = run(capsys, "show", query)
    assert status == 0
    assert out.startswith("dog.n.01  n02084071")
    assert "paths to the root (2):" in out
    assert "domestic animal > dog" in out


def test_search_json(capsys):
    status, out, _ = run(capsys, "search", "golden", "retriever", "--json", "--limit", "3")
    hits = json.loads(out)
    assert status == 0 and 1 <= len(hits) <= 3
    assert hits[0]["wnid"] == "n02099601"
    assert set(hits[0]) >= {"wnid", "name", "lemmas", "gloss"}


def test_search_takes_control_characters_as_spaces(capsys):
    status, out, _ = run(capsys, "search", "dog\x00catcher", "--json", "--limit", "1")
    assert status == 0 and json.loads(out)[0]["name"] == "dog_catcher.n.01"


def test_search_without_hits_says_so_on_stderr(capsys):
    status, out, err = run(capsys, "search", "qqqzzzxx")
    assert status == 0 and out == "" and "No synset matches" in err


def test_tree_marks_multi_parent_and_instances(capsys):
    status, out, _ = run(capsys, "tree", "n02083346", "--depth", "1")  # canine
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "n02083346 canine.n.02"
    dog_line = next(line for line in lines if "dog.n.01" in line)
    assert "also under 1 other parent" in dog_line and "children not shown" in dog_line
    status, out, _ = run(capsys, "tree", "n08696931", "--depth", "1")  # European country
    assert "[instance" in out


def test_tree_json_depth(capsys):
    status, out, _ = run(capsys, "tree", DOG, "--depth", "0", "--json")
    tree = json.loads(out)

    def count(node):
        return 1 + sum(count(c) for c in node.get("children", []))

    assert status == 0 and count(tree) == 190  # dog and its 189 distinct descendants


def test_tree_json_is_the_tree_json_export(capsys, taxonomy):
    """One schema (explorer.core.exports.nested_subtree) for both commands."""
    _, out, _ = run(capsys, "tree", "n02083346", "--depth", "2", "--json")
    _, exported, _ = run(
        capsys, "export", "subtree", "canine.n.02", "--depth", "2", "--format", "tree-json"
    )
    tree = json.loads(out)
    assert tree == json.loads(exported)
    assert list(tree) == ["wnid", "name", "lemmas", "kind", "parents", "selected", "children"]
    dog = next(child for child in tree["children"] if child["name"] == "dog.n.01")
    corgi = next(child for child in dog["children"] if child["name"] == "corgi.n.01")
    assert dog["parents"] == 2 and corgi["children"] == [] and corgi["children_not_shown"] == 2


def test_stats_json(capsys):
    status, out, _ = run(capsys, "stats", "--json")
    stats = json.loads(out)
    assert status == 0
    assert stats["synsets"] == 82115 and stats["multi_parent"] == 2213
    assert stats["roots"] == ["n00001740"] and stats["edges"] == 84427
    assert stats["max_depth"] == 19 and stats["leaves"] > 60000


def test_setup_finds_wordnet_without_installing(capsys):
    status, out, _ = run(capsys, "setup", "--no-install", "--json")
    result = json.loads(out)
    assert status == 0 and result["synsets"] == 82115 and result["installed"] is None


@pytest.mark.parametrize(
    ("args", "status", "needle"),
    [
        (["show", "n99999999"], 1, "not a noun synset"),
        (["show", "qqqzzzxx"], 1, "wnexplorer search"),
        (["search", "x" * 1_000_000], 1, "at most 200 characters; this one has 1,000,000"),
        (["show", "n02086723"], 1, "Interlingual Index"),  # dog's id in WordNet 3.1
        (["show", "wn31-02086723-n"], 1, "another WordNet than 3.0"),
        (["tree", "oewn-02086723-n"], 1, "another WordNet than 3.0"),
        (["tree", "bogus.n.01"], 1, "not a noun synset"),
        (["search"], 2, "Missing argument"),
        (["search", "dog", "--limit", "0"], 2, "--limit"),
        (["show", "dog.n.01", "--bogus"], 2, "No such option"),
        (["frobnicate"], 2, "No such command"),
        (["--wordnet", "/nonexistent", "stats"], 1, "not a directory"),
    ],
)
def test_errors_are_one_line_and_non_zero(capsys, args, status, needle):
    got, out, err = run(capsys, *args)
    assert got == status
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err and "Traceback" not in err


def test_console_script_as_a_process(session_data_dir):
    """The real process: JSON alone on stdout, an error as one line and exit 1."""
    env_run = [sys.executable, "-m", "explorer", "--data-dir", str(session_data_dir)]
    ok = subprocess.run([*env_run, "show", "2084071", "--json"], capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["wnid"] == DOG and ok.stderr == ""
    bad = subprocess.run([*env_run, "show", "n00000000"], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("wnexplorer: error:") and len(bad.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("axb", "'axb' is not WIDTHxHEIGHT in pixels, such as 1280x800."),
        ("1280", "'1280' is not WIDTHxHEIGHT in pixels, such as 1280x800."),
        ("-5x10", "'-5x10' is not WIDTHxHEIGHT in pixels, such as 1280x800."),
        ("10x10", "10x10 is outside 640x400 to 7680x4320."),
    ],
)
def test_gui_size_is_checked_before_any_window(capsys, given, expected):
    status, out, err = run(capsys, "gui", "--size", given, "--screenshot", "x.png")
    assert (status, out) == (2, "")
    assert f"Invalid value for '--size': {expected}" in err


def test_gui_tab_is_one_of_the_windows_tabs(capsys):
    from explorer.cli.gui import TABS

    qt_app = pytest.importorskip("explorer.qt.app")
    assert qt_app.TABS == TABS  # the CLI's copy (it imports no Qt) says the same
    status, _, err = run(capsys, "gui", "--tab", "histogram")
    assert status == 2 and "'images', 'coverage', 'curation'" in err
