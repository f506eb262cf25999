"""`plugin validate`: report every problem of a plugin at once."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._limits import LIMIT_HELP, limit_overrides
from plugin_kit.cli._options import host_option
from plugin_kit.cli._output import echo, emit_report


def _lines(p) -> list[str]:  # type: ignore[no-untyped-def]
    where = p.location + (f" {p.field}" if p.field else "")  # plugin.toml:12:5 plugin.version
    hint = [f"      hint: {p.hint}"] if p.hint else []
    return [f"  {p.severity}[{p.rule}] {where} ({p.phase}): {p.message}", *hint]


def _annotate(report, notes: list, path: Path) -> None:  # type: ignore[no-untyped-def]
    """In GitHub Actions: one annotation per problem and warning, at its manifest line."""
    from plugin_kit.cli import _actions

    found = [*report.problems, *report.warnings, *notes]
    if _actions.enabled() and found:
        root = path.parent if path.is_file() else path
        _actions.report_problems(found, "plugin validate", root)


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True, path_type=Path))
@host_option
@click.option("--limit", "limit_texts", multiple=True, metavar="NAME=N", help=LIMIT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_context
def validate(
    ctx: click.Context, path: Path, host: str | None, limit_texts: tuple[str, ...], as_json: bool
) -> None:
    """Check plugin.toml and the files it points at; report every problem.

    The host is read from plugin.toml (top-level `schema_version` is Yoi, `manifest_version`
    is Insomnia) unless --host names it. A package over the host's limits is invalid; --limit
    raises a limit (a warning then says the host refuses the package).

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error.

    \b
    Examples:
      plugin validate
      plugin validate path/to/plugin --json
      plugin validate --host yoi
    """
    from plugin_kit.content.project import validate_project

    if path.is_file() and path.name != "plugin.toml":
        raise click.BadParameter(
            f"{path} is not a plugin folder or its plugin.toml", param_hint="PATH"
        )
    from plugin_kit.scaffold.pins import placeholder_uses

    report = validate_project(path, host=host, limit_overrides=limit_overrides(limit_texts))
    # About the workflows, not the plugin: said on stderr, kept out of the report.
    notes = placeholder_uses(path.parent if path.is_file() else path)
    for note in notes:
        for line in _lines(note):
            echo(line, err=True)
    _annotate(report, notes, path)
    if as_json:
        from plugin_kit.validators.problems import problems_error

        failed = None if report.ok else problems_error(report.problems, str(path))
        emit_report(report.to_dict(), failed)
    else:
        for p in [*report.problems, *report.warnings]:
            for line in _lines(p):
                echo(line, err=True)
        if report.ok:
            m = report.manifest
            host_name = report.host.name if report.host else "?"
            echo(f"ok: {m.id} {m.version} ({host_name}, {m.runtime}), {report.files} files")  # type: ignore[union-attr]
        else:
            echo(f"invalid: {len(report.problems)} problem(s)", err=True)
    ctx.exit(0 if report.ok else 1)
