"""GitHub Actions rendering of failures: `::error file=,line=,title=::` annotations (on stderr,
so a `--json` stdout stays one document; the runner reads workflow commands from both
streams: actions/runner ScriptHandler.cs hands stdout and stderr to OutputManager.OnDataReceived)
and a failure section in $GITHUB_STEP_SUMMARY. Used only when GITHUB_ACTIONS=true."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import click

from plugin_kit.errors import PluginKitError
from plugin_kit.validators.problems import Problem

__all__ = ["annotation", "enabled", "report_failure", "report_problems"]

_MANIFESTS = ("plugin.toml", "plugin-kit.toml")
# jsonschema's additionalProperties message: point at the first unexpected key, not its table.
_UNEXPECTED = re.compile(r"(?:unknown keys? |\()'([^']+)'")


def enabled(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def _esc(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _locate(file: str, field: str = "") -> tuple[str, int | None]:
    """The file relative to the workspace (as annotations need) and the field's line in it."""
    from plugin_kit.validators.toml_lines import key_line

    path = Path(file).resolve() if file else None
    if path is None or not path.is_file():
        return "", None  # a place that is no file (a tag, a URL) stays in the message
    line = None
    if path.name in _MANIFESTS:  # a problem of the whole manifest points at its first line
        line = key_line(path.read_text(encoding="utf-8", errors="replace"), field) or 1
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    rel = path.relative_to(workspace).as_posix() if path.is_relative_to(workspace) else str(path)
    return rel, line


def annotation(
    level: str,
    title: str,
    message: str,
    file: str = "",
    field: str = "",
    hint: str = "",
    at: tuple[int | None, int | None] = (None, None),
) -> str:
    """One workflow command: `::error file=plugin.toml,line=7,col=1,title=...::message`.
    `at` is the (line, column) the validator found; else the field's line is looked up."""
    unexpected = _UNEXPECTED.search(message)
    if unexpected:
        field = f"{field}.{unexpected.group(1)}" if field else unexpected.group(1)
    rel, line = _locate(file, field)
    if at[0] and not unexpected:  # an unexpected key's own line beats its table's
        line, column = at
    else:
        column = None
    props = [f"file={_esc(rel, True)}"] if rel else []
    props += [f"line={line}"] if line else []
    props += [f"col={column}"] if line and column else []
    props.append(f"title={_esc(title, True)}")
    body = message + (f"\nhint: {hint}" if hint else "")
    return f"::{level} {','.join(props)}::{_esc(body)}"


def _split_place(place: str | None) -> tuple[str, str]:
    """`plugin.toml:runtime.module` -> (file, field) when the file exists; else (place, "")."""
    if place and ":" in place:
        file, _, field = place.rpartition(":")
        if Path(file).is_file():
            return file, field
    return place or "", ""


def _summary(command: str, rows: Iterable[tuple[str, str, str]]) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    lines = [f"### `{command}` failed", "", "| Rule | Where | Problem |", "|---|---|---|"]
    lines += [f"| `{r}` | `{w}` | {m.replace('|', '&#124;')} |" for r, w, m in rows]
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n\n")
    except OSError:
        pass  # the summary is a courtesy; the annotations and the exit status already tell


def report_failure(err: PluginKitError, command: str) -> None:
    """Annotate a failed command: one per problem when it carries them, else one for the error."""
    problems = [p for p in getattr(err, "problems", []) if isinstance(p, Problem)]
    if problems:
        report_problems(problems, command)
        return
    file, field = _split_place(err.place)
    message = err.message + (f" ({err.place})" if err.place else "")
    title = f"{command}: {err.rule}"
    click.echo(annotation("error", title, message, file, field, err.hint or ""), err=True)
    _summary(command, [(err.rule, err.place or "", err.message)])


def report_problems(problems: Iterable[Problem], command: str, root: Path | None = None) -> None:
    """Annotations for validator Problems (file, field) at their manifest line, and a summary."""
    rows = []
    for p in problems:
        file = str((root or Path()) / p.file) if p.file else ""
        level = "warning" if p.severity == "warning" else "error"
        title = f"{command}: {p.rule}"
        at = (p.line, p.column)
        click.echo(annotation(level, title, p.message, file, p.field, p.hint, at), err=True)
        if level == "error":
            rows.append((p.rule, f"{p.file} {p.field}".strip(), p.message))
    if rows:
        _summary(command, rows)
