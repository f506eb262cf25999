"""Line and column of each problem's field in the plugin.toml text it was found in."""

from __future__ import annotations

from dataclasses import replace

from plugin_kit.validators.problems import Problem
from plugin_kit.validators.toml_lines import key_line

__all__ = ["locate"]


def locate(problems: list[Problem], text: str, file: str) -> list[Problem]:
    """`problems` with `line`/`column` set where their field is in `file`'s `text` (the key's
    first character); others unchanged. `text` may be the invalid text being reported."""
    lines = text.splitlines()
    out = []
    for p in problems:
        line = key_line(text, p.field) if p.field and p.file == file else None
        if line is None:
            out.append(p)
            continue
        body = lines[line - 1]
        out.append(replace(p, line=line, column=len(body) - len(body.lstrip()) + 1))
    return out
