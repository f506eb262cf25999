"""What the dev host grants a plugin: exactly its requested capabilities, and a report of what it enforced.

The manifest's `[capabilities]` are requests. The dev host grants them as asked (it runs the plugin under
development only) and denies everything else where it can: environment variables, preopened folders and
wasm imports. Where it cannot (a native MCP server's network or files), the report says so instead of
pretending.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Enforcement",
    "CapabilityReport",
    "Preopen",
    "BASE_ENV",
    "secret_env",
    "filesystem_preopens",
    "requested",
]

# Variables a native process needs to start at all; never secrets. Everything else is withheld unless declared.
BASE_ENV = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")

# Guest paths for the filesystem scopes of the manifest schema (`$defs.fsscope`).
GUEST_PATHS = {"workspace": "/workspace", "plugin": "/plugin", "temp": "/tmp", "home": "/home"}


@dataclass(frozen=True)
class Enforcement:
    """One capability: what was requested, whether the host enforced the boundary, and how."""

    capability: str
    requested: object
    enforced: bool
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {
            "capability": self.capability,
            "requested": self.requested,
            "enforced": self.enforced,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Preopen:
    """A host folder the plugin may see, under `guest` (wasm) and with write access or not."""

    scope: str
    host: Path
    guest: str
    writable: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "host": str(self.host),
            "guest": self.guest,
            "writable": self.writable,
        }


@dataclass
class CapabilityReport:
    """Names (never values) of the variables passed, how many were withheld, and each boundary."""

    env_passed: list[str] = field(default_factory=list)
    env_withheld: int = 0
    items: list[Enforcement] = field(default_factory=list)

    @property
    def not_enforced(self) -> list[str]:
        return [e.capability for e in self.items if not e.enforced]

    def to_dict(self) -> dict[str, object]:
        return {
            "env_passed": self.env_passed,
            "env_withheld": self.env_withheld,
            "items": [e.to_dict() for e in self.items],
            "not_enforced": self.not_enforced,
        }


def requested(capabilities: Mapping[str, object]) -> dict[str, object]:
    """The requests with their defaults filled in, so reports show denials explicitly."""
    fs = capabilities.get("filesystem") or {}
    assert isinstance(fs, Mapping)
    return {
        "network": list(capabilities.get("network") or []),  # type: ignore[call-overload]
        "secrets": list(capabilities.get("secrets") or []),  # type: ignore[call-overload]
        "filesystem": {"read": list(fs.get("read") or []), "write": list(fs.get("write") or [])},
        "process": bool(capabilities.get("process", False)),
        "rate_limits": dict(capabilities.get("rate_limits") or {}),  # type: ignore[call-overload]
    }


def secret_env(
    patterns: list[str], environ: Mapping[str, str] | None = None, *, base: tuple[str, ...] = ()
) -> tuple[dict[str, str], int]:
    """The variables whose names match a declared secret pattern (plus `base`), and how many were withheld."""
    environ = os.environ if environ is None else environ
    passed = {
        name: value
        for name, value in environ.items()
        if name in base or any(fnmatch.fnmatchcase(name, p) for p in patterns)
    }
    return passed, len(environ) - len(passed)


def filesystem_preopens(
    filesystem: Mapping[str, list[str]], roots: Mapping[str, Path]
) -> list[Preopen]:
    """One preopen per requested scope; write implies read. Scopes without a root here are not granted."""
    write = set(filesystem.get("write", []))
    scopes = sorted(set(filesystem.get("read", [])) | write)
    return [
        Preopen(scope=s, host=roots[s], guest=GUEST_PATHS[s], writable=s in write)
        for s in scopes
        if s in roots and s in GUEST_PATHS
    ]
