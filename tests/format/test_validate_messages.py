"""`plugin validate` as a new author reads it: every problem at once, in sentences, at a line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli

BROKEN = """\
manifest_version = 1

[plugin]
id = "Bad_Id"
version = "0.1"
api = ">=1.0.0, <2.0.0"
runtime = "hooks"
description = "x"
license = "NOPE-1"
colour = "red"

[runtime]
file = "hooks.toml"

[[hooks]]
event = "pre_tool_use"
"""


def _validate(folder: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = run(cli, ["validate", str(folder), *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    (tmp_path / "plugin.toml").write_text(BROKEN)
    return tmp_path


def test_schema_and_semantic_problems_in_one_run(broken: Path, capsys) -> None:
    code, out, _ = _validate(broken, capsys, "--json")
    assert code == 1
    found = {(p["rule"], p["field"]) for p in json.loads(out)["problems"]}
    assert found == {
        ("manifest-schema", "plugin"),  # the unknown key
        ("manifest-schema", "plugin.id"),
        ("manifest-schema", "hooks[0]"),  # a hook without `file`
        ("semver", "plugin.version"),  # said once, in the semantic check's words
        ("license-spdx", "plugin.license"),  # semantic, found despite the schema problems
        ("file-missing", "runtime.file"),  # and so are the files it names
    }


def test_messages_are_sentences_not_validator_text(broken: Path, capsys) -> None:
    _code, out, _ = _validate(broken, capsys, "--json")
    messages = {p["field"]: p["message"] for p in json.loads(out)["problems"]}
    assert "lower-case letters, digits and single hyphens" in messages["plugin.id"]
    assert messages["plugin"].startswith("unknown key 'colour'; allowed here: id, version")
    assert messages["hooks[0]"] == "the required key 'file' is missing"
    for text in messages.values():
        for raw in ("does not match", "is too short", "^[", "is a required property"):
            assert raw not in text


def test_each_problem_has_its_line_and_column(broken: Path, capsys) -> None:
    _code, out, _ = _validate(broken, capsys, "--json")
    at = {p["field"]: (p["line"], p["column"]) for p in json.loads(out)["problems"]}
    assert at["plugin.id"] == (4, 1) and at["plugin.license"] == (9, 1)
    assert at["hooks[0]"] == (15, 1)
    _code, _out, err = _validate(broken, capsys)
    assert "plugin.toml:9:1 plugin.license" in err


def test_a_toml_syntax_error_has_its_line_and_column(tmp_path: Path, capsys) -> None:
    (tmp_path / "plugin.toml").write_text('manifest_version = 1\n[plugin]\nid = "x\n')  # unclosed
    _code, out, _ = _validate(tmp_path, capsys, "--json")
    problem = json.loads(out)["problems"][0]
    assert problem["rule"] == "manifest-parse" and (problem["line"], problem["column"]) == (3, 8)


def test_every_pattern_of_the_manifest_schema_is_said_in_words() -> None:
    from plugin_kit.validators.manifest import manifest_schema
    from plugin_kit.validators.problems import _PATTERN_WORDS

    def patterns(node: object, under_not: bool = False):
        if isinstance(node, dict):
            if "pattern" in node and not under_not:
                yield node["pattern"]
            for key, value in node.items():
                yield from patterns(value, under_not or key == "not")
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value, under_not)

    assert [p for p in patterns(manifest_schema()) if p not in _PATTERN_WORDS] == []
