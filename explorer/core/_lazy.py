"""Lazy package exports (PEP 562): a package names its public API without importing it.

The window's start-up time counts every import: importing ``explorer.core.wordnet`` for the
cache-painted tree must not pull in networkx, nor ``explorer.core.images`` Pillow. Each
package lists its public names and the module that defines each; a name is imported on
first use. Type checkers read the same names from the package's ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_exports(
    package: str, modules: dict[str, tuple[str, ...]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``; ``modules`` maps each module
    (relative to the package, e.g. ``".store"``) to the public names it defines.

    >>> getattr_, dir_ = lazy_exports("explorer.core", {".errors": ("WordNetError",)})
    >>> getattr_("WordNetError"), dir_()
    (<class 'explorer.core.errors.WordNetError'>, ['WordNetError'])
    >>> getattr_("Nothing")
    Traceback (most recent call last):
    AttributeError: module 'explorer.core' has no attribute 'Nothing'
    """
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> object:
        if name in where:
            return getattr(import_module(where[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
