"""SemVer versions and host-API ranges such as ">=1.0.0, <2.0.0"."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import semver

__all__ = [
    "VersionRangeError", "check_version", "check_range", "parse_version", "parse_range",
    "range_matches",
]  # fmt: skip

_CLAUSE = re.compile(r"(>=|<=|==|!=|>|<)\s*(\S+)")
# SemVer 2.0 as semver.Version.parse reads it (its grammar: ASCII digits, no leading zeros,
# prerelease and build identifiers), so that validate, pack and inspect, which need only the
# verdict, do not import the library; tests/format/test_versions.py keeps the two equal.
_IDENT = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = re.compile(
    rf"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    rf"(?:-{_IDENT}(?:\.{_IDENT})*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?",
    re.ASCII,
)


class VersionRangeError(ValueError):
    pass


def check_version(text: str) -> None:
    """Refuse what parse_version would refuse, without building a version."""
    if not isinstance(text, str) or _SEMVER.fullmatch(text) is None:
        raise VersionRangeError(f"{text!r} is not a SemVer 2.0 version")


def parse_version(text: str) -> semver.Version:
    """A version to compare (install, upgrade, publish); check_version when only the verdict
    counts."""
    import semver

    try:
        version = semver.Version.parse(text)
    except (ValueError, TypeError) as exc:
        raise VersionRangeError(f"{text!r} is not a SemVer 2.0 version") from exc
    # semver before 3.1 anchors with `$`, which also matches before a final newline; a valid
    # version prints back exactly as written, so this refuses "1.0.0\n" with every release.
    if str(version) != text:
        raise VersionRangeError(f"{text!r} is not a SemVer 2.0 version")
    return version


def _clauses(text: str) -> list[tuple[str, str]]:
    clauses = []
    for raw in text.split(","):
        m = _CLAUSE.fullmatch(raw.strip())
        if not m:
            raise VersionRangeError(f"{raw.strip()!r} in {text!r} is not a clause like '>=1.0.0'")
        clauses.append((m.group(1), m.group(2)))
    return clauses


def check_range(text: str) -> None:
    """Refuse what parse_range would refuse, without building versions."""
    for _op, version in _clauses(text):
        check_version(version)


def parse_range(text: str) -> list[tuple[str, semver.Version]]:
    """Comma-separated clauses, each an operator and a full SemVer version; all must hold."""
    return [(op, parse_version(version)) for op, version in _clauses(text)]


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
