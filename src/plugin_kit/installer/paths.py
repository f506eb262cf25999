"""Where the consumer side keeps things: config (trusted state) and cache (derived data)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from plugin_kit.fsio import ensure_dir

__all__ = [
    "make_dir",
    "PRIVATE_DIR_MODE",
    "SHARED_DIR_MODE",
    "config_dir",
    "cache_root",
    "plugin_cache_dir",
    "archives_dir",
    "downloads_dir",
    "locks_dir",
    "catalog_cache_dir",
    "audit_log_path",
    "lock_timeout",
    "yoi_config_dir",
    "user_profiles_path",
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


# Config and cache are the user's own (trusted state, private catalogs): 0700, as the XDG Base
# Directory spec asks of folders it creates. A workspace store is part of a repository
# checkout and is read by whoever reads the checkout: 0755.
PRIVATE_DIR_MODE = 0o700
SHARED_DIR_MODE = 0o755


def make_dir(path: Path) -> Path:
    """Create `path` and its missing parents with the mode their place calls for, whatever the
    umask; folders that exist keep their modes."""
    private = any(Path(path).is_relative_to(root) for root in (config_dir(), cache_root()))
    return ensure_dir(path, PRIVATE_DIR_MODE if private else SHARED_DIR_MODE)


def lock_timeout() -> float:
    """Seconds to wait for a store or cache lock (PLUGIN_KIT_LOCK_TIMEOUT overrides)."""
    try:
        return float(os.environ.get("PLUGIN_KIT_LOCK_TIMEOUT", "60"))
    except ValueError:
        return 60.0


# Yoi's config folder (crates/manifest/src/paths.rs in Yoi): here, not in yoi_profiles.py, so that a command
# can ask whether Yoi has any config without importing Yoi's Profile code.
def _env_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value) if value else None  # paths.rs `path_from_env_value`: empty = unset


def yoi_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """paths.rs `config_dir`."""
    env = os.environ if env is None else env
    if (explicit := _env_path(env, "YOI_CONFIG_DIR")) is not None:
        return explicit
    if (home := _env_path(env, "YOI_HOME")) is not None:
        return home / "config"
    if (xdg := _env_path(env, "XDG_CONFIG_HOME")) is not None:
        return xdg / "yoi"
    return (_env_path(env, "HOME") or Path.home()) / ".config" / "yoi"


def user_profiles_path(env: Mapping[str, str] | None = None) -> Path:
    """paths.rs `user_profiles_path`: `<config_dir>/profiles.toml`."""
    return yoi_config_dir(env) / "profiles.toml"
