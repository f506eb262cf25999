"""A diagnostic found while validating: where (file, field path), in which phase, what, and what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

__all__ = ["Problem", "Severity", "field_path", "schema_message"]

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

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.file}:{field} {self.message}"


def field_path(parts: object) -> str:
    """Render a jsonschema-style path deque as `tools[1].input_schema`."""
    out = ""
    for part in parts:  # type: ignore[attr-defined]
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_message(err: object) -> str:
    """A jsonschema error's message; the schemas' only `not` is the no-control-characters rule
    (`$defs/text`), whose stock message would quote the whole character class."""
    if getattr(err, "validator", None) == "not":
        return "contains a control, bidi or line-separator character"
    return str(getattr(err, "message", err))
