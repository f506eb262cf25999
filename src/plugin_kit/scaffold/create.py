"""`create-plugin`: render a template into a staging folder, check it, then move it into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import PluginKitError, UsageError
from plugin_kit.scaffold.answers import (
    ANSWERS_FILE,
    Record,
    answer_problems,
    check_id,
    check_keys,
    git_author,
    public_answers,
    record_bytes,
)
from plugin_kit.scaffold.checks import AnswerCheck, answer_checks
from plugin_kit.scaffold.git import git_available, initial_commit
from plugin_kit.scaffold.render import render, resolve_answers, tree_hashes
from plugin_kit.scaffold.templates import TemplateSource, open_template
from plugin_kit.validators.problems import Problem
from plugin_kit.validators.semantic import placeholder_author

__all__ = [
    "CreateRequest",
    "CreateResult",
    "create_project",
    "default_answers",
    "check_destination",
    "PROMPTED",
]


@dataclass
class CreateRequest:
    template: str  # "builtin:wasm", a folder, a git URL or a zip
    answers: dict[str, str] = field(default_factory=dict)
    dest: Path | None = None  # default: ./<id>
    git: bool = True
    template_version: str | None = None  # overrides what the template declares


@dataclass
class CreateResult:
    path: str
    runtime: str
    files: list[str]
    next_steps: list[str]
    template: str
    template_version: str
    git: bool
    warnings: list[dict[str, str]] = field(default_factory=list)  # Problem.to_dict() each

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_answers(
    template: TemplateSource, given: dict[str, str], dest: Path | None
) -> dict[str, str]:
    """Fill what defaults can answer: the id from the folder name, the name from the id, the
    author from git config. Only keys the template asks for."""
    out = dict(given)
    keys = template.public_keys
    # `create-plugin .` names the current folder: its name is the id (absolute() gives "." one).
    folder = dest.absolute().name if dest is not None else ""
    if "id" in keys and "id" not in out and folder and _valid_id(folder, template):
        out["id"] = folder
    if "name" in keys and "name" not in out and "id" in out:
        out["name"] = out["id"].replace("-", " ").title()
    if "author" in keys and "author" not in out:
        author = git_author()
        if author:
            out["author"] = author
    return out


def _valid_id(text: str, template: TemplateSource) -> bool:
    try:
        check_id(text, template.host)
    except UsageError:
        return False
    return True


def check_destination(dest: Path) -> None:
    if dest.is_symlink():
        raise UsageError(
            f"destination {dest} is a symbolic link",
            rule="create.dest-symlink",
            place=str(dest),
            hint="pass a real folder that does not exist yet or is empty",
        )
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(
            f"destination {dest} exists and is not an empty folder",
            rule="create.dest-not-empty",
            place=str(dest),
            hint="pass a new folder name, or empty this one first",
        )


# Asked in this order on a terminal; everything else takes the template's default.
PROMPTED = ("name", "id", "description", "author", "license")


Ask = Callable[[str, str, AnswerCheck | None], str]
"""ask(key, default, check): the answer to one question; `check(value)` says why a value is
refused (the caller asks again) or None."""


def create_project(request: CreateRequest, ask: Ask | None = None) -> CreateResult:
    """Generate the project; `ask` is called for each unanswered PROMPTED key."""
    if request.dest is not None:
        check_destination(request.dest)
    with open_template(request.template, version=request.template_version) as template:
        check_keys(request.answers, template.public_keys)
        given = dict(request.answers)
        if ask is not None:
            _ask_all(template, given, request.dest, ask)
        given = default_answers(template, given, request.dest)
        if "id" in given:
            check_id(given["id"], template.host)
        context = resolve_answers(template, given)
        answers = context["cookiecutter"]
        if "id" in answers:
            check_id(answers["id"], template.host)
        dest = (request.dest or Path.cwd() / str(answers.get("id", "plugin"))).absolute()
        check_destination(dest)
        stage = Path(
            tempfile.mkdtemp(prefix=".create-plugin-", dir=_existing_ancestor(dest.parent))
        )
        try:
            project = render(template, context, stage)
            runtime, warnings = _check_project(project)
            files = tree_hashes(project)
            record = Record(template.spec, template.version, public_answers(answers), files)
            (project / ANSWERS_FILE).write_bytes(record_bytes(record))
            use_git = request.git and git_available()
            if use_git:
                initial_commit(project, str(answers.get("author", "create-plugin")))
            _place(project, dest)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return CreateResult(
        path=str(dest),
        runtime=runtime,
        files=sorted([*files, ANSWERS_FILE]),
        next_steps=_next_steps(dest),
        template=template.spec,
        template_version=template.version,
        git=use_git,
        warnings=[w.to_dict() for w in warnings],
    )


def _ask_all(template: TemplateSource, given: dict[str, str], dest: Path | None, ask: Ask) -> None:
    """Ask each unanswered PROMPTED key, each answer checked at its prompt by the host's rules."""
    checks = answer_checks(template.host) if template.builtin else {}
    for key in PROMPTED:
        if key in template.public_keys and key not in given:
            default = str(_suggest(template, given, dest)[key])
            if key == "author" and placeholder_author(default):
                default = ""  # git knows no author: ask for a real one, offer no stand-in
            given[key] = ask(key, default, checks.get(key))


def _suggest(template: TemplateSource, given: dict[str, str], dest: Path | None) -> dict[str, Any]:
    return resolve_answers(template, default_answers(template, given, dest))["cookiecutter"]


def _check_project(project: Path) -> tuple[str, list[Problem]]:
    """Check the rendered project; an answer's fault is a usage error, anything else the template's.
    Returns the runtime kind and the warnings (a placeholder author)."""
    manifest, problems, warnings = _validate(project)
    if not problems and manifest is not None:
        return str(manifest.runtime), warnings
    err = answer_problems(problems)
    if err is not None:
        raise err
    first = problems[0]
    raise PluginKitError(
        f"the generated project does not validate: {first}",
        rule="create.template-invalid",
        place=first.file,
        hint="the template produced an invalid plugin; check it with `plugin validate`",
    )


def _validate(project: Path) -> tuple[Any, list[Problem], list[Problem]]:
    from plugin_kit.content.project import validate_project

    report = validate_project(project)
    return report.manifest, report.problems, report.warnings


def _existing_ancestor(path: Path) -> Path:
    while not path.is_dir():
        path = path.parent
    return path


def _place(project: Path, dest: Path) -> None:
    made = [p for p in reversed(dest.parents) if not p.exists()]  # outermost first
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        # rename(2) replaces an empty folder and fails on a non-empty one: no half-written dest.
        os.rename(project, dest)
    except OSError as exc:
        for folder in reversed(made):  # innermost first; a folder someone filled meanwhile stays
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise UsageError(
            f"cannot create {dest}: {exc.strerror}",
            rule="create.dest-not-empty",
            place=str(dest),
            hint="pass a new folder name",
        ) from exc


def _next_steps(dest: Path) -> list[str]:
    return [
        f"cd {dest}",
        "python -m pytest          # the plugin's own tests",
        "plugin dev --watch        # rebuild, reinstall and reload on every save",
        "plugin validate && plugin pack",
        "push to GitHub, then tag v<version> to release (see README.md)",
    ]
