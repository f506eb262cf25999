"""A click group whose commands are imported only when used, so start-up stays fast."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives ("module:attribute"), its help section and a one-line summary.

    The summary lets `--help` list every command without importing any of them."""

    target: str
    section: str
    summary: str


class LazyGroup(click.Group):
    """Imports a command's module on first use; `--help` renders from the summaries."""

    def __init__(
        self, *args: object, lazy: dict[str, LazyCommand] | None = None, **kw: object
    ) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self._lazy:
            module, _, attr = self._lazy[name].target.partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

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
