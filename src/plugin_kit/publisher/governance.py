"""Governance metadata for a catalog entry: a risk level and a one-line capability summary.

The rules build on the installer's own reading of capabilities (installer/capabilities.py),
so what a catalog shows and what `plugin install` warns about never disagree:

- high: the installer's high (process, a wildcard host or secret, any filesystem write),
  or an `mcp` runtime (a native process with the user's rights, outside any sandbox),
  or a capability this toolchain does not know (it cannot be judged, so assume the worst);
- medium: the installer's medium (any network host or secret), or reading outside the workspace;
- low: everything else (at most reading the workspace, no network, no secrets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Governance", "KNOWN_CAPABILITIES", "RISK_LEVELS", "assess"]

RISK_LEVELS = ("low", "medium", "high")
KNOWN_CAPABILITIES = frozenset({"network", "secrets", "filesystem", "process", "rate_limits"})
# Runtimes whose code runs as a native process rather than in the host's sandbox.
_NATIVE_RUNTIMES = frozenset({"mcp"})


@dataclass(frozen=True)
class Governance:
    risk: str
    capability_summary: str

    def to_dict(self) -> dict[str, str]:
        return {"risk": self.risk, "capability_summary": self.capability_summary}


def _one_line(text: str) -> str:
    # Manifests are validated, but a catalog line must stay one line whatever it is fed.
    return "".join(c if c.isprintable() else "?" for c in text)


def _reads_outside_workspace(caps: dict[str, Any]) -> bool:
    fs = caps.get("filesystem")
    reads = fs.get("read") if isinstance(fs, dict) else None
    return isinstance(reads, list) and any(scope != "workspace" for scope in reads)


def assess(capabilities: dict[str, Any], runtime: str) -> Governance:
    """Risk level and summary for the capabilities a manifest requests (never grants)."""
    from plugin_kit.installer.capabilities import risk, summary

    level = RISK_LEVELS.index(risk(capabilities))
    if runtime in _NATIVE_RUNTIMES or set(capabilities) - KNOWN_CAPABILITIES:
        level = 2
    elif _reads_outside_workspace(capabilities):
        level = max(level, 1)
    line = summary(capabilities)
    if runtime in _NATIVE_RUNTIMES:
        line += " · native process (mcp)"
    unknown = sorted(set(capabilities) - KNOWN_CAPABILITIES)
    if unknown:
        line += " · unknown: " + ", ".join(unknown)
    return Governance(RISK_LEVELS[level], _one_line(line))
