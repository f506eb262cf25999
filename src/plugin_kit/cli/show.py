"""`plugin show`: one catalog entry in full, offline."""

from __future__ import annotations

import click

from plugin_kit.cli._output import echo, emit_json
from plugin_kit.hosts import HOSTS


@click.command()
@click.argument("name")
@click.option(
    "--host-api", metavar="VERSION", help="Host plugin-API version to mark compatible versions for."
)
@click.option(
    "--host", type=click.Choice(list(HOSTS)), help="Only an entry for this host (a name in two)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the entry as one JSON object.")
def show(name: str, host_api: str | None, host: str | None, as_json: bool) -> None:
    """Show NAME[@VERSION] (or CATALOG/NAME): size, sha256, signer, risk, capabilities, versions.

    \b
    Examples:
      plugin show weather-tools
      plugin show acme/weather-tools@0.3.1 --json
      plugin show example.echo --host yoi
    """
    from plugin_kit.installer.query import show as do_show

    r = do_show(name, host_api=host_api, host=host)
    if as_json:
        emit_json({"ok": True, **r.to_dict()})
        return
    echo(f"{r.catalog}/{r.name} {r.version}  ({r.display_name or r.id})")
    if r.description:
        echo(f"  {r.description}")
    echo(
        f"  catalog:      {r.catalog} (catalog_id {r.catalog_id}){'  EXPIRED' if r.catalog_expired else ''}"
    )
    echo(f"  host:         {HOSTS[r.host].title}")
    needs = f"world: {r.world}" if r.world else f"api: {r.api}"
    echo(f"  runtime:      {r.runtime}   {needs}")
    echo(f"  size:         {r.size} bytes")
    echo(f"  sha256:       {r.sha256}")
    echo(f"  digest:       {r.digest}")
    echo(f"  signer:       {r.signer_public_key} (key id {r.signer_key_id})")
    echo(f"  risk:         {r.risk}")
    if r.claimed_risk != r.risk:
        echo(f"  WARNING:      the entry claims risk {r.claimed_risk}; `plugin install` refuses it")
    echo(f"  requests:     {r.capability_summary}")
    if r.source.get("repo"):
        echo(f"  source:       {r.source.get('repo')} {r.source.get('tag') or ''}")
    echo(
        "  versions:     "
        + ", ".join(
            f"{v['version']}{'' if v['compatible'] else ' (incompatible)'}" for v in r.versions
        )
    )
