"""`plugin wat2wasm`: compile WebAssembly text to a module (the wasm template's build step)."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import emit_json, info


@click.command(
    epilog="""\b
Examples:
  plugin wat2wasm src/plugin.wat -o module.wasm
  plugin wat2wasm src/plugin.wat -o module.wasm --json
"""
)
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Module to write (replaced atomically; left untouched on error).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def wat2wasm(src: Path, out: Path, as_json: bool) -> None:
    """Compile WebAssembly text SRC to a binary module with wasmtime (no toolchain download)."""
    from plugin_kit.scaffold.wat import compile_wat

    result = compile_wat(src, out)
    if as_json:
        emit_json(result.to_dict())
    else:
        info(f"wrote {result.output} ({result.size} bytes, sha256 {result.sha256[:16]}…)")
