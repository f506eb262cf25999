"""`plugin wat2wasm`: WAT to a module with wasmtime; errors name line and column; atomic output."""

from __future__ import annotations

import json

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli

GOOD = '(module (memory (export "memory") 1) (func (export "_start")))'


def test_compiles_to_a_wasm_module(tmp_path, capsys):
    (tmp_path / "m.wat").write_text(GOOD)
    code = run(cli, ["wat2wasm", str(tmp_path / "m.wat"), "-o", str(tmp_path / "m.wasm"), "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    data = (tmp_path / "m.wasm").read_bytes()
    assert data.startswith(b"\0asm\x01\0\0\0") and doc["size"] == len(data)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_syntax_error_names_line_and_column_and_keeps_old_output(tmp_path, capsys):
    (tmp_path / "bad.wat").write_text("(module\n  (func i32.const))\n")
    (tmp_path / "out.wasm").write_bytes(b"previous build")
    code = run(
        cli, ["wat2wasm", str(tmp_path / "bad.wat"), "-o", str(tmp_path / "out.wasm"), "--json"]
    )
    assert code == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["rule"] == "wat2wasm.syntax" and "line 2" in error["message"]
    assert (tmp_path / "out.wasm").read_bytes() == b"previous build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wat", "out.wasm"]


def test_missing_source_is_a_usage_error(tmp_path, capsys):
    code = run(cli, ["wat2wasm", str(tmp_path / "nope.wat"), "-o", str(tmp_path / "x.wasm")])
    assert code == 2
    assert not (tmp_path / "x.wasm").exists()


def test_binary_garbage_is_refused(tmp_path, capsys):
    (tmp_path / "junk.wat").write_bytes(b"\xff\xfe\x00garbage")
    code = run(cli, ["wat2wasm", str(tmp_path / "junk.wat"), "-o", str(tmp_path / "x.wasm")])
    assert code == 1
    assert not (tmp_path / "x.wasm").exists()
