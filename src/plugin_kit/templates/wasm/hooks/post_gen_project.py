"""Compile src/plugin.wat so the fresh project validates and packs before any edit."""

from pathlib import Path

from plugin_kit.components.build import compile_wat

compile_wat(Path("src/plugin.wat"), Path("module.wasm"))
