"""`plugin search`: find plugins in the registered catalogs, offline."""

from __future__ import annotations

import click

from plugin_kit.cli._output import echo_row, emit_json, info
from plugin_kit.hosts import HOSTS


@click.command()
@click.argument("query", required=False, default="")
@click.option(
    "--runtime",
    type=click.Choice([k for h in HOSTS.values() for k in h.runtime_kinds]),
    help="Only this runtime kind (Insomnia: hooks, wasm, mcp; Yoi: tool, instance).",
)
@click.option("--catalog", metavar="NAME", help="Only this catalog.")
@click.option("--host", type=click.Choice(list(HOSTS)), help="Only plugins for this host.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as one JSON object.")
def search(
    query: str, runtime: str | None, catalog: str | None, host: str | None, as_json: bool
) -> None:
    """Search the cached, verified catalogs (no network; `plugin catalog refresh` updates them).

    QUERY matches id, name, display name, description and keywords, ignoring case; an empty
    query lists everything.

    \b
    Examples:
      plugin search weather
      plugin search --runtime wasm --json
      plugin search --host yoi
    """
    from plugin_kit.installer.query import search as do_search

    hits = do_search(query, runtime=runtime, catalog=catalog, host=host)
    if as_json:
        emit_json({"ok": True, "query": query, "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        info("no matches")
        return
    for h in hits:
        echo_row(
            f"{h.catalog}/{h.name}", h.version, h.host, h.runtime, h.display_name or h.description
        )
