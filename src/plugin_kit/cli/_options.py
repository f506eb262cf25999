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

# For commands that name an installed REF: the same id may be installed for both hosts.
ref_host_option = click.option(
    "--host",
    "ref_host",
    type=click.Choice(["insomnia", "yoi"]),
    default=None,
    help="The host whose store holds REF, when the same id is installed for both.",
)
