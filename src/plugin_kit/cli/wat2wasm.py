"""`plugin wat2wasm`: compile WebAssembly text to a module (the wasm template's build step)."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._wat import output_options, report_built, wat_source


@click.command(
    epilog="""\b
Examples:
  plugin wat2wasm src/plugin.wat -o module.wasm
  plugin wat2wasm src/plugin.wat -o module.wasm --json
"""
)
@wat_source
@output_options("Module")
def wat2wasm(src: Path, out: Path, as_json: bool) -> None:
    """Compile WebAssembly text SRC to a binary module with wasmtime (no toolchain download)."""
    from plugin_kit.components.build import compile_wat

    report_built(compile_wat(src, out), as_json)
