"""What every runtime adapter gives the dev host: the plugin's offers, a tool call, hook runs, and close()."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugin_kit.dev.policy import CapabilityReport
from plugin_kit.errors import DevError

if TYPE_CHECKING:
    from plugin_kit.dev.component_request import Upstream
    from plugin_kit.dev.hooksfile import HookOutcome, HookSet

__all__ = ["HostOptions", "LoadContext", "ToolInfo", "CallResult", "LoadedPlugin"]


@dataclass(frozen=True)
class HostOptions:
    """What the author chose for a component (Yoi) plugin: `--grant`s, `--fixtures`, `--limits`,
    the opaque config its instance is started with, the loopback `--upstream` for requests, and
    the Yoi `--profile` whose grants apply when there is no `--grant` (None: Yoi's default)."""

    grants: tuple[str, ...] = ()
    fixtures: Mapping[str, Any] = field(default_factory=dict)
    limits: str = "host"
    config: Mapping[str, Any] = field(default_factory=dict)
    upstream: Upstream | None = None
    profile: str | None = None


@dataclass(frozen=True)
class LoadContext:
    """Where the plugin was extracted, its manifest, and what the host may hand it."""

    package_dir: Path
    manifest: Any  # the host's manifest model (validators/models.py)
    workspace: Path
    temp_dir: Path
    environ: Mapping[str, str]
    # The host's shared event loop and warm interpreter for MCP servers; None: the adapter's own.
    warm: Any = None
    options: HostOptions = field(default_factory=HostOptions)
    # The author's project the package was built from: errors name its files, not the cache's.
    source_dir: Path | None = None

    def authors_path(self, text: str) -> str:
        """`text` with the read-only cache folder replaced by the author's own folder."""
        if self.source_dir is None:
            return text
        return text.replace(str(self.package_dir), str(self.source_dir))


@dataclass(frozen=True)
class ToolInfo:
    name: str
    description: str
    input_schema: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }


@dataclass
class CallResult:
    """One tool call: the JSON it returned, or is_error with the plugin's message."""

    tool: str
    output: Any
    is_error: bool = False
    stderr: str = ""
    # Host limits the call broke while they were relaxed (LimitBreak.to_dict()).
    limits: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        out = {
            "tool": self.tool,
            "output": self.output,
            "is_error": self.is_error,
            "stderr": self.stderr,
        }
        return {**out, "limits": self.limits} if self.limits else out


@dataclass
class LoadedPlugin:
    """A plugin instance in the dev host. Adapters fill the fields and override call() and close()."""

    runtime: str
    tools: list[ToolInfo]
    hooks: HookSet
    capabilities: CapabilityReport
    pid: int | None = None
    details: dict[str, object] = field(default_factory=dict)
    event_key = "hooks"  # what an --event drives; its key in the probe report

    def call(self, tool: str, arguments: dict[str, Any]) -> CallResult:
        self.require_tool(tool)
        raise AssertionError("unreachable: a runtime without tools lists none")

    def require_tool(self, tool: str) -> None:
        if tool not in {t.name for t in self.tools}:
            names = ", ".join(t.name for t in self.tools)
            raise DevError(
                f"no tool {tool!r} in this plugin",
                rule="dev-unknown-tool",
                place=f"[[tools]] {tool}",
                hint=f"Use one of: {names}" if names else "This plugin declares no [[tools]].",
            )

    def run_event(self, event: Mapping[str, Any]) -> list[HookOutcome]:
        return self.hooks.run(event)

    def drive_event(self, event: Mapping[str, Any]) -> dict[str, object]:
        """What came of the probe's `--event`, reported under `event_key`."""
        from plugin_kit.dev.hooksfile import verdict

        return verdict(self.run_event(event))

    def close(self) -> None:
        """Release what the instance holds; safe to call twice."""

    def offers(self) -> dict[str, object]:
        return {
            "runtime": self.runtime,
            "tools": [t.to_dict() for t in self.tools],
            "hooks": self.hooks.describe(),
            "pid": self.pid,
            "capabilities": self.capabilities.to_dict(),
            **self.details,
        }
