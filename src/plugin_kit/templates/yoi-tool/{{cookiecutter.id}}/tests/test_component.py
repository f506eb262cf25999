"""The component is built from src/plugin.wat, and its tool answers as Yoi expects."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from yoi_runtime import Plugin, tool_output


def test_component_is_built_from_the_current_source(plugin, tmp_path):
    rebuilt = tmp_path / "plugin.component.wasm"
    plugin("wat2component", "src/plugin.wat", "--wit", "wit", "--world", "tool", "-o", str(rebuilt))
    assert rebuilt.read_bytes() == (ROOT / "plugin.component.wasm").read_bytes(), (
        "run `plugin pack` to rebuild"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hello", "HELLO"), ('ünï "quoted"\n', 'üNï "QUOTED"\n'), ("", "")],
)
def test_shout_upper_cases_the_text(text, expected):
    payload = json.dumps({"text": text}, ensure_ascii=False)
    out = tool_output(Plugin().call("call", "shout", payload))
    assert out == {"summary": "upper-cased the text", "content": expected}


def test_every_tool_in_the_manifest_is_served(manifest):
    for tool in manifest["tools"]:
        out = tool_output(Plugin().call("call", tool["name"], '{"text": "x"}'))
        assert out.get("content") == "X", (tool["name"], out)


def test_input_without_text_is_reported():
    out = tool_output(Plugin().call("call", "shout", '{"words": 3}'))
    assert "text" in out["summary"] and "content" not in out


def test_unknown_tool_is_reported():
    out = tool_output(Plugin().call("call", "whisper", '{"text": "x"}'))
    assert out["summary"].startswith("unknown tool")
