"""Run plugin.component.wasm the way Yoi does (crates/worker/src/feature/plugin.rs in Yoi):
wasmtime's component model with Yoi's engine settings, no host API linked, Yoi's store limits,
fresh fuel for every call, 1 s of wall-clock time per tool call and per ingress event, a trap on
a memory.grow or table.grow past the limits, and Yoi's rules for a tool's output.

This project's tests need the toolchain (CI installs it with its `author` extras), so this file
takes Yoi's numbers, the engine, the timeout watchdog and the grow guard from it: the same
code `plugin dev` runs, kept up to date by the toolchain rather than copied here.

- Timeout: Yoi fails a tool call after 1 s (`PLUGIN_WASM_TIMEOUT`) and an ingress dispatch
  that took longer (`PLUGIN_SERVICE_INGRESS_DISPATCH_TIMEOUT`). Here the engine interrupts the
  call at 1 s (wasmtime epoch interruption, armed by a watchdog thread) and the test fails
  naming that limit. With no host API linked, Yoi's fuel usually runs out first; the second
  matters once a component waits in host calls, on a slow machine, or with more fuel
  (`Plugin(fuel=...)`).
- Grows: Yoi's store traps a memory.grow past 2 MiB or a table.grow past 256 elements
  (`trap_on_grow_failure`); Python's wasmtime can only answer -1. So, as `plugin dev` does,
  this runs a copy of the component whose grows call a guard that traps past the limit, and
  the test fails saying how far over. A grow the guard cannot reach (a 64-bit memory or table)
  is still answered -1: loading such a component warns.
"""

from __future__ import annotations

import functools
import json
import time
import warnings
from contextlib import nullcontext
from typing import Any

from conftest import ROOT
from plugin_kit.dev.project_runtime import HOST_LIMITS as YOI
from plugin_kit.dev.project_runtime import (
    NEVER,
    LimitBreak,
    Watchdog,
    engine,
    grow_break,
    guard_grows,
)
from wasmtime import Store, Trap, WasmtimeError
from wasmtime.component import Component, Linker

COMPONENT = ROOT / "plugin.component.wasm"
# The exports Yoi gives 1 s, and the name it gives that second.
TIMED = {
    "call": "PLUGIN_WASM_TIMEOUT",
    "handle-tool": "PLUGIN_WASM_TIMEOUT",
    "handle-ingress": "PLUGIN_SERVICE_INGRESS_DISPATCH_TIMEOUT",
}


class StoppedByYoi(AssertionError):
    """A call Yoi would stop: past its time or fuel, or growing past its store limits."""


class Plugin:
    """One instance of the component: Yoi keeps one for the instance world, and makes a new
    one for every call of the tool world."""

    def __init__(self, fuel: int = YOI.fuel) -> None:
        self.fuel = fuel
        self.store = Store(engine())
        self.store.set_limits(
            memory_size=YOI.memory_bytes, table_elements=YOI.table_elements,
            instances=YOI.instances, tables=YOI.tables, memories=YOI.memories,
        )  # fmt: skip
        self.store.set_fuel(fuel)
        self.store.set_epoch_deadline(NEVER)  # until a timed call arms one
        self.instance = Linker(engine()).instantiate(self.store, _component(COMPONENT.read_bytes()))

    def call(self, export: str, *args: str) -> str:
        func = self.instance.get_func(self.store, export)
        assert func is not None, f"the component does not export {export}"
        self.store.set_fuel(self.fuel)
        timed = export in TIMED  # start, status and stop have fuel only
        self.store.set_epoch_deadline(1 if timed else NEVER)
        started = time.monotonic()
        try:
            with _watchdog().armed(YOI.timeout / 1000) if timed else nullcontext():
                out = func(self.store, *args)
                func.post_return(self.store)
        except (Trap, WasmtimeError) as exc:
            raise self._stopped(export, str(exc), time.monotonic() - started) from exc
        assert len(out.encode()) <= YOI.output_bytes, (
            f"Yoi refuses an output over {YOI.output_bytes} bytes"
        )
        return out

    def _stopped(self, export: str, message: str, seconds: float) -> AssertionError:
        """What Yoi would report, or the trap itself."""
        if self.store.get_fuel() == 0:
            return StoppedByYoi(f"{export} spent all {self.fuel} fuel units "
                                f"(Yoi's PLUGIN_WASM_FUEL: {YOI.fuel} a call)")  # fmt: skip
        grown = grow_break(message, YOI.memory_bytes, YOI.table_elements)
        if grown:
            return StoppedByYoi(f"{export} grows past Yoi's store limits, where Yoi traps "
                                f"(trap_on_grow_failure): {grown.message}")  # fmt: skip
        if "wasm trap: interrupt" in message:  # the epoch moves only when a call's time is up
            late = LimitBreak("timeout", round(seconds * 1000), YOI.timeout, "stopped after")
            return StoppedByYoi(f"{export} runs past Yoi's {TIMED[export]}: {late.message}")
        return AssertionError(f"{export} trapped: {message}")


@functools.cache
def _component(data: bytes) -> Component:
    """The component as Yoi would run it: grows past its limits trap."""
    guarded, done = guard_grows(data, YOI.memory_bytes, YOI.table_elements)
    for grow, said in done.items():
        if said != "guarded" and not said.startswith("no "):
            warnings.warn(f"{grow} {said}: past Yoi's limit it answers -1 here, where Yoi traps",
                          stacklevel=3)  # fmt: skip
    return Component(engine(), guarded)


@functools.cache
def _watchdog() -> Watchdog:
    return Watchdog(engine())


def tool_output(text: str) -> dict[str, Any]:
    """`text` checked against Yoi's ToolOutput rules: only `summary`, a non-empty string of at
    most 1 KiB, and `content`, a string or null."""
    value = json.loads(text)
    assert isinstance(value, dict) and set(value) <= {"summary", "content"}, value
    summary = value.get("summary")
    assert isinstance(summary, str) and 0 < len(summary.encode()) <= YOI.summary_bytes, summary
    assert value.get("content") is None or isinstance(value["content"], str)
    return value
