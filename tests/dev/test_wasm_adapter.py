"""The wasm adapter: wasmtime + WASI preview1, declared secrets only, no undeclared folders, fuel limit."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime
from dev.plugins import wasm_plugin, write_tree

from plugin_kit.dev.adapters import load_plugin
from plugin_kit.dev.adapters.base import LoadContext
from plugin_kit.errors import DevError
from plugin_kit.validators.manifest import load_manifest

HOST_ENV = {"PATH": "/usr/bin", "SECRET_TOKEN": "hunter2", "WEATHER_KEY": "k1", "HOME": "/root"}


def load(root: Path, tmp_path: Path, environ: dict[str, str] = HOST_ENV):
    temp = tmp_path / "granted-temp"
    temp.mkdir(exist_ok=True)
    return load_plugin(LoadContext(root, load_manifest(root), tmp_path, temp, environ))


def test_tool_reads_json_on_stdin_and_writes_json(tmp_path):
    plugin = load(wasm_plugin(tmp_path / "p"), tmp_path)
    result = plugin.call("echo", {"place": "Oslo", "n": [1, 2]})
    assert result.output == {"place": "Oslo", "n": [1, 2]}
    assert not result.is_error
    assert [t.name for t in plugin.tools] == ["echo", "getenv", "prestat", "spin"]


def test_undeclared_variable_is_invisible_and_the_report_says_so(tmp_path):
    plugin = load(wasm_plugin(tmp_path / "p", secrets=("WEATHER_*",)), tmp_path)
    seen = plugin.call("getenv", {}).output["env"]
    assert "WEATHER_KEY=k1" in seen
    assert "SECRET_TOKEN" not in seen and "hunter2" not in seen and "PATH" not in seen
    report = plugin.capabilities
    assert report.env_passed == ["WEATHER_KEY"]
    assert report.env_withheld == 3
    secrets = next(i for i in report.items if i.capability == "secrets")
    assert secrets.enforced and "3 undeclared host variable(s) invisible" in secrets.detail


def test_no_secrets_declared_means_an_empty_environment(tmp_path):
    plugin = load(wasm_plugin(tmp_path / "p", secrets=()), tmp_path)
    assert plugin.call("getenv", {}).output == {"env": ""}


def test_no_folder_is_preopened_unless_declared(tmp_path):
    denied = load(wasm_plugin(tmp_path / "a"), tmp_path)
    assert denied.call("prestat", {}).output == {"fd3": 8}  # EBADF: nothing at fd 3
    granted = load(wasm_plugin(tmp_path / "b", fs_read=("workspace",)), tmp_path)
    assert granted.call("prestat", {}).output == {"fd3": 0}
    fs = next(i for i in granted.capabilities.items if i.capability == "filesystem")
    assert fs.detail == "preopened: workspace at /workspace (ro)"


def test_endless_loop_runs_out_of_fuel(tmp_path):
    plugin = load(wasm_plugin(tmp_path / "p"), tmp_path)
    with pytest.raises(DevError) as err:
        plugin.call("spin", {})
    assert err.value.rule == "wasm-fuel-exhausted"


def test_unknown_tool_is_refused(tmp_path):
    plugin = load(wasm_plugin(tmp_path / "p"), tmp_path)
    with pytest.raises(DevError) as err:
        plugin.call("nope", {})
    assert err.value.rule == "dev-unknown-tool"


def _module_tree(tmp_path: Path, wat: str) -> Path:
    root = wasm_plugin(tmp_path / "p", build=False)
    write_tree(root, {"module.wasm": bytes(wasmtime.wat2wasm(wat))})
    return root


def test_imports_beyond_wasi_are_refused(tmp_path):
    wat = '(module (import "env" "open_socket" (func)) (memory (export "memory") 1) (func (export "_start")))'
    with pytest.raises(DevError) as err:
        load(_module_tree(tmp_path, wat), tmp_path)
    assert err.value.rule == "wasm-import-denied"
    assert "env.open_socket" in err.value.message


def test_a_module_without_start_is_refused(tmp_path):
    with pytest.raises(DevError) as err:
        load(_module_tree(tmp_path, '(module (memory (export "memory") 1))'), tmp_path)
    assert err.value.rule == "wasm-missing-export"
    assert "_start" in err.value.message


def test_garbage_module_is_refused(tmp_path):
    root = wasm_plugin(tmp_path / "p", build=False)
    (root / "module.wasm").write_bytes(b"\0asm\x01\0\0\0garbage")
    with pytest.raises(DevError) as err:
        load(root, tmp_path)
    assert err.value.rule == "wasm-invalid"


def test_non_json_output_is_an_error(tmp_path):
    wat = """(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hello")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 5))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""
    plugin = load(_module_tree(tmp_path, wat), tmp_path)
    with pytest.raises(DevError) as err:
        plugin.call("echo", {})
    assert err.value.rule == "wasm-output-not-json"


def test_wrong_wasi_signature_fails_at_load(tmp_path):
    wat = """(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
      (memory (export "memory") 1) (func (export "_start")))"""
    with pytest.raises(DevError) as err:
        load(_module_tree(tmp_path, wat), tmp_path)
    assert err.value.rule == "wasm-link-failed"
