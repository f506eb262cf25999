"""Rendering shared by all commands: JSON, plain lines, and errors mapped to exit codes.

Every human-readable line goes through `echo` (or `info`, `echo_row`, `echo_block`,
`progress`, `confirm`, `prompt`), which show control characters in the text as escapes
(textsafe.visible): catalogs, manifests, store file names and locks are text others control. JSON output is
left exact; its escapes are already inert.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from plugin_kit.errors import EXIT_USAGE, PluginKitError
from plugin_kit.textsafe import visible


def emit_json(obj: Any) -> None:
    """Print one JSON document on stdout (machines read this; nothing else goes to stdout)."""
    click.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


def emit_json_line(obj: Any) -> None:
    click.echo(json.dumps(obj, sort_keys=True, default=str))


def echo(line: str = "", *, err: bool = False, nl: bool = True) -> None:
    """One human-readable line; control characters in it are shown, never interpreted."""
    click.echo(visible(line), err=err, nl=nl)


def info(message: str) -> None:
    """Progress and human notes go to stderr so stdout stays clean for pipes."""
    echo(message, err=True)


def echo_row(*fields: object, err: bool = False) -> None:
    """Tab-separated fields (for `cut` and friends); a tab inside a field is escaped."""
    click.echo("\t".join(visible(str(f)) for f in fields), err=err)


def echo_block(text: str, *, err: bool = False) -> None:
    """Several lines (a diff): each line made visible, the line breaks kept."""
    for line in text.removesuffix("\n").split("\n"):
        echo(line, err=err)


def progress(line: str, *, done: bool = False) -> None:
    """A progress line redrawn in place on stderr ("\r" is ours, the text is made visible)."""
    click.echo("\r" + visible(line), err=True, nl=done)


def confirm(question: str) -> bool:
    """Ask yes/no on the terminal (stderr); the question may quote text others control."""
    return click.confirm(visible(question), default=False, err=True)


def prompt(question: str, default: str, check: Callable[[str], str | None] | None = None) -> str:
    """Prompt for a value (a template's variable): the question and the default it shows may be
    text others control; the default returned on Enter is the real one. `check(value)` says
    why a value is refused: the reason is shown and the question asked again."""
    shown = visible(question) + (f" [{visible(default)}]" if default else "")

    def proc(value: str) -> str:
        why = check(value) if check is not None else None
        if why is not None:
            raise click.UsageError(visible(why))  # click shows "Error: ..." and asks again
        return value

    # An empty default asks again on Enter (click's default=None); "" would be accepted.
    return str(
        click.prompt(shown, default=default or None, show_default=False, value_proc=proc, err=True)
    )


def render_error(err: PluginKitError, *, as_json: bool) -> None:
    if as_json:
        emit_json({"ok": False, "error": err.to_dict()})
        return
    label = click.style("error", fg="red", bold=True)
    first, *more = err.message.split("\n")  # a build's output: each of its lines on a line
    click.echo(label + visible(f"[{err.rule}]: {first}"), err=True)
    for line in more:
        echo(f"  | {line}", err=True)
    if err.place:
        echo(f"  at:   {err.place}", err=True)
    if err.hint:
        echo(f"  hint: {err.hint}", err=True)


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
        echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        shown = io.StringIO()  # click quotes arguments (a file name from a checkout) in these
        exc.show(file=shown)
        echo_block(shown.getvalue(), err=True)
        return exc.exit_code if exc.exit_code else EXIT_USAGE
    except OSError as exc:
        # Library layers translate what they expect; this is the net for the rest (a full disk, EIO).
        where = exc.filename if isinstance(exc.filename, str) else None
        render_error(
            PluginKitError(exc.strerror or str(exc), rule="io", place=where), as_json=as_json
        )
        return 1
    except KeyboardInterrupt:
        echo("Interrupted.", err=True)
        return 130
    return code if isinstance(code, int) else 0
