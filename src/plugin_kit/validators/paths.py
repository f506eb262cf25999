"""Path rules for archive members, shared by the packer (refuse a tree) and the reader (refuse an archive).

Each rule has a stable id that errors carry; docs/format.md lists them. The rules follow Go's
module.CheckFilePath and its Windows short-name check (x/mod module.go, "trailing tilde and digits"),
CPython's ntpath reserved names and node-tar's collision CVEs (see shared/research/archive.md,
rules 18-26).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["PathViolation", "path_violation", "CollisionChecker", "collision_key", "MANIFEST_NAME"]

MANIFEST_NAME = "plugin.toml"
MAX_COMPONENT_BYTES = 255
MAX_DEPTH = 32

# Go's fileNameOK punctuation; letters (any script) and ASCII digits are allowed besides.
_ALLOWED_PUNCT = frozenset(" !#$%&()+,-.=@[]^_{}~")
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [
        f"{p}{n}"
        for p in ("COM", "LPT")
        for n in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³")
    ]
)


@dataclass(frozen=True)
class PathViolation:
    """One broken path rule: `rule` is the stable id, `message` says what is wrong."""

    rule: str
    path: str
    message: str


# Most paths are ASCII: one regex answers for the whole path before any per-character work.
_ASCII_OK = re.compile(r"[A-Za-z0-9 !#$%&()+,\-.=@\[\]^_{}~/]*")


def _char_ok(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum() or ch in _ALLOWED_PUNCT
    # Letters and combining marks of any script; not other digits (U+0663 looks like 3 and is not
    # one to a reader) nor enclosing marks (U+20DD draws over its neighbours).
    return ch.isalpha() or unicodedata.category(ch) in ("Mn", "Mc")


def _short_name(part: str) -> bool:
    """A Windows 8.3 alias such as PROGRA~1: Go's rule, a tilde then only ASCII digits before the first dot."""
    _stem, tilde, digits = part.partition(".")[0].rpartition("~")
    return bool(tilde) and digits != "" and digits.isascii() and digits.isdigit()


def _component_violation(path: str, part: str) -> PathViolation | None:
    if part == "":
        return PathViolation(
            "path-empty-segment", path, "path has an empty segment ('//' or a trailing '/')"
        )
    if set(part) == {"."}:
        return PathViolation("path-dot-segment", path, f"path has a '{part}' segment")
    if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
        return PathViolation(
            "path-component-too-long", path, f"a segment is longer than {MAX_COMPONENT_BYTES} bytes"
        )
    bad = None if _ASCII_OK.fullmatch(part) else next((c for c in part if not _char_ok(c)), None)
    if bad is not None:
        return PathViolation(
            "path-character", path, f"character {bad!r} (U+{ord(bad):04X}) is not allowed"
        )
    if part[-1] in ". ":
        return PathViolation(
            "path-trailing-dot-or-space", path, f"segment {part!r} ends with a dot or space"
        )
    if part.partition(".")[0].rstrip(" ").upper() in _RESERVED:
        return PathViolation(
            "path-reserved-name", path, f"segment {part!r} is a reserved Windows device name"
        )
    if _short_name(part):
        return PathViolation(
            "path-short-name", path, f"segment {part!r} looks like a Windows 8.3 short name"
        )
    return None


def path_violation(path: str, *, max_path_bytes: int = 255) -> PathViolation | None:
    """Return the first rule `path` breaks, or None when it is a valid member path."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return PathViolation("path-utf8", path, "path is not valid UTF-8")
    if "\\" in path:
        return PathViolation("path-backslash", path, "path contains a backslash")
    if path.startswith("/"):
        return PathViolation("path-absolute", path, "path is absolute")
    if unicodedata.normalize("NFC", path) != path:
        return PathViolation("path-not-nfc", path, "path is not in Unicode NFC form")
    if len(path.encode("utf-8")) > max_path_bytes:
        return PathViolation("path-too-long", path, f"path is longer than {max_path_bytes} bytes")
    parts = path.split("/")
    if len(parts) > MAX_DEPTH:
        return PathViolation("path-too-deep", path, f"path is deeper than {MAX_DEPTH} segments")
    for part in parts:
        found = _component_violation(path, part)
        if found is not None:
            return found
    return None


def collision_key(path: str) -> str:
    """Unicode canonical caseless key: NFD(casefold(NFD(x))), so ß/ss, K/U+212A and NFC/NFD collide."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", path).casefold())


class CollisionChecker:
    """Tracks member paths and refuses duplicates, caseless collisions (of files and of folders) and
    file/directory conflicts."""

    def __init__(self) -> None:
        self._files: dict[str, str] = {}
        self._dirs: dict[str, str] = {}

    def add(self, path: str) -> PathViolation | None:
        key = collision_key(path)
        if key in self._files:
            other = self._files[key]
            if other == path:
                return PathViolation("duplicate-entry", path, "path appears more than once")
            return PathViolation(
                "path-collision", path, f"path collides with {other!r} (case or Unicode folding)"
            )
        if key in self._dirs:
            return PathViolation(
                "file-dir-conflict",
                path,
                f"path is both a file and a directory of {self._dirs[key]!r}",
            )
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            pkey = collision_key(prefix)
            if pkey in self._files:
                return PathViolation(
                    "file-dir-conflict",
                    path,
                    f"{self._files[pkey]!r} is a file but also a directory here",
                )
            other = self._dirs.setdefault(pkey, prefix)
            if other != prefix:
                return PathViolation(
                    "path-collision",
                    path,
                    f"folder {prefix!r} collides with folder {other!r} (case or Unicode folding)",
                )
        self._files[key] = path
        return None
