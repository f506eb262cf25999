"""A click group whose commands are imported only when used, so start-up stays fast."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import NamedTuple

import click


class LazyCommand(NamedTuple):  # not a dataclass: `--help` need not import dataclasses
    """Where a command lives ("module:attribute"), its help section and a one-line summary.

    The summary lets `--help` list every command without importing any of them."""

    target: str
    section: str
    summary: str


class LazyGroup(click.Group):
    """Imports a command's module on first use; `--help` renders from the summaries.

    `leaf_options` makes options every command takes (each call gives a new click.Option),
    added to each command, and each command of a sub-group, as it is loaded."""

    def __init__(
        self,
        *args: object,
        lazy: dict[str, LazyCommand] | None = None,
        leaf_options: tuple[Callable[[], click.Option], ...] = (),
        **kw: object,
    ) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._lazy = dict(lazy or {})
        self._leaf_options = leaf_options

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self._lazy:
            module, _, attr = self._lazy[name].target.partition(":")
            return self._add_leaf_options(getattr(importlib.import_module(module), attr))
        return super().get_command(ctx, name)

    def _add_leaf_options(self, cmd: click.Command) -> click.Command:
        if isinstance(cmd, click.Group):
            if isinstance(cmd, LazyGroup):  # its lazy commands get them as they load
                cmd._leaf_options = self._leaf_options
            for sub in cmd.commands.values():
                self._add_leaf_options(sub)
            return cmd
        for make in self._leaf_options:
            option = make()
            if option.name not in {p.name for p in cmd.params}:  # once, however often loaded
                cmd.params.append(option)
        return cmd

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """An unknown command names the closest known ones, as git and cargo do."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as err:
            import difflib

            name = args[0] if args else ""
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            if not close or name.startswith("-"):
                raise
            raise click.UsageError(
                f"No such command {name!r}. Did you mean {close[0]!r}?", ctx
            ) from err

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for name, cmd in self._lazy.items():
            sections.setdefault(cmd.section, []).append((name, cmd.summary))
        for section, rows in sections.items():
            with formatter.section(section):
                formatter.write_dl(rows)
