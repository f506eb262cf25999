"""A small TOML writer for the files we own (tomllib reads them back).

tomlkit is heavier to import than the whole install path should cost, and our files are
plain data: tables, arrays of tables, scalars and inline arrays.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dumps"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(value: str) -> str:
    # JSON's escapes are a subset of TOML basic-string escapes; DEL must be escaped in TOML.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(lines: list[str], path: list[str], table: dict[str, Any]) -> None:
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if value is None:
            continue  # TOML has no null: an absent key means "not set"
        # Tables and arrays of tables near the top keep diffs readable; deeper ones go inline.
        if isinstance(value, dict) or (_is_table_array(value) and len(path) < 2):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in nested:
        sub = [*path, key]
        header = ".".join(_key(k) for k in sub)
        if isinstance(value, dict):
            lines.extend(["", f"[{header}]"])
            _table(lines, sub, value)
        else:
            for item in value:
                lines.extend(["", f"[[{header}]]"])
                _table(lines, sub, item)


def dumps(doc: dict[str, Any], *, header: str = "") -> str:
    """Render `doc` as TOML; `header` lines become a leading comment."""
    lines = [f"# {line}" for line in header.splitlines()]
    _table(lines, [], doc)
    return "\n".join(lines).lstrip("\n") + "\n"
