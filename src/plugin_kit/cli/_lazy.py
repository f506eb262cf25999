"""A click group whose commands are imported only when used, so start-up stays fast."""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """Maps command names to "module:attribute" and imports the module on first use."""

    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self._lazy:
            module, _, attr = self._lazy[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)
