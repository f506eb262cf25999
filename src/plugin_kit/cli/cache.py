"""`plugin cache gc`: remove cache trees and archives no store or enable references."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json
from plugin_kit.cli.install import workspace_option


@click.group()
def cache() -> None:
    """Manage the digest-keyed cache ($XDG_CACHE_HOME/insomnia).

    \b
    Examples:
      plugin cache gc --dry-run
    """


@cache.command()
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def gc(dry_run: bool, workspace: Path | None, as_json: bool) -> None:
    """Remove unreferenced cache trees and archives, and leftovers of interrupted runs.

    \b
    Examples:
      plugin cache gc
      plugin cache gc --dry-run --json
    """
    from plugin_kit.installer.manage import gc as do_gc

    result = do_gc(workspace or Path.cwd(), dry_run=dry_run)
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
        return
    verb = "would remove" if dry_run else "removed"
    echo(
        f"{verb} {len(result.removed_trees)} trees, {len(result.removed_archives)} archives, "
        f"{len(result.removed_temp)} leftovers, {len(result.removed_locks)} lock files; "
        f"kept {result.kept}"
    )
