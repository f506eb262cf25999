"""A diagnostic found while validating: where (file, field path), in which phase, what, and what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from plugin_kit.errors import ValidationError

__all__ = ["Problem", "Severity", "field_path", "schema_message", "problems_error"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    file: str = "plugin.toml"
    field: str = ""
    phase: str = "schema"
    hint: str = ""
    severity: Severity = "error"
    # 1-based position of `field` in `file` (plugin.toml), when it could be found there.
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def location(self) -> str:
        """`plugin.toml:12:5` as compilers print it, or just the file when no line is known."""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.file}:{field} {self.message}"


def field_path(parts: object) -> str:
    """Render a jsonschema-style path deque as `tools[1].input_schema`."""
    out = ""
    for part in parts:  # type: ignore[attr-defined]
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TOML_TYPE = {"string": "a string", "integer": "an integer", "number": "a number",
              "boolean": "true or false", "array": "an array", "object": "a table",
              "null": "absent"}  # fmt: skip

# What each pattern of our schemas means, in words; a regex is no message for a person.
_PATTERN_WORDS = {
    r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$(?!\n)": "lower-case letters, digits and single hyphens, "
    "starting with a letter (e.g. weather-tools)",
    r"^https://[^\s]+$(?!\n)": "an https:// URL without spaces",
    r"^[a-z0-9][a-z0-9-]{0,31}$(?!\n)": "1 to 32 lower-case letters, digits and hyphens",
    r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$(?!\n)": "a letter, then up to 63 letters, digits, '_' or '-'",
    r"^/": "a path starting with /",
    r"^[A-Z_][A-Z0-9_]*\*?$(?!\n)": "an upper-case environment variable name (A-Z, 0-9, _), "
    "optionally ending in * to match a prefix",
}


def _toml_type(value: object) -> str:
    for name, kinds in (("a boolean", bool), ("a string", str), ("an integer", int),
                        ("a number", float), ("an array", list), ("a table", dict)):  # fmt: skip
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def _quoted(values: object) -> str:
    return ", ".join(repr(v) for v in values)  # type: ignore[attr-defined]


def schema_message(err: object) -> str:
    """A jsonschema error said as a sentence of what is expected, never a regex or a raw repr
    of the validator's arguments. The schemas' only `not` is the no-control-characters rule
    (`$defs/text`), whose stock message would quote the whole character class."""
    kind = getattr(err, "validator", None)
    value = getattr(err, "instance", None)
    arg = getattr(err, "validator_value", None)
    schema = getattr(err, "schema", None)
    schema = schema if isinstance(schema, dict) else {}
    if kind == "not":
        return "contains a control, bidi or line-separator character"
    if kind == "pattern":
        words = _PATTERN_WORDS.get(str(arg)) or schema.get("description") or "the documented form"
        return f"{value!r} is not allowed here: expected {words}"
    if kind in ("minLength", "maxLength") and isinstance(value, str):
        bound = "at least" if kind == "minLength" else "at most"
        return f"{value!r} has {len(value)} character(s); expected {bound} {arg}"
    if kind == "required" and isinstance(value, dict):
        missing = [k for k in arg or [] if k not in value]  # type: ignore[attr-defined]
        if len(missing) == 1:
            return f"the required key {missing[0]!r} is missing"
        return f"the required keys {_quoted(missing)} are missing"
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        extra = sorted(k for k in value if k not in allowed)
        return f"unknown key{'s' if len(extra) > 1 else ''} {_quoted(extra)}; allowed here: {', '.join(allowed)}"
    if kind == "type":
        wanted = [arg] if isinstance(arg, str) else list(arg or [])  # type: ignore[arg-type]
        words = " or ".join(_TOML_TYPE.get(str(w), str(w)) for w in wanted)
        return f"expected {words}, found {_toml_type(value)}"
    if kind == "enum":
        return f"{value!r} is not one of {_quoted(arg)}"
    if kind == "const":
        return f"expected {arg!r}, found {value!r}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most",
                 "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}[kind]  # fmt: skip
        return f"{value!r} is out of range: expected {words} {arg}"
    if kind in ("minItems", "maxItems") and isinstance(value, list):
        bound = "at least" if kind == "minItems" else "at most"
        return f"lists {len(value)} item(s); expected {bound} {arg}"
    if kind == "uniqueItems":
        return "lists the same item more than once"
    if kind in ("oneOf", "anyOf"):
        return "matches none of the allowed forms (see the hint)"
    return str(getattr(err, "message", err))


def problems_error(problems: list[Problem], place: str) -> ValidationError:
    """The one error for a manifest with problems: the count, the first one, and all of them."""
    first = problems[0]
    return ValidationError(
        f"{len(problems)} problem(s) in {place}; first: {first}",
        rule=first.rule,
        place=f"{place}:{first.field}" if first.field else place,
        hint=first.hint,
        problems=problems,
    )
