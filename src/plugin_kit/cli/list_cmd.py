"""`plugin list`: installed plugins in both stores, with a status each. Runs nothing."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json
from plugin_kit.cli.install import workspace_option
from plugin_kit.hosts import INSOMNIA, get_host


@click.command("list")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the packages as one JSON object.")
def list_cmd(workspace: Path | None, as_json: bool) -> None:
    """List the user stores and the workspace stores of both hosts. Insomnia packages are
    enabled, disabled, needs-grant, inconsistent or rejected; Yoi packages carry Yoi's own
    words, computed the way `yoi plugin list` does (active, disabled, missing, rejected,
    partial), with the host's reasons. Only stores, locks, manifests and the Yoi Profile are
    read; no plugin code runs.

    \b
    Examples:
      plugin list
      plugin list --workspace ~/src/project --json
    """
    from plugin_kit.installer.api import discover

    ws = workspace or Path.cwd()
    packages = discover(ws)
    notes = []
    if any(p.host != INSOMNIA.name for p in packages):  # Yoi's notes are about Yoi packages
        from plugin_kit.installer.yoi_discover import discover_yoi

        _, yoi = discover_yoi(ws)
        notes = yoi.to_dict()["notes"] if yoi else []
    if as_json:
        emit_json({"ok": True, "packages": [p.to_dict() for p in packages], "yoi_notes": notes})
        return
    if not packages:
        echo("no plugins installed")
        return
    echo(f"{'REF':32} {'VERSION':12} STATUS")
    for p in packages:
        running = (
            f" (running {p.running_version})"
            if p.running_version and p.running_version != p.version
            else ""
        )
        host = "" if p.host == INSOMNIA.name else f" ({get_host(p.host).title})"
        echo(f"{p.ref:32} {p.version or '?':12} {p.status}{running}{host}")
        for d in p.diagnostics:
            echo(f"    {d.phase}[{d.rule}]: {d.message}" + (f" -- {d.hint}" if d.hint else ""))
    for note in notes:
        echo(f"Yoi: {note}")
