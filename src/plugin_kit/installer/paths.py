"""Where the consumer side keeps things: config (trusted state) and cache (derived data)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "config_dir",
    "cache_root",
    "plugin_cache_dir",
    "archives_dir",
    "downloads_dir",
    "locks_dir",
    "catalog_cache_dir",
    "audit_log_path",
    "lock_timeout",
]


def _xdg(var: str, fallback: str) -> Path:
    # An empty XDG variable counts as unset (XDG Base Directory spec).
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/insomnia: catalogs.toml, plugins.toml, the user store, the audit log."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "insomnia"


def cache_root() -> Path:
    """$XDG_CACHE_HOME/insomnia: everything here can be rebuilt from verified sources."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "insomnia"


def plugin_cache_dir() -> Path:
    """Extracted, read-only trees keyed by content digest hex."""
    return cache_root() / "plugins"


def archives_dir() -> Path:
    """Verified archive bytes keyed by archive sha256 (offline re-place and verify)."""
    return cache_root() / "archives"


def downloads_dir() -> Path:
    return cache_root() / "downloads"


def locks_dir() -> Path:
    # Locks live outside the directories they guard, so removing a tree never removes its lock.
    return cache_root() / "locks"


def catalog_cache_dir(name: str) -> Path:
    return cache_root() / "catalogs" / name


def audit_log_path() -> Path:
    return config_dir() / "audit.jsonl"


def lock_timeout() -> float:
    """Seconds to wait for a store or cache lock (PLUGIN_KIT_LOCK_TIMEOUT overrides)."""
    try:
        return float(os.environ.get("PLUGIN_KIT_LOCK_TIMEOUT", "60"))
    except ValueError:
        return 60.0
