"""What Yoi's component runtime expects and allows: the facts the pre-flight and the dev host share.

Read from HareK02/yoi @ b12e0785: the worlds in `resources/plugin/wit/` and the store limits,
fuel and output rules in `crates/worker/src/feature/plugin.rs`
(`wasm_component_store_limits`, the `PLUGIN_WASM_*` constants, `validate_component_imports`,
`decode_plugin_wasm_output`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from plugin_kit.validators.yoi_manifest import INSTANCE_WORLD, TOOL_WORLD

__all__ = [
    "RuntimeLimits",
    "YOI_LIMITS",
    "WORLD_EXPORTS",
    "HOST_APIS",
    "Signature",
    "HostApi",
]

KiB, MiB = 1024, 1024 * 1024
WASM_PAGE = 64 * KiB


@dataclass(frozen=True)
class RuntimeLimits:
    """The store limits and per-call budgets Yoi runs every component under."""

    instances: int = 1  # core module instantiations per store
    tables: int = 1
    memories: int = 1
    memory_bytes: int = 2 * MiB  # per linear memory; PLUGIN_WASM_MEMORY_BYTES
    table_elements: int = 256  # PLUGIN_WASM_TABLE_ELEMENTS
    fuel: int = 5_000_000  # per call (reset before each export call); PLUGIN_WASM_FUEL
    timeout_seconds: float = 1.0  # per tool call and ingress dispatch; PLUGIN_WASM_TIMEOUT
    max_wasm_stack: int = 8 * MiB
    max_input_bytes: int = 64 * KiB  # PLUGIN_WASM_MAX_INPUT_BYTES
    max_output_bytes: int = 64 * KiB  # PLUGIN_WASM_MAX_OUTPUT_BYTES
    max_summary_bytes: int = 1 * KiB  # ToolOutput `summary`; PLUGIN_WASM_MAX_SUMMARY_BYTES

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


YOI_LIMITS = RuntimeLimits()


@dataclass(frozen=True)
class Signature:
    """A component function type: named parameters and one result (the worlds use no others)."""

    params: tuple[tuple[str, str], ...]
    result: str | None

    def __str__(self) -> str:
        params = ", ".join(f"{name}: {ty}" for name, ty in self.params)
        return f"func({params})" + (f" -> {self.result}" if self.result else "")

    def same_shape(self, other: Signature) -> bool:
        """Equal types in order; parameter names do not matter to the canonical ABI."""
        return [t for _, t in self.params] == [t for _, t in other.params] and (
            self.result == other.result
        )


def _sig(*params: str, result: str = "string") -> Signature:
    return Signature(tuple((p, "string") for p in params), result)


# The exports each world requires (yoi-plugin-tool-v1.wit, yoi-plugin-instance-v1.wit).
WORLD_EXPORTS: dict[str, dict[str, Signature]] = {
    TOOL_WORLD: {"call": _sig("tool-name", "input-json")},
    INSTANCE_WORLD: {
        "start": _sig("config-json"),
        "handle-tool": _sig("name", "input-json"),
        "handle-ingress": _sig("name", "event-json"),
        "status": _sig(),
        "stop": _sig(),
    },
}


@dataclass(frozen=True)
class HostApi:
    """One host interface a component may import (deps/yoi-host/yoi-host-v1.wit)."""

    name: str  # the import name, e.g. "yoi:host/fs@1.0.0"
    api: str  # the manifest permission: { kind = "host_api", api = API }
    targets: str | None  # the manifest table that must declare targets ("request"), if any
    functions: tuple[str, ...]


# The only imports Yoi links; any other import fails `validate_component_imports`.
HOST_APIS: dict[str, HostApi] = {
    api.name: api
    for api in (
        HostApi("yoi:host/request@1.0.0", "request", "request", ("request",)),
        HostApi(
            "yoi:host/websocket@1.0.0",
            "websocket",
            "websocket",
            ("open", "send-text", "recv", "close"),
        ),  # fmt: skip
        HostApi("yoi:host/fs@1.0.0", "fs", None, ("read", "list", "write")),
    )
}
