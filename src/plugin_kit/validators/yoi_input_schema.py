"""A Yoi tool's inline `input_schema`: the small JSON Schema subset the host registers.

Read from HareK02/yoi crates/worker/src/feature/plugin.rs @ b12e0785, `validate_input_schema`,
`validate_schema_node` and `is_supported_schema_keyword`. The host stops at the first problem and
then refuses to install the plugin's tools; we report every problem, each with its path.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["KEYWORDS", "TYPES", "input_schema_problems"]

KEYWORDS = ("type", "title", "description", "properties", "required", "additionalProperties",
            "items", "enum")  # fmt: skip
TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")

Found = tuple[str, str]  # (field path, sentence)


def input_schema_problems(schema: Any, path: str) -> list[Found]:
    """Every reason the host would refuse `schema` as a tool's input_schema (root must be an object)."""
    out: list[Found] = []
    ty = _node(schema, path, out, root=True)
    if ty not in (None, "object"):
        out.append(
            (f"{path}.type", f'the root of an input_schema must have type "object", not {ty!r}.')
        )
    return out


def _node(node: Any, path: str, out: list[Found], *, root: bool = False) -> str | None:
    """Check one schema node; return its declared type when that type is supported."""
    if not isinstance(node, dict):
        out.append((path, "each schema node must be a table (a JSON object)."))
        return None
    for key in node:
        if key not in KEYWORDS:
            out.append((f"{path}.{key}",
                        f"the host does not support the schema keyword `{key}`; use only {', '.join(KEYWORDS)}."))  # fmt: skip
    ty = _type(node, path, out, root)
    for key in ("title", "description"):
        if key in node and not isinstance(node[key], str):
            out.append((f"{path}.{key}", f"`{key}` must be a string."))
    _object_keywords(node, ty, path, out)
    if "items" in node:
        if ty not in (None, "array"):
            out.append((f"{path}.items", '`items` is only allowed where type is "array".'))
        _node(node["items"], f"{path}.items", out)
    if "enum" in node:
        _enum(node["enum"], f"{path}.enum", out)
    return ty


def _type(node: dict[str, Any], path: str, out: list[Found], root: bool) -> str | None:
    if "type" not in node:
        what = (
            'the root schema must declare type = "object".'
            if root
            else "each schema node must declare a `type`."
        )
        out.append((f"{path}.type" if root else path, what))
        return None
    ty = node["type"]
    if not isinstance(ty, str):
        out.append((f"{path}.type", f"`type` must be one string, one of: {', '.join(TYPES)}."))
        return None
    if ty not in TYPES:
        out.append((f"{path}.type", f"the host does not support type {ty!r}; use one of: {', '.join(TYPES)}."))  # fmt: skip
        return None
    return ty


def _object_keywords(node: dict[str, Any], ty: str | None, path: str, out: list[Found]) -> None:
    for key in ("properties", "required", "additionalProperties"):
        if key in node and ty not in (None, "object"):
            out.append((f"{path}.{key}", f'`{key}` is only allowed where type is "object".'))
    props = node.get("properties")
    if "properties" in node:
        if isinstance(props, dict):
            for name, child in props.items():
                _node(child, f"{path}.properties.{name}", out)
        else:
            out.append((f"{path}.properties", "`properties` must be a table of schemas."))
    if "required" in node:
        _required(
            node["required"], props if isinstance(props, dict) else None, f"{path}.required", out
        )
    if "additionalProperties" in node:
        extra = node["additionalProperties"]
        if isinstance(extra, dict):
            _node(extra, f"{path}.additionalProperties", out)
        elif not isinstance(extra, bool):
            out.append((f"{path}.additionalProperties",
                        "`additionalProperties` must be true, false or a schema."))  # fmt: skip


def _required(req: Any, props: dict[str, Any] | None, path: str, out: list[Found]) -> None:
    if not isinstance(req, list):
        out.append((path, "`required` must be an array of property names."))
        return
    seen: set[str] = set()
    for name in req:
        if not isinstance(name, str):
            out.append((path, "every entry of `required` must be a string."))
        elif name in seen:
            out.append((path, f"`required` lists {name!r} twice."))
        else:
            seen.add(name)
            if props is not None and name not in props:
                out.append(
                    (path, f"`required` names {name!r}, which is not declared in `properties`.")
                )


def _enum(values: Any, path: str, out: list[Found]) -> None:
    if not isinstance(values, list):
        out.append((path, "`enum` must be an array."))
    elif not values:
        out.append((path, "`enum` must not be empty."))
    else:
        # JSON equality as the host has it: 1, 1.0 and true are three different values.
        keys = [json.dumps(v, sort_keys=True, default=str) for v in values]
        if len(set(keys)) != len(keys):
            out.append((path, "`enum` lists the same value twice."))
