"""`plugin enable` and `plugin disable`: the only place capabilities are granted."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json, info
from plugin_kit.cli.install import confirm_or_exit, workspace_option
from plugin_kit.errors import UsageError


def _grant_lines(granted: list[str]) -> list[str]:
    return [f"  grant: {line}" for line in granted] or [
        "  grant: nothing (it runs with none of its requested capabilities)"
    ]


@click.command()
@click.argument("ref")
@click.option("--grant-requested", is_flag=True, help="Grant exactly what the plugin requests.")
@click.option(
    "--grant",
    "grants",
    multiple=True,
    metavar="KIND=VALUE",
    help="Grant one item (repeatable): network=HOST[/PATH], secrets=NAME, filesystem.read=SCOPE, "
    "filesystem.write=SCOPE, process=true, rate_limits.outbound_per_minute=N.",
)
@workspace_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def enable(
    ref: str,
    grant_requested: bool,
    grants: tuple[str, ...],
    workspace: Path | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Enable REF (ID, user:ID or project:ID) with explicit capability grants.

    Every grant is listed, one line each, and on a terminal you are asked before anything
    is recorded (--yes skips the question; without a terminal and without --yes the command
    needs you: exit 4). Grants are recorded in your own plugins.toml, keyed by store,
    workspace path and content digest; a grant may narrow a request, never widen it.
    Without any grant the plugin runs with none of its requested capabilities.

    \b
    Examples:
      plugin enable weather-tools --grant-requested
      plugin enable project:weather-tools --grant network=api.weather.gov --grant secrets=WEATHER_KEY
      plugin enable weather-tools --grant-requested --yes --json
    """
    from plugin_kit.installer.manage import EnableResult
    from plugin_kit.installer.manage import enable as do_enable

    if grant_requested and grants:
        raise UsageError("use --grant-requested or --grant, not both", rule="usage")

    def ask(preview: EnableResult) -> None:
        if not yes:
            info(f"enable {preview.ref} {preview.version} ({preview.runtime}):")
            for line in _grant_lines(preview.granted):
                info(line)
        confirm_or_exit(
            "Enable it with these grants?", yes, hint="re-run with --yes to grant what is listed"
        )

    result = do_enable(
        ref,
        workspace or Path.cwd(),
        grant_requested=grant_requested,
        grants=list(grants),
        confirm=ask,
    )
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
        return
    echo(f"Enabled {result.ref} {result.version}")
    for line in _grant_lines(result.granted):
        echo(line)
    for line in result.not_granted:
        info(f"  not granted: {line.removeprefix('+ ')}")


@click.command()
@click.argument("ref")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def disable(ref: str, workspace: Path | None, as_json: bool) -> None:
    """Disable REF; its grants are kept for a later `plugin enable`.

    \b
    Examples:
      plugin disable weather-tools
      plugin disable project:weather-tools --json
    """
    from plugin_kit.installer.manage import disable as do_disable

    result = do_disable(ref, workspace or Path.cwd())
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
        return
    echo(f"Disabled {result.ref}")
