"""`plugin catalog add|ls|rm|refresh|trust`: the catalogs you install from, and their pinned keys."""

from __future__ import annotations

import sys

import click

from plugin_kit.cli._complete import complete_catalogs
from plugin_kit.cli._output import confirm, echo, echo_row, emit_json, emit_report, info
from plugin_kit.errors import PluginKitError


def _as_url(text: str) -> str:
    """A local path is taken as pip and npm take one: it becomes its file:// URL."""
    from pathlib import Path

    from plugin_kit.errors import UsageError

    if "://" in text:
        return text
    path = Path(text).expanduser()
    if not path.is_file():
        raise UsageError(
            f"no such file: {text}",
            rule="catalog-path",
            place=text,
            hint="pass the catalog's URL (https://...) or the path of its extensions.json",
        )
    return path.resolve().as_uri()


@click.command()
@click.argument("url")
@click.option("--name", metavar="N", help="Local name (default: derived from the URL).")
@click.option("--pubkey", metavar="RW...", help="The catalog's public key, from the publisher.")
@click.option("--yes", "-y", is_flag=True, help="Trust the key the catalog names without asking.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def add(url: str, name: str | None, pubkey: str | None, yes: bool, as_json: bool) -> None:
    """Fetch and verify the catalog at URL, then pin its catalog_id and signing key.

    URL: https://, file://, http:// to a loopback address, or a local path (taken as its
    file:// URL, as pip and npm take paths). Without --pubkey you are
    asked to trust the key the catalog names (trust on first use); --yes trusts it.

    \b
    Examples:
      plugin catalog add https://example.org/catalog/extensions.json --name acme --pubkey RWQ...
      plugin catalog add file:///srv/site/catalog/extensions.json --yes
      plugin catalog add site/catalog/extensions.json --pubkey RWQ...
    """
    from plugin_kit.installer.catalogs import add_catalog

    def trust(offer) -> bool:  # type: ignore[no-untyped-def]
        info(f"catalog {offer.catalog_id!r} at {offer.url} is signed by key")
        info(f"  {offer.pubkey}  (key id {offer.key_id}, a label only)")
        if yes:
            return True
        return confirm("Trust this key for this catalog?")

    interactive = yes or (sys.stdin.isatty() and sys.stderr.isatty())
    url = _as_url(url)
    src = add_catalog(url, name=name, pubkey=pubkey, trust=trust if interactive else None)
    if as_json:
        emit_json({"ok": True, **src.to_dict()})
        return
    echo(
        f"Added catalog {src.name} ({src.catalog_id}): {src.entries} entries, serial {src.last_serial}, "
        f"key {src.pubkey}, expires {src.expires_at}"
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the catalogs as one JSON object.")
def ls(as_json: bool) -> None:
    """List registered catalogs with their pinned key, serial and expiry.

    \b
    Examples:
      plugin catalog ls --json
    """
    from plugin_kit.installer.catalogs import registry

    sources = registry()
    if as_json:
        emit_json({"ok": True, "catalogs": [s.to_dict() for s in sources.values()]})
        return
    if not sources:
        info("no catalogs registered; add one with `plugin catalog add URL-OR-PATH --pubkey RW...`")
        return
    for s in sources.values():
        flag = "  EXPIRED" if s.to_dict()["expired"] else ""
        echo_row(s.name, s.catalog_id, f"key {s.pubkey}", f"serial {s.last_serial}",
                 f"expires {s.expires_at}{flag}", s.url)  # fmt: skip


@click.command()
@click.argument("name", shell_complete=complete_catalogs)
@click.option("--force", is_flag=True, help="Remove even if installed plugins came from it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def rm(name: str, force: bool, as_json: bool) -> None:
    """Unregister catalog NAME and drop its cache (refused while plugins installed from it).

    \b
    Examples:
      plugin catalog rm acme
    """
    from pathlib import Path

    from plugin_kit.installer.api import stores_for
    from plugin_kit.installer.catalogs import remove_catalog
    from plugin_kit.installer.lockfile import read_lock

    in_use = [
        s.ref(e.id)
        for s in stores_for(Path.cwd())
        for e in read_lock(s).values()
        if e.source.get("catalog") == name
    ]
    src = remove_catalog(name, in_use=in_use, force=force)
    if as_json:
        emit_json({"ok": True, "removed": src.to_dict()})
        return
    echo(f"Removed catalog {src.name}")


@click.command()
@click.argument("names", nargs=-1, shell_complete=complete_catalogs)
@click.option(
    "--allow-expired",
    is_flag=True,
    help="Accept an expired catalog (search only; install refuses it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
def refresh(names: tuple[str, ...], allow_expired: bool, as_json: bool) -> None:
    """Fetch NAME... (default: all) again. Refused: a bad signature, another catalog_id, a
    lower serial, the same serial with other bytes, or an expired catalog (exit 3).

    \b
    Examples:
      plugin catalog refresh
      plugin catalog refresh acme --json
    """
    from plugin_kit.installer.catalogs import refresh_catalog, registry

    results, failed = [], []
    for name in names or tuple(registry()):
        try:
            src = refresh_catalog(name, allow_expired=allow_expired)
            results.append(
                {"name": name, "ok": True, "serial": src.last_serial, "entries": src.entries}
            )
            if not as_json:
                echo(f"Refreshed {name}: serial {src.last_serial}, {src.entries} entries")
        except PluginKitError as err:
            failed.append(err)
            results.append({"name": name, "ok": False, "error": err.to_dict()})
            if not as_json:
                info(f"{name}: [{err.rule}] {err.message}")
    worst = max(failed, key=lambda f: f.exit_code) if failed else None
    if as_json:
        emit_report({"catalogs": results}, worst)
    elif worst:
        raise worst


@click.command()
@click.argument("name", shell_complete=complete_catalogs)
@click.option(
    "--pubkey",
    metavar="RW...",
    help="Pin this new key (rotation); the catalog must verify with it.",
)
@click.option("--reset", is_flag=True, help="Forget the serial state (after a publisher reset).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def trust(name: str, pubkey: str | None, reset: bool, as_json: bool) -> None:
    """Change what is trusted for catalog NAME: a new key, or a reset of its serial. Audited.

    \b
    Examples:
      plugin catalog trust acme --pubkey RWQ...
      plugin catalog trust acme --reset
    """
    from plugin_kit.installer.catalogs import trust_catalog

    src = trust_catalog(name, pubkey=pubkey, reset=reset)
    if as_json:
        emit_json({"ok": True, **src.to_dict()})
        return
    echo(f"Catalog {src.name}: key {src.pubkey} (key id {src.key_id}), serial {src.last_serial}")
