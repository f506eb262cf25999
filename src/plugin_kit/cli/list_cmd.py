"""`plugin list`: installed plugins in both stores, with a status each. Runs nothing."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json
from plugin_kit.cli.install import workspace_option


@click.command("list")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the packages as one JSON object.")
def list_cmd(workspace: Path | None, as_json: bool) -> None:
    """List the user store and the workspace store: enabled, disabled, needs-grant,
    inconsistent or rejected. Only stores, locks and manifests are read; no plugin code runs.

    \b
    Examples:
      plugin list
      plugin list --workspace ~/src/project --json
    """
    from plugin_kit.installer.api import discover

    packages = discover(workspace or Path.cwd())
    if as_json:
        emit_json({"ok": True, "packages": [p.to_dict() for p in packages]})
        return
    if not packages:
        echo("no plugins installed")
        return
    for p in packages:
        running = (
            f" (running {p.running_version})"
            if p.running_version and p.running_version != p.version
            else ""
        )
        echo(f"{p.ref:32} {p.version or '?':12} {p.status}{running}")
        for d in p.diagnostics:
            echo(f"    {d.phase}[{d.rule}]: {d.message}" + (f" -- {d.hint}" if d.hint else ""))
