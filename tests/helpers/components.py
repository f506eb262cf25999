"""Yoi components for the tests, built from WAT with the real wasm-tools and cached per session.

`component(core_wat, world=...)` builds like a plugin's build step does (the host's WIT, as the
templates ship it, or a WIT given as text); `component_from_text` encodes component-level WAT
with `wasm-tools parse` for shapes `component new` never makes. The manifests are in Yoi's shape.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

from plugin_kit.components.build import build_component, wasm_tools_executable
from plugin_kit.scaffold.templates import builtin_root
from plugin_kit.validators.yoi_manifest import parse_yoi_manifest, yoi_manifest_from_doc

WIT_DIR = builtin_root() / "_shared" / "yoi" / "wit"
_CACHE: dict[str, bytes] = {}

# A realloc that bumps from 1 KiB, and a `call` that returns a fixed ToolOutput JSON.
ALLOC = """
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get 3)))
    (local.get $p))
"""
ANSWER = """
  (data (i32.const 16) "{\\"summary\\":\\"ok\\"}")
  (func $answer (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (i32.const 0))
"""
TOOL_WAT = f"""(module {ALLOC} {ANSWER}
  (func (export "call") (param i32 i32 i32 i32) (result i32) (call $answer)))"""
INSTANCE_WAT = f"""(module {ALLOC} {ANSWER}
  (func (export "start") (param i32 i32) (result i32) (call $answer))
  (func (export "handle-tool") (param i32 i32 i32 i32) (result i32) (call $answer))
  (func (export "handle-ingress") (param i32 i32 i32 i32) (result i32) (call $answer))
  (func (export "status") (result i32) (call $answer))
  (func (export "stop") (result i32) (call $answer)))"""


def component(
    core_wat: str, *, world: str = "tool", wit: str | None = None, host_deps: bool = True
) -> bytes:
    """A component of the module `core_wat` for `world` of the host's WIT, or of `wit` (WIT
    text; with `host_deps` the host's `yoi:host` interfaces are beside it in deps/)."""
    key = hashlib.sha256(repr((core_wat, world, wit, host_deps)).encode()).hexdigest()
    if key not in _CACHE:
        with tempfile.TemporaryDirectory(prefix="component-fixture-") as tmp:
            wit_dir = WIT_DIR
            if wit is not None:
                wit_dir = Path(tmp, "wit")
                wit_dir.mkdir()
                if host_deps:
                    shutil.copytree(WIT_DIR / "deps", wit_dir / "deps")
                (wit_dir / "world.wit").write_text(wit)
            src, out = Path(tmp, "core.wat"), Path(tmp, "component.wasm")
            src.write_text(core_wat)
            build_component(src, wit_dir, world, out)
            _CACHE[key] = out.read_bytes()
    return _CACHE[key]


def component_from_text(wat: str) -> bytes:
    """Encode component-level (or core) WAT as it is, with `wasm-tools parse`."""
    key = hashlib.sha256(wat.encode()).hexdigest()
    if key not in _CACHE:
        proc = subprocess.run(
            [wasm_tools_executable(), "parse", "-", "-o", "/dev/stdout"],
            input=wat.encode(), capture_output=True, check=True,
        )  # fmt: skip
        _CACHE[key] = proc.stdout
    return _CACHE[key]


def manifest(  # type: ignore[no-untyped-def]
    *, world: str = "tool", permissions: str = "", tables: str = "", checked: bool = True
):
    """A Yoi manifest for a component of `world`, with extra permission entries and tables.

    `checked=False` builds the model without the manifest rules, for a pre-flight check that
    the rules already refuse as an error (the pre-flight must still say it on its own)."""
    text = f"""schema_version = 1
id = "fixture"
name = "Fixture"
version = "1.0.0"
description = "A component fixture"
surfaces = ["tool"]
permissions = [
  {{ kind = "surface", surface = "tool" }},
  {{ kind = "tool", name = "echo" }},
  {permissions}
]

[runtime]
kind = "wasm-component"
component = "plugin.component.wasm"
world = "yoi:plugin/{world}@1.0.0"

[[tools]]
name = "echo"
description = "Echo"
input_schema = {{ type = "object" }}
{tables}
"""
    if not checked:
        return yoi_manifest_from_doc(tomllib.loads(text))
    return parse_yoi_manifest(text.encode())
