"""Each built-in template, generated with --no-input, is a working, releasable plugin."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers.linters import actionlint_findings, generated_workflow_findings, needs_actionlint
from scaffold.helpers import assert_own_tests_pass, generate, isolated_env

from plugin_kit.cli._output import run
from plugin_kit.cli.create import create
from plugin_kit.content.project import validate_project
from plugin_kit.links import ACTION
from plugin_kit.packer.reader import read_archive
from plugin_kit.packer.writer import pack
from plugin_kit.scaffold.pins import ACTION_TAG
from plugin_kit.scaffold.render import tree_hashes

RUNTIMES = ["hooks", "wasm", "mcp"]


@pytest.fixture(scope="module", params=RUNTIMES)
def scaffold(request, tmp_path_factory) -> Path:
    """One project per runtime, made once by the real CLI in an isolated home."""
    return generate(tmp_path_factory, request.param, "--runtime", request.param)


def test_validates(scaffold):
    report = validate_project(scaffold)
    assert report.ok, [str(p) for p in report.problems]
    assert report.manifest.id == scaffold.name
    # Generated in a home without a git identity: the stand-in author is the only warning.
    assert [w.rule for w in report.warnings] == ["author-placeholder"], [
        str(w) for w in report.warnings
    ]


def test_packs_to_an_archive_the_strict_reader_accepts(scaffold, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", isolated_env(tmp_path)["PATH"])  # [build] runs `plugin wat2wasm`
    result = pack(scaffold, tmp_path)
    info = read_archive(Path(result.path))
    assert info.digest == result.digest
    assert info.manifest.id == scaffold.name
    assert {"plugin.toml", "README.md", "LICENSE"} <= {f.path for f in info.files}
    assert not any(f.path.startswith(("tests/", ".github/", ".create-plugin")) for f in info.files)


def test_own_tests_pass(scaffold, tmp_path):
    assert_own_tests_pass(scaffold, tmp_path)


def _workflows(scaffold: Path) -> list[Path]:
    return sorted((scaffold / ".github" / "workflows").glob("*.yml"))


def test_workflows_pass_the_linters(scaffold):
    assert generated_workflow_findings(scaffold) == {}


@needs_actionlint
def test_workflows_pass_actionlint(scaffold):
    workflows = sorted((scaffold / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 2 and actionlint_findings(workflows) == []


def test_ci_and_release_share_the_one_action_reference(scaffold):
    ci, release = (yaml.safe_load(w.read_text())["jobs"] for w in _workflows(scaffold))
    uses = {s["uses"] for job in (*ci.values(), *release.values()) for s in job["steps"]
            if s.get("uses", "").startswith(ACTION)}  # fmt: skip
    assert uses == {f"{ACTION}@{ACTION_TAG}"}
    install = next(s for s in ci["check"]["steps"] if s.get("uses", "").startswith(ACTION))
    assert install["with"]["install-only"] == "true"
    text = "".join(w.read_text() for w in _workflows(scaffold))
    assert "pip install" not in text  # nothing is looked up on a package index


def test_release_workflow_shape(scaffold):
    text = (scaffold / ".github" / "workflows" / "release.yml").read_text()
    assert 'tags: ["v*"]' in text
    assert "contents: write" in text and "concurrency:" in text
    assert "group: release-${{ github.ref }}" in text
    # Every third-party action pinned by a full commit hash, the toolchain's by its release tag.
    for line in text.splitlines():
        if "uses:" in line and ACTION not in line:
            ref = line.split("@", 1)[1].split()[0]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), line


def test_generating_twice_gives_identical_trees(tmp_path, home):
    trees = []
    for n in ("one", "two"):
        dest = tmp_path / n / "same-plugin"
        assert run(create, ["--no-input", "--runtime", "wasm", "--no-git", str(dest)]) == 0
        trees.append(tree_hashes(dest))
    assert trees[0] == trees[1]
    assert ".create-plugin.json" in trees[0] and "module.wasm" in trees[0]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_same_answers_same_tree_per_runtime(runtime, tmp_path, home):
    args = ["--no-input", "--runtime", runtime, "--no-git", "--author", "Ada <ada@example.org>"]
    a, b = tmp_path / "a" / "p-x", tmp_path / "b" / "p-x"
    assert run(create, [*args, str(a)]) == 0 and run(create, [*args, str(b)]) == 0
    assert tree_hashes(a) == tree_hashes(b)
