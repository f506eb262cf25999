"""`plugin uninstall`: remove a plugin from its store, lock and grants."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._complete import complete_refs
from plugin_kit.cli._options import ref_host_option
from plugin_kit.cli._output import echo, emit_json
from plugin_kit.cli.install import workspace_option


@click.command()
@click.argument("ref", shell_complete=complete_refs)
@click.option(
    "--profile",
    metavar="NAME",
    help="Yoi: the Profile to remove it from (default: the registry's).",
)
@ref_host_option
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def uninstall(
    ref: str, profile: str | None, ref_host: str | None, workspace: Path | None, as_json: bool
) -> None:
    """Uninstall REF (ID, user:ID or project:ID). The cache keeps its tree until `plugin cache gc`.

    A Yoi package's entry is removed from the Profile first, then its store file and lock
    entry; if that is interrupted, running the command again finishes it.

    \b
    Examples:
      plugin uninstall weather-tools
      plugin uninstall project:weather-tools --json
      plugin uninstall weather-tools --host insomnia   # the id is installed for both hosts
    """
    from plugin_kit.installer.manage import uninstall as do_uninstall

    result = do_uninstall(ref, workspace or Path.cwd(), profile=profile, host=ref_host)
    if as_json:
        emit_json({"ok": True, **result})
        return
    echo(f"Uninstalled {result['ref']} {result['version']}")
