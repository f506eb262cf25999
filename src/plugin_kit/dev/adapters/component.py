"""wasm-component runtime (Yoi): a component of the tool or the instance world, run by wasmtime.

As the host runs it (HareK02/yoi crates/worker/src/feature/plugin.rs @ b12e0785,
`run_plugin_component_tool_with_request_client`, `PluginComponentInstanceRuntime`): only
`yoi:host/{request,websocket,fs}@1.0.0` are linked, every host call is grant-checked, the store
has the host's limits, and each call gets the host's fuel; a tool call and an ingress event also
get its 1 s wall-clock timeout (component_timeout.py), and a memory.grow past 2 MiB or a
table.grow past 256 elements traps (component_grow.py). The tool world gets a fresh instance per
call; the instance world keeps one instance from `start` to `stop`. The host also compiles the
component on every tool call; the dev host compiles once per load (bench_dev.py measures both).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from plugin_kit.dev.adapters.base import CallResult, LoadContext, LoadedPlugin, ToolInfo
from plugin_kit.dev.component_grants import ComponentGrants, parse_component_grants
from plugin_kit.dev.component_grow import grow_break, guard_grows
from plugin_kit.dev.component_host import IMPORTS, HostApis
from plugin_kit.dev.component_limits import (
    HOST_LIMITS,
    LIMITS,
    ComponentLimits,
    LimitBreak,
    check_tool_output,
    component_shape,
    shape_breaks,
    size_break,
)
from plugin_kit.dev.component_profile import profile_grants
from plugin_kit.dev.component_timeout import NEVER, Watchdog
from plugin_kit.dev.hooksfile import HookSet
from plugin_kit.dev.policy import CapabilityReport, Enforcement
from plugin_kit.errors import DevError

__all__ = [
    "load",
    "ComponentPlugin",
    "ToolComponent",
    "InstanceComponent",
    "engine",
    "WORLD_EXPORTS",
]

MiB = 1024 * 1024
# The host's worlds and what each must export (resources/plugin/wit/yoi-plugin-*-v1.wit).
WORLD_EXPORTS = {
    "yoi:plugin/tool@1.0.0": ("call",),
    "yoi:plugin/instance@1.0.0": ("start", "handle-tool", "handle-ingress", "status", "stop"),
}


@functools.cache
def engine() -> Any:
    """One engine per process, configured as the host's: component model, fuel, an 8 MiB stack;
    and epoch interruption, the dev host's way to stop a call at the host's timeout.

    wasmtime aborts the process when max_wasm_stack exceeds the async stack size, so that is
    raised first (the Python API has no setter for it; the C API has)."""
    import wasmtime
    from wasmtime import _bindings

    config = wasmtime.Config()
    config.wasm_component_model = True
    config.consume_fuel = True
    config.epoch_interruption = True
    _bindings.wasmtime_config_async_stack_size_set(config.ptr(), 9 * MiB)
    config.max_wasm_stack = 8 * MiB
    made = wasmtime.Engine(config)
    atexit.register(made.close)  # before interpreter teardown, when wasmtime's ffi is still there
    return made


@functools.cache
def _watchdog() -> Watchdog:
    return Watchdog(engine())


def _deadline(timeout_ms: int | None) -> contextlib.AbstractContextManager[None]:
    return _watchdog().armed(timeout_ms / 1000) if timeout_ms else contextlib.nullcontext()


def _store(limits: ComponentLimits) -> Any:
    import wasmtime

    store = wasmtime.Store(engine())
    store.set_fuel(limits.fuel)
    store.set_epoch_deadline(NEVER)  # with epoch interruption on, a store's deadline starts at now
    if limits.enforced:
        store.set_limits(memory_size=limits.memory_bytes, table_elements=limits.table_elements,
                         instances=limits.instances, tables=limits.tables, memories=limits.memories)  # fmt: skip
    return store


class ComponentPlugin(LoadedPlugin):
    """A compiled component, its host side and its limits; the worlds differ in how they call."""

    event_key = "ingress"

    def __init__(self, component: Any, apis: HostApis, limits: ComponentLimits, **kw: Any) -> None:
        super().__init__(**kw)
        self._component = component
        self.apis = apis
        self.limits = limits

    def _instantiate(self, store: Any) -> Any:
        import wasmtime
        from wasmtime import component as wc

        linker = wc.Linker(engine())
        self.apis.link(linker)
        try:
            return linker.instantiate(store, self._component)
        except wasmtime.WasmtimeError as exc:
            rule = "yoi-limit-store" if "limit" in str(exc) else "yoi-instantiate-failed"
            raise DevError(f"component does not instantiate: {exc}", rule=rule,
                           place="runtime.component") from exc  # fmt: skip

    def _invoke(
        self, store: Any, instance: Any, export: str, *args: Any, timed: bool = False
    ) -> tuple[str, list[LimitBreak]]:
        """Call one export with the host's fuel and, when `timed` (a tool call, an ingress event),
        its wall-clock timeout; a trap, a spent budget or a refused host call raise."""
        import wasmtime

        timeout = self.limits.timeout if timed else None
        store.set_fuel(self.limits.fuel)
        store.set_epoch_deadline(1 if timeout else NEVER)
        func = instance.get_func(store, export)
        started = time.monotonic()
        try:
            with _deadline(timeout):
                out = func(store, *args)
                func.post_return(store)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise self._trap(str(exc), export, store.get_fuel(), _ms_since(started)) from exc
        breaks = [size_break("fuel", self.limits.fuel - store.get_fuel())]
        if timed:
            late = size_break("timeout", _ms_since(started), said="ran")
            if late and self.limits.enforced:
                raise late.error(f"export {export}")  # back from a slow host call after the time
            breaks.append(late)
        return str(out), [b for b in breaks if b is not None]

    def _trap(self, message: str, export: str, fuel: int, ran_ms: int) -> DevError:
        """Why the call stopped: spent fuel, a guarded grow, the timeout, or a trap."""
        place = f"export {export}"
        if fuel == 0:
            return _out_of_fuel(export, self.limits)
        grown = grow_break(message, HOST_LIMITS.memory_bytes or 0, HOST_LIMITS.table_elements or 0)
        if grown:
            return grown.error(place)
        if "wasm trap: interrupt" in message:  # the epoch moves only when a call's time is up
            stopped = LimitBreak("timeout", ran_ms, HOST_LIMITS.timeout or 0, "stopped after")
            return stopped.error(place)
        first = message.splitlines()[0]
        return DevError(f"{export} trapped: {first}", rule="yoi-trap", place=place)

    def _enforce(self, breaks: list[LimitBreak], place: str) -> list[dict[str, object]]:
        """Under the host's limits a break is an error; relaxed, it is reported with the result."""
        if breaks and self.limits.enforced:
            raise breaks[0].error(place)
        return [b.to_dict() for b in breaks]

    def _input(self, tool: str, arguments: Any) -> tuple[str, list[LimitBreak]]:
        self.require_tool(tool)
        text = json.dumps(arguments)
        return text, [b for b in (size_break("input_bytes", len(text.encode())),) if b is not None]

    def _tool_result(self, tool: str, out: str, breaks: list[LimitBreak]) -> CallResult:
        value, output_breaks = check_tool_output(out)
        notes = self._enforce(breaks + output_breaks, f"tool {tool}")
        return CallResult(tool, value, limits=notes)

    def stop(self) -> dict[str, Any] | None:
        return None


class ToolComponent(ComponentPlugin):
    """The tool world: `call(tool-name, input-json)` on a fresh instance per call."""

    def call(self, tool: str, arguments: dict[str, Any]) -> CallResult:
        text, breaks = self._input(tool, arguments)
        self._enforce(breaks, f"tool {tool} input")
        store = _store(self.limits)
        instance = self._instantiate(store)
        out, fuel = self._invoke(store, instance, "call", tool, text, timed=True)
        self.apis.close_all()
        return self._tool_result(tool, out, breaks + fuel)

    def drive_event(self, event: Mapping[str, Any]) -> dict[str, object]:
        raise DevError("the tool world has no handle-ingress", rule="yoi-no-ingress", place="--event",
                       hint="Events drive components of the instance world (yoi:plugin/instance@1.0.0).")  # fmt: skip


class InstanceComponent(ComponentPlugin):
    """The instance world: one instance, started at load, driven by tool calls and ingress events."""

    def __init__(self, *args: Any, config: Mapping[str, Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._store = _store(self.limits)
        self._instance = self._instantiate(self._store)
        self._stopped = False
        self._failed: DevError | None = None
        self.started = self._lifecycle("start", json.dumps(dict(config)))

    def _invoke(
        self, store: Any, instance: Any, export: str, *args: Any, timed: bool = False
    ) -> tuple[str, list[LimitBreak]]:
        """As the host, a call that traps (a refused host call included) fails the instance: it
        gets nothing more until a reload starts a new one (wasmtime would not enter it anyway)."""
        if self._failed is not None:
            raise DevError(f"the instance failed earlier ({self._failed.message}); it takes no more calls",
                           rule="yoi-instance-failed", place=f"export {export}",
                           hint="Save a change (or run plugin dev again) to start a new instance.")  # fmt: skip
        try:
            return super()._invoke(store, instance, export, *args, timed=timed)
        except DevError as err:
            self._failed = err
            raise

    def _lifecycle(self, export: str, *args: Any) -> dict[str, Any]:
        """decode_plugin_lifecycle_output: JSON, no `error`, not `failed`."""
        out, fuel = self._invoke(self._store, self._instance, export, *args)
        self._enforce(
            [b for b in (size_break("output_bytes", len(out.encode())), *fuel) if b], export
        )
        try:
            value = json.loads(out)
        except ValueError as exc:
            raise DevError(f"{export} output is not JSON: {exc}", rule="yoi-output-invalid",
                           place=f"export {export}") from exc  # fmt: skip
        if not isinstance(value, dict) or "error" in value or value.get("state") == "failed":
            raise DevError(f"{export} returned an error or a failed status: {out[:200]}",
                           rule="yoi-instance-failed", place=f"export {export}")  # fmt: skip
        return value

    def call(self, tool: str, arguments: dict[str, Any]) -> CallResult:
        text, breaks = self._input(tool, arguments)
        self._enforce(breaks, f"tool {tool} input")
        out, fuel = self._invoke(self._store, self._instance, "handle-tool", tool, text, timed=True)
        return self._tool_result(tool, out, breaks + fuel)

    def drive_event(self, event: Mapping[str, Any]) -> dict[str, object]:
        """One ingress event (filled in as the host's PluginIngressEvent), then the status."""
        envelope = _envelope(event, self.details.get("ingresses") or [])
        text = json.dumps(envelope)
        breaks = [b for b in (size_break("input_bytes", len(text.encode())),) if b]
        self._enforce(breaks, "--event")
        name = envelope["ingress_name"]
        out, fuel = self._invoke(
            self._store, self._instance, "handle-ingress", name, text, timed=True
        )
        notes = self._enforce([b for b in (size_break("output_bytes", len(out.encode())), *fuel) if b],
                              "handle-ingress")  # fmt: skip
        try:
            value = json.loads(out)
        except ValueError as exc:
            raise DevError(f"handle-ingress output is not JSON: {exc}", rule="yoi-output-invalid",
                           place="export handle-ingress") from exc  # fmt: skip
        result = {"ingress": envelope["ingress_name"], "output": value, "status": self.status()}
        return {**result, **({"limits": notes} if notes else {})}

    def status(self) -> dict[str, Any]:
        return self._lifecycle("status")

    def stop(self) -> dict[str, Any] | None:
        """Stop once; the final status, as the host records it."""
        if self._stopped:
            return None
        self._stopped = True
        try:
            return self._lifecycle("stop")
        finally:
            self.apis.close_all()

    def close(self) -> None:
        try:
            self.stop()
        except DevError:
            pass  # a stop that traps still ends the instance; the store goes with it


def _envelope(event: Mapping[str, Any], ingresses: list[str]) -> dict[str, Any]:
    name = event.get("ingress_name") or (ingresses[0] if ingresses else "")
    if not name:
        raise DevError("the event names no ingress and the manifest declares none",
                       rule="yoi-no-ingress", place="--event",
                       hint='Add "ingress_name" to the event, or an [[ingresses]] entry to plugin.toml.')  # fmt: skip
    return {
        "kind": event.get("kind", "websocket_text"),
        "source": event.get("source", "dev"),
        "ingress_name": name,
        "payload": event.get("payload", {}),
        "created_at": event.get("created_at")
        or datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "attempt": event.get("attempt", 1),
        "correlation_id": event.get("correlation_id") or str(uuid.uuid4()),
    }


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _out_of_fuel(export: str, limits: ComponentLimits) -> DevError:
    if limits.enforced:
        return LimitBreak("fuel", limits.fuel + 1, limits.fuel).error(f"export {export}")
    return DevError(f"{export} ran out of fuel ({limits.fuel} units, relaxed)", rule="yoi-fuel-exhausted",
                    place=f"export {export}", hint="Look for an endless loop.")  # fmt: skip


def _capabilities(apis: HostApis, imported: set[str]) -> CapabilityReport:
    items = []
    for api, r in apis.report(imported).items():
        what = "granted" if r["granted"] else f"denied ({r['reason']})"
        used = "imported" if r["imported"] else "not imported"
        grants = "; ".join(r["grants"]) or "none"  # type: ignore[arg-type]
        items.append(
            Enforcement(f"host_api.{api}", grants, True, f"{what}; {used}; checked on every call")
        )
    return CapabilityReport(items=items)


def _compile(ctx: LoadContext, limits: ComponentLimits) -> tuple[Any, dict[str, object], set[str]]:
    """The compiled component, what its limits report says (the host limits it would break and,
    under the host's, whether its memory.grow and table.grow are guarded), and the host APIs it
    imports."""
    import wasmtime
    from wasmtime import component as wc

    rel = str(ctx.manifest.runtime_section.get("component", ""))
    try:
        data = (ctx.package_dir / rel).read_bytes()
    except OSError as exc:
        raise DevError(f"cannot read the component: {exc.strerror}", rule="yoi-component-missing",
                       place=f"runtime.component {rel}") from exc  # fmt: skip
    breaks = shape_breaks(component_shape(data), len(data))
    if breaks and limits.enforced:
        every = "component breaks the host's limits: " + "; ".join(b.message for b in breaks)
        raise breaks[0].error(f"runtime.component {rel}", every)
    report: dict[str, object] = {"name": limits.name, "would_break": [b.to_dict() for b in breaks]}
    if limits.enforced and limits.memory_bytes and limits.table_elements:
        data, grows = guard_grows(data, limits.memory_bytes, limits.table_elements)
        report.update(grows)
    try:
        component = wc.Component(engine(), data)
    except wasmtime.WasmtimeError as exc:
        raise DevError(f"component is incompatible: {exc}", rule="yoi-component-invalid",
                       place=f"runtime.component {rel}") from exc  # fmt: skip
    imports = set(component.type.imports(engine()))
    foreign = sorted(imports - set(IMPORTS))
    if foreign:
        raise DevError(f"unsupported component import `{foreign[0]}`", rule="yoi-import-denied",
                       place=f"runtime.component {rel}",
                       hint="The host links only " + ", ".join(IMPORTS) + "; no WASI, network or environment.")  # fmt: skip
    world = ctx.manifest.world
    missing = [e for e in WORLD_EXPORTS.get(world, ()) if e not in component.type.exports(engine())]
    if world not in WORLD_EXPORTS or missing:
        raise DevError(f"component does not implement {world or 'a known world'}: missing {missing}",
                       rule="yoi-world-mismatch", place="runtime.world",
                       hint="Build against the WIT of runtime.world: " + ", ".join(WORLD_EXPORTS))  # fmt: skip
    return component, report, {IMPORTS[i] for i in imports}


def _grants(ctx: LoadContext) -> tuple[ComponentGrants, str]:
    """--grant items when there are any (only them); otherwise what Yoi's Profile grants, read
    again on every load so a `plugin enable` between saves applies at the next reload."""
    if ctx.options.grants:
        return parse_component_grants(list(ctx.options.grants), ctx.manifest), "from --grant"
    return profile_grants(ctx.manifest.id, ctx.workspace, selector=ctx.options.profile,
                          env=ctx.environ)  # fmt: skip


def load(ctx: LoadContext) -> ComponentPlugin:
    """Compile the component, check its imports, exports and size against the host, then link it
    (the instance world also starts)."""
    options = ctx.options
    limits = LIMITS[options.limits]
    component, limits_report, imported = _compile(ctx, limits)
    grants, grants_source = _grants(ctx)
    apis = HostApis(ctx.manifest, grants, options.fixtures, options.upstream)
    m = ctx.manifest
    tools = [ToolInfo(t["name"], t.get("description", ""), t.get("input_schema")) for t in m.tools]
    details: dict[str, object] = {
        "world": m.world,
        "component": m.runtime_section.get("component"),
        "host_apis": apis.report(imported),
        "grants_source": grants_source,
        "limits": limits_report,
        "ingresses": [i.get("name") for i in m.raw.get("ingresses", [])],
    }
    kw: dict[str, Any] = dict(runtime=m.runtime, tools=tools, hooks=HookSet(),
                              capabilities=_capabilities(apis, imported), details=details)  # fmt: skip
    if m.world == "yoi:plugin/instance@1.0.0":
        plugin: ComponentPlugin = InstanceComponent(
            component, apis, limits, config=options.config, **kw
        )
        details["started"] = plugin.started  # type: ignore[attr-defined]
        return plugin
    plugin = ToolComponent(component, apis, limits, **kw)
    plugin._instantiate(_store(limits))  # prove it links now, not on the first call
    return plugin
