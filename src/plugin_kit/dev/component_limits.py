"""The Yoi host's runtime limits for a component, what a component needs, and its output rules.

The numbers are the host's, kept once in components/runtime.py `YOI_LIMITS` (the store limits
and per-call budgets) and hosts.py (a component file's size); their output rules are
`decode_plugin_wasm_output` (HareK02/yoi crates/worker/src/feature/plugin.rs @ b12e0785). The
wall-clock `timeout` (ms) is the host's `PLUGIN_WASM_TIMEOUT` around a tool call and
`PLUGIN_SERVICE_INGRESS_DISPATCH_TIMEOUT` around an ingress dispatch, both 1 s.
`--limits host` enforces them as the host does; `--limits relaxed` lifts them and still says which ones the
component would break, so an author can go on while the host catches up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from plugin_kit.components.runtime import YOI_LIMITS
from plugin_kit.errors import DevError
from plugin_kit.hosts import YOI

__all__ = [
    "ComponentLimits",
    "HOST_LIMITS",
    "RELAXED_LIMITS",
    "LIMITS",
    "LimitBreak",
    "ComponentShape",
    "component_shape",
    "shape_breaks",
    "size_break",
    "check_tool_output",
]


@dataclass(frozen=True)
class ComponentLimits:
    """One set of limits; None lifts a limit. Fuel stays finite so an endless loop still ends."""

    name: str
    memory_bytes: int | None
    table_elements: int | None
    instances: int | None
    tables: int | None
    memories: int | None
    fuel: int
    timeout: int | None  # ms of wall-clock time per tool call or ingress event
    input_bytes: int | None
    output_bytes: int | None
    summary_bytes: int | None
    component_bytes: int | None

    @property
    def enforced(self) -> bool:
        return self.name == "host"

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}


HOST_LIMITS = ComponentLimits(
    name="host",
    memory_bytes=YOI_LIMITS.memory_bytes,
    table_elements=YOI_LIMITS.table_elements,
    instances=YOI_LIMITS.instances,
    tables=YOI_LIMITS.tables,
    memories=YOI_LIMITS.memories,
    fuel=YOI_LIMITS.fuel,
    timeout=round(YOI_LIMITS.timeout_seconds * 1000),
    input_bytes=YOI_LIMITS.max_input_bytes,
    output_bytes=YOI_LIMITS.max_output_bytes,
    summary_bytes=YOI_LIMITS.max_summary_bytes,
    component_bytes=YOI.limits.max_file_size,  # PluginDiscoveryLimits max_file_size_bytes
)
RELAXED_LIMITS = ComponentLimits(
    "relaxed", None, None, None, None, None, 500_000_000, None, None, None, None, None
)
LIMITS = {HOST_LIMITS.name: HOST_LIMITS, RELAXED_LIMITS.name: RELAXED_LIMITS}

_UNITS = {
    "instances": "core instances",
    "tables": "tables",
    "memories": "memories",
    "memory_bytes": "bytes of memory",
    "table_elements": "table elements",
    "input_bytes": "bytes of input",
    "output_bytes": "bytes of output",
    "summary_bytes": "bytes of summary",
    "component_bytes": "bytes of component",
    "fuel": "fuel units",
    "timeout": "ms of wall-clock time",
}
_HINTS = {
    "timeout": "Do less in one call (time in host calls counts too), or run with --limits relaxed "
    "to go on while the host catches up.",
    "memory_bytes": "Use less memory (Yoi traps a memory.grow past its limit), or run with "
    "--limits relaxed to go on while the host catches up.",
    "table_elements": "Use fewer table elements (Yoi traps a table.grow past its limit), or "
    "run with --limits relaxed to go on while the host catches up.",
}


@dataclass(frozen=True)
class LimitBreak:
    """One host limit a component breaks: which, what it needs, what the host allows. `said`
    words what happened when "needs" is not it (a call stopped, a grow refused)."""

    limit: str
    needed: int
    allowed: int
    said: str = "needs"

    @property
    def rule(self) -> str:
        return "yoi-limit-" + self.limit.replace("_", "-")

    @property
    def message(self) -> str:
        unit = _UNITS.get(self.limit, self.limit)
        return (
            f"{self.limit}: {self.said} {self.needed} {unit}; the host allows {self.allowed} "
            f"({self.needed - self.allowed} over)"
        )

    def error(self, place: str, message: str | None = None) -> DevError:
        return DevError(
            message or self.message,
            rule=self.rule,
            place=place,
            hint=_HINTS.get(
                self.limit,
                "Shrink the component, or run with --limits relaxed to go on while the host catches up.",
            ),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "limit": self.limit,
            "needed": self.needed,
            "allowed": self.allowed,
            "message": self.message,
        }


def size_break(limit: str, needed: int, said: str = "needs") -> LimitBreak | None:
    """The break of a host limit (`input_bytes`, `timeout`, ...) by `needed`, or None within it."""
    allowed = getattr(HOST_LIMITS, limit)
    return LimitBreak(limit, needed, allowed, said) if needed > allowed else None


@dataclass
class ComponentShape:
    """What instantiating the component creates: counted from its binary, before running it."""

    instances: int = 0
    tables: int = 0
    memories: int = 0
    memory_bytes: int = 0
    table_elements: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "instances": self.instances,
            "tables": self.tables,
            "memories": self.memories,
            "memory_bytes": self.memory_bytes,
            "table_elements": self.table_elements,
        }


def component_shape(data: bytes) -> ComponentShape:
    """Count the core instances, tables and memories a component's instantiation creates (read by
    components/binary.py, the reader the pre-flight uses)."""
    from plugin_kit.components.binary import ComponentFormatError, read_component

    if data[:4] != b"\0asm" or data[4:8] != b"\x0d\x00\x01\x00":
        raise DevError(
            "not a WebAssembly component (a core module, or not wasm at all)",
            rule="yoi-not-component",
            place="runtime.component",
            hint="Build it with `wasm-tools component new`; Yoi retired plain wasm modules.",
        )
    try:
        info = read_component(data)
    except ComponentFormatError as exc:
        raise DevError(
            f"component binary is malformed: {exc.message}",
            rule="yoi-component-invalid",
            place="runtime.component",
        ) from exc
    return ComponentShape(
        instances=info.core_instances,
        tables=len(info.tables),
        memories=len(info.memories),
        memory_bytes=sum(info.memories),
        table_elements=sum(info.tables),
    )


def shape_breaks(shape: ComponentShape, size: int) -> list[LimitBreak]:
    """Every host store limit the component breaks by being instantiated at all."""
    found = [size_break("component_bytes", size)]
    for limit in ("instances", "tables", "memories", "memory_bytes", "table_elements"):
        found.append(size_break(limit, getattr(shape, limit)))
    return [b for b in found if b is not None]


def _output_error(message: str) -> DevError:
    return DevError(
        f"tool output {message}",
        rule="yoi-output-invalid",
        place="tool output",
        hint='Return one JSON object: {"summary": "<= 1 KiB of text", "content": "text or null"}.',
    )


def check_tool_output(text: str) -> tuple[dict[str, Any], list[LimitBreak]]:
    """The host's ToolOutput rules: a JSON object with a non-empty `summary` string and an optional
    `content` string, nothing else. Sizes come back as breaks for the caller to enforce or report."""
    raw = text.encode("utf-8", "surrogatepass")
    breaks = [size_break("output_bytes", len(raw))]
    if not raw:
        raise _output_error("is empty")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise _output_error(f"is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise _output_error("must be a JSON object")
    extra = sorted(set(value) - {"summary", "content"})
    if extra:
        raise _output_error(f"contains unsupported key `{extra[0]}`")
    summary = value.get("summary")
    if not isinstance(summary, str) or not summary:
        raise _output_error("must include a non-empty summary string")
    breaks.append(size_break("summary_bytes", len(summary.encode())))
    content = value.get("content")
    if content is not None and not isinstance(content, str):
        raise _output_error("content must be a string or null")
    return value, [b for b in breaks if b is not None]
