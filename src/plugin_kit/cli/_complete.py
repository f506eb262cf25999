"""Shell completion of arguments: installed refs and registered catalog names.

Completion runs on every Tab, so it reads only the small local files (plugins.lock,
catalogs.toml) and never fails: a broken file completes nothing."""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem


def complete_refs(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Installed plugins of the user store and the current folder's store: ID, user:ID, project:ID."""
    from plugin_kit.errors import PluginKitError
    from plugin_kit.installer.api import stores_for
    from plugin_kit.installer.lockfile import read_lock

    names: set[str] = set()
    for store in stores_for(Path.cwd()):
        try:
            ids = list(read_lock(store))
        except (OSError, PluginKitError):
            continue
        names.update(ids)
        names.update(store.ref(i) for i in ids)
    return [CompletionItem(n) for n in sorted(names) if n.startswith(incomplete)]


def complete_catalogs(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    from plugin_kit.errors import PluginKitError
    from plugin_kit.installer.catalogs import registry

    try:
        names = sorted(registry())
    except (OSError, PluginKitError):
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def complete_names(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """For `install` and `show`: catalog names (CATALOG/...) and the plugin names they list."""
    from plugin_kit.errors import PluginKitError
    from plugin_kit.installer.catalogs import registry, search_index

    try:
        sources = registry()
        names = {str(e.get("name") or e.get("id")) for e in search_index(list(sources.values()))}
    except (OSError, PluginKitError):
        return []
    names |= {f"{c}/" for c in sources}
    return [CompletionItem(n) for n in sorted(names) if n.startswith(incomplete)]


def _and_files(incomplete: str, items: list[CompletionItem]) -> list[CompletionItem]:
    """The shell's own file completion too: `install` and `verify` also take a FILE. First,
    as click's bash script clears the list at a `file` item, then adds the words after it."""
    return [CompletionItem(incomplete, type="file"), *items]


def complete_refs_or_files(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    return _and_files(incomplete, complete_refs(ctx, param, incomplete))


def complete_names_or_files(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    return _and_files(incomplete, complete_names(ctx, param, incomplete))
