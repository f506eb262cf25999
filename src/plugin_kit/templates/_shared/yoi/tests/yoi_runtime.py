"""Run plugin.component.wasm the way Yoi does (crates/worker/src/feature/plugin.rs in Yoi):
wasmtime's component model, no host API linked, Yoi's store limits, fresh fuel for every
call, and Yoi's rules for a tool's output."""

from __future__ import annotations

import json
from typing import Any

from conftest import ROOT
from wasmtime import Config, Engine, Store
from wasmtime.component import Component, Linker

COMPONENT = ROOT / "plugin.component.wasm"
KiB, MiB = 1024, 1024 * 1024
FUEL = 5_000_000  # per call
LIMITS = {"memory_size": 2 * MiB, "table_elements": 256, "instances": 1, "tables": 1, "memories": 1}


class Plugin:
    """One instance of the component: Yoi keeps one for the instance world, and makes a new
    one for every call of the tool world."""

    def __init__(self) -> None:
        config = Config()
        config.consume_fuel = True
        engine = Engine(config)
        self.store = Store(engine)
        self.store.set_limits(**LIMITS)
        component = Component.from_file(engine, str(COMPONENT))
        self.instance = Linker(engine).instantiate(self.store, component)

    def call(self, export: str, *args: str) -> str:
        self.store.set_fuel(FUEL)
        func = self.instance.get_func(self.store, export)
        assert func is not None, f"the component does not export {export}"
        out = func(self.store, *args)
        func.post_return(self.store)
        assert len(out.encode()) <= 64 * KiB, "Yoi refuses an output over 64 KiB"
        return out


def tool_output(text: str) -> dict[str, Any]:
    """`text` checked against Yoi's ToolOutput rules: only `summary`, a non-empty string of at
    most 1 KiB, and `content`, a string or null."""
    value = json.loads(text)
    assert isinstance(value, dict) and set(value) <= {"summary", "content"}, value
    assert isinstance(value.get("summary"), str) and 0 < len(value["summary"].encode()) <= KiB
    assert value.get("content") is None or isinstance(value["content"], str)
    return value
