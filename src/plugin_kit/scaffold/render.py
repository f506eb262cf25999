"""Render a cookiecutter template with given answers into a folder, without prompting."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from plugin_kit.errors import PluginKitError, UsageError
from plugin_kit.hosts import get_host
from plugin_kit.links import docs_url
from plugin_kit.scaffold.pins import workflow_pins
from plugin_kit.scaffold.templates import TemplateSource

__all__ = ["resolve_answers", "render", "tree_hashes"]

# Private context key holding the given answers while cookiecutter renders the variables.
_LITERAL = "_plugin_kit_literal"


def _context(template: TemplateSource, answers: Mapping[str, str]) -> dict[str, Any]:
    from cookiecutter.generate import generate_context

    try:
        context = generate_context(
            context_file=str(template.path / "cookiecutter.json"),
            default_context={},
            extra_context=dict(answers),
        )
    except ValueError as exc:  # a value outside a choice variable's list
        raise UsageError(str(exc), rule="create.answer", place="--set") from exc
    context["cookiecutter"].update(
        workflow_pins(str(context["cookiecutter"].get("action_ref", "")))
    )
    context["cookiecutter"].update(
        _host_facts(str(context["cookiecutter"].get("_host", "insomnia")))
    )
    context["cookiecutter"]["_authoring_docs"] = docs_url("authoring.md")
    context["cookiecutter"]["_repo_dir"] = str(template.path)
    context["cookiecutter"]["_template"] = template.spec
    context["cookiecutter"] = _literal(context["cookiecutter"], answers)
    return context


def _host_facts(name: str) -> dict[str, str]:
    """Private variables for the shared partials: the template's host (`_host` in
    cookiecutter.json, Insomnia if absent), its archive suffix and its project store folder."""
    host = get_host(name)
    return {
        "_host": host.name,
        "_suffix": host.suffix,
        "_store_dir": host.project_store.split("/")[0],
    }


def _literal(variables: dict[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """cookiecutter renders every variable as Jinja, the given answers too (`{{ 7*7 }}` would
    become 49, and Jinja is not sandboxed: a recorded answer could run code): make each text
    in a given answer, nested in lists and tables too, a reference to its value, which
    renders as typed. Private keys are copied before the others are rendered, so the values
    go first."""
    values: list[Any] = []

    def ref(value: Any) -> Any:
        if isinstance(value, str):
            values.append(value)
            return f"{{{{ cookiecutter.{_LITERAL}[{len(values) - 1}] }}}}"
        if isinstance(value, dict):
            return {ref(k): ref(v) for k, v in value.items()}
        if isinstance(value, list):
            return [ref(v) for v in value]
        return value

    out: dict[str, Any] = {_LITERAL: values}
    for key, value in variables.items():
        out[key] = ref(value) if key in answers and not key.startswith("_") else value
    return OrderedDict(out)


def resolve_answers(template: TemplateSource, answers: Mapping[str, str]) -> dict[str, Any]:
    """The full cookiecutter context: given answers, then the template's (rendered) defaults."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.prompt import prompt_for_config
    from jinja2 import TemplateError

    context = _context(template, answers)
    try:
        context["cookiecutter"] = prompt_for_config(context, no_input=True)
        del context["cookiecutter"][_LITERAL]
    except (CookiecutterException, TemplateError) as exc:
        raise _template_error(template, exc) from exc
    return context


def render(template: TemplateSource, context: dict[str, Any], out_dir: Path) -> Path:
    """Generate the project under `out_dir` (running the template's hooks); return its folder."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_files
    from jinja2 import TemplateError

    try:
        with _private_tempdir():
            project = generate_files(
                repo_dir=str(template.path),
                context=context,
                output_dir=str(out_dir),
                accept_hooks=True,
            )
    except (CookiecutterException, TemplateError, OSError) as exc:
        raise _template_error(template, exc) from exc
    return Path(project)


@contextlib.contextmanager
def _private_tempdir() -> Iterator[None]:
    """cookiecutter renders each hook to a NamedTemporaryFile(delete=False) it never removes;
    point tempfile at a folder of our own for the call and remove it after."""
    saved = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="create-plugin-") as private:
        tempfile.tempdir = private
        try:
            yield
        finally:
            tempfile.tempdir = saved


def tree_hashes(root: Path, *, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """sha256 of every regular file under `root` by POSIX relative path, `.git/` left out."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if rel not in skip and path.is_file() and not path.is_symlink():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(out.items()))


def _template_error(template: TemplateSource, exc: Exception) -> PluginKitError:
    return PluginKitError(
        f"template {template.spec} failed to render: {exc}",
        rule="create.render",
        place=str(template.path),
        hint="check the template's cookiecutter.json, files and hooks",
    )
