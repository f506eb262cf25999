"""--update from an older template version: untouched files follow the new template, files
the author changed are conflicts left as written, listed with a diff."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from scaffold import helpers

from plugin_kit.scaffold.templates import builtin_root
from plugin_kit.scaffold.update import update_project


@pytest.fixture
def old_template(tmp_path) -> Path:
    """The built-in templates as an "older version": some files differ, one more file."""
    wasm = helpers.old_template(tmp_path, "wasm")
    project = wasm / "{{cookiecutter.id}}"
    (project / "README.md").write_text("# {{ cookiecutter.name }}\n\nOld readme.\n")
    (project / "NOTES.md").write_text("Only in the old template.\n")
    (wasm.parent / "_shared" / "gitignore").write_text("dist/\n")
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
    # The template dropped NOTES.md: listed, kept until the author asks for the deletion.
    assert result.removed == [] and result.to_remove == ["NOTES.md"]
    assert (project / "NOTES.md").exists()
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
    again = update_project(project, delete=True)  # recorded template is now the built-in one
    assert (again.updated, again.added, again.removed) == ([], [], ["NOTES.md"])
    assert not (project / "NOTES.md").exists()
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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def newer_template(tmp_path) -> Path:
    """The built-in wasm template as a later version whose README changed again."""
    root = tmp_path / "templates-99.0.0"
    shutil.copytree(builtin_root(), root)
    wasm = root / "wasm"
    config = json.loads((wasm / "cookiecutter.json").read_text())
    config["_template_version"] = "99.0.0"
    (wasm / "cookiecutter.json").write_text(json.dumps(config))
    readme = wasm / "{{cookiecutter.id}}" / "README.md"
    readme.write_text(readme.read_text() + "\n## New in 99\n")
    return wasm


def _conflict_run(create_plugin, project: Path) -> dict:
    """The author changes README.md, --update to the built-in template reports the conflict."""
    (project / "README.md").write_text("# My own readme\n")
    result = create_plugin("--update", "--template", "builtin:wasm", "--json", str(project))
    assert result.code == 4, result.err
    return result.json


def test_conflict_json_carries_the_template_hash(create_plugin, project):
    (conflict,) = _conflict_run(create_plugin, project)["conflicts"]
    template_text = _template_readme(conflict["diff"]).encode()
    assert conflict["template_sha256"] == _sha256(template_text)


def test_resolved_keeps_the_merged_file_and_records_the_template_base(
    create_plugin, project, newer_template
):
    (conflict,) = _conflict_run(create_plugin, project)["conflicts"]
    merged = "# My own readme\n\n" + _template_readme(conflict["diff"])
    (project / "README.md").write_text(merged)

    result = create_plugin("--update", "--resolved", "README.md", "--json", str(project))

    assert result.code == 0, result.out + result.err
    assert result.json["conflicts"] == [] and result.json["resolved"] == ["README.md"]
    assert (project / "README.md").read_text() == merged  # the author's merge is kept
    record = json.loads((project / ".create-plugin.json").read_text())
    assert record["files"]["README.md"] == conflict["template_sha256"]

    again = create_plugin("--update", "--json", str(project))
    assert again.code == 0 and again.json["conflicts"] == []  # no longer reported
    assert (project / "README.md").read_text() == merged

    # A later template change to the file is detected against the recorded base.
    later = create_plugin("--update", "--template", str(newer_template), "--json", str(project))
    assert later.code == 4
    (conflict,) = later.json["conflicts"]
    assert conflict["path"] == "README.md" and "+## New in 99" in conflict["diff"]
    assert "-# My own readme" in conflict["diff"]
    assert (project / "README.md").read_text() == merged


def test_human_output_prints_the_command_that_resolves(create_plugin, project):
    import shlex

    (project / "README.md").write_text("# My own readme\n")
    result = create_plugin("--update", "--template", "builtin:wasm", str(project))
    assert result.code == 4
    commands = [line.split(": ", 1)[1] for line in result.out.splitlines() if "--resolved" in line]
    assert commands == [f"create-plugin --update --resolved README.md {shlex.quote(str(project))}"]

    argv = shlex.split(commands[0])
    assert argv[0] == "create-plugin"
    resolved = create_plugin(*argv[1:])
    assert resolved.code == 0, resolved.out + resolved.err
    assert "resolved README.md" in resolved.out
    assert (project / "README.md").read_text() == "# My own readme\n"


def test_resolved_accepts_an_absolute_path_inside_the_project(create_plugin, project):
    (conflict,) = _conflict_run(create_plugin, project)["conflicts"]
    result = create_plugin(
        "--update", "--resolved", str(project / "README.md"), "--json", str(project)
    )
    assert result.code == 0, result.out
    assert result.json["resolved"] == ["README.md"]
    record = json.loads((project / ".create-plugin.json").read_text())
    assert record["files"]["README.md"] == conflict["template_sha256"]


def test_resolved_file_removed_by_the_template_is_no_longer_tracked(create_plugin, project):
    (project / "NOTES.md").write_text("My notes.\n")  # the new template drops NOTES.md
    first = create_plugin("--update", "--template", "builtin:wasm", "--json", str(project))
    assert first.code == 4
    assert [(c["path"], c["template_sha256"]) for c in first.json["conflicts"]] == [
        ("NOTES.md", None)
    ]

    result = create_plugin("--update", "--resolved", "NOTES.md", "--json", str(project))

    assert result.code == 0 and result.json["resolved"] == ["NOTES.md"]
    assert (project / "NOTES.md").read_text() == "My notes.\n"
    assert "NOTES.md" not in json.loads((project / ".create-plugin.json").read_text())["files"]


@pytest.mark.parametrize(
    "given",
    ["../victim.txt", "OUTSIDE", "schemas/../../victim.txt", "not-recorded.md", ".", ".git/config"],
)
def test_resolved_refuses_paths_it_cannot_mark(create_plugin, project, given):
    _conflict_run(create_plugin, project)
    (project.parent / "victim.txt").write_text("precious\n")
    record = (project / ".create-plugin.json").read_bytes()
    path = str(project.parent / "victim.txt") if given == "OUTSIDE" else given

    result = create_plugin("--update", "--resolved", path, "--json", str(project))

    assert result.code == 2
    assert result.json["error"]["rule"] == "update.resolved"
    assert (project / ".create-plugin.json").read_bytes() == record  # nothing written
    assert (project / "README.md").read_text() == "# My own readme\n"


def test_resolved_refused_before_anything_is_written(create_plugin, project):
    """A bad PATH stops the whole run: a file the update would change stays as it was."""
    _conflict_run(create_plugin, project)
    # .gitignore as generated by an older template: this run would update it.
    record_path = project / ".create-plugin.json"
    record = json.loads(record_path.read_text())
    (project / ".gitignore").write_text("dist/\n")
    record["files"][".gitignore"] = _sha256(b"dist/\n")
    record_path.write_text(json.dumps(record))
    before = record_path.read_bytes()

    result = create_plugin("--update", "--resolved", "nope.md", "--json", str(project))

    assert result.code == 2 and result.json["error"]["rule"] == "update.resolved"
    assert "nope.md" in result.json["error"]["message"]
    assert (project / ".gitignore").read_text() == "dist/\n"
    assert record_path.read_bytes() == before
    # The same run without the bad PATH does update it, so the refusal is what kept it.
    assert create_plugin("--update", "--resolved", "README.md", "--json", str(project)).code == 0
    assert "*.insomnia-plugin" in (project / ".gitignore").read_text()


def test_resolved_refuses_a_template_other_than_the_one_the_conflict_was_shown_for(
    create_plugin, project, newer_template
):
    """The author merged against the diff shown; a newer template's changes were never seen."""
    _conflict_run(create_plugin, project)
    record = (project / ".create-plugin.json").read_bytes()

    result = create_plugin(
        "--update",
        "--template",
        str(newer_template),
        "--resolved",
        "README.md",
        "--json",
        str(project),
    )

    assert result.code == 2
    assert result.json["error"]["rule"] == "update.resolved-version"
    assert (project / ".create-plugin.json").read_bytes() == record


def test_resolved_needs_update(create_plugin, tmp_path):
    dest = tmp_path / "fresh-plugin"
    result = create_plugin("--no-input", "--no-git", "--resolved", "README.md", "--json", str(dest))
    assert result.code == 2
    assert result.json["error"]["rule"] == "create.resolved"
    assert not dest.exists()


# --- a repository cannot choose code for --update to run (issue 9 item 7) ---------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _in_repo_template(project: Path, marker: Path) -> Path:
    """What a pull request could add: a template folder inside the repository whose hook and
    whose Jinja both write `marker`, and which makes none of the project's files."""
    template = project / "tools" / "template"
    (template / "hooks").mkdir(parents=True)
    (template / "{{cookiecutter.id}}").mkdir()
    (template / "cookiecutter.json").write_text(json.dumps({"id": "old-plugin"}))
    (template / "hooks" / "pre_gen_project.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('hook ran')\n"
    )
    (template / "{{cookiecutter.id}}" / "only.txt").write_text(
        f"{{{{ cycler.__init__.__globals__.os.open({str(marker) + '-jinja'!r}, 64) }}}}\n"
    )
    record_path = project / ".create-plugin.json"
    record = json.loads(record_path.read_text())
    record["template"] = str(template)
    record_path.write_text(json.dumps(record))
    return template


def test_update_refuses_a_recorded_template_that_is_not_built_in(create_plugin, project, tmp_path):
    marker = tmp_path / "marker"
    _in_repo_template(project, marker)
    before = _snapshot(project)

    result = create_plugin("--update", "--json", str(project))

    assert result.code == 2, result.out
    error = result.json["error"]
    assert error["rule"] == "update.template-untrusted"
    assert "--template" in error["hint"] and "tools/template" in error["hint"]
    assert not marker.exists() and not Path(str(marker) + "-jinja").exists()
    assert _snapshot(project) == before  # nothing written, nothing deleted


def test_a_template_named_on_the_command_line_runs_but_deletes_only_on_request(
    create_plugin, project, tmp_path
):
    marker = tmp_path / "marker"
    template = _in_repo_template(project, marker)
    before = set(_snapshot(project))

    result = create_plugin("--update", "--template", str(template), "--json", str(project))

    assert result.code == 0, result.out
    assert marker.read_text() == "hook ran"  # the user named it: its hooks may run
    dropped = result.json["to_remove"]
    assert "plugin.toml" in dropped and result.json["removed"] == []
    assert set(_snapshot(project)) >= before  # every file is still there, listed "remove?"

    human = create_plugin("--update", "--template", str(template), str(project))
    assert "remove?  plugin.toml" in human.out and "--delete" in human.err


def test_recorded_answers_are_never_run_as_jinja(create_plugin, home, tmp_path):
    dest = tmp_path / "answers-plugin"
    assert create_plugin("--no-input", "--no-git", "--runtime", "hooks", str(dest)).code == 0
    marker = tmp_path / "answer-marker"
    payload = f"{{{{ cycler.__init__.__globals__.os.open({str(marker)!r}, 64) }}}}"
    record_path = dest / ".create-plugin.json"
    record = json.loads(record_path.read_text())
    record["answers"]["description"] = [payload, {payload: payload}]  # not a text: nested
    record_path.write_text(json.dumps(record))

    create_plugin("--update", "--json", str(dest))

    assert not marker.exists()


def test_recorded_private_answers_are_not_taken(create_plugin, home, tmp_path):
    dest = tmp_path / "private-plugin"
    assert create_plugin("--no-input", "--no-git", "--runtime", "hooks", str(dest)).code == 0
    record_path = dest / ".create-plugin.json"
    record = json.loads(record_path.read_text())
    record["answers"]["_extensions"] = ["os.system"]  # a template setting, not an answer
    record_path.write_text(json.dumps(record))

    result = create_plugin("--update", "--json", str(dest))

    assert result.code == 0, result.out
    assert "_extensions" not in json.loads(record_path.read_text())["answers"]


def test_dry_run_reports_and_writes_nothing(create_plugin, project):
    before = _snapshot(project)

    result = create_plugin(
        "--update", "--template", "builtin:wasm", "--dry-run", "--delete", "--json", str(project)
    )

    assert result.code == 0, result.out
    doc = result.json
    assert doc["dry_run"] and doc["removed"] == ["NOTES.md"]
    assert doc["updated"] == [".gitignore", "README.md"]
    assert _snapshot(project) == before


@pytest.mark.parametrize("flag", ["--delete", "--dry-run"])
def test_update_only_flags_need_update(create_plugin, tmp_path, flag):
    result = create_plugin("--no-input", "--json", flag, str(tmp_path / "x-plugin"))
    assert result.code == 2
    assert result.json["error"]["rule"] == "create.update-only"
    assert not (tmp_path / "x-plugin").exists()
