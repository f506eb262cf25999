"""`plugin upgrade`: move installed plugins to the newest compatible catalog version."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._complete import complete_refs
from plugin_kit.cli._options import ref_host_option
from plugin_kit.cli._output import echo, emit_json, info
from plugin_kit.cli.install import confirm_or_exit, progress_to_stderr, workspace_option
from plugin_kit.errors import UsageError


def _age(iso: str) -> str:
    from datetime import UTC, datetime

    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return "at an unknown time"
    minutes = int((datetime.now(UTC) - then).total_seconds() // 60)
    if minutes < 120:
        return f"{max(minutes, 0)} min ago"
    return f"{minutes // 60} h ago" if minutes < 48 * 60 else f"{minutes // 1440} days ago"


def _refresh_catalogs(offline: bool, quiet: bool) -> list[dict[str, object]]:
    """Refresh every registered catalog first, so "up-to-date" means what is published now.
    A catalog that cannot be refreshed is used as cached, and how old that copy is is said."""
    from plugin_kit.errors import PluginKitError
    from plugin_kit.installer.catalogs import refresh_catalog, registry

    states = []
    for name, src in registry().items():
        if offline:
            states.append({"name": name, "refreshed": False, "fetched": src.last_fetched})
            if not quiet:
                info(f"catalog {name}: not refreshed (--offline); fetched {_age(src.last_fetched)}")
            continue
        try:
            now = refresh_catalog(name)
            states.append({"name": name, "refreshed": True, "serial": now.last_serial})
        except PluginKitError as err:
            states.append({"name": name, "refreshed": False, "error": err.to_dict()})
            info(
                f"catalog {name}: not refreshed ([{err.rule}] {err.message});"
                f" using the copy fetched {_age(src.last_fetched)}"
            )
    return states


def _render(results: list, *, planned_only: bool = False) -> None:  # type: ignore[type-arg]
    for r in results:
        if planned_only and r.status != "planned":
            continue
        target = f" -> {r.to_version}" if r.to_version and r.status != "up-to-date" else ""
        line = f"{r.ref} {r.from_version}{target}: {r.status}" + (f" ({r.note})" if r.note else "")
        (info if planned_only else echo)(line)
        for cap in r.new_capabilities:
            info(f"    {cap}")


@click.command()
@click.argument("refs", nargs=-1, shell_complete=complete_refs)
@click.option("--all", "all_", is_flag=True, help="Every plugin in both stores.")
@click.option("--dry-run", is_flag=True, help="Show what would change; download nothing.")
@click.option("--accept-new-key", is_flag=True, help="Accept a changed publisher key.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--offline", is_flag=True, help="Do not refresh the catalogs first; use the cached copies."
)
@click.option("--host-api", metavar="VERSION", help="Host plugin-API version to resolve for.")
@ref_host_option
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
def upgrade(
    refs: tuple[str, ...],
    all_: bool,
    dry_run: bool,
    accept_new_key: bool,
    yes: bool,
    offline: bool,
    host_api: str | None,
    ref_host: str | None,
    workspace: Path | None,
    as_json: bool,
) -> None:
    """Upgrade REF... (or --all). The catalogs are refreshed first (--offline: the cached
    copies, with their age said). A version asking for more capabilities is installed but
    stays disabled, and the old version keeps running until `plugin enable` grants the rest.
    A changed publisher key stops the upgrade (exit 4) unless --accept-new-key. With nothing
    to upgrade it exits 0 without asking (fit for cron).

    Yoi runs only the package its store holds, checked against the pinned digest: a Yoi
    version asking for more keeps the old package in the store and the old pin (needs-grant;
    `plugin enable` then pins and swaps it in), one asking for no more is swapped in and
    every registered Profile pinning it is re-pinned with its own grants and surfaces.
    --host picks between the same id installed for both hosts.

    \b
    Examples:
      plugin upgrade --all --dry-run
      plugin upgrade weather-tools --yes
      plugin upgrade --all --yes --json        # a cron job
      plugin upgrade --all --host yoi          # only Yoi packages
    """
    from plugin_kit.installer.manage import upgrade as do_upgrade

    if bool(refs) == all_:
        raise UsageError("name plugins to upgrade, or pass --all", rule="usage")
    ws = workspace or Path.cwd()
    catalogs = _refresh_catalogs(offline, quiet=as_json)

    def run(dry: bool) -> list:  # type: ignore[type-arg]
        return do_upgrade(
            list(refs),
            ws,
            all_=all_,
            dry_run=dry,
            accept_new_key=accept_new_key,
            host_api=host_api,
            progress=progress_to_stderr(),
            host=ref_host,
        )

    results = run(True)
    if not dry_run and any(r.status == "planned" for r in results):
        if not yes and not as_json:
            _render(results, planned_only=True)
        confirm_or_exit("Upgrade?", yes)
        results = run(False)
    if as_json:
        emit_json(
            {
                "ok": True,
                "dry_run": dry_run,
                "catalogs": catalogs,
                "results": [r.to_dict() for r in results],
            }
        )
        return
    if not results:
        echo("nothing to upgrade: no plugins installed")
    _render(results)
