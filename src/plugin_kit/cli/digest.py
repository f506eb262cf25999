"""`plugin digest`: the content digest of a source tree or an archive."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._options import host_option
from plugin_kit.cli._output import echo, emit_json


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@host_option
@click.option("--json", "as_json", is_flag=True, help="Print {path, digest, host} as JSON.")
def digest(path: Path, host: str | None, as_json: bool) -> None:
    """Print the content digest of a plugin folder (as it would be packed) or of an archive.

    Both give the same value for the same files, so a digest can be checked without packing.
    A Yoi plugin's digest is the host's own (`yoi plugin show` prints the same value).

    \b
    Examples:
      plugin digest .
      plugin digest dist/weather-tools-0.3.1.insomnia-plugin
      plugin digest dist/example.tool-0.1.0.yoi-plugin
    """
    from plugin_kit.hosts import host_for_archive, host_for_project
    from plugin_kit.packer.digest import digest_path

    found = host_for_project(path, host) if path.is_dir() else host_for_archive(path, host)
    value = digest_path(path, found.name)
    if as_json:
        emit_json({"path": str(path), "digest": value, "host": found.name})
    else:
        echo(value)
