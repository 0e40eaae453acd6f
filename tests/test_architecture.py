"""The core and the CLI must not import Qt (STYLE.md section 1)."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import explorer

PACKAGE = Path(explorer.__file__).parent
FORBIDDEN = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "explorer.qt")


def _imports(path: Path, skip_function: str | None = None) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if skip_function:  # drop that function's body: its imports are its own business
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == skip_function:
                node.body = []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


CLI_GUI = PACKAGE / "cli" / "gui.py"  # the one CLI module that may start the window


def _non_qt_modules() -> list[Path]:
    return [*sorted((PACKAGE / "core").rglob("*.py")), *sorted((PACKAGE / "cli").rglob("*.py"))]


def _is_qt(name: str) -> bool:
    return name.split(".")[0] in FORBIDDEN or name.startswith(FORBIDDEN)


def test_core_and_cli_sources_never_import_qt():
    """The core never; the CLI only inside its `gui` command, which opens the window."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _non_qt_modules()
        for name in _imports(path, skip_function="gui" if path == CLI_GUI else None)
        if _is_qt(name)
    ]
    assert offenders == []


def test_the_gui_command_imports_only_the_qt_entry_point_of_qt():
    """Once, inside the command: every other command runs without Qt or a display."""
    source = ast.parse(CLI_GUI.read_text(encoding="utf-8"))
    (gui,) = [n for n in ast.walk(source) if isinstance(n, ast.FunctionDef) and n.name == "gui"]
    imported = [n.module for n in ast.walk(gui) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(gui) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in imported if _is_qt(m)] == ["explorer.qt.app"]


def test_the_cli_holds_no_sql_and_no_long_module():
    """Its queries are the core's (STYLE.md section 9), and each module stays readable."""
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\b")
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not sql.search(text), f"{path.name}: {sql.search(text).group()}"
        assert len(text.splitlines()) <= 700, path.name


def test_nltk_is_imported_by_one_module_only():
    importers = [
        path.relative_to(PACKAGE)
        for path in PACKAGE.rglob("*.py")
        if any(n.split(".")[0] == "nltk" for n in _imports(path))
    ]
    assert importers == [Path("core/wordnet/source.py")]


def test_core_and_cli_import_with_qt_unavailable():
    """Import every core and CLI module with PySide6 made unimportable."""
    modules = [
        *(
            "explorer." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
            for p in (PACKAGE / "cli").rglob("*.py")
            if p.name != "__init__.py"
        ),
        "explorer.cli",
        *(
            "explorer." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
            for p in (PACKAGE / "core").rglob("*.py")
        ),
    ]
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
        "            raise ImportError('Qt is forbidden here: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for name in {modules!r}:\n"
        "    __import__(name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


CORE_PACKAGES = (
    "wordnet",
    "catalogue",
    "images",
    "curation",
    "analysis",
    "exports",
    "duplicates",
    "evaluation",
)


def _package_of(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[1] if parts[0] == "core" and len(parts) > 2 else None


def test_packages_are_used_through_their_public_api():
    """Outside a core package, its names come from the package (its ``__all__``), never from
    one of its modules, and never a private one."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        here = _package_of(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                continue
            parts = node.module.split(".")
            if parts[:2] != ["explorer", "core"] or len(parts) < 3 or parts[2] not in CORE_PACKAGES:
                continue
            if parts[2] == here:
                continue  # a package's own modules import each other directly
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if len(parts) > 3:
                offenders.append(f"{where} imports from the module {node.module}")
            offenders += [f"{where} imports {a.name}" for a in node.names if a.name.startswith("_")]
            package = importlib.import_module(".".join(parts[:3]))
            offenders += [
                f"{where} imports {a.name}, which {node.module} does not export"
                for a in node.names
                if a.name not in package.__all__
            ]
    assert offenders == []


CATALOGUE_TABLES = re.compile(
    r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(?:images|audit|label_counts|scans)\b"
)


def _strings(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node


def test_only_the_catalogue_package_touches_the_catalogues_tables():
    """The catalogue is a store: other code asks it by method (STYLE.md section 5), never
    with SQL on its tables nor through its connection (``Catalogue._db``)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if _package_of(path) == "catalogue":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(PACKAGE)
        offenders += [
            f"{where}:{node.lineno} runs SQL on the catalogue's tables: {node.value[:60]!r}"
            for node in _strings(tree)
            if CATALOGUE_TABLES.search(node.value)
        ]
        offenders += [
            f"{where}:{node.lineno} reaches into ._db"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr == "_db"
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        ]
    assert offenders == []
