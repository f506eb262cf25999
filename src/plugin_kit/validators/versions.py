"""SemVer versions and host-API ranges such as ">=1.0.0, <2.0.0"."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import semver

__all__ = ["VersionRangeError", "parse_version", "parse_range", "range_matches"]

_CLAUSE = re.compile(r"(>=|<=|==|!=|>|<)\s*(\S+)")


class VersionRangeError(ValueError):
    pass


def parse_version(text: str) -> semver.Version:
    import semver  # imported by the commands that check or compare a version only

    try:
        version = semver.Version.parse(text)
    except (ValueError, TypeError) as exc:
        raise VersionRangeError(f"{text!r} is not a SemVer 2.0 version") from exc
    # semver before 3.1 anchors with `$`, which also matches before a final newline; a valid
    # version prints back exactly as written, so this refuses "1.0.0\n" with every release.
    if str(version) != text:
        raise VersionRangeError(f"{text!r} is not a SemVer 2.0 version")
    return version


def parse_range(text: str) -> list[tuple[str, semver.Version]]:
    """Comma-separated clauses, each an operator and a full SemVer version; all must hold."""
    clauses = []
    for raw in text.split(","):
        m = _CLAUSE.fullmatch(raw.strip())
        if not m:
            raise VersionRangeError(f"{raw.strip()!r} in {text!r} is not a clause like '>=1.0.0'")
        clauses.append((m.group(1), parse_version(m.group(2))))
    return clauses


def range_matches(text: str, version: str) -> bool:
    v = parse_version(version)
    ops = {
        ">=": v.__ge__,
        "<=": v.__le__,
        ">": v.__gt__,
        "<": v.__lt__,
        "==": v.__eq__,
        "!=": v.__ne__,
    }
    return all(ops[op](bound) for op, bound in parse_range(text))
