"""`plugin validate`: report every problem of a plugin at once."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._limits import LIMIT_HELP, raised_limits
from plugin_kit.cli._output import emit_json


def _line(p) -> str:  # type: ignore[no-untyped-def]
    where = f"{p.file}" + (f" {p.field}" if p.field else "")
    hint = f"\n      hint: {p.hint}" if p.hint else ""
    return f"  {p.severity}[{p.rule}] {where} ({p.phase}): {p.message}{hint}"


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True, path_type=Path))
@click.option("--limit", "limit_texts", multiple=True, metavar="NAME=N", help=LIMIT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_context
def validate(ctx: click.Context, path: Path, limit_texts: tuple[str, ...], as_json: bool) -> None:
    """Check plugin.toml and the files it points at; report every problem.

    A package over the host's limits is invalid; --limit raises a limit (a warning then says the
    host refuses the package).

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error.

    \b
    Examples:
      plugin validate
      plugin validate path/to/plugin --json
    """
    from plugin_kit.content.project import validate_project

    if path.is_file() and path.name != "plugin.toml":
        raise click.BadParameter(
            f"{path} is not a plugin folder or its plugin.toml", param_hint="PATH"
        )
    report = validate_project(path, raised_limits(limit_texts))
    if as_json:
        emit_json(report.to_dict())
    else:
        for p in [*report.problems, *report.warnings]:
            click.echo(_line(p), err=True)
        if report.ok:
            m = report.manifest
            click.echo(f"ok: {m.id} {m.version} ({m.runtime}), {report.files} files")  # type: ignore[union-attr]
        else:
            click.echo(f"invalid: {len(report.problems)} problem(s)", err=True)
    ctx.exit(0 if report.ok else 1)
