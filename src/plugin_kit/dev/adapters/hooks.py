"""hooks runtime: declarative hooks only, evaluated by the host; no plugin code runs at all."""

from __future__ import annotations

from plugin_kit.dev.adapters.base import LoadContext, LoadedPlugin
from plugin_kit.dev.hooksfile import load_hooks
from plugin_kit.dev.policy import CapabilityReport, Enforcement, requested

__all__ = ["load"]


def load(ctx: LoadContext) -> LoadedPlugin:
    """Parse and check every hooks file; a declarative plugin can use no capability, so all are enforced."""
    hooks = load_hooks(ctx.package_dir, ctx.manifest)
    asked = requested(ctx.manifest.capabilities)
    items = [
        Enforcement(name, asked[name], True, "declarative hooks run no code, so nothing can use it")
        for name in ("secrets", "filesystem", "network", "process")
    ]
    return LoadedPlugin(
        runtime="hooks",
        tools=[],
        hooks=hooks,
        capabilities=CapabilityReport(env_passed=[], env_withheld=len(ctx.environ), items=items),
        details={"hook_files": sorted({h.file for h in hooks.hooks})},
    )
