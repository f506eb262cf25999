"""`plugin --help` and `plugin --version` load no heavy dependency (they must start fast)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = [
    "github",
    "cookiecutter",
    "jsonschema",
    "watchfiles",
    "wasmtime",
    "mcp",
    "rich",
    "zstandard",
    "minisign",
]
PROBE = """
import sys
from plugin_kit.cli.main import main
try:
    main({args!r})
except SystemExit:
    pass
print("MODULES", " ".join(sorted({{m.split('.')[0] for m in sys.modules}})))
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["pack", "--help"], ["catalog", "--help"]]
)
def test_start_up_imports_nothing_heavy(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    )
    loaded = set(proc.stdout.rsplit("MODULES", 1)[1].split())
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_lists_the_format_commands_with_examples() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plugin_kit", "--help"], capture_output=True, text=True
    ).stdout
    for name in ("validate", "pack", "inspect", "digest"):
        assert name in out
    for name in ("validate", "pack", "inspect", "digest"):
        sub = subprocess.run(
            [sys.executable, "-m", "plugin_kit", name, "--help"], capture_output=True, text=True
        )
        assert sub.returncode == 0 and "Examples:" in sub.stdout


def test_every_listed_command_loads_under_its_name() -> None:
    import click

    from plugin_kit.cli.catalog import _SUBCOMMANDS, catalog
    from plugin_kit.cli.main import _COMMANDS, cli

    for group, table in ((cli, _COMMANDS), (catalog, _SUBCOMMANDS)):
        ctx = click.Context(group)
        for name in table:
            cmd = group.get_command(ctx, name)
            assert isinstance(cmd, click.Command) and cmd.name == name, name
            text = (cmd.help or "") + (cmd.epilog or "")
            assert "Examples" in text or isinstance(cmd, click.Group), name
