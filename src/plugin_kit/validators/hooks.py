"""The declarative hooks file (`hooks.toml`): checked against its schema, patterns compiled.

Validation needs it as much as `plugin dev` does: a manifest that points at an invalid hooks file is
an invalid plugin (validate, pack, install and enable refuse it). The evaluator stays in
dev/hooksfile.py; this module only says whether a file is well formed and returns its tables.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import lru_cache
from typing import Any

from plugin_kit.links import docs_url
from plugin_kit.validators.problems import Problem, field_path
from plugin_kit.validators.schemacheck import schema_errors

__all__ = ["hooks_schema", "hook_tables"]

_HINT = f"Fix the hooks file; see {docs_url('authoring.md', 'The hooks file')}."


@lru_cache(maxsize=1)
def hooks_schema() -> dict[str, Any]:
    from importlib.resources import files

    text = files("plugin_kit.validators").joinpath("schemas/hooks.schema.json").read_text("utf-8")
    return json.loads(text)


def _problem(message: str, file: str, where: str = "") -> Problem:
    return Problem("hooks-invalid", message, file=file, field=where, phase="semantic", hint=_HINT)


def _where(err: Any) -> str:
    """The field an error is about: for a missing or unknown key, that key, not its table."""
    parts = list(err.absolute_path)
    instance = err.instance if isinstance(err.instance, dict) else {}
    if err.validator == "required":
        parts += [next(k for k in err.validator_value if k not in instance)]
    elif err.validator == "additionalProperties":
        known = set(err.schema.get("properties", {}))
        parts += [sorted(set(instance) - known)[0]]
    return field_path(parts)


def _schema_problems(doc: dict[str, Any], file: str) -> list[Problem]:
    from plugin_kit.validators.compiled import hooks_schema as compiled

    errors = schema_errors(doc, compiled.validate, hooks_schema)
    return [_problem(err.message, file, _where(err)) for err in errors]


def _pattern_problems(tables: list[dict[str, Any]], file: str) -> list[Problem]:
    out = []
    for i, table in enumerate(tables):
        try:
            re.compile(table.get("pattern", ""))
        except re.error as exc:
            msg = f"pattern is not a valid regular expression: {exc}"
            out.append(_problem(msg, file, f"hooks[{i}].pattern"))
    return out


def hook_tables(data: bytes, *, file: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The `[[hooks]]` tables of one file, and every problem found (the tables only when none)."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [], [_problem(f"not valid TOML: {exc}", file)]
    problems = _schema_problems(doc, file)
    if problems:
        return [], problems
    tables = [dict(t) for t in doc["hooks"]]
    problems = _pattern_problems(tables, file)
    return ([] if problems else tables), problems
