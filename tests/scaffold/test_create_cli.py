"""create-plugin's command line: defaults, JSON shape, git, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_json_result_and_defaults(create_plugin, tmp_path):
    result = create_plugin("--no-input", "--no-git", "--json", str(tmp_path / "weather-tools"))
    assert result.code == 0, result.err
    doc = result.json
    assert doc["runtime"] == "wasm"  # the default kind
    assert doc["path"] == str(tmp_path / "weather-tools")
    assert "plugin.toml" in doc["files"] and ".create-plugin.json" in doc["files"]
    assert any("plugin dev --watch" in s for s in doc["next_steps"])
    manifest = (tmp_path / "weather-tools" / "plugin.toml").read_text()
    assert 'id = "weather-tools"' in manifest and 'display_name = "Weather Tools"' in manifest
    assert not (tmp_path / "weather-tools" / ".git").exists()


def test_name_gives_id_and_folder(create_plugin, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = create_plugin("--no-input", "--no-git", "--json", "--name", "Word Tools", "--runtime",
                           "mcp", "--license", "Apache-2.0", "--author", 'Ada "A" <ada@example.org>')  # fmt: skip
    assert result.code == 0, result.err
    project = tmp_path / "word-tools"
    assert result.json["path"] == str(project)
    assert (project / "word_tools" / "server.py").is_file()
    license_text = (project / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0" in license_text
    import tomllib

    meta = tomllib.loads((project / "plugin.toml").read_text())["plugin"]
    assert meta["authors"] == ['Ada "A" <ada@example.org>']  # quoted safely into TOML
    record = json.loads((project / ".create-plugin.json").read_text())
    assert record["answers"]["license"] == "Apache-2.0"
    assert record["template"] == "builtin:mcp"


def test_license_without_shipped_text_points_to_spdx(create_plugin, tmp_path):
    dest = tmp_path / "gpl-plugin"
    assert (
        create_plugin("--no-input", "--no-git", "--license", "GPL-3.0-or-later", str(dest)).code
        == 0
    )
    assert "SPDX-License-Identifier: GPL-3.0-or-later" in (dest / "LICENSE").read_text()


def test_git_init_and_first_commit_without_identity(create_plugin, tmp_path, home):
    dest = tmp_path / "with-git"
    assert create_plugin("--no-input", "--runtime", "hooks", str(dest)).code == 0
    log = subprocess.run(["git", "log", "--format=%an <%ae>|%s"], cwd=dest, capture_output=True,
                         text=True, check=True).stdout.splitlines()  # fmt: skip
    assert log == ["Plugin Author <author@example.org>|Initial commit from create-plugin"]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=dest, capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    assert status == ""  # everything committed, build output ignored


def test_human_output_ends_with_next_steps(create_plugin, tmp_path):
    result = create_plugin("--no-input", "--no-git", str(tmp_path / "abc-plugin"))
    assert result.code == 0
    assert "Next steps:" in result.out and "cd " in result.out


def test_help_has_examples():
    proc = subprocess.run([Path(sys.executable).parent / "create-plugin", "--help"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "Examples:" in proc.stdout and "--update" in proc.stdout


def test_custom_template_folder(create_plugin, tmp_path):
    """Any cookiecutter template works with --template; its variables take --set."""
    import shutil

    from plugin_kit.scaffold.templates import builtin_root

    copy = tmp_path / "org-templates"
    shutil.copytree(builtin_root(), copy)
    result = create_plugin("--no-input", "--no-git", "--json", "--template", str(copy / "hooks"),
                           "--set", "description=Org hooks", str(tmp_path / "out" / "org-hooks"))  # fmt: skip
    assert result.code == 0, result.err
    assert result.json["template"] == str(copy / "hooks")
    assert (
        'description = "Org hooks"' in (tmp_path / "out" / "org-hooks" / "plugin.toml").read_text()
    )


def test_leaves_nothing_in_the_temp_folder(tmp_path):
    # cookiecutter writes each rendered hook to a temp file it never deletes; we must not leak it.
    from scaffold.helpers import VENV_BIN, isolated_env

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**isolated_env(tmp_path / "home"), "TMPDIR": str(tmp)}
    proc = subprocess.run(
        [f"{VENV_BIN}/create-plugin", "--no-input", "--no-git", "--runtime", "wasm",
         str(tmp_path / "p")], env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "p" / "module.wasm").is_file()  # the post-generation hook ran
    assert list(tmp.iterdir()) == []


def test_answers_are_taken_literally_not_rendered(create_plugin, tmp_path):
    """Only template defaults are Jinja; what the user typed must arrive as typed."""
    import tomllib

    dest = tmp_path / "literal-plugin"
    result = create_plugin("--no-input", "--no-git", "--name", "{% raw %}", "--set",
                           "description={{ 7*7 }} and {%- if 1 %}x{% endif %}", str(dest))  # fmt: skip
    assert result.code == 0, result.err
    meta = tomllib.loads((dest / "plugin.toml").read_text())["plugin"]
    assert meta["display_name"] == "{% raw %}"
    assert meta["description"] == "{{ 7*7 }} and {%- if 1 %}x{% endif %}"
    record = json.loads((dest / ".create-plugin.json").read_text())
    assert record["answers"]["description"] == "{{ 7*7 }} and {%- if 1 %}x{% endif %}"
    assert record["answers"]["id"] == "literal-plugin"  # the default from the folder
