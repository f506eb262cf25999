"""Build plugin.component.wasm from src/plugin.wat so the fresh project validates and packs."""

from pathlib import Path

from plugin_kit.components.build import build_component

build_component(
    Path("src/plugin.wat"), Path("wit"), {{ cookiecutter._world|quote }}, Path("plugin.component.wasm")
)
