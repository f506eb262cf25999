"""`create-plugin`: scaffold a plugin project from a template, or update one (--update)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from plugin_kit.cli._output import echo, echo_block, emit_json, info, prompt, run
from plugin_kit.errors import EXIT_NEEDS_USER

_EPILOG = """\b
Examples:
  create-plugin weather-tools                      # asks on a terminal, wasm by default
  create-plugin weather-tools --runtime hooks --no-input
  create-plugin shout --host yoi --runtime instance --no-input   # a Yoi component plugin
  create-plugin --runtime mcp --name "Word tools" --license Apache-2.0 --no-input --json
  create-plugin my-plugin --set description="Forecasts and alerts" --no-git --no-input
  create-plugin my-plugin --template gh:acme/insomnia-plugin-template --no-input
  create-plugin --update                           # apply a newer template to ./
  create-plugin --update --resolved README.md      # README.md is merged: stop reporting it
  create-plugin --update --dry-run                 # what would change; writes nothing
  create-plugin --update --delete                  # also delete the files listed "remove?"
"""


@click.command(
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option(
    "--host",
    type=click.Choice(["insomnia", "yoi"]),
    help="Host the plugin is for (built-in templates; default insomnia).",
)
@click.option(
    "--runtime",
    help="Plugin kind: hooks, wasm or mcp for insomnia (default wasm); tool or instance for "
    "yoi (default tool).",
)
@click.option("--id", "plugin_id", help="Plugin id (default: the folder name, or from --name).")
@click.option("--name", help="Display name (default: from the id).")
@click.option("--author", help='Author as "Name <email>" (default: from git config).')
@click.option("--license", "license_", help="SPDX license expression (default MIT).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Any template variable.")
@click.option("--template", help="A cookiecutter template: folder, git URL or zip.")
@click.option("--no-input", is_flag=True, help="Ask nothing: take flags, then defaults.")
@click.option("--git/--no-git", default=True, help="git init and a first commit (default on).")
@click.option("--update", is_flag=True, help="Re-render DEST (default .) with a newer template.")
@click.option(
    "--resolved",
    multiple=True,
    metavar="PATH",
    help="With --update: PATH (relative to DEST) is merged by hand; keep it, stop reporting it.",
)
@click.option(
    "--delete",
    is_flag=True,
    help="With --update: delete the files the template no longer makes (without it they are "
    "listed and kept).",
)
@click.option(
    "--dry-run", is_flag=True, help="With --update: show what would change; write nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.version_option(package_name="insomnia-plugin-kit", prog_name="create-plugin")
def create(
    dest: Path | None,
    host: str | None,
    runtime: str | None,
    plugin_id: str | None,
    name: str | None,
    author: str | None,
    license_: str | None,
    sets: tuple[str, ...],
    template: str | None,
    no_input: bool,
    git: bool,
    update: bool,
    resolved: tuple[str, ...],
    delete: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Create a plugin project that validates, packs, passes its tests and is ready to release.

    Prompts only on a terminal; checks every answer before writing anything; refuses a
    non-empty or symlinked DEST (default ./<id>).

    --update renders the template recorded in DEST/.create-plugin.json only if it is
    built-in: rendering a template runs its code, so name any other one with --template.
    """
    from plugin_kit.cli._notes import show_library_notes
    from plugin_kit.errors import UsageError
    from plugin_kit.hosts import get_host
    from plugin_kit.scaffold.answers import parse_set
    from plugin_kit.scaffold.templates import builtin_spec, default_runtime

    show_library_notes()
    if update:
        _refuse_with_update(click.get_current_context())
        _update(dest, template, resolved, delete, dry_run, as_json)
        return
    for flag, given in (("--resolved", resolved), ("--delete", delete), ("--dry-run", dry_run)):
        if given:
            raise UsageError(
                f"{flag} works only with --update",
                rule="create.resolved" if flag == "--resolved" else "create.update-only",
                place=flag,
                hint=f"create-plugin --update {flag}{' PATH' if flag == '--resolved' else ''} [DEST]",
            )
    answers = parse_set(sets)
    flags = {"id": plugin_id, "name": name, "author": author, "license": license_}
    answers.update({k: v for k, v in flags.items() if v is not None})
    interactive = not no_input and not as_json and sys.stdin.isatty()
    if template is None:
        target = get_host(host or "insomnia")
        if runtime is None and interactive:
            runtime = _ask_runtime(target)
        template = builtin_spec(runtime or default_runtime(target), target)
    elif host is not None:
        raise UsageError(
            "--host picks a built-in template; --template brings its own",
            rule="create.host",
            place="--host",
            hint="drop --host, or drop --template",
        )
    elif runtime is not None:
        answers["runtime"] = runtime
    _create(template, answers, dest, git, interactive, as_json)


def _ask_runtime(target) -> str:  # type: ignore[no-untyped-def]
    """The plugin kind, each one said in a line first; the answer is checked at the prompt."""
    from plugin_kit.scaffold.templates import default_runtime, runtime_summaries

    kinds = runtime_summaries(target)
    info(f"Plugin kinds for the {target.title} host:")
    for kind, line in kinds.items():
        info(f"  {kind:9} {line}")

    def check(value: str) -> str | None:
        return None if value in kinds else f"choose one of: {', '.join(kinds)}"

    return prompt("runtime", default_runtime(target), check)


def _create(
    template: str, answers: dict[str, str], dest: Path | None, git: bool, ask: bool, as_json: bool
) -> None:
    from plugin_kit.scaffold.create import CreateRequest, create_project
    from plugin_kit.scaffold.templates import BUILTIN_PREFIX

    if not as_json and not template.startswith(BUILTIN_PREFIX):
        info(f"create-plugin: fetching and rendering {template}")  # runs the template's code
    result = create_project(CreateRequest(template, answers, dest, git), prompt if ask else None)
    _warn_placeholder(Path(result.path))
    if as_json:
        emit_json(result.to_dict())
        return
    for w in result.warnings:
        info(f"warning[{w['rule']}]: {w['field'] or w['file']}: {w['message']}")
        if w["hint"]:
            info(f"  hint: {w['hint']}")
    echo(f"Created {result.runtime} plugin in {result.path} ({len(result.files)} files)")
    echo("Next steps:")
    for step in result.next_steps:
        echo(f"  {step}")


def _warn_placeholder(project: Path) -> None:
    from plugin_kit.scaffold.pins import placeholder_uses

    for w in placeholder_uses(project)[:1]:  # one line: every workflow has the same reference
        info(f"warning[{w.rule}]: {w.file}: {w.message}")
        info(f"  hint: {w.hint}")


# --update re-renders from the recorded answers; these flags would be silently ignored.
_NOT_WITH_UPDATE = (
    "host",
    "runtime",
    "plugin_id",
    "name",
    "author",
    "license_",
    "sets",
    "no_input",
    "git",
)


def _refuse_with_update(ctx: click.Context) -> None:
    from click.core import ParameterSource

    from plugin_kit.errors import UsageError

    for param in ctx.command.params:
        if param.name in _NOT_WITH_UPDATE and param.name is not None:
            if ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
                flag = "/".join(param.opts + param.secondary_opts)
                raise UsageError(
                    f"{flag} cannot be used with --update",
                    rule="update.flag",
                    place=flag,
                    hint="--update keeps the recorded answers; only --template, --resolved, "
                    "--delete, --dry-run and --json apply",
                )


def _update(
    dest: Path | None,
    template: str | None,
    resolved: tuple[str, ...],
    delete: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    from plugin_kit.scaffold.update import update_project

    result = update_project(
        dest or Path("."), template=template, resolved=resolved, delete=delete, dry_run=dry_run
    )
    if as_json:
        emit_json(result.to_dict())
    else:
        verb = "Would update" if dry_run else "Updated"
        echo(f"{verb} {result.path}: template {result.old_version} -> {result.new_version}")
        for label, paths in (("updated", result.updated), ("added", result.added),
                             ("removed", result.removed), ("remove?", result.to_remove),
                             ("resolved", result.resolved)):  # fmt: skip
            for path in paths:
                echo(f"  {label:8} {path}")
        if result.to_remove:
            info(
                f"  the template no longer makes {len(result.to_remove)} file(s) marked remove?; "
                "they are kept: review them, then run create-plugin --update --delete"
            )
        for conflict in result.conflicts:
            echo(f"  conflict {conflict.path}: {conflict.reason}; your file is unchanged")
            echo_block(conflict.diff)
            echo(f"  once merged, run: {_resolve_command(conflict.path, dest)}")
    if result.conflicts:
        click.get_current_context().exit(EXIT_NEEDS_USER)


def _resolve_command(path: str, dest: Path | None) -> str:
    """The command, as the author can paste it, that marks `path` resolved."""
    import shlex

    words = ["create-plugin", "--update", "--resolved", path]
    return shlex.join(words if dest is None else [*words, str(dest)])


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(create, argv, prog_name="create-plugin"))
