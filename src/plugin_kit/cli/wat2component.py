"""`plugin wat2component`: build a component from WebAssembly text and a WIT world (a build step)."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._wat import output_options, report_built, wat_source


@click.command(
    epilog="""\b
Examples:
  plugin wat2component src/plugin.wat --wit wit --world tool -o plugin.component.wasm
  plugin wat2component src/plugin.wat --wit wit --world yoi:plugin/instance@1.0.0 -o c.wasm --json
"""
)
@wat_source
@click.option(
    "--wit",
    "wit_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with the world's WIT package (and deps/).",
)
@click.option("--world", required=True, help="World to target: tool, instance, or a full name.")
@output_options("Component")
def wat2component(src: Path, wit_dir: Path, world: str, out: Path, as_json: bool) -> None:
    """Build a component from the core module text SRC with wasm-tools (component embed + new)."""
    from plugin_kit.components.build import build_component

    report_built(build_component(src, wit_dir, world, out), as_json)
