"""The pre-flight: one component per warning, each named by its rule; a clean component passes.

Every fixture is built from WAT by the real wasm-tools. For the runtime limits, the same bytes
are instantiated under Yoi's store limits with wasmtime, to show the warning is a real refusal.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers.components import (
    ALLOC,
    ANSWER,
    INSTANCE_WAT,
    TOOL_WAT,
    component,
    component_from_text,
    manifest,
)

from plugin_kit.components.preflight import PREFLIGHT_RULES, preflight
from plugin_kit.components.runtime import YOI_LIMITS

FS = '{ kind = "host_api", api = "fs" }'
REQUEST = '{ kind = "host_api", api = "request" }'
REQUEST_TARGET = """
[[request]]
scheme = "https"
host = "api.example.org"
methods = ["GET"]
path_prefixes = ["/v1/"]
"""


def imports(name: str, module: str = "yoi:host/fs@1.0.0") -> str:
    """A tool module that calls one host function from `call`."""
    return f"""(module
  (import "{module}" "{name}" (func $host (param i32 i32 i32)))
  {ALLOC} {ANSWER}
  (func (export "call") (param i32 i32 i32 i32) (result i32)
    (call $host (local.get 2) (local.get 3) (i32.const 512))
    (call $answer)))"""


def tool_with(extra: str) -> str:
    """The tool module with extra core definitions (tables, memories)."""
    return TOOL_WAT.replace("(module", "(module " + extra, 1)


CALL = "export call: func(tool-name: string, input-json: string) -> string;"
OTHER_WORLDS = f"""package test:fixtures@1.0.0;
world renamed {{ export run: func(tool-name: string, input-json: string) -> string; }}
world short {{ export call: func(tool-name: string) -> string; }}
world env {{ import acme:env/vars@1.0.0; {CALL} }}
package acme:env@1.0.0 {{ interface vars {{ get: func(key: string) -> string; }} }}
"""
# A yoi:host whose fs has one function more than the host's.
EXTRA_FS = f"""package test:fixtures@1.0.0;
world tool {{ import yoi:host/fs@1.0.0; {CALL} }}
package yoi:host@1.0.0 {{
  interface fs {{
    read: func(r: string) -> string;
    remove: func(r: string) -> string;
  }}
}}
"""


CASES = {
    # name: (bytes builder, manifest kwargs, the rules expected)
    "placeholder": (
        lambda: b"# Build with:\n# cargo component build --release\n",
        {},
        ["component-placeholder"],
    ),
    "core module": (
        lambda: component_from_text(TOOL_WAT),
        {},
        ["component-core-module"],
    ),
    "malformed": (
        lambda: component(TOOL_WAT)[:-9],
        {},
        ["component-malformed"],
    ),
    "unknown construct": (
        lambda: b"\0asm\x0d\x00\x01\x00" + b"\x08\x02\x01\x7f",
        {},
        ["component-unread"],
    ),
    "instance world for a tool manifest": (
        lambda: component(INSTANCE_WAT, world="instance"),
        {"world": "tool"},
        ["component-world"],
    ),
    "tool world for an instance manifest": (
        lambda: component(TOOL_WAT),
        {"world": "instance"},
        ["component-world"],
    ),
    "call missing": (
        lambda: component(TOOL_WAT.replace('"call"', '"run"'), world="renamed", wit=OTHER_WORLDS),
        {},
        ["component-export-missing"],
    ),
    "call of the wrong type": (
        lambda: component(
            TOOL_WAT.replace("(param i32 i32 i32 i32) (result i32) (call", "(param i32 i32) (result i32) (call"),
            world="short",
            wit=OTHER_WORLDS,
        ),
        {},
        ["component-export-type"],
    ),
    "import Yoi does not provide": (
        lambda: component(imports("get", "acme:env/vars@1.0.0"), world="env", wit=OTHER_WORLDS),
        {},
        ["component-import-unknown", "component-limit-instances"],
    ),
    "host function Yoi does not have": (
        lambda: component(imports("remove"), wit=EXTRA_FS, host_deps=False),
        {"permissions": FS},
        ["component-import-unknown", "component-limit-instances"],
    ),
    "host API not requested": (
        lambda: component(imports("read")),
        {},
        ["component-import-permission", "component-limit-instances"],
    ),
    "request without targets": (  # the manifest rules refuse it too (request-target-missing)
        lambda: component(imports("request", "yoi:host/request@1.0.0")),
        {"permissions": REQUEST, "checked": False},
        ["component-import-targets", "component-limit-instances"],
    ),
    "host API requested: the instance limit alone": (
        lambda: component(imports("request", "yoi:host/request@1.0.0")),
        {"permissions": REQUEST, "tables": REQUEST_TARGET},
        ["component-limit-instances"],
    ),
    "two tables": (
        lambda: component(tool_with("(table 1 funcref) (table 1 funcref)")),
        {},
        ["component-limit-tables"],
    ),
    "two memories": (
        lambda: component(tool_with("(memory 1)")),
        {},
        ["component-limit-memories"],
    ),
    "memory over 2 MiB": (
        lambda: component(TOOL_WAT.replace('(memory (export "memory") 1)', '(memory (export "memory") 33)')),
        {},
        ["component-limit-memory-size"],
    ),
    "table over 256 elements": (
        lambda: component(tool_with("(table 300 funcref)")),
        {},
        ["component-limit-table-elements"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_each_fixture_gets_exactly_its_warnings(case):
    build, kwargs, expected = CASES[case]
    report = preflight(build(), manifest(**kwargs))
    assert sorted(w.rule for w in report.warnings) == sorted(expected), [
        str(w) for w in report.warnings
    ]
    for w in report.warnings:
        assert w.severity == "warning" and w.phase == "preflight"
        assert w.file == "plugin.component.wasm" and w.field == "runtime.component"
        assert w.message and w.hint  # words an author can act on
    assert not report.ok


def test_every_rule_has_a_fixture():
    seen = {rule for _, _, rules in CASES.values() for rule in rules}
    assert seen == set(PREFLIGHT_RULES)


@pytest.mark.parametrize(
    ("wat", "world"), [(TOOL_WAT, "tool"), (INSTANCE_WAT, "instance")], ids=["tool", "instance"]
)
def test_a_clean_component_passes(wat, world):
    report = preflight(component(wat, world=world), manifest(world=world))
    assert report.ok, [str(w) for w in report.warnings]
    assert report.info is not None and report.info.core_instances == 1
    assert report.to_dict()["ok"] is True


def test_the_instance_limit_says_why_plainly():
    report = preflight(component(imports("read")), manifest(permissions=FS))
    (warning,) = report.warnings
    assert "instantiates 3 core modules; Yoi allows 1" in warning.message
    assert "imports a yoi:host API" in warning.message
    assert "--limits relaxed" in warning.hint


def test_the_placeholder_is_called_partial_and_quoted():
    report = preflight(b"# Build with:\n# cargo component build\n", manifest())
    (warning,) = report.warnings
    assert "partial" in warning.message and "# Build with:" in warning.message


def test_the_place_is_the_manifest_path():
    report = preflight(b"", manifest(), place="build/tool.wasm")
    assert report.warnings[0].file == "build/tool.wasm"


LIMIT_CASES = [c for c in CASES if CASES[c][2][-1].startswith("component-limit")]


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_a_limit_warning_is_a_real_refusal_under_yoi_limits(case):
    """wasmtime with Yoi's store limits refuses to instantiate what the pre-flight warns about."""
    import wasmtime
    from wasmtime.component import Component, Linker

    engine = wasmtime.Engine()
    comp = Component(engine, CASES[case][0]())
    store = wasmtime.Store(engine)
    lim = YOI_LIMITS
    store.set_limits(memory_size=lim.memory_bytes, table_elements=lim.table_elements,
                     instances=lim.instances, tables=lim.tables, memories=lim.memories)  # fmt: skip
    linker = Linker(engine)
    linker.define_unknown_imports_as_traps(comp)
    with pytest.raises(wasmtime.WasmtimeError, match="limit|exceed|memory|table"):
        linker.instantiate(store, comp)


def test_a_clean_component_instantiates_under_yoi_limits():
    import wasmtime
    from wasmtime.component import Component, Linker

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    lim = YOI_LIMITS
    store.set_limits(memory_size=lim.memory_bytes, table_elements=lim.table_elements,
                     instances=lim.instances, tables=lim.tables, memories=lim.memories)  # fmt: skip
    instance = Linker(engine).instantiate(store, Component(engine, component(TOOL_WAT)))
    call = instance.get_func(store, "call")
    assert call(store, "echo", "{}") == '{"summary":"ok"}'


@pytest.mark.parametrize(
    "permission",
    [
        {"kind": "host_api", "api": "fs"},  # the TOML table as parsed
        "host_api.fs",  # Yoi's label form (PluginPermission::label)
        SimpleNamespace(kind="host_api", api=SimpleNamespace(value="fs")),  # a typed model
    ],
    ids=["table", "label", "object"],
)
def test_a_requested_host_api_is_recognised_in_each_manifest_shape(permission):
    model = SimpleNamespace(world="yoi:plugin/tool@1.0.0", permissions=[permission], request=[])
    report = preflight(component(imports("read")), model)
    assert [w.rule for w in report.warnings] == ["component-limit-instances"]


def test_the_manifest_rules_refuse_request_without_targets_before_the_preflight():
    from plugin_kit.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        manifest(permissions=REQUEST)
    assert refused.value.rule == "request-target-missing"
