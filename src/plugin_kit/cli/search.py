"""`plugin search`: find plugins in the registered catalogs, offline."""

from __future__ import annotations

import click

from plugin_kit.cli._output import echo_row, emit_json, info


@click.command()
@click.argument("query", required=False, default="")
@click.option(
    "--runtime", type=click.Choice(["hooks", "wasm", "mcp"]), help="Only this runtime kind."
)
@click.option("--catalog", metavar="NAME", help="Only this catalog.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as one JSON object.")
def search(query: str, runtime: str | None, catalog: str | None, as_json: bool) -> None:
    """Search the cached, verified catalogs (no network; `plugin catalog refresh` updates them).

    QUERY matches id, name, display name, description and keywords, ignoring case; an empty
    query lists everything.

    \b
    Examples:
      plugin search weather
      plugin search --runtime wasm --json
    """
    from plugin_kit.installer.query import search as do_search

    hits = do_search(query, runtime=runtime, catalog=catalog)
    if as_json:
        emit_json({"ok": True, "query": query, "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        info("no matches")
        return
    for h in hits:
        echo_row(f"{h.catalog}/{h.name}", h.version, h.runtime, h.display_name or h.description)
