"""`plugin catalog ...`: build catalogs (authors) and manage registered catalogs (operators)."""

from __future__ import annotations

import click

from plugin_kit.cli._lazy import LazyCommand, LazyGroup

_A, _O = "For catalog authors", "For operators"
_SUBCOMMANDS = {
    "build": LazyCommand("plugin_kit.cli.catalog_build:build", _A, "Build one signed catalog over several plugins."),
    "add": LazyCommand("plugin_kit.cli.catalog_manage:add", _O, "Register a catalog; pins its id and key."),
    "ls": LazyCommand("plugin_kit.cli.catalog_manage:ls", _O, "List registered catalogs."),
    "rm": LazyCommand("plugin_kit.cli.catalog_manage:rm", _O, "Forget a catalog."),
    "refresh": LazyCommand("plugin_kit.cli.catalog_manage:refresh", _O, "Fetch and verify catalogs again."),
    "trust": LazyCommand("plugin_kit.cli.catalog_manage:trust", _O, "Change a catalog's pinned key (audited)."),
}  # fmt: skip


@click.group(cls=LazyGroup, lazy=_SUBCOMMANDS)
def catalog() -> None:
    """Build a signed catalog, or register and refresh the catalogs you install from.

    \b
    Examples:
      plugin catalog build site/catalog --from site/releases/download/v0.3.1 --key catalog.key
      plugin catalog add https://example.org/catalog/extensions.json --name acme --pubkey RW...
      plugin catalog ls
    """
