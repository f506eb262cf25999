"""The component reader: what it reads from real wasm-tools output, and that hostile bytes give
either a ComponentInfo or a ComponentFormatError naming the byte, never another exception."""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers.components import INSTANCE_WAT, TOOL_WAT, component, component_from_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_kit.components.binary import ComponentFormatError, read_component
from plugin_kit.components.build import wasm_tools_executable

HOST_CALL = TOOL_WAT.replace(
    "(module",
    '(module (import "yoi:host/fs@1.0.0" "read" (func $read (param i32 i32 i32)))',
    1,
).replace(
    "(call $answer)))", "(call $read (local.get 2) (local.get 3) (i32.const 512)) (call $answer)))"
)


def test_tool_component():
    info = read_component(component(TOOL_WAT))
    assert info.kind == "component" and not info.unread
    assert [(e.name, e.kind, str(e.signature)) for e in info.exports] == [
        ("call", "func", "func(tool-name: string, input-json: string) -> string")
    ]
    assert info.imports == () and info.core_instances == 1
    assert info.memories == (65536,) and info.tables == ()


def test_instance_component_exports_the_five_functions():
    info = read_component(component(INSTANCE_WAT, world="instance"))
    assert {e.name: str(e.signature) for e in info.exports} == {
        "start": "func(config-json: string) -> string",
        "handle-tool": "func(name: string, input-json: string) -> string",
        "handle-ingress": "func(name: string, event-json: string) -> string",
        "status": "func() -> string",
        "stop": "func() -> string",
    }


def test_a_host_import_as_wasm_tools_links_it():
    """Measured: wasm-tools links an import as 3 core instances and an indirection table."""
    info = read_component(component(HOST_CALL))
    assert [(i.name, i.kind, i.functions) for i in info.imports] == [
        ("yoi:host/fs@1.0.0", "instance", ("read",))
    ]
    assert info.core_instances == 3 and info.tables == (1,)


def test_agrees_with_wasm_tools_on_imports_and_exports(tmp_path):
    data = component(HOST_CALL)
    (tmp_path / "c.wasm").write_bytes(data)
    wit = subprocess.run(
        [wasm_tools_executable(), "component", "wit", str(tmp_path / "c.wasm")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    info = read_component(data)
    for imp in info.imports:
        assert f"import {imp.name};" in wit
    for exp in info.exports:
        assert f"export {exp.name}: {exp.signature};" in wit


def test_core_module_and_other_bytes():
    assert read_component(component_from_text(TOOL_WAT)).kind == "core-module"
    assert read_component(b"").kind == "not-wasm"
    assert read_component(b"# placeholder\n").kind == "not-wasm"
    assert json.dumps(read_component(component(TOOL_WAT)).to_dict())


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"\0asm\x0d\x00\x02\x00", "byte 4"),  # unknown layer
        (b"\0asm\x0d\x00\x01\x00\x0b\x05\x01", "byte"),  # section longer than the file
        (b"\0asm\x0d\x00\x01\x00\x0b\x02\xff\xff", "byte"),  # vector count beyond the bytes
        (b"\0asm\x0d\x00\x01\x00\x0b\x08\x01\x00\x80\x80\x80\x80\x80\x01", "byte"),  # long LEB
        (b"\0asm\x0d\x00\x01\x00\x0a\x05\x01\x00\x02\xff\xfe", "byte"),  # name not UTF-8
        (b"\0asm\x0d\x00\x01\x00\x02\x03\x01\x00\x05\x00", "byte"),  # module index out of range
    ],
)
def test_malformed_bytes_name_the_place(data, where):
    with pytest.raises(ComponentFormatError) as err:
        read_component(data)
    assert err.value.rule == "component-malformed" and where in (err.value.place or "")


SEEDS = [component(TOOL_WAT), component(HOST_CALL), component(INSTANCE_WAT, world="instance")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=6),
)
def test_mutated_components_never_crash_the_reader(seed, cut, flips):
    data = bytearray(seed[: max(8, len(seed) - cut % len(seed))])
    for at, value in flips:
        data[8 + at % max(1, len(data) - 8) if len(data) > 8 else 0] = value
    try:
        info = read_component(bytes(data))
    except ComponentFormatError as err:
        assert err.rule == "component-malformed" and err.place
    else:
        assert info.kind in ("component", "core-module", "not-wasm")
        assert info.core_instances >= 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_after_a_component_header(tail):
    try:
        info = read_component(b"\0asm\x0d\x00\x01\x00" + tail)
    except ComponentFormatError as err:
        assert err.place and err.place.startswith("byte ")
    else:
        assert info.kind == "component" and info.size == 8 + len(tail)
