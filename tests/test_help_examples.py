"""Every `Examples:` line of every command's --help names options and arguments that exist.

Each example is split as a shell would, then parsed by the command's own click parser: an
unknown option, a missing option value or a stray argument fails here, not on a new user's
terminal. The offline examples that need a project are run in one in tests/dev and
tests/publish (test_first_day.py).
"""

from __future__ import annotations

import re
import shlex

import click
import pytest

from plugin_kit.cli.create import create
from plugin_kit.cli.main import cli

_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def _commands(group: click.Command, path: tuple[str, ...]):
    yield path, group
    if isinstance(group, click.Group):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            yield from _commands(group.get_command(ctx, name), (*path, name))


def _examples(cmd: click.Command) -> list[str]:
    text = (cmd.help or "") + "\n" + (cmd.epilog or "")
    if "Examples:" not in text:
        return []
    block = text.split("Examples:", 1)[1].replace("\\\n", " ")
    lines = []
    for raw in block.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not re.match(r"^([A-Z_][A-Z0-9_]*=\S*\s+)*(plugin|create-plugin)\s", line):
            break  # the paragraph after the examples
        lines.append(line)
    return lines


ALL = [
    (" ".join(path), root, line)
    for root, name in ((cli, "plugin"), (create, "create-plugin"))
    for path, cmd in _commands(root, (name,))
    for line in _examples(cmd)
]


def _parse(cmd: click.Command, args: list[str], line: str) -> None:
    """Parse `args` as click would, descending into a group's subcommand."""
    ctx = click.Context(cmd, info_name=cmd.name)
    try:
        _opts, rest, _order = cmd.make_parser(ctx).parse_args(args=list(args))
    except click.UsageError as exc:
        pytest.fail(f"{line!r}: {exc.format_message()}")
    if isinstance(cmd, click.Group):
        assert rest, f"{line!r}: no subcommand"
        sub = cmd.get_command(ctx, rest[0])
        assert sub is not None, f"{line!r}: no command {rest[0]!r}"
        _parse(sub, rest[1:], line)
        return
    assert not rest, f"{line!r}: unexpected extra argument(s) {rest}"


def test_every_command_with_options_has_examples() -> None:
    named = {path for path, _cmd, _line in ALL}
    assert len(ALL) > 40 and "plugin dev" in named and "create-plugin" in named


@pytest.mark.parametrize(("path", "root", "line"), ALL, ids=[f"{p}: {ln}" for p, _c, ln in ALL])
def test_example_parses(path: str, root: click.Command, line: str) -> None:
    words = [w for w in shlex.split(line, comments=True) if not _ENV.match(w)]
    assert " ".join(words).startswith(path), f"an example of {path} runs another command"
    _parse(root, words[1:], line)
