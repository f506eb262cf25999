"""Checks beyond the schema: versions, ranges, licence, hosts, and the files the manifest points at
(wasm module, hooks files, tool input and config schemas)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from plugin_kit.validators.hooks import hook_tables
from plugin_kit.validators.manifest import RUNTIME_KEYS, Manifest
from plugin_kit.validators.problems import Problem
from plugin_kit.validators.versions import VersionRangeError, parse_range, parse_version

__all__ = [
    "semantic_problems",
    "manifest_warnings",
    "PLACEHOLDER_AUTHOR",
    "placeholder_author",
    "wasm_problem",
]

_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
WASM_MAGIC = b"\0asm\x01\0\0\0"


def _p(rule: str, message: str, field: str, hint: str, file: str = "plugin.toml") -> Problem:
    return Problem(rule, message, file=file, field=field, phase="semantic", hint=hint)


def _runtime_problems(m: Manifest) -> list[Problem]:
    want = RUNTIME_KEYS[m.runtime]
    keys = set(m.runtime_section)
    if keys == {want}:
        return []
    return [
        _p(
            "runtime-keys",
            f"runtime {m.runtime!r} takes exactly the key {want!r} in [runtime], found {sorted(keys)}",
            "runtime",
            f"Write [runtime] {want} = ... and nothing else.",
        )
    ]


def _version_problems(m: Manifest) -> list[Problem]:
    out = []
    try:
        parse_version(m.version)
    except VersionRangeError as exc:
        out.append(_p("semver", str(exc), "plugin.version", "Use SemVer 2.0, for example 1.2.3."))
    try:
        parse_range(m.api)
    except VersionRangeError as exc:
        out.append(
            _p("api-range", str(exc), "plugin.api", 'Write a range such as ">=1.0.0, <2.0.0".')
        )
    return out


# One id, no operator: the common case, checked without importing license-expression.
_ONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*\Z")
_REF = ("LicenseRef-", "DocumentRef-")


def license_problem(expression: str) -> str | None:
    """Why `expression` is not a valid SPDX license expression, or None.

    A lone id is looked up directly; anything else is parsed by license-expression. Ids are
    looked up in its SPDX list, frozen into compiled/spdx_ids.py by
    scripts/gen_schema_validators.py (loading the list, or building license-expression's SPDX
    Licensing object, would cost every validate, pack and install tens of milliseconds).
    tests/format/test_compiled_schemas.py keeps the lone-id path's verdicts equal to the parser's.
    """
    from plugin_kit.validators.compiled.spdx_ids import SPDX_IDS

    if _ONE_ID.match(expression) and expression.lower() not in ("and", "or", "with"):
        if expression.lower() in SPDX_IDS or expression.startswith(_REF):
            return None
        return f"unknown license id {expression!r}"
    return parsed_license_problem(expression, SPDX_IDS)


def parsed_license_problem(expression: str, ids: frozenset[str]) -> str | None:
    """license-expression's parse of `expression`, its ids looked up in `ids`."""
    from license_expression import ExpressionError, Licensing

    licensing = Licensing()
    try:
        keys = licensing.license_keys(licensing.parse(expression, validate=False, strict=False))
    except ExpressionError as exc:
        return str(exc)
    except IndexError:  # its parser's crash on an empty group such as "()"
        return "empty parentheses"
    if not keys:
        return "empty expression"
    unknown = [k for k in keys if k.lower() not in ids and not k.startswith(_REF)]
    return f"unknown license id {unknown[0]!r}" if unknown else None


def _license_problems(m: Manifest) -> list[Problem]:
    why = license_problem(m.license)
    if why is None:
        return []
    return [
        _p(
            "license-spdx",
            f"{m.license!r} is not a valid SPDX expression: {why}",
            "plugin.license",
            "Use an SPDX id such as MIT or Apache-2.0 (https://spdx.org/licenses/).",
        )
    ]


def host_problem(host: str) -> str | None:
    """Why `host` is not a bare host name (an optional leading `*.` wildcard is allowed), or None."""
    if "://" in host or "/" in host or ":" in host or "@" in host:
        return f"{host!r} is not a host name (no scheme, path, port or user)"
    name = host[2:] if host.startswith("*.") else host
    labels = name.split(".")
    if (
        host != host.lower()
        or len(name) > 253
        or not all(_HOST_LABEL.fullmatch(lab) for lab in labels)
    ):
        return f"{host!r} is not a valid lower-case host name"
    return None


def _capability_problems(m: Manifest) -> list[Problem]:
    out = []
    for i, rule in enumerate(m.capabilities.get("network", [])):
        why = host_problem(rule["host"])
        if why:
            out.append(
                _p(
                    "capability-host",
                    why,
                    f"capabilities.network[{i}].host",
                    "Write the host only, e.g. api.example.org.",
                )
            )
    return out


def _unique_problems(m: Manifest) -> list[Problem]:
    out, seen = [], set()
    for i, tool in enumerate(m.tools):
        if tool["name"] in seen:
            out.append(
                _p(
                    "tool-duplicate",
                    f"tool {tool['name']!r} is declared twice",
                    f"tools[{i}].name",
                    "Rename it.",
                )
            )
        seen.add(tool["name"])
    return out


def wasm_problem(data: bytes) -> str | None:
    """Why `data` is not a WASI command module (magic, version, an exported `_start`), or None."""
    if data[:8] != WASM_MAGIC:
        return "not a WebAssembly module (bad magic or version; expected \\0asm version 1)"
    return (
        None
        if _exports_start(data)
        else "the module does not export a `_start` function (WASI command)"
    )


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise ValueError("truncated LEB128")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _exports_start(data: bytes) -> bool:
    pos = 8
    try:
        while pos < len(data):
            section, size_pos = data[pos], pos + 1
            size, pos = _leb(data, size_pos)
            if section == 7:  # export section: vec(name, kind, index)
                count, p = _leb(data, pos)
                for _ in range(count):
                    n, p = _leb(data, p)
                    name, kind = data[p : p + n], data[p + n]
                    _, p = _leb(data, p + n + 1)
                    if name == b"_start" and kind == 0:
                        return True
                return False
            pos += size
    except (ValueError, IndexError):
        return False
    return False


def _file_problems(
    m: Manifest, packed: set[str], read: Callable[[str], bytes], exists: Callable[[str], bool]
) -> list[Problem]:
    out, hooks_checked = [], set()
    for fld, path in m.referenced_files():
        if path not in packed:
            if exists(path):
                msg, hint = f"{path!r} exists but is not packed", "Add it to [package].include."
            else:
                msg, hint = f"{path!r} does not exist", "Create the file or fix the path."
            out.append(_p("file-missing", msg, fld, hint))
            continue
        data = read(path)
        if fld == "runtime.module":
            why = wasm_problem(data)
            if why:
                out.append(
                    _p(
                        "wasm-module",
                        why,
                        fld,
                        "Build the module first (plugin pack runs [build]).",
                        path,
                    )
                )
        elif fld.endswith("schema"):
            out.extend(_schema_file_problems(path, data, fld))
        elif fld == "runtime.file" or fld.startswith("hooks["):
            if path not in hooks_checked:
                hooks_checked.add(path)
                out.extend(hook_tables(data, file=path)[1])
    return out


def _schema_file_problems(path: str, data: bytes, fld: str) -> list[Problem]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(json.loads(data))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [
            _p("json-schema", f"{path} is not valid JSON: {exc}", fld, "Fix the JSON syntax.", path)
        ]
    except SchemaError as exc:
        return [
            _p(
                "json-schema",
                f"{path} is not a valid JSON Schema: {exc.message}",
                fld,
                "Fix the schema.",
                path,
            )
        ]
    return []


def semantic_problems(
    m: Manifest,
    *,
    packed: set[str],
    read: Callable[[str], bytes],
    exists: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Every semantic problem of `m` against the files that are (or would be) packed."""
    return [
        *_runtime_problems(m),
        *_version_problems(m),
        *_license_problems(m),
        *_capability_problems(m),
        *_unique_problems(m),
        *_file_problems(m, packed, read, exists or (lambda _p: False)),
    ]


# The stand-in the built-in templates write when git knows no author (cookiecutter.json).
PLACEHOLDER_AUTHOR = "Plugin Author <author@example.org>"
_PLACEHOLDER_NAME, _, _PLACEHOLDER_EMAIL = PLACEHOLDER_AUTHOR.rstrip(">").partition(" <")


def placeholder_author(author: str) -> bool:
    """True for the templates' stand-in author, or either half of it."""
    name, _, email = author.rstrip().rstrip(">").partition("<")
    return name.strip() == _PLACEHOLDER_NAME or email.strip().lower() == _PLACEHOLDER_EMAIL


def manifest_warnings(m: Manifest, **_kw: object) -> list[Problem]:
    """What loads fine but should not be published as it is: a placeholder author."""
    return [
        Problem(
            "author-placeholder",
            f"{author!r} is a placeholder, not you",
            field=f"plugin.authors[{i}]",
            phase="semantic",
            hint='Set authors = ["Your Name <you@your.domain>"] in plugin.toml (and in LICENSE), '
            "or set git's user.name and user.email before create-plugin.",
            severity="warning",
        )
        for i, author in enumerate(m.authors)
        if placeholder_author(author)
    ]
