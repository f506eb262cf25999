"""Requested vs granted capabilities: a partial order, grants parsed from the command line,
and one line per grant as `plugin enable` shows it. (Risk and the summary line are
catalog/risk.py: the publisher and the installer share them.)

A grant covers a request when it is at least as wide: same host and a path prefix that
contains the requested one, a secret pattern that matches the requested name or pattern,
filesystem scopes listed, process allowed, a rate limit at least as high. Anything not
provably covered counts as an escalation.
"""

from __future__ import annotations

import copy
from fnmatch import fnmatchcase
from typing import Any

from plugin_kit.errors import UsageError

__all__ = [
    "uncovered",
    "grant_lines",
    "parse_grants",
    "merge_grants",
    "revoke_grants",
    "requested_lines",
    "GRANT_KINDS",
]

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


def requested_lines(requested: dict[str, Any]) -> list[str]:
    """One line per requested item ("network: api.example.org/"), as `enable` names them."""
    return [line.removeprefix("+ ") for line in uncovered(requested, {})]


def _not_requested(what: str, requested: dict[str, Any]) -> UsageError:
    asked = requested_lines(requested)
    return UsageError(
        f"{what} was not requested",
        rule="grant-not-requested",
        hint="it requests: " + "; ".join(asked) if asked else "it requests nothing",
    )


def _narrowed(kind: str, value: str, requested: dict[str, Any]) -> dict[str, Any]:
    if kind == "network":
        host, _, path = value.partition("/")
        grant = {"host": host.lower(), "path_prefix": "/" + path}
        if not _net_covered(
            grant, [n for n in _as_list(requested.get("network")) if isinstance(n, dict)]
        ):
            raise _not_requested(f"network {value!r}", requested)
        return {"network": [grant]}
    if kind == "secrets":
        if not any(fnmatchcase(value, str(p)) for p in _as_list(requested.get("secrets"))):
            raise _not_requested(f"secret {value!r}", requested)
        return {"secrets": [value]}
    if kind.startswith("filesystem."):
        mode = kind.split(".", 1)[1]
        fs = requested.get("filesystem") if isinstance(requested.get("filesystem"), dict) else {}
        if value not in _as_list(fs.get(mode)):
            raise _not_requested(f"filesystem {mode} {value!r}", requested)
        return {"filesystem": {mode: [value]}}
    if kind == "process":
        if value.lower() not in ("true", "yes", "1") or requested.get("process") is not True:
            raise _not_requested("process", requested)
        return {"process": True}
    try:
        rate = int(value)
    except ValueError as exc:
        raise UsageError(f"rate limit {value!r} is not a number", rule="grant-syntax") from exc
    asked = (requested.get("rate_limits") or {}).get("outbound_per_minute")
    if not isinstance(asked, int) or rate > asked:
        raise _not_requested(f"rate limit {rate}", requested)
    return {"rate_limits": {"outbound_per_minute": rate}}


_ALIASES = {
    "secret": "secrets",
    "fs.read": "filesystem.read",
    "fs.write": "filesystem.write",
    "rate": "rate_limits.outbound_per_minute",
}


def _split(item: str) -> tuple[str, str]:
    kind, sep, value = item.partition("=")
    kind = _ALIASES.get(kind.strip(), kind.strip())
    if not sep or not value or kind not in GRANT_KINDS:
        raise UsageError(
            f"cannot read grant {item!r}",
            rule="grant-syntax",
            hint="use KIND=VALUE with KIND one of " + ", ".join(GRANT_KINDS),
        )
    return kind, value.strip()


def merge_grants(grants: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """`grants` with `more` added (a copy): lists and scopes joined, a rate limit replaced."""
    out = copy.deepcopy(grants)
    for key, val in more.items():
        if isinstance(val, list):
            have = out.setdefault(key, [])
            have.extend(v for v in val if v not in have)
        elif isinstance(val, dict):
            for mode, scopes in val.items():
                have = out.setdefault(key, {}).setdefault(mode, [])
                have.extend(
                    s for s in (scopes if isinstance(scopes, list) else [scopes]) if s not in have
                )
        else:
            out[key] = val
    return out


def parse_grants(items: list[str], requested: dict[str, Any]) -> dict[str, Any]:
    """`KIND=VALUE` items into a grants table; a grant may narrow a request, never widen it."""
    grants: dict[str, Any] = {}
    for item in items:
        kind, value = _split(item)
        grants = merge_grants(grants, _narrowed(kind, value, requested))
    return grants


def _drop(grants: dict[str, Any], kind: str, value: str) -> bool:
    """Remove one granted item in place; False if it was not granted."""
    if kind == "network":
        host, _, path = value.partition("/")
        want = {"host": host.lower(), "path_prefix": "/" + path}
        nets = _as_list(grants.get("network"))
        kept = [
            n for n in nets if not (isinstance(n, dict) and {**{"path_prefix": "/"}, **n} == want)
        ]
        grants["network"] = kept
        return len(kept) != len(nets)
    if kind == "secrets":
        have = _as_list(grants.get("secrets"))
        grants["secrets"] = [s for s in have if s != value]
        return len(grants["secrets"]) != len(have)
    if kind.startswith("filesystem."):
        mode = kind.split(".", 1)[1]
        fs = grants.get("filesystem") if isinstance(grants.get("filesystem"), dict) else {}
        have = _as_list(fs.get(mode))
        if value not in have:
            return False
        fs[mode] = [s for s in have if s != value]
        return True
    if kind == "process":
        return grants.pop("process", None) is not None
    rates = grants.get("rate_limits") if isinstance(grants.get("rate_limits"), dict) else {}
    return rates.pop("outbound_per_minute", None) is not None


def _pruned(grants: dict[str, Any]) -> dict[str, Any]:
    """No empty lists or tables left behind by a revoke."""
    out = {}
    for key, val in grants.items():
        if isinstance(val, dict):
            val = {k: v for k, v in val.items() if v not in ([], None)}
        if val not in ([], {}, None):
            out[key] = val
    return out


def revoke_grants(grants: dict[str, Any], items: list[str]) -> dict[str, Any]:
    """`grants` without the `KIND=VALUE` items (a copy); revoking what is not granted is an error."""
    out = copy.deepcopy(grants)
    for item in items:
        kind, value = _split(item)
        if not _drop(out, kind, value):
            now = grant_lines(_pruned(out))
            raise UsageError(
                f"{item!r} is not granted, so it cannot be revoked",
                rule="grant-not-granted",
                hint="granted now: " + "; ".join(now) if now else "nothing is granted now",
            )
    return _pruned(out)


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
