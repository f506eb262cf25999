"""`plugin catalog build`: one signed catalog over releases of many plugins."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json, info


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "sources",
    multiple=True,
    required=True,
    metavar="ARCHIVE_OR_RELEASE_DIR",
    type=click.Path(path_type=Path, exists=True),
    help="A release folder or an archive inside one; repeat for each release.",
)
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Catalog secret key (default: $MINISIGN_SECRET_KEY).",
)
@click.option(
    "--catalog-id",
    default="local",
    show_default=True,
    help="The id consumers pin; entry ids are <catalog-id>.<plugin id>.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Asset URLs become URL/releases/download/<tag>/<asset> (default: file:// paths).",
)
@click.option(
    "--repo", metavar="OWNER/NAME", help="Releases are GitHub releases of this repository."
)
@click.option(
    "--repository", metavar="TEXT", help="The catalog's own repository, recorded at the top."
)
@click.option(
    "--publisher-pubkey",
    "publisher_pubkeys",
    multiple=True,
    metavar="RW...",
    help="Key that signed the releases (default: the catalog key); repeatable.",
)
@click.option(
    "--expires-in",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Days until consumers refuse the catalog.",
)
@click.option(
    "--refresh", is_flag=True, help="Re-sign with a new serial and expiry even if nothing changed."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def build(
    out: Path,
    sources: tuple[Path, ...],
    key: Path | None,
    catalog_id: str,
    base_url: str | None,
    repo: str | None,
    repository: str | None,
    publisher_pubkeys: tuple[str, ...],
    expires_in: int,
    refresh: bool,
    as_json: bool,
) -> None:
    """Build or update OUT/extensions.json (or OUT itself if it ends in .json) and its .minisig.

    Every archive is read strictly, its .minisig and the folder's signed SHA256SUMS are checked
    with the publisher key, and the catalog is merged: a new version becomes current and older
    ones move to `releases`. When nothing changed, the files are left exactly as they were
    (same serial, same bytes). Run it again with --refresh on a schedule to renew the expiry.

    \b
    Examples:
      plugin catalog build site/catalog --from site/releases/download/v0.3.1 --key catalog.key
      plugin catalog build catalog --from rel/weather-tools-v0.3.1 --from rel/notes-v1.0.0 \\
          --catalog-id acme --base-url https://plugins.acme.org --key catalog.key --json
      plugin catalog build catalog --from dl/v1.2.0 --repo acme/weather --catalog-id acme --refresh
    """
    from datetime import timedelta

    from plugin_kit.cli.sign import load_key
    from plugin_kit.publisher.catalog_build import build_catalog
    from plugin_kit.signing.keys import load_public_key

    secret = load_key(key)
    publishers = [load_public_key(k, place="--publisher-pubkey") for k in publisher_pubkeys]
    result = build_catalog(
        out,
        list(sources),
        secret,
        catalog_id=catalog_id,
        publisher_keys=publishers,
        base_url=base_url,
        repo=repo,
        repository=repository,
        ttl=timedelta(days=expires_in),
        refresh=refresh,
    )
    if as_json:
        emit_json(result.to_dict())
        return
    echo(str(result.path))
    echo(f"  serial {result.serial}, {len(result.entries)} plugins: {', '.join(result.entries)}")
    info("updated and signed" if result.changed else "unchanged: nothing written")
