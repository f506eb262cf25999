"""One adapter per runtime kind; each turns an extracted package into a LoadedPlugin."""

from __future__ import annotations

import importlib

from plugin_kit.dev.adapters.base import LoadContext, LoadedPlugin
from plugin_kit.errors import DevError

__all__ = ["load_plugin", "RUNTIMES"]

# The manifest's runtime (Yoi: runtime.kind) -> the adapter module that runs it.
# Keys are `manifest.runtime` of every host (hosts.py runtime_kinds); both Yoi worlds run as components.
RUNTIMES = {
    "hooks": "hooks",
    "wasm": "wasm",
    "mcp": "mcp",
    "tool": "component",
    "instance": "component",
}


def load_plugin(ctx: LoadContext) -> LoadedPlugin:
    """Load with the adapter of the manifest's runtime; its heavy dependency is imported only now."""
    runtime = ctx.manifest.runtime
    if runtime not in RUNTIMES:
        raise DevError(
            f"no dev-host adapter for runtime {runtime!r}",
            rule="dev-runtime",
            place="plugin.runtime",
        )
    module = importlib.import_module(f"plugin_kit.dev.adapters.{RUNTIMES[runtime]}")
    return module.load(ctx)
