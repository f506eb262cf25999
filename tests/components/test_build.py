"""`plugin wat2component` / build_component: WAT + WIT to a component with the real wasm-tools;
errors name the place; the output is replaced atomically and the bytes are reproducible."""

from __future__ import annotations

import json

from helpers.components import TOOL_WAT, WIT_DIR

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.components.binary import read_component


def _build(tmp_path, capsys, wat: str, world: str = "tool", out: str = "c.wasm"):  # type: ignore[no-untyped-def]
    (tmp_path / "src.wat").write_text(wat)
    args = ["wat2component", str(tmp_path / "src.wat"), "--wit", str(WIT_DIR), "--world", world]
    code = run(cli, [*args, "-o", str(tmp_path / out), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_builds_a_component_of_the_world(tmp_path, capsys):
    code, doc = _build(tmp_path, capsys, TOOL_WAT, world="yoi:plugin/tool@1.0.0")
    assert code == 0
    data = (tmp_path / "c.wasm").read_bytes()
    assert doc["size"] == len(data) and doc["world"] == "yoi:plugin/tool@1.0.0"
    assert [e.name for e in read_component(data).exports] == ["call"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.wasm", "src.wat"]


def test_same_source_same_bytes(tmp_path, capsys):
    _build(tmp_path, capsys, TOOL_WAT, out="a.wasm")
    _build(tmp_path, capsys, TOOL_WAT, out="b.wasm")
    assert (tmp_path / "a.wasm").read_bytes() == (tmp_path / "b.wasm").read_bytes()


def test_a_wat_error_names_line_and_column_and_keeps_the_old_output(tmp_path, capsys):
    (tmp_path / "c.wasm").write_bytes(b"previous build")
    code, doc = _build(tmp_path, capsys, "(module\n  (func i32.const))\n")
    assert code == 1
    error = doc["error"]
    assert error["rule"] == "component-build" and "src.wat:2:" in error["message"]
    assert (tmp_path / "c.wasm").read_bytes() == b"previous build"


def test_an_unknown_world_is_named(tmp_path, capsys):
    code, doc = _build(tmp_path, capsys, TOOL_WAT, world="service")
    assert code == 1 and "`service` not found" in doc["error"]["message"]
    assert not (tmp_path / "c.wasm").exists()


def test_exports_not_in_the_world_are_refused(tmp_path, capsys):
    code, doc = _build(tmp_path, capsys, TOOL_WAT, world="instance")
    assert code == 1 and doc["error"]["rule"] == "component-build"
