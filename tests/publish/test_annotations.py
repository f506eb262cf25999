"""Under GITHUB_ACTIONS=true a failing command annotates every problem at its manifest line and
adds a failure section to the step summary; a --json stdout stays one JSON document."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.validators.toml_lines import key_line, split_path

BROKEN = """\
manifest_version = 1

[plugin]
id = "weather-tools"
name = "Weather tools"
version = "0.3.1"
description = "Forecasts"
license = "MIT"

[runtime]
kind = "hooks"
hooks = "hooks.toml"
colour = "blue"
"""


@pytest.fixture
def actions_env(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "plugin.toml").write_text(BROKEN)
    return summary


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::error ")]


def test_validate_annotates_each_problem_at_its_line(actions_env, capsys):
    assert run(cli, ["validate", "p"], prog_name="plugin") == 1
    errors = _errors(capsys.readouterr().err)
    colour = [e for e in errors if "colour" in e]
    assert colour and colour[0].startswith(
        "::error file=p/plugin.toml,line=13,title=plugin validate"
    )
    assert all(
        re.match(r"::error file=p/plugin.toml,line=\d+(,col=\d+)?,title=", e) for e in errors
    ), errors
    assert "### `plugin validate` failed" in actions_env.read_text()


def test_pack_json_failure_is_annotated_on_stderr_and_summarised(actions_env, capsys):
    assert run(cli, ["pack", "p", "--json"], prog_name="plugin") == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["ok"] is False  # stdout: the JSON document only
    assert _errors(err) and all("file=p/plugin.toml,line=" in e for e in _errors(err))
    assert "### `plugin pack` failed" in actions_env.read_text()


def test_outside_actions_nothing_is_annotated(actions_env, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert run(cli, ["validate", "p"], prog_name="plugin") == 1
    assert not _errors(capsys.readouterr().err) and not actions_env.exists()


def test_key_line_finds_tables_arrays_of_tables_and_dotted_keys():
    text = 'id = "x"\n[runtime]\nmodule = "m"\n[[tools]]\nname = "a"\n[[tools]]\nname = "b"\n'
    text += 'a.b = 1\n"quoted key" = 2\n'
    assert key_line(text, "id") == 1
    assert key_line(text, "runtime.module") == 3
    assert key_line(text, "runtime.missing") == 2  # the table, when the key is not there
    assert key_line(text, "tools[1].name") == 7
    assert key_line(text, "tools[1].a.b") == 8
    assert key_line(text, "tools[1].quoted key") == 9
    assert key_line(text, "tools[4].name") is None and key_line(text, "other") is None


_NAMES = st.text(st.sampled_from("abzAZ_-é"), min_size=1, max_size=6).filter(lambda s: s.isascii())


@given(st.lists(_NAMES, min_size=1, max_size=4, unique=True), st.data())
def test_every_key_of_a_generated_table_is_found_at_its_line(keys, data):
    table = data.draw(_NAMES)
    lines = ["# head", f"[{table}]", *(f"{k} = {n}" for n, k in enumerate(keys))]
    text = "\n".join(lines) + "\n"
    for n, k in enumerate(keys):
        assert key_line(text, f"{table}.{k}") == n + 3
    assert split_path(f"{table}[2].{keys[0]}") == [table, 2, keys[0]]
