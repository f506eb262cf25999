"""--update from an older template version: untouched files follow the new template, files
the author changed are conflicts left as written, listed with a diff."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from plugin_kit.scaffold.templates import builtin_root
from plugin_kit.scaffold.update import update_project


@pytest.fixture
def old_template(tmp_path) -> Path:
    """The built-in templates as an "older version": some files differ, one more file."""
    root = tmp_path / "templates-0.0.1"
    shutil.copytree(builtin_root(), root)
    wasm = root / "wasm"
    config = json.loads((wasm / "cookiecutter.json").read_text())
    config["_template_version"] = "0.0.1"
    (wasm / "cookiecutter.json").write_text(json.dumps(config))
    project = wasm / "{{cookiecutter.id}}"
    (project / "README.md").write_text("# {{ cookiecutter.name }}\n\nOld readme.\n")
    (project / "NOTES.md").write_text("Only in the old template.\n")
    (root / "_shared" / "gitignore").write_text("dist/\n")
    return wasm


@pytest.fixture
def project(create_plugin, old_template, tmp_path) -> Path:
    dest = tmp_path / "work" / "old-plugin"
    result = create_plugin("--no-input", "--no-git", "--template", str(old_template), str(dest))
    assert result.code == 0, result.err
    assert json.loads((dest / ".create-plugin.json").read_text())["template_version"] == "0.0.1"
    return dest


def _template_readme(diff: str) -> str:
    """The new template's side of a unified diff of a whole file."""
    lines = diff.splitlines(keepends=True)[3:]  # past ---, +++ and the one @@ header
    return "".join(line[1:] for line in lines if line[:1] in ("+", " "))


def test_update_applies_new_template_and_reports_conflicts(project, home):
    generated_readme = json.loads((project / ".create-plugin.json").read_text())["files"][
        "README.md"
    ]
    (project / "README.md").write_text("# My own readme\n")  # changed by author and by template
    (project / "schemas" / "echo.json").write_text('{"type": "object"}\n')  # author only
    plugin_toml = (project / "plugin.toml").read_bytes()

    result = update_project(project, template="builtin:wasm")

    assert (result.old_version, result.new_version) == ("0.0.1", result.new_version)
    assert result.new_version != "0.0.1"
    assert result.updated == [".gitignore"]
    assert result.removed == ["NOTES.md"] and not (project / "NOTES.md").exists()
    assert [c.path for c in result.conflicts] == ["README.md"]
    conflict = result.conflicts[0]
    assert "-# My own readme" in conflict.diff and "+## Moving to Rust or TinyGo" in conflict.diff
    # The author's files are left exactly as written.
    assert (project / "README.md").read_text() == "# My own readme\n"
    assert (project / "schemas" / "echo.json").read_text() == '{"type": "object"}\n'
    assert (project / "plugin.toml").read_bytes() == plugin_toml  # same in both versions
    assert "*.insomnia-plugin" in (project / ".gitignore").read_text()
    record = json.loads((project / ".create-plugin.json").read_text())
    assert record["template"] == "builtin:wasm" and record["template_version"] == result.new_version

    # The conflicted file keeps its old recorded hash, so it is not forgotten.
    assert record["files"]["README.md"] == generated_readme
    again = update_project(project)  # recorded template is now the built-in one
    assert (again.updated, again.added, again.removed) == ([], [], [])
    assert [c.path for c in again.conflicts] == ["README.md"]  # still unresolved

    # Resolved by taking the template's version: the record follows it, no more conflict.
    (project / "README.md").write_text(_template_readme(conflict.diff))
    resolved = update_project(project)
    assert resolved.conflicts == []
    assert json.loads((project / ".create-plugin.json").read_text())["files"]["README.md"] == (
        hashlib.sha256((project / "README.md").read_bytes()).hexdigest()
    )


def test_cli_update_json_and_exit_code(create_plugin, project):
    (project / "README.md").write_text("mine\n")
    result = create_plugin("--update", "--template", "builtin:wasm", "--json", str(project))
    assert result.code == 4  # needs the user: a conflict to resolve
    doc = result.json
    assert [c["path"] for c in doc["conflicts"]] == ["README.md"]
    assert doc["old_version"] == "0.0.1"


def test_author_deleted_file_changed_by_template_is_a_conflict(project, home):
    (project / "README.md").unlink()
    result = update_project(project, template="builtin:wasm")
    assert [(c.path, c.reason) for c in result.conflicts] == [
        ("README.md", "deleted by you, changed by the template")
    ]
    assert not (project / "README.md").exists()


def test_update_without_record_is_a_usage_error(create_plugin, tmp_path):
    result = create_plugin("--update", "--json", str(tmp_path))
    assert result.code == 2
    assert result.json["error"]["rule"] == "update.no-record"


@pytest.mark.parametrize("rel", ["../victim.txt", "ABS", "schemas/../../victim.txt"])
def test_record_naming_a_path_outside_the_project_is_refused(create_plugin, project, rel):
    """A cloned project's .create-plugin.json is input: it must not make --update touch other files."""
    import hashlib

    victim = project.parent / "victim.txt"
    victim.write_text("precious\n")
    record_path = project / ".create-plugin.json"
    record = json.loads(record_path.read_text())
    record["files"][str(victim) if rel == "ABS" else rel] = hashlib.sha256(
        b"precious\n"
    ).hexdigest()
    record_path.write_text(json.dumps(record))

    result = create_plugin("--update", "--template", "builtin:wasm", "--json", str(project))

    assert result.code == 2
    assert result.json["error"]["rule"] == "update.bad-record"
    assert victim.read_text() == "precious\n"
    assert json.loads(record_path.read_text()) == record  # nothing written


def test_update_does_not_write_through_a_symlink_out_of_the_project(project, home, tmp_path):
    (project / ".gitignore").unlink()
    (project / ".gitignore").symlink_to(tmp_path / "outside-gitignore")
    (tmp_path / "outside-gitignore").write_text("dist/\n")  # as generated by the old template

    result = update_project(project, template="builtin:wasm")

    assert ".gitignore" in [c.path for c in result.conflicts]
    assert (tmp_path / "outside-gitignore").read_text() == "dist/\n"
    assert (project / ".gitignore").is_symlink()


def test_update_keeps_recorded_answers_literal(create_plugin, home, tmp_path):
    dest = tmp_path / "braces-plugin"
    assert (
        create_plugin("--no-input", "--no-git", "--set", "description={{ 7*7 }}", str(dest)).code
        == 0
    )

    update_project(dest)

    record = json.loads((dest / ".create-plugin.json").read_text())
    assert record["answers"]["description"] == "{{ 7*7 }}"
    assert 'description = "{{ 7*7 }}"' in (dest / "plugin.toml").read_text()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--id", "other-id"], "--id"),
        (["--name", "Other"], "--name"),
        (["--runtime", "mcp"], "--runtime"),
        (["--author", "A <a@example.org>"], "--author"),
        (["--license", "MIT"], "--license"),
        (["--set", "description=x"], "--set"),
        (["--no-input"], "--no-input"),
        (["--no-git"], "--no-git"),
        (["--git"], "--git"),
    ],
)
def test_update_refuses_flags_it_would_ignore(create_plugin, project, args, flag):
    record = (project / ".create-plugin.json").read_bytes()
    result = create_plugin("--update", "--json", *args, str(project))
    assert result.code == 2
    error = result.json["error"]
    assert error["rule"] == "update.flag" and flag in error["message"]
    assert (project / ".create-plugin.json").read_bytes() == record  # nothing done
