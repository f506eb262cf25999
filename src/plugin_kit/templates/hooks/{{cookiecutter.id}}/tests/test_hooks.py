"""The hooks file matches the published schema, and its rules decide what they should."""

from __future__ import annotations

import json
import tomllib
from fnmatch import fnmatchcase
from importlib.resources import files

import jsonschema
import pytest
from conftest import ROOT

HOOKS = tomllib.loads((ROOT / "hooks.toml").read_text(encoding="utf-8"))


def _field_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _matches(rule: dict, tool: str | None, tool_input: dict) -> bool:
    if tool is not None and not fnmatchcase(tool, rule.get("tool", "*")):
        return False
    for name, globs in rule.get("input", {}).items():
        globs = [globs] if isinstance(globs, str) else globs
        if name not in tool_input or not any(
            fnmatchcase(_field_text(tool_input[name]), g) for g in globs
        ):
            return False
    return True


def evaluate(event: str, tool: str | None = None, tool_input: dict | None = None):
    """The host's semantics: the first matching deny/allow rule decides; every matching
    add_context rule adds its text. Returns (decision or None, [context])."""
    hits = [
        r for r in HOOKS["rules"] if r["event"] == event and _matches(r, tool, tool_input or {})
    ]
    decision = next((r["action"] for r in hits if r["action"] in ("deny", "allow")), None)
    return decision, [r["context"] for r in hits if r["action"] == "add_context"]


def test_hooks_file_matches_the_schema():
    schema = json.loads(files("plugin_kit.scaffold").joinpath("hooks.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(HOOKS)


def test_every_event_the_manifest_declares_has_rules(manifest):
    declared = {h["event"] for h in manifest["hooks"]}
    assert declared == {r["event"] for r in HOOKS["rules"]}


@pytest.mark.parametrize(
    "command", ["rm -rf /", "sudo rm -rf / --no-preserve-root", "cd /tmp && rm -fr /*"]
)
def test_root_delete_is_denied(command):
    assert evaluate("pre_tool_use", "shell", {"command": command})[0] == "deny"


@pytest.mark.parametrize("command", ["rm -rf build/", "ls -la /", "echo rm"])
def test_ordinary_commands_get_no_verdict(command):
    assert evaluate("pre_tool_use", "shell", {"command": command})[0] is None


def test_reads_are_allowed():
    assert evaluate("pre_tool_use", "read_file", {"path": "README.md"})[0] == "allow"


def test_session_start_adds_context():
    decision, context = evaluate("session_start")
    assert decision is None and context and "tests" in context[0]


def test_writes_add_a_reminder():
    assert evaluate("post_tool_use", "write_file", {"path": "x"})[1]
    assert not evaluate("post_tool_use", "read_file", {"path": "x"})[1]
