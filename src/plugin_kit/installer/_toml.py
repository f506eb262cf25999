"""Writing the TOML files we own (plugins.lock, plugins.toml, catalogs.toml) through tomlkit.

tomlkit quotes and escapes every key and string as TOML requires (a key such as `"0\\n"` or
a value holding control characters reads back equal with tomllib), and it is the library
that can later edit a user's file while keeping their comments. It is imported only when a
file is written.
"""

from __future__ import annotations

from typing import Any

__all__ = ["dumps"]


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _inline(value: Any) -> Any:
    import tomlkit

    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update({k: _inline(v) for k, v in value.items() if v is not None})
        return table
    if isinstance(value, list | tuple):
        array = tomlkit.array()
        array.extend(_inline(v) for v in value)
        return array
    return value


def _fill(container: Any, mapping: dict[str, Any], depth: int) -> None:
    """Tables and arrays of tables near the top keep diffs readable; deeper arrays go inline.
    None is left out: TOML has no null, an absent key means "not set"."""
    import tomlkit

    for key, value in mapping.items():
        if value is None:
            continue
        if isinstance(value, dict):
            table = tomlkit.table()
            _fill(table, value, depth + 1)
            container.add(key, table)
        elif _is_table_array(value) and depth < 2:
            tables = tomlkit.aot()
            for item in value:
                table = tomlkit.table()
                _fill(table, item, depth + 1)
                tables.append(table)
            container.add(key, tables)
        else:
            container.add(key, _inline(value))


def dumps(doc: dict[str, Any], *, header: str = "") -> str:
    """Render `doc` as TOML; `header` lines become a leading comment."""
    import tomlkit

    out = tomlkit.document()
    for line in header.splitlines():
        out.add(tomlkit.comment(line))
    _fill(out, doc, 0)
    return tomlkit.dumps(out)
