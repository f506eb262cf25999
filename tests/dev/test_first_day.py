"""`plugin dev` as the generated READMEs and `--help` tell a new author to run it."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from dev.plugins import hooks_plugin

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.scaffold.create import CreateRequest, create_project


def _project(tmp_path: Path, runtime: str) -> Path:
    dest = tmp_path / f"{runtime}-plugin"
    answers = {"author": "Ada <ada@example.net>"}
    create_project(CreateRequest(f"builtin:{runtime}", answers, dest, git=False))
    return dest


def _readme_command(project: Path, starts: str) -> list[str]:
    """The `plugin dev ...` command the README quotes in backticks, split as a shell would."""
    text = (project / "README.md").read_text()
    found = re.search(r"`(plugin dev [^`]*" + re.escape(starts) + r"[^`]*)`", text)
    assert found, f"README of {project.name} suggests no `plugin dev {starts}`"
    return shlex.split(found.group(1))


def test_wasm_readme_try_line_works(tmp_path, monkeypatch, capsys) -> None:
    project = _project(tmp_path, "wasm")
    assert "wasmtime module.wasm" not in (project / "README.md").read_text()
    words = _readme_command(project, "--call")
    monkeypatch.chdir(project)
    assert run(cli, [*words[1:], "--json"], prog_name="plugin") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["probe"]["call"]["output"] == {"echo": {"text": "hi"}}


def test_help_event_example_works_in_a_hooks_project(tmp_path, monkeypatch, capsys) -> None:
    project = _project(tmp_path, "hooks")
    assert _readme_command(project, "--event")[1:] == [
        "dev",
        "--event",
        "examples/pre_tool_use.json",
    ]
    monkeypatch.chdir(project)
    assert run(cli, ["dev", "--event", "examples/pre_tool_use.json", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["probe"]["hooks"]["decision"] == "deny"


def test_watch_without_a_manifest_refuses(tmp_path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("not a plugin\n")
    assert run(cli, ["dev", str(tmp_path), "--watch", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["rule"] == "dev.no-manifest"
    assert not (tmp_path / ".insomnia").exists()


def test_a_failed_cycle_reports_on_stderr(tmp_path, capsys) -> None:
    root = hooks_plugin(tmp_path / "p")
    (root / "plugin.toml").write_text("not toml [")
    assert run(cli, ["dev", str(root)]) == 1
    captured = capsys.readouterr()
    assert "error in" in captured.err and "error in" not in captured.out


def test_mcp_start_error_names_the_authors_file(tmp_path, capsys) -> None:
    from dev.plugins import mcp_plugin, write_tree

    root = mcp_plugin(tmp_path / "p")
    write_tree(root, {"server.py": "raise RuntimeError('no config in ' + __file__)\n"})
    assert run(cli, ["dev", str(root)]) == 1
    err = capsys.readouterr().err
    assert "mcp-start-failed" in err and f"no config in {root.resolve()}/server.py" in err
    assert "insomnia/plugins" not in err  # the read-only cache copy is not the author's file
    assert "TaskGroup" not in err and "\\x0a" not in err  # unwrapped; lines are lines
    assert f"in {root.resolve()} to see why" in err


def test_a_wat_syntax_error_is_a_build_error(tmp_path, monkeypatch, capsys) -> None:
    project = _project(tmp_path, "wasm")
    (project / "src" / "plugin.wat").write_text("(module (oops\n")
    monkeypatch.chdir(project)
    assert run(cli, ["dev", "--json"]) == 1
    event = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (event["error"]["phase"], event["error"]["rule"]) == ("build", "wat2wasm.syntax")
    assert run(cli, ["pack", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["phase"] == "build"
