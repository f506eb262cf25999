"""Options shared by several commands."""

from __future__ import annotations

import click

# The names are those of hosts.HOSTS; listed here so that `--help` does not import the library.
host_option = click.option(
    "--host",
    type=click.Choice(["insomnia", "yoi"]),
    default=None,
    help="The plugin's host (default: read from plugin.toml or from the archive's bytes).",
)
