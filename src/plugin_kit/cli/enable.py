"""`plugin enable` and `plugin disable`: the only place capabilities are granted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from plugin_kit.cli._complete import complete_refs
from plugin_kit.cli._options import ref_host_option
from plugin_kit.cli._output import echo, emit_json, info
from plugin_kit.cli.install import confirm_or_exit, workspace_option

_profile_option = click.option(
    "--profile",
    metavar="NAME",
    help="Yoi: the Profile to write (user:NAME, NAME, or path:FILE); default: the registry's.",
)


@click.command()
@click.argument("ref", shell_complete=complete_refs)
@click.option("--grant-requested", is_flag=True, help="Grant exactly what the plugin requests.")
@click.option(
    "--grant",
    "grants",
    multiple=True,
    metavar="KIND=VALUE",
    help="Grant one item (repeatable). Insomnia: network=HOST[/PATH], secrets=NAME, "
    "filesystem.read=SCOPE, filesystem.write=SCOPE, process=true, "
    "rate_limits.outbound_per_minute=N. Yoi (adds to earlier grants): "
    "permission=host_api.request (or tool.NAME, surfaces.KIND, external_write, ...), "
    '"request=URL METHODS [PATHS]", "websocket=URL [PATHS]", fs=/ABS:read,list.',
)
@click.option(
    "--revoke",
    "revoke",
    multiple=True,
    metavar="KIND=VALUE",
    help="Take back one earlier grant (repeatable), written as for --grant.",
)
@_profile_option
@ref_host_option
@workspace_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def enable(
    ref: str,
    grant_requested: bool,
    grants: tuple[str, ...],
    revoke: tuple[str, ...],
    profile: str | None,
    ref_host: str | None,
    workspace: Path | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Enable REF (ID, user:ID or project:ID) with explicit capability grants.

    Every grant is listed, one line each, and on a terminal you are asked before anything
    is recorded (--yes skips the question; without a terminal and without --yes the command
    needs you: exit 4). Grants are recorded in your own plugins.toml, keyed by store,
    workspace path and content digest; a grant may narrow a request, never widen it.
    Grants add up: a later --grant adds to what this version already holds (an Insomnia
    disable keeps them; a Yoi disable removes the Profile entry and its grants), --revoke takes
    an item back. Without any grant the plugin runs with none of its
    requested capabilities, and what it was not granted is listed.

    A Yoi package is enabled where Yoi's code reads it: a `[[plugins.enabled]]` entry pinned
    to its id, version and digest, with grants bound to the same, in the Profile named by
    --profile or the registry's default (a built-in or missing one: a user Profile is created
    and registered, which is said first).
    A version waiting for a grant after `plugin upgrade` is pinned and swapped in.

    \b
    Examples:
      plugin enable weather-tools --grant-requested
      plugin enable project:weather-tools --grant network=api.weather.gov --grant secrets=WEATHER_KEY
      plugin enable weather-tools --grant-requested --yes --json
      plugin enable weather-tools --revoke secrets=WEATHER_KEY
      plugin enable project:example.echo --grant-requested --profile work
      plugin enable user:example.echo --grant "request=https://api.example.com GET /v1/" --revoke fs=/tmp:read
      plugin enable example.echo --host yoi --grant-requested   # the id is installed for both hosts
    """
    from plugin_kit.installer.manage import enable as do_enable

    def ask(preview: Any) -> None:
        if not as_json:  # shown before anything is written, also with --yes (--json carries it)
            for line in preview.preview_lines():
                info(line)
        confirm_or_exit(
            "Enable it with these grants?", yes, hint="re-run with --yes to grant what is listed"
        )

    result = do_enable(
        ref,
        workspace or Path.cwd(),
        grant_requested=grant_requested,
        grants=list(grants),
        revoke=list(revoke),
        profile=profile,
        confirm=ask,
        host=ref_host,
    )
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
        return
    for line in result.summary_lines():
        echo(line)
    for line in result.notes():
        info(line)


@click.command()
@click.argument("ref", shell_complete=complete_refs)
@_profile_option
@ref_host_option
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def disable(
    ref: str, profile: str | None, ref_host: str | None, workspace: Path | None, as_json: bool
) -> None:
    """Disable REF. An Insomnia plugin's grants are kept for a later `plugin enable`; a Yoi
    package's entry, grants included, is removed from the Profile (the rest of it is kept).

    \b
    Examples:
      plugin disable weather-tools
      plugin disable project:weather-tools --json
    """
    from plugin_kit.installer.manage import disable as do_disable

    result = do_disable(ref, workspace or Path.cwd(), profile=profile, host=ref_host)
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
        return
    for line in result.summary_lines():
        echo(line)
