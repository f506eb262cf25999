"""The component is built from src/plugin.wat, and its instance keeps state as Yoi drives it."""

from __future__ import annotations

import json

from conftest import ROOT
from yoi_runtime import Plugin, tool_output

EVENT = {
    "kind": "websocket_text",
    "source": "websocket:wss://example.org/socket",
    "ingress_name": "updates",
    "payload": {"text": "hi"},
    "created_at": "2026-01-01T00:00:00Z",
    "attempt": 1,
    "correlation_id": "event-1",
}


def test_component_is_built_from_the_current_source(plugin, tmp_path):
    rebuilt = tmp_path / "plugin.component.wasm"
    plugin(
        "wat2component", "src/plugin.wat", "--wit", "wit", "--world", "instance",
        "-o", str(rebuilt),
    )  # fmt: skip
    assert rebuilt.read_bytes() == (ROOT / "plugin.component.wasm").read_bytes(), (
        "run `plugin pack` to rebuild"
    )


def test_instance_keeps_state_from_start_to_stop():
    plugin = Plugin()
    assert json.loads(plugin.call("start", "{}")) == {
        "state": "ready", "data": {"calls": 0, "events": 0},
    }  # fmt: skip
    out = tool_output(plugin.call("handle-tool", "shout", '{"text": "hi"}'))
    assert out == {"summary": "upper-cased the text", "content": "HI"}
    tool_output(plugin.call("handle-tool", "shout", '{"text": "again"}'))
    reply = json.loads(plugin.call("handle-ingress", "updates", json.dumps(EVENT)))
    assert reply == {"accepted": True, "events": 1}
    assert json.loads(plugin.call("status")) == {
        "state": "ready", "data": {"calls": 2, "events": 1},
    }  # fmt: skip
    assert json.loads(plugin.call("stop")) == {
        "state": "stopped", "data": {"calls": 2, "events": 1},
    }  # fmt: skip


def test_many_calls_stay_within_the_memory_limit():
    plugin = Plugin()
    plugin.call("start", "{}")
    text = "a" * 4000
    for _ in range(1000):  # 4 MB of input in all: the heap is reused between calls
        assert tool_output(plugin.call("handle-tool", "shout", json.dumps({"text": text})))
    assert json.loads(plugin.call("status"))["data"]["calls"] == 1000


def test_every_tool_in_the_manifest_is_served(manifest):
    plugin = Plugin()
    plugin.call("start", "{}")
    for tool in manifest["tools"]:
        out = tool_output(plugin.call("handle-tool", tool["name"], '{"text": "x"}'))
        assert out.get("content") == "X", (tool["name"], out)
