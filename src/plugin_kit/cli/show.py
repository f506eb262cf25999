"""`plugin show`: one catalog entry in full, offline."""

from __future__ import annotations

import click

from plugin_kit.cli._output import emit_json


@click.command()
@click.argument("name")
@click.option(
    "--host-api", metavar="VERSION", help="Host plugin-API version to mark compatible versions for."
)
@click.option("--json", "as_json", is_flag=True, help="Print the entry as one JSON object.")
def show(name: str, host_api: str | None, as_json: bool) -> None:
    """Show NAME[@VERSION] (or CATALOG/NAME): size, sha256, signer, risk, capabilities, versions.

    \b
    Examples:
      plugin show weather-tools
      plugin show acme/weather-tools@0.3.1 --json
    """
    from plugin_kit.installer.query import show as do_show

    r = do_show(name, host_api=host_api)
    if as_json:
        emit_json({"ok": True, **r.to_dict()})
        return
    click.echo(f"{r.catalog}/{r.name} {r.version}  ({r.display_name or r.id})")
    if r.description:
        click.echo(f"  {r.description}")
    click.echo(
        f"  catalog:      {r.catalog} (catalog_id {r.catalog_id}){'  EXPIRED' if r.catalog_expired else ''}"
    )
    click.echo(f"  runtime:      {r.runtime}   api: {r.api}")
    click.echo(f"  size:         {r.size} bytes")
    click.echo(f"  sha256:       {r.sha256}")
    click.echo(f"  digest:       {r.digest}")
    click.echo(f"  signer:       {r.signer_public_key} (key id {r.signer_key_id})")
    click.echo(f"  risk:         {r.risk}")
    if r.claimed_risk != r.risk:
        click.echo(
            f"  WARNING:      the entry claims risk {r.claimed_risk}; `plugin install` refuses it"
        )
    click.echo(f"  requests:     {r.capability_summary}")
    if r.source.get("repo"):
        click.echo(f"  source:       {r.source.get('repo')} {r.source.get('tag') or ''}")
    click.echo(
        "  versions:     "
        + ", ".join(
            f"{v['version']}{'' if v['compatible'] else ' (incompatible)'}" for v in r.versions
        )
    )
