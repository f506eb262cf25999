"""Rendering shared by all commands: JSON, plain lines, and errors mapped to exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from plugin_kit.errors import EXIT_USAGE, PluginKitError


def emit_json(obj: Any) -> None:
    """Print one JSON document on stdout (machines read this; nothing else goes to stdout)."""
    click.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


def emit_json_line(obj: Any) -> None:
    click.echo(json.dumps(obj, sort_keys=True, default=str))


def info(message: str) -> None:
    """Progress and human notes go to stderr so stdout stays clean for pipes."""
    click.echo(message, err=True)


def render_error(err: PluginKitError, *, as_json: bool) -> None:
    if as_json:
        emit_json({"ok": False, "error": err.to_dict()})
        return
    click.echo(click.style("error", fg="red", bold=True) + f"[{err.rule}]: {err.message}", err=True)
    if err.place:
        click.echo(f"  at:   {err.place}", err=True)
    if err.hint:
        click.echo(f"  hint: {err.hint}", err=True)


def _annotate(err: PluginKitError, prog: str, args: list[str]) -> None:
    """In GitHub Actions a failure is also an annotation and a step summary section."""
    from plugin_kit.cli import _actions

    if _actions.enabled():
        sub = args[0] if args and not args[0].startswith("-") else ""
        _actions.report_failure(err, f"{prog} {sub}".strip())


def run(group: click.Group, argv: list[str] | None = None, prog_name: str | None = None) -> int:
    """Invoke a click command, mapping library errors to their exit codes in one place."""
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    try:
        # With standalone_mode=False click returns ctx.exit()'s code instead of raising it.
        code = group.main(args=args, prog_name=prog_name, standalone_mode=False)
    except PluginKitError as err:
        render_error(err, as_json=as_json)
        _annotate(err, prog_name or group.name or "plugin", args)
        return err.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code else EXIT_USAGE
    except OSError as exc:
        # Library layers translate what they expect; this is the net for the rest (a full disk, EIO).
        where = exc.filename if isinstance(exc.filename, str) else None
        render_error(
            PluginKitError(exc.strerror or str(exc), rule="io", place=where), as_json=as_json
        )
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    return code if isinstance(code, int) else 0
