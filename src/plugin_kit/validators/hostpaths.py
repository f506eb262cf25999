"""Member path rules per host: our rules (paths.py) plus what the host itself refuses.

Yoi turns every entry name through plugin.rs `normalize_archive_path` (and `looks_like_windows_drive`):
empty names, NUL, backslash, a leading `/` or `~`, a drive letter (`C:`), and empty, `.` or `..`
segments make it refuse the whole package. Most of these are ours too; the leading `~` and the drive
letter get their own rule ids here so an author sees the host's reason, not a generic one.
"""

from __future__ import annotations

from collections.abc import Callable

from plugin_kit.hosts import INSOMNIA, YOI, Host
from plugin_kit.validators.paths import PathViolation, path_violation

__all__ = ["host_path_violation", "yoi_name_violation"]


def yoi_name_violation(raw: str) -> PathViolation | None:
    """The refusals of plugin.rs `normalize_archive_path`, each with our rule id."""
    if raw == "":
        return PathViolation("path-empty", raw, "the entry has an empty name")
    if "\0" in raw:
        return PathViolation("path-character", raw, "the name contains a NUL byte")
    if "\\" in raw:
        return PathViolation("path-backslash", raw, "path contains a backslash")
    if raw.startswith("/"):
        return PathViolation("path-absolute", raw, "path is absolute")
    if raw.startswith("~"):
        return PathViolation("path-tilde", raw, "path starts with '~' (Yoi refuses it)")
    if len(raw) >= 2 and raw[1] == ":" and raw[0].isascii() and raw[0].isalpha():
        return PathViolation("path-drive-letter", raw, "path starts with a drive letter")
    for part in raw.split("/"):
        if part == "":
            return PathViolation(
                "path-empty-segment", raw, "path has an empty segment ('//' or a trailing '/')"
            )
        if part in (".", ".."):
            return PathViolation("path-dot-segment", raw, f"path has a '{part}' segment")
    return None


_HOST_RULES: dict[str, tuple[Callable[[str], PathViolation | None], ...]] = {
    INSOMNIA.name: (),
    YOI.name: (yoi_name_violation,),
}


def host_path_violation(
    path: str, host: Host, *, max_path_bytes: int = 255
) -> PathViolation | None:
    """The first rule `path` breaks for `host`: the host's own refusals first, then ours."""
    for check in _HOST_RULES[host.name]:
        found = check(path)
        if found is not None:
            return found
    return path_violation(path, max_path_bytes=max_path_bytes)
