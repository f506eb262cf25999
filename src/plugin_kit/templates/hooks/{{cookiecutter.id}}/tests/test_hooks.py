"""The hooks file matches the published schema, and its rules decide what they should.

Rules are evaluated by the toolchain's own hooks engine (the one `plugin dev` loads)."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest
import tomllib
from conftest import ROOT
from plugin_kit.dev.hooksfile import HookSet, parse_hooks

DATA = (ROOT / "hooks.toml").read_bytes()
HOOKS = HookSet(parse_hooks(DATA, file="hooks.toml"))


def decide(event: dict) -> tuple[str | None, list[str]]:
    """The first matching deny/allow decides; every matching context rule adds its text."""
    outcomes = HOOKS.run(event)
    verdict = next((o.action for o in outcomes if o.action in ("deny", "allow")), None)
    return verdict, [o.context for o in outcomes if o.action == "context"]


def test_hooks_file_matches_the_schema():
    schema = files("plugin_kit.validators").joinpath("schemas/hooks.schema.json").read_text()
    schema = json.loads(schema)
    jsonschema.Draft202012Validator(schema).validate(tomllib.loads(DATA.decode()))


def test_every_event_the_manifest_declares_has_rules(manifest):
    assert {h["event"] for h in manifest["hooks"]} == {h.event for h in HOOKS.hooks}


@pytest.mark.parametrize("command", ["rm -rf /", "sudo rm -rf / --no-preserve-root", "rm -fr ~"])
def test_root_delete_is_denied(command):
    event = {"event": "pre_tool_use", "tool": "shell", "input": {"command": command}}
    assert decide(event)[0] == "deny"


@pytest.mark.parametrize("command", ["rm -rf build/", "ls -la /", "echo rm"])
def test_ordinary_commands_get_no_verdict(command):
    event = {"event": "pre_tool_use", "tool": "shell", "input": {"command": command}}
    assert decide(event)[0] is None


def test_reads_are_allowed():
    event = {"event": "pre_tool_use", "tool": "read_file", "input": {"path": "README.md"}}
    assert decide(event)[0] == "allow"


def test_session_start_adds_context():
    verdict, context = decide({"event": "session_start"})
    assert verdict is None and context and "tests" in context[0]


def test_writes_add_a_reminder():
    assert decide({"event": "post_tool_use", "tool": "write_file", "input": {"path": "x"}})[1]
    assert not decide({"event": "post_tool_use", "tool": "read_file", "input": {"path": "x"}})[1]
