"""The audit log: one JSON line per install, upgrade, enable, disable, uninstall and trust change."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from plugin_kit import __version__
from plugin_kit.installer.paths import audit_log_path, make_dir

__all__ = ["audit", "now_iso", "read_audit"]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def audit(action: str, *, outcome: str, **fields: Any) -> None:
    """Append one line with O_APPEND and a single write, so concurrent writers never interleave."""
    record = {
        "ts": now_iso(),
        "action": action,
        "outcome": outcome,
        "tool": f"insomnia-plugin-kit {__version__}",
    }
    record.update({k: v for k, v in fields.items() if v is not None})
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
    path = audit_log_path()
    make_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_audit() -> list[dict[str, Any]]:
    try:
        text = audit_log_path().read_text("utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
