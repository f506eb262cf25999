"""`plugin catalog ...`: build catalogs (authors) and manage registered catalogs (operators)."""

from __future__ import annotations

import click

from plugin_kit.cli._lazy import LazyGroup

_SUBCOMMANDS = {
    "build": "plugin_kit.cli.catalog_build:build",
    "add": "plugin_kit.cli.catalog_manage:add",
    "ls": "plugin_kit.cli.catalog_manage:ls",
    "rm": "plugin_kit.cli.catalog_manage:rm",
    "refresh": "plugin_kit.cli.catalog_manage:refresh",
    "trust": "plugin_kit.cli.catalog_manage:trust",
}


@click.group(cls=LazyGroup, lazy=_SUBCOMMANDS)
def catalog() -> None:
    """Build a signed catalog, or register and refresh the catalogs you install from.

    \b
    Examples:
      plugin catalog build site/catalog --from dist/ --key release.key
      plugin catalog add https://example.org/catalog/extensions.json --name acme
      plugin catalog ls
    """
