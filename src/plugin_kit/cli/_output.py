"""Rendering shared by all commands: JSON, plain lines, and errors mapped to exit codes.

Every human-readable line goes through `echo` (or `info`, `echo_row`, `echo_block`,
`progress`, `confirm`, `prompt`), which show control characters in the text as escapes
(textsafe.visible): catalogs, manifests, store file names and locks are text others control. JSON output is
left exact; its escapes are already inert.
"""

from __future__ import annotations

import ast
import io
import os
import re
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from plugin_kit.errors import EXIT_USAGE, InterruptedByUser, PluginKitError, UsageError
from plugin_kit.textsafe import visible


def emit_json(obj: Any) -> None:
    """Print one JSON document on stdout (machines read this; nothing else goes to stdout).

    Every command's object has an `ok` key (false with an `error` on failure), so one check
    reads them all; a result that does not say otherwise succeeded."""
    import json  # here: `--help` and `--version` write no JSON

    if isinstance(obj, dict) and "ok" not in obj:
        obj = {"ok": True, **obj}
    click.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


def emit_report(report: dict[str, Any], failed: PluginKitError | None) -> None:
    """Under --json, a command whose report is its result (validate, verify --all, catalog
    refresh): when it failed, `ok` is false and the `error` object every failure has is added,
    and the command ends with that error's exit code."""
    if failed is None:
        emit_json(report)
        return
    emit_json({**report, "ok": False, "error": failed.to_dict()})
    raise click.exceptions.Exit(failed.exit_code)


def emit_json_line(obj: Any) -> None:
    import json

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
    click.echo("\r" + visible(line) + "\x1b[K", err=True, nl=done)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def meter(label: str) -> Callable[[int, int | None], None] | None:
    """The one progress look (pack, download, upload): `label  42%  3.1 of 7.4 MiB  2.0 MiB/s
    ETA 0:02`, redrawn on stderr when the percentage changes, ended by one newline. Only on a
    terminal: a pipe or a log gets nothing (None), so callers skip the bookkeeping."""
    if not sys.stderr.isatty():
        return None
    start = time.monotonic()
    state = {"pct": -1, "ended": False, "done": 0}

    def show(done: int, total: int | None) -> None:
        nonlocal start
        if done < state["done"]:  # a new transfer (the next plugin, or a retry): start over
            start, state["pct"], state["ended"] = time.monotonic(), -1, False
        state["done"] = done
        if state["ended"]:
            return
        pct = min(100, 100 * done // total) if total else -1
        finished = total is not None and done >= total
        if pct == state["pct"] and not finished:
            return
        state["pct"] = pct
        elapsed = max(time.monotonic() - start, 1e-6)
        speed = done / elapsed
        size = (
            f"{done / 2**20:.1f} of {total / 2**20:.1f} MiB" if total else f"{done / 2**20:.1f} MiB"
        )
        line = f"  {label}  {pct:3d}%  {size}" if total else f"  {label}  {size}"
        line += f"  {speed / 2**20:.1f} MiB/s"
        if total and not finished and speed > 0:
            line += f"  ETA {_clock((total - done) / speed)}"
        elif finished:
            line += f"  in {_clock(elapsed)}"
        state["ended"] = finished
        progress(line, done=finished)

    return show


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
    label = "error" if os.environ.get("NO_COLOR") else click.style("error", fg="red", bold=True)
    first, *more = err.message.split("\n")  # a build's output: each of its lines on a line
    click.echo(label + visible(f"[{err.rule}]: {first}"), err=True)
    for line in more:
        echo(f"  | {line}", err=True)
    if err.place:
        echo(f"  at:   {err.place}", err=True)
    if err.hint:
        echo(f"  hint: {err.hint}", err=True)


_CLICK_RULES = (  # most specific first: these are subclasses of click.UsageError
    (click.exceptions.NoSuchOption, "usage.no-such-option"),
    (click.exceptions.MissingParameter, "usage.missing-argument"),
    (click.exceptions.BadParameter, "usage.bad-parameter"),
    (click.exceptions.UsageError, "usage.command-line"),
)


# click.Path(exists=True) says "File 'x' does not exist."; we say what every command says.
_MISSING = re.compile(r"(?:File|Path|Directory) ('.*'|\".*\") does not exist\.", re.DOTALL)


def _no_such_file(exc: click.ClickException) -> str | None:
    """Reword click's missing-path message in place as "no such file: X" (or folder); the
    name is shown made visible (a newline in it cannot forge a line). Returns the exact name."""
    found = _MISSING.fullmatch(exc.message) if isinstance(exc, click.BadParameter) else None
    if found is None:
        return None
    name = str(ast.literal_eval(found.group(1)))  # click quotes the name as a Python literal
    kind = "folder" if exc.message.startswith("Directory") else "file"
    exc.message = f"no such {kind}: {visible(name)}"
    return name


def click_error(exc: click.ClickException) -> UsageError:
    """A usage error click raised (missing argument, no such file, unknown command, bad
    option) as our own error shape, so `--json` callers read one object either way."""
    missing = _no_such_file(exc)
    if missing is not None:
        rule = "usage.no-such-file"
    else:
        rule = next((r for cls, r in _CLICK_RULES if isinstance(exc, cls)), "usage.command-line")
    ctx = getattr(exc, "ctx", None)
    hint = f"see `{ctx.command_path} --help`" if ctx is not None else None
    return UsageError(exc.format_message(), rule=rule, place=missing, hint=hint)


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
    except click.Abort as exc:  # click's main and prompts turn Ctrl-C and end of input into it
        if isinstance(exc.__cause__ or exc.__context__, EOFError):
            return _stopped("end of input at a question", "aborted", as_json=as_json)
        return _stopped("interrupted", "interrupted", as_json=as_json)
    except click.ClickException as exc:
        if as_json:  # the same object as our own errors: machines parse one shape
            render_error(click_error(exc), as_json=True)
            return EXIT_USAGE
        _no_such_file(exc)
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
    return code if isinstance(code, int) else 0


def _stopped(message: str, rule: str, *, as_json: bool) -> int:
    """Stopped by the user: under --json the same error object as every failure, exit 130."""
    err = InterruptedByUser(message, rule=rule, hint="run the command again to finish")
    render_error(err, as_json=as_json)
    return err.exit_code
