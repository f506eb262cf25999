"""`plugin`: the toolchain's main command. Subcommands load lazily (see _lazy.py)."""

from __future__ import annotations

import sys

import click

from plugin_kit import __version__
from plugin_kit.cli._lazy import LazyGroup
from plugin_kit.cli._output import run

_COMMANDS = {
    # format core
    "validate": "plugin_kit.cli.validate:validate",
    "pack": "plugin_kit.cli.pack:pack",
    "digest": "plugin_kit.cli.digest:digest",
    "inspect": "plugin_kit.cli.inspect:inspect",
    "wat2wasm": "plugin_kit.cli.wat2wasm:wat2wasm",
    # signing and publishing
    "keygen": "plugin_kit.cli.keygen:keygen",
    "sign": "plugin_kit.cli.sign:sign",
    "verify": "plugin_kit.cli.verify:verify",
    "publish": "plugin_kit.cli.publish:publish",
    "catalog": "plugin_kit.cli.catalog:catalog",
    # consumer side
    "install": "plugin_kit.cli.install:install",
    "search": "plugin_kit.cli.search:search",
    "show": "plugin_kit.cli.show:show",
    "list": "plugin_kit.cli.list_cmd:list_cmd",
    "enable": "plugin_kit.cli.enable:enable",
    "disable": "plugin_kit.cli.enable:disable",
    "uninstall": "plugin_kit.cli.uninstall:uninstall",
    "upgrade": "plugin_kit.cli.upgrade:upgrade",
    "cache": "plugin_kit.cli.cache:cache",
    # dev loop
    "dev": "plugin_kit.cli.dev:dev",
}


@click.group(
    cls=LazyGroup,
    lazy=_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="plugin")
def cli() -> None:
    """Build, sign, publish and install plugins for the Insomnia agent host.

    \b
    Authors:   create-plugin, plugin dev --watch, plugin pack, plugin publish
    Operators: plugin catalog add, plugin search, plugin install, plugin enable

    Run `plugin COMMAND --help` for the options and examples of each command.
    """


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(cli, argv, prog_name="plugin"))
