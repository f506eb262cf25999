"""create-plugin --host yoi --runtime tool|instance: a Yoi project that builds and passes the
pre-flight as generated, offline, with our workflows.

The `plugin validate` / `plugin pack` end to end of these projects, and their own tests (all of
them, the component tests included), are in test_yoi_e2e.py.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from helpers.linters import actionlint_findings, generated_workflow_findings, needs_actionlint
from scaffold.helpers import (
    YOI_KINDS,
    old_template,
)

from plugin_kit.cli._output import run
from plugin_kit.cli.create import create
from plugin_kit.components.preflight import preflight
from plugin_kit.packer.build import run_build
from plugin_kit.scaffold.render import tree_hashes
from plugin_kit.scaffold.update import update_project
from plugin_kit.validators.yoi_manifest import parse_yoi_manifest


def _manifest(project: Path):  # type: ignore[no-untyped-def]
    return parse_yoi_manifest((project / "plugin.toml").read_bytes())


def _sidecar(project: Path) -> dict:
    return tomllib.loads((project / "plugin-kit.toml").read_text(encoding="utf-8"))


def doc_kind(project: Path) -> str:
    return tomllib.loads((project / "plugin.toml").read_text(encoding="utf-8"))["runtime"]["kind"]


def test_manifest_is_in_yois_shape_with_least_privilege(yoi_scaffold):
    manifest = _manifest(yoi_scaffold)
    kind = yoi_scaffold.name.removeprefix("demo-")
    assert (manifest.id, manifest.runtime) == (yoi_scaffold.name, kind)
    assert doc_kind(yoi_scaffold) == "wasm-component"
    assert manifest.world == f"yoi:plugin/{kind}@1.0.0"
    assert [t["name"] for t in manifest.tools] == ["shout"]
    assert dict(manifest.referenced_files()) == {"runtime.component": "plugin.component.wasm"}
    kinds = {p["kind"] for p in manifest.raw["permissions"]}
    assert "host_api" not in kinds and not manifest.request and not manifest.websocket
    doc = tomllib.loads((yoi_scaffold / "plugin.toml").read_text(encoding="utf-8"))
    assert doc["schema_version"] == 1 and not {"package", "build"} & set(doc)


def test_build_and_package_settings_live_in_the_sidecar(yoi_scaffold):
    sidecar = _sidecar(yoi_scaffold)
    assert sidecar["build"]["command"][:2] == ["plugin", "wat2component"]
    assert "plugin.component.wasm" in sidecar["package"]["include"]
    assert {"README.md", "LICENSE"} <= set(sidecar["package"]["include"])


def test_the_build_step_makes_the_same_component_and_the_preflight_accepts_it(
    yoi_scaffold, tmp_path
):
    project = tmp_path / "p"
    shutil.copytree(yoi_scaffold, project)
    (project / "plugin.component.wasm").unlink()
    run_build(project, _sidecar(project)["build"]["command"])
    data = (project / "plugin.component.wasm").read_bytes()
    assert data == (yoi_scaffold / "plugin.component.wasm").read_bytes()  # reproducible
    report = preflight(data, _manifest(project))
    assert report.ok, [str(w) for w in report.warnings]
    assert report.info is not None and not report.info.imports


def test_workflows_pass_the_linters(yoi_scaffold):
    assert generated_workflow_findings(yoi_scaffold) == {}


@needs_actionlint
def test_workflows_pass_actionlint(yoi_scaffold):
    workflows = sorted((yoi_scaffold / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 2 and actionlint_findings(workflows) == []


def test_wit_is_the_hosts_with_its_licence(yoi_scaffold):
    kind = yoi_scaffold.name.removeprefix("demo-")
    world = (yoi_scaffold / "wit" / f"yoi-plugin-{kind}-v1.wit").read_text()
    assert world.startswith("package yoi:plugin@1.0.0;") and f"world {kind} {{" in world
    host = (yoi_scaffold / "wit" / "deps" / "yoi-host" / "yoi-host-v1.wit").read_text()
    assert all(f"interface {i} {{" in host for i in ("request", "websocket", "fs"))
    notice = (yoi_scaffold / "wit" / "LICENSE-yoi").read_text()
    assert "Copyright 2026 Hare" in notice and "Permission is hereby granted" in notice
    assert "LICENSE-yoi" in world and "LICENSE-yoi" in host


def test_gitignore_covers_outputs_stores_and_keys(yoi_scaffold):
    lines = (yoi_scaffold / ".gitignore").read_text().splitlines()
    assert {"dist/", "*.yoi-plugin", ".yoi/", "*.key"} <= set(lines)


def test_readme_says_how_to_build_test_pack_probe_and_move_to_rust(yoi_scaffold):
    text = (yoi_scaffold / "README.md").read_text()
    for needle in ("plugin pack", "python -m pytest", "plugin dev --call shout", "yoi-plugin-pdk",
                   "plugin wat2component", "--update"):  # fmt: skip
        assert needle in text, needle
    assert "{{" not in text and "cookiecutter" not in text


@pytest.mark.parametrize("kind", YOI_KINDS)
def test_same_answers_same_tree(kind, tmp_path, home):
    args = ["--no-input", "--host", "yoi", "--runtime", kind, "--no-git"]
    a, b = tmp_path / "a" / "p-x", tmp_path / "b" / "p-x"
    assert run(create, [*args, str(a)]) == 0 and run(create, [*args, str(b)]) == 0
    assert tree_hashes(a) == tree_hashes(b)
    assert "plugin.component.wasm" in tree_hashes(a)


def test_json_result_names_the_template(create_plugin, tmp_path):
    out = create_plugin("--no-input", "--no-git", "--host", "yoi", "--json", str(tmp_path / "j-p"))
    assert out.code == 0, out.err
    assert (out.json["template"], out.json["runtime"]) == ("builtin:yoi-tool", "tool")


def test_a_runtime_of_the_other_host_is_refused(create_plugin, tmp_path):
    out = create_plugin("--no-input", "--host", "yoi", "--runtime", "wasm", str(tmp_path / "x-p"))
    assert out.code == 2 and "tool, instance" in out.err
    assert not (tmp_path / "x-p").exists()


def test_host_with_a_template_is_refused(create_plugin, tmp_path):
    out = create_plugin(
        "--no-input", "--host", "yoi", "--template", str(tmp_path), str(tmp_path / "y")
    )
    assert out.code == 2 and "create.host" in out.err


@pytest.fixture
def old_yoi_template(tmp_path) -> Path:
    """The built-in Yoi tool template as an "older version" with another README."""
    tool = old_template(tmp_path, "yoi-tool")
    (tool / "{{cookiecutter.id}}" / "README.md").write_text("# {{ cookiecutter.name }}\n\nOld.\n")
    return tool


def test_update_brings_an_old_yoi_project_to_the_current_template(
    create_plugin, old_yoi_template, tmp_path
):
    dest = tmp_path / "work" / "old-yoi"
    made = create_plugin("--no-input", "--no-git", "--template", str(old_yoi_template), str(dest))
    assert made.code == 0, made.err
    result = update_project(dest, template="builtin:yoi-tool")
    assert result.updated == ["README.md"] and not result.conflicts
    assert "yoi-plugin-pdk" in (dest / "README.md").read_text()
    record = json.loads((dest / ".create-plugin.json").read_text())
    assert record["template"] == "builtin:yoi-tool" and record["template_version"] != "0.0.1"
