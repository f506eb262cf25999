"""Requested vs granted capabilities: a partial order, grants parsed from the command line,
and one line per grant as `plugin enable` shows it. (Risk and the summary line are
catalog/risk.py: the publisher and the installer share them.)

A grant covers a request when it is at least as wide: same host and a path prefix that
contains the requested one, a secret pattern that matches the requested name or pattern,
filesystem scopes listed, process allowed, a rate limit at least as high. Anything not
provably covered counts as an escalation.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from plugin_kit.errors import UsageError

__all__ = ["uncovered", "grant_lines", "parse_grants", "GRANT_KINDS"]

GRANT_KINDS = (
    "network",
    "secrets",
    "filesystem.read",
    "filesystem.write",
    "process",
    "rate_limits.outbound_per_minute",
)


def _net_covered(req: dict[str, Any], grants: list[dict[str, Any]]) -> bool:
    host = str(req.get("host", "")).lower()
    prefix = str(req.get("path_prefix", "/"))
    return any(
        fnmatchcase(host, str(g.get("host", "")).lower())
        and prefix.startswith(str(g.get("path_prefix", "/")))
        for g in grants
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def uncovered(requested: dict[str, Any], granted: dict[str, Any]) -> list[str]:
    """Human lines, one per requested item the grants do not cover (empty: fully covered)."""
    out: list[str] = []
    for net in _as_list(requested.get("network")):
        item = net if isinstance(net, dict) else {"host": str(net)}
        if not _net_covered(
            item, [g for g in _as_list(granted.get("network")) if isinstance(g, dict)]
        ):
            out.append(f"+ network: {item.get('host')}{item.get('path_prefix', '/')}")
    for secret in _as_list(requested.get("secrets")):
        if not any(fnmatchcase(str(secret), str(g)) for g in _as_list(granted.get("secrets"))):
            out.append(f"+ secret: {secret}")
    fs_req = requested.get("filesystem") or {}
    fs_grant = granted.get("filesystem") or {}
    for mode in ("read", "write"):
        for scope in _as_list(fs_req.get(mode) if isinstance(fs_req, dict) else None):
            if scope not in _as_list(fs_grant.get(mode) if isinstance(fs_grant, dict) else None):
                out.append(f"+ filesystem {mode}: {scope}")
    if requested.get("process") is True and granted.get("process") is not True:
        out.append("+ process: true (HIGH)")
    rate = (requested.get("rate_limits") or {}).get("outbound_per_minute")
    if isinstance(rate, int):
        have = (granted.get("rate_limits") or {}).get("outbound_per_minute")
        if not isinstance(have, int) or rate > have:
            out.append(f"+ rate limit: {rate}/min")
    for key in set(requested) - {"network", "secrets", "filesystem", "process", "rate_limits"}:
        if requested[key] != granted.get(key):
            out.append(f"+ {key}: {requested[key]!r}")
    return out


def _narrowed(kind: str, value: str, requested: dict[str, Any]) -> dict[str, Any]:
    if kind == "network":
        host, _, path = value.partition("/")
        grant = {"host": host.lower(), "path_prefix": "/" + path}
        if not _net_covered(
            grant, [n for n in _as_list(requested.get("network")) if isinstance(n, dict)]
        ):
            raise UsageError(f"network {value!r} was not requested", rule="grant-not-requested")
        return {"network": [grant]}
    if kind == "secrets":
        if not any(fnmatchcase(value, str(p)) for p in _as_list(requested.get("secrets"))):
            raise UsageError(f"secret {value!r} was not requested", rule="grant-not-requested")
        return {"secrets": [value]}
    if kind.startswith("filesystem."):
        mode = kind.split(".", 1)[1]
        fs = requested.get("filesystem") if isinstance(requested.get("filesystem"), dict) else {}
        if value not in _as_list(fs.get(mode)):
            raise UsageError(
                f"filesystem {mode} {value!r} was not requested", rule="grant-not-requested"
            )
        return {"filesystem": {mode: [value]}}
    if kind == "process":
        if value.lower() not in ("true", "yes", "1") or requested.get("process") is not True:
            raise UsageError("process was not requested", rule="grant-not-requested")
        return {"process": True}
    try:
        rate = int(value)
    except ValueError as exc:
        raise UsageError(f"rate limit {value!r} is not a number", rule="grant-syntax") from exc
    asked = (requested.get("rate_limits") or {}).get("outbound_per_minute")
    if not isinstance(asked, int) or rate > asked:
        raise UsageError(f"rate limit {rate} is more than requested", rule="grant-not-requested")
    return {"rate_limits": {"outbound_per_minute": rate}}


def parse_grants(items: list[str], requested: dict[str, Any]) -> dict[str, Any]:
    """`KIND=VALUE` items into a grants table; a grant may narrow a request, never widen it."""
    aliases = {
        "secret": "secrets",
        "fs.read": "filesystem.read",
        "fs.write": "filesystem.write",
        "rate": "rate_limits.outbound_per_minute",
    }
    grants: dict[str, Any] = {}
    for item in items:
        kind, sep, value = item.partition("=")
        kind = aliases.get(kind.strip(), kind.strip())
        if not sep or not value or kind not in GRANT_KINDS:
            raise UsageError(
                f"cannot read grant {item!r}",
                rule="grant-syntax",
                hint="use KIND=VALUE with KIND one of " + ", ".join(GRANT_KINDS),
            )
        for key, val in _narrowed(kind, value.strip(), requested).items():
            if isinstance(val, list):
                grants.setdefault(key, []).extend(v for v in val if v not in grants.get(key, []))
            elif isinstance(val, dict):
                for mode, scopes in val.items():
                    grants.setdefault(key, {}).setdefault(mode, []).extend(scopes)
            else:
                grants[key] = val
    return grants


def grant_lines(grants: dict[str, Any]) -> list[str]:
    """One line per thing granted (what `plugin enable` prints and asks about); none: empty."""
    lines = []
    for net in _as_list(grants.get("network")):
        item = net if isinstance(net, dict) else {"host": str(net)}
        lines.append(f"network: {item.get('host')}{item.get('path_prefix', '/')}")
    lines += [f"secret: {s}" for s in _as_list(grants.get("secrets"))]
    fs = grants.get("filesystem") if isinstance(grants.get("filesystem"), dict) else {}
    for mode in ("read", "write"):
        lines += [f"filesystem {mode}: {scope}" for scope in _as_list(fs.get(mode))]
    if grants.get("process") is True:
        lines.append("process: yes (HIGH: runs programs with your rights)")
    rates = grants.get("rate_limits") if isinstance(grants.get("rate_limits"), dict) else {}
    if rates.get("outbound_per_minute") is not None:
        lines.append(f"rate limit: {rates['outbound_per_minute']}/min")
    known = {"network", "secrets", "filesystem", "process", "rate_limits"}
    lines += [f"{key}: {grants[key]!r}" for key in sorted(set(grants) - known)]
    return lines
