"""`plugin digest`: the content digest of a source tree or an archive."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print {path, digest} as JSON.")
def digest(path: Path, as_json: bool) -> None:
    """Print the content digest of a plugin folder (as it would be packed) or of an archive.

    Both give the same value for the same files, so a digest can be checked without packing.

    \b
    Examples:
      plugin digest .
      plugin digest dist/weather-tools-0.3.1.insomnia-plugin
    """
    from plugin_kit.content.digest import digest_path

    value = digest_path(path)
    if as_json:
        emit_json({"path": str(path), "digest": value})
    else:
        echo(value)
