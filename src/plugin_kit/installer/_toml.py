"""Writing the TOML files we own (plugins.lock, plugins.toml, catalogs.toml).

Their values are tables, arrays, strings, numbers, booleans (and dates, as tomllib reads
them), so they are written here directly: tomlkit took ~30 ms to import and build a
10-plugin lock, on every install. A key is bare only when TOML allows it (`[A-Za-z0-9_-]+`),
else a quoted basic string; every string is a basic string with `"`, `\\` and each control
character escaped, so a key such as `"0\\n"` or a value holding control characters reads
back equal with tomllib (tests/install/test_toml_files.py). The layout is the one tomlkit
wrote: scalars first, then `[table]` and `[[array]]` sections, a blank line before a header
unless tomlkit left none. Editing a user's own file while keeping its comments (Yoi's
Profiles) still goes through tomlkit.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

__all__ = ["dumps"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"',
            "\\": "\\\\"}  # fmt: skip
_TO_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def _string(text: str) -> str:
    return '"' + _TO_ESCAPE.sub(lambda m: _ESCAPES.get(m[0]) or f"\\u{ord(m[0]):04x}", text) + '"'


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    """An inline value: None entries of an inline table are left out (TOML has no null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # TOML spells the special values without a sign for nan
        return (
            "nan"
            if math.isnan(value)
            else {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))
        )
    if isinstance(value, datetime.date | datetime.time):  # as tomllib read them from a manifest
        return value.isoformat()
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} to TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _section(value: Any, depth: int) -> bool:
    """Written under a header of its own: a table, or an array of tables near the top (it
    keeps diffs readable; deeper arrays go inline)."""
    return isinstance(value, dict) or (_is_table_array(value) and depth < 2)


def _fill(
    out: list[str], path: list[str], mapping: dict[str, Any], depth: int, blank: bool = False
) -> None:
    """The key/values of `mapping`, then its sections. None is left out: TOML has no null,
    an absent key means "not set". A section's header follows a blank line when something
    came before it in `mapping`'s order (tomlkit's layout, so files written before read the
    same); `blank` carries that to the first header of a table of tables, which has none."""
    items = [(k, v) for k, v in mapping.items() if v is not None]
    scalars = [f"{_key(k)} = {_value(v)}" for k, v in items if not _section(v, depth)]
    out.extend(scalars)
    for key, value in items:
        if not _section(value, depth):
            blank = True
            continue
        sub = ".".join([*path, _key(key)])
        if isinstance(value, dict):
            kept = [v for v in value.values() if v is not None]
            if kept and all(_section(v, depth + 1) for v in kept):  # no header of its own
                _fill(out, [*path, _key(key)], value, depth + 1, blank or bool(scalars))
            else:
                out.extend(["", f"[{sub}]"] if blank or scalars else [f"[{sub}]"])
                _fill(out, [*path, _key(key)], value, depth + 1)
        else:
            for item in value:
                out.extend(["", f"[[{sub}]]"] if blank else [f"[[{sub}]]"])
                _fill(out, [*path, _key(key)], item, depth + 1)
                blank = any(v is not None for v in item.values())
        blank = True


def dumps(doc: dict[str, Any], *, header: str = "") -> str:
    """Render `doc` as TOML; `header` lines become a leading comment."""
    out = [f"# {line}" for line in header.splitlines()]
    _fill(out, [], doc, 0, bool(out))
    return "\n".join(out) + "\n" if out else ""
