"""Jinja extension for the built-in templates: `shared(name)` and the `quote` filter.

The three built-in templates share README sections, LICENSE texts, workflows and tests.
cookiecutter's loader only sees one template, so `shared("ci.yml")` renders
`<templates>/_shared/ci.yml` with the same context instead of keeping three copies.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context

__all__ = ["SharedPartials", "SHARED_DIR"]

SHARED_DIR = "_shared"


class SharedPartials(Extension):
    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.globals["shared"] = _shared
        # A JSON string literal is also a valid TOML basic string and Python literal.
        environment.filters["quote"] = lambda value: json.dumps(str(value), ensure_ascii=False)


@pass_context
def _shared(context: Context, name: str) -> str:
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"shared partial name must stay inside {SHARED_DIR}/: {name!r}")
    # _repo_dir is the template folder being rendered; its sibling _shared/ holds the partials.
    root = Path(context["cookiecutter"]["_repo_dir"]).resolve().parent / SHARED_DIR
    text = (root / rel).read_text(encoding="utf-8")
    rendered = context.environment.from_string(text).render(context.get_all())
    # The including file ends with its own newline.
    return rendered[:-1] if rendered.endswith("\n") else rendered
