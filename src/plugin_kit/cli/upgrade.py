"""`plugin upgrade`: move installed plugins to the newest compatible catalog version."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json, info
from plugin_kit.cli.install import confirm_or_exit, progress_to_stderr, workspace_option
from plugin_kit.errors import UsageError


@click.command()
@click.argument("refs", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every plugin in both stores.")
@click.option("--dry-run", is_flag=True, help="Show what would change; download nothing.")
@click.option("--accept-new-key", is_flag=True, help="Accept a changed publisher key.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--host-api", metavar="VERSION", help="Host plugin-API version to resolve for.")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
def upgrade(
    refs: tuple[str, ...],
    all_: bool,
    dry_run: bool,
    accept_new_key: bool,
    yes: bool,
    host_api: str | None,
    workspace: Path | None,
    as_json: bool,
) -> None:
    """Upgrade REF... (or --all). A version asking for more capabilities is installed but
    stays disabled, and the old version keeps running until `plugin enable` grants the rest.
    A changed publisher key stops the upgrade (exit 4) unless --accept-new-key.

    Yoi runs only the package its store holds, checked against the pinned digest: a Yoi
    version asking for more keeps the old package in the store and the old pin (needs-grant;
    `plugin enable` then pins and swaps it in), one asking for no more is swapped in and
    re-pinned with the same grants.

    \b
    Examples:
      plugin upgrade --all --dry-run
      plugin upgrade weather-tools --yes
    """
    from plugin_kit.installer.manage import upgrade as do_upgrade

    if bool(refs) == all_:
        raise UsageError("name plugins to upgrade, or pass --all", rule="usage")
    ws = workspace or Path.cwd()
    if not dry_run:
        confirm_or_exit("Upgrade?", yes)
    results = do_upgrade(
        list(refs),
        ws,
        all_=all_,
        dry_run=dry_run,
        accept_new_key=accept_new_key,
        host_api=host_api,
        progress=progress_to_stderr(),
    )
    if as_json:
        emit_json({"ok": True, "dry_run": dry_run, "results": [r.to_dict() for r in results]})
        return
    for r in results:
        target = f" -> {r.to_version}" if r.to_version and r.status != "up-to-date" else ""
        echo(f"{r.ref} {r.from_version}{target}: {r.status}" + (f" ({r.note})" if r.note else ""))
        for line in r.new_capabilities:
            info(f"    {line}")
