"""A generated Yoi project through the toolchain end to end: `plugin validate` passes with no
warning (the component pre-flight included), `plugin pack` writes a .yoi-plugin that the strict
reader and unzip accept, and the project's whole test suite passes as its author runs it.

NEEDS THE MERGE: this drives the Yoi paths of `plugin validate` (yoimanifest), `plugin pack`,
`plugin inspect` and `plugin digest` (yoizip), which are not on the yoicomp branch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

from scaffold.helpers import assert_own_tests_pass, isolated_env

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli

NEVER_PACKED = ("plugin-kit.toml", "src/", "wit/", "tests/", ".github/", ".create-plugin.json")


def plugin(capsys, *args: str) -> tuple[int, dict]:
    code = run(cli, [*args, "--json"], prog_name="plugin")
    return code, json.loads(capsys.readouterr().out)


def test_validates_without_warnings(yoi_scaffold, capsys):
    code, report = plugin(capsys, "validate", str(yoi_scaffold))
    assert code == 0 and report["valid"], report["problems"]
    assert report["warnings"] == [], report["warnings"]


def test_packs_a_yoi_plugin_the_readers_accept(yoi_scaffold, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", isolated_env(tmp_path)["PATH"])  # [build] runs `plugin ...`
    code, result = plugin(capsys, "pack", str(yoi_scaffold), "-o", str(tmp_path))
    assert code == 0, result
    archive = Path(result["path"])
    assert archive.name == f"{yoi_scaffold.name}-0.1.0.yoi-plugin"
    assert result["warnings"] == []
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert {"plugin.toml", "plugin.component.wasm", "README.md", "LICENSE"} <= set(names)
    assert not [n for n in names if n.startswith(NEVER_PACKED)]
    assert subprocess.run(["unzip", "-tq", str(archive)], capture_output=True).returncode == 0
    code, shown = plugin(capsys, "inspect", str(archive))
    assert code == 0 and shown["digest"] == result["digest"]
    code, digest = plugin(capsys, "digest", str(yoi_scaffold))
    assert code == 0 and digest["digest"] == result["digest"]


def test_own_tests_pass(yoi_scaffold, tmp_path):
    assert_own_tests_pass(yoi_scaffold, tmp_path)


def test_validate_warns_about_a_placeholder_component(yoi_scaffold, tmp_path, capsys):
    project = tmp_path / "p"
    shutil.copytree(yoi_scaffold, project)
    (project / "plugin.component.wasm").write_text("# Build with: plugin pack\n")
    code, report = plugin(capsys, "validate", str(project))
    assert code == 0  # a warning, not a problem: Yoi calls it "partial"
    assert [w["rule"] for w in report["warnings"]] == ["component-placeholder"]


def test_pack_warns_about_a_component_yoi_cannot_start(yoi_scaffold, tmp_path, capsys):
    project = tmp_path / "p"
    shutil.copytree(yoi_scaffold, project)
    wat = project / "src" / "plugin.wat"
    wat.write_text(
        wat.read_text().replace(
            "(module",
            '(module (import "yoi:host/fs@1.0.0" "read" (func $read (param i32 i32 i32)))',
            1,
        )
    )
    code, result = plugin(capsys, "pack", str(project), "-o", str(tmp_path / "out"))
    assert code == 0, result
    # A core import stays in the component even if nothing calls it.
    rules = sorted(w["rule"] for w in result["warnings"])
    assert rules == ["component-import-permission", "component-limit-instances"]
