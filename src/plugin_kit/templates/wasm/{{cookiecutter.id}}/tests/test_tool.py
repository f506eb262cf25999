"""Run the built module under wasmtime with WASI, as the host does: JSON in on stdin, JSON out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT
from wasmtime import Engine, ExitTrap, Linker, Module, Store, WasiConfig, wat2wasm

ENGINE = Engine()


def run_tool(stdin: bytes, tmp_path: Path) -> tuple[int, bytes]:
    module = Module.from_file(ENGINE, str(ROOT / "module.wasm"))
    (tmp_path / "stdin").write_bytes(stdin)
    wasi = WasiConfig()
    wasi.stdin_file = str(tmp_path / "stdin")
    wasi.stdout_file = str(tmp_path / "stdout")
    store = Store(ENGINE)
    store.set_wasi(wasi)
    linker = Linker(ENGINE)
    linker.define_wasi()
    instance = linker.instantiate(store, module)
    code = 0
    try:
        instance.exports(store)["_start"](store)
    except ExitTrap as trap:
        code = trap.code
    return code, (tmp_path / "stdout").read_bytes()


def test_module_is_built_from_the_current_source():
    source = (ROOT / "src" / "plugin.wat").read_text(encoding="utf-8")
    assert (ROOT / "module.wasm").read_bytes() == wat2wasm(source), "run `plugin pack` to rebuild"


def test_exports_what_the_host_needs():
    exports = {e.name for e in Module.from_file(ENGINE, str(ROOT / "module.wasm")).exports}
    assert {"_start", "memory"} <= exports


@pytest.mark.parametrize("tool_input", [{"text": "hello"}, {"text": "ünïcødé \"quoted\""}])
def test_echo_returns_its_input(tool_input, tmp_path):
    code, out = run_tool(json.dumps(tool_input).encode() + b"\n", tmp_path)
    assert code == 0
    assert json.loads(out) == {"echo": tool_input}


def test_input_too_large_is_an_error(tmp_path):
    code, out = run_tool(json.dumps({"text": "x" * 70_000}).encode(), tmp_path)
    assert code == 1
    assert "error" in json.loads(out)
