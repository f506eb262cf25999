"""`plugin`: the toolchain's main command. Subcommands load lazily (see _lazy.py)."""

from __future__ import annotations

import sys

import click

from plugin_kit import __version__
from plugin_kit.cli._lazy import LazyCommand, LazyGroup
from plugin_kit.cli._output import run

_A, _S, _O = "Authoring", "Signing and publishing", "Installing and managing"
_COMMANDS = {
    "validate": LazyCommand("plugin_kit.cli.validate:validate", _A, "Report every problem of plugin.toml and its files."),
    "dev": LazyCommand("plugin_kit.cli.dev:dev", _A, "Rebuild, reinstall and reload into a dev host on every save."),
    "pack": LazyCommand("plugin_kit.cli.pack:pack", _A, "Build a deterministic .insomnia-plugin or .yoi-plugin."),
    "inspect": LazyCommand("plugin_kit.cli.inspect:inspect", _A, "Show what an archive holds and asks for; runs nothing."),
    "digest": LazyCommand("plugin_kit.cli.digest:digest", _A, "Content digest of a plugin folder or an archive."),
    "wat2wasm": LazyCommand("plugin_kit.cli.wat2wasm:wat2wasm", _A, "Compile WebAssembly text to a module (a build step)."),
    "wat2component": LazyCommand("plugin_kit.cli.wat2component:wat2component", _A, "Build a Yoi component from WAT and a WIT world (a build step)."),
    "keygen": LazyCommand("plugin_kit.cli.keygen:keygen", _S, "Make a minisign key pair."),
    "sign": LazyCommand("plugin_kit.cli.sign:sign", _S, "Sign files (prehashed minisign signatures)."),
    "publish": LazyCommand("plugin_kit.cli.publish:publish", _S, "Release to GitHub or a folder, with sums, signatures, catalog."),
    "catalog": LazyCommand("plugin_kit.cli.catalog:catalog", _S, "Build catalogs; add, list, refresh, trust the ones you use."),
    "verify": LazyCommand("plugin_kit.cli.verify:verify", _S, "Check a signature, or re-hash installed plugins (--all)."),
    "search": LazyCommand("plugin_kit.cli.search:search", _O, "Search the verified catalogs, offline."),
    "show": LazyCommand("plugin_kit.cli.show:show", _O, "Size, sha256, signer, risk, capabilities and versions of one."),
    "install": LazyCommand("plugin_kit.cli.install:install", _O, "Install by name, file or URL; verified, placed disabled."),
    "list": LazyCommand("plugin_kit.cli.list_cmd:list_cmd", _O, "Installed plugins of both stores, with their status."),
    "enable": LazyCommand("plugin_kit.cli.enable:enable", _O, "Enable a plugin with explicit capability grants."),
    "disable": LazyCommand("plugin_kit.cli.enable:disable", _O, "Disable a plugin (Insomnia: its grants are kept)."),
    "upgrade": LazyCommand("plugin_kit.cli.upgrade:upgrade", _O, "Upgrade one or all; more capabilities need a new grant."),
    "uninstall": LazyCommand("plugin_kit.cli.uninstall:uninstall", _O, "Remove a plugin from its store."),
    "cache": LazyCommand("plugin_kit.cli.cache:cache", _O, "Clean the digest-keyed cache (gc)."),
    "completion": LazyCommand("plugin_kit.cli.completion:completion", "Shell", "Print a bash, zsh or fish completion script."),
}  # fmt: skip


_ENVIRONMENT = """\
\b
Environment:
  XDG_CONFIG_HOME, XDG_CACHE_HOME   where config, stores and caches live (~/.config, ~/.cache)
  INSOMNIA_HOST_API                 the host plugin-API version to resolve for
  PLUGIN_KIT_LOCK_TIMEOUT           seconds to wait for a store lock (60)
  PLUGIN_KIT_FETCH_TIMEOUT          seconds a fetch may stall (30)
  PLUGIN_KIT_FETCH_DEADLINE         least seconds a whole download may take (60)
  MINISIGN_SECRET_KEY, MINISIGN_PASSWORD   the signing key's text and its password (CI)
  GITHUB_TOKEN or GH_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL   publish to GitHub
  GITHUB_ACTIONS, GITHUB_WORKSPACE, GITHUB_REF_NAME, GITHUB_REF_TYPE, GITHUB_SHA,
  GITHUB_OUTPUT, GITHUB_STEP_SUMMARY   read in GitHub Actions (annotations, step summary, publish)
  WATCHFILES_FORCE_POLLING          plugin dev --watch polls instead of inotify
  YOI_HOME, YOI_CONFIG_DIR, XDG_DATA_HOME   where the Yoi host keeps its store and Profiles
  NO_COLOR                          no colour in the output
"""  # what the tool reads; tests/test_cli_conventions.py checks the list is whole


_VERBOSE_HELP = "Say what is done: URLs fetched, files written (on stderr)."


def _verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        from plugin_kit.cli._notes import show_library_notes

        show_library_notes(verbose=True)


def _verbose_option() -> click.Option:
    """`plugin X --verbose`, the same as `plugin --verbose X`."""
    return click.Option(
        ["--verbose", "-v"], is_flag=True, expose_value=False, callback=_verbose, help=_VERBOSE_HELP
    )


@click.group(
    cls=LazyGroup,
    lazy=_COMMANDS,
    leaf_options=(_verbose_option,),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=_ENVIRONMENT,
)
@click.version_option(__version__, prog_name="plugin")
@click.option("--verbose", "-v", is_flag=True, help=_VERBOSE_HELP)
def cli(verbose: bool) -> None:
    """Build, sign, publish and install plugins for both hosts: Insomnia and Yoi.

    \b
    Authors:   create-plugin, plugin dev --watch, plugin pack, plugin publish
    Operators: plugin catalog add, plugin search, plugin install, plugin enable

    Run `plugin COMMAND --help` for the options and examples of each command.
    """
    from plugin_kit.cli._notes import show_library_notes  # here: --help and --version need none

    show_library_notes(verbose=verbose)


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(cli, argv, prog_name="plugin"))
