"""Layers import downward only (docs/development.md): every import of every module, read with `ast`.

An import counts wherever it is written (module top, inside a function, under TYPE_CHECKING):
a lazy import is still a dependency. `templates/` is package data (cookiecutter sources), not
modules of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import plugin_kit

# Lowest first. Parts on one level are siblings: neither may import the other.
LEVELS: list[set[str]] = [
    {"base"},  # plugin_kit/__init__.py, errors.py, fsio.py, hosts.py (facts only), textsafe.py
    {"validators"},
    {"components"},  # reading and pre-flighting WebAssembly components (rules, no archive)
    {"content"},
    {"packer", "signing"},
    {"catalog"},
    {"publisher", "installer"},
    {"dev", "scaffold"},
    {"cli"},
]
BASE_MODULES = {
    "plugin_kit", "plugin_kit.errors", "plugin_kit.fsio", "plugin_kit.hosts", "plugin_kit.textsafe",
    "plugin_kit.links",
}  # fmt: skip
# A module that sits on another level than its package: Limits is a plain record of numbers,
# a fact about hosts that hosts.py holds (it imports nothing of ours).
MODULE_PART = {"plugin_kit.validators.limits": "base", "plugin_kit.__main__": "cli"}

# Known debts (none left), each with the work that removes it. The test fails on any other crossing,
# and on an entry here that is no longer needed, so the list can only shrink.
DEBTS: dict[tuple[str, str], str] = {}

ROOT = Path(plugin_kit.__file__).parent
LEVEL_OF = {part: n for n, parts in enumerate(LEVELS) for part in parts}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _part(module: str) -> str:
    if module in MODULE_PART:
        return MODULE_PART[module]
    if module in BASE_MODULES:
        return "base"
    return module.split(".")[1]


def _imports(path: Path, module: str) -> set[str]:
    """Every plugin_kit module `path` imports, as a dotted name (a package counts as itself)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from plugin_kit.x import y` may import the module x.y: count the deeper one.
            for alias in node.names:
                deeper = f"{base}.{alias.name}"
                has_module = (ROOT.parent / Path(*deeper.split("."))).with_suffix(".py").is_file()
                found.add(deeper if has_module else base)
    return {m for m in found if m == "plugin_kit" or m.startswith("plugin_kit.")}


def _modules() -> list[tuple[Path, str]]:
    return [
        (path, _module_name(path))
        for path in sorted(ROOT.rglob("*.py"))
        if "templates" not in path.relative_to(ROOT).parts
    ]


def _crossings() -> dict[tuple[str, str], str]:
    out = {}
    for path, module in _modules():
        mine = _part(module)
        for target in _imports(path, module):
            theirs = _part(target)
            if theirs == mine or LEVEL_OF[theirs] < LEVEL_OF[mine]:
                continue
            way = "sideways" if LEVEL_OF[theirs] == LEVEL_OF[mine] else "upward"
            out[(module, target)] = f"{mine} -> {theirs} ({way})"
    return out


def test_every_part_is_on_a_level() -> None:
    parts = {_part(module) for _, module in _modules()}
    assert parts <= set(LEVEL_OF), parts - set(LEVEL_OF)


def test_imports_go_downward_only() -> None:
    crossings = _crossings()
    bad = {pair: what for pair, what in crossings.items() if pair not in DEBTS}
    assert not bad, "\n".join(f"{a} imports {b}: {what}" for (a, b), what in sorted(bad.items()))


def test_every_listed_debt_is_still_owed() -> None:
    paid = set(DEBTS) - set(_crossings())
    assert not paid, f"remove from DEBTS, the import is gone: {sorted(paid)}"


def test_the_named_boundaries_hold() -> None:
    """The ones issue 10 item 7 names, spelled out so that a change of LEVELS cannot hide them."""
    imports = {
        (_part(module), _part(target))
        for path, module in _modules()
        for target in _imports(path, module)
    }
    for low, high in [
        ("signing", "packer"),
        ("packer", "signing"),
        ("signing", "publisher"),
        ("signing", "installer"),
        ("signing", "catalog"),
        ("publisher", "installer"),
        ("installer", "publisher"),
        ("validators", "packer"),
        ("catalog", "publisher"),
        ("catalog", "installer"),
    ]:
        assert (low, high) not in imports, f"{low} imports {high}"


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The parser itself: an import inside a function and `from . import x` both count."""
    src = tmp_path / "mod.py"
    src.write_text(
        "def f():\n    from plugin_kit.installer import install\n"
        "from plugin_kit import errors\nimport plugin_kit.publisher.catalog\n"
        "from . import keys\nfrom ..catalog import risk\n"
    )
    found = _imports(src, "plugin_kit.signing.mod")
    assert found == {
        "plugin_kit.installer.install",
        "plugin_kit.errors",
        "plugin_kit.publisher.catalog",
        "plugin_kit.signing.keys",
        "plugin_kit.catalog.risk",
    }
