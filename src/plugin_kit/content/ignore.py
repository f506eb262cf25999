"""Gitignore-style lines ([package] include/exclude, the never-packed list) as one matcher.

The lines nearly every project writes (`dist/`, `*.pyc`, `/plugin-kit.toml`, `docs/a.md`,
`\\#*#`: literal names, `*` inside a name, a leading or trailing `/`, a leading `\\#`) are
translated here into the regular expression pathspec would build for them, so `validate` and
`pack` do not import pathspec (~10 ms); any other line (`**`, `!`, `?`, `[...]`, any other
`\\`, spaces, a segment that is only `*`) hands the whole list to pathspec's GitIgnoreSpec.
tests/format/test_ignore.py keeps both verdicts equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["ignore_spec"]

_PLAIN = re.compile(r"[^\s!?\[\]\\/*]+")  # a name's characters outside `*`


class _Simple:
    """Lines of the simple kind: one regex, matched at the start of the path as pathspec does
    (a folder's trailing `/` is part of the path asked about)."""

    def __init__(self, regexes: list[str]) -> None:
        self._regex = re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None

    def match_file(self, path: str) -> bool:
        return self._regex is not None and self._regex.match(path) is not None


def _segment(seg: str) -> str | None:
    """A name's regex: `*` is any run of characters but `/`; None when pathspec reads the name
    another way (only `*`, `**`, or a character outside the simple kind)."""
    if seg in ("", "*") or "**" in seg or not all(_PLAIN.fullmatch(p) for p in seg.split("*") if p):
        return None
    return "[^/]*".join(re.escape(p) for p in seg.split("*"))


def _regex(line: str) -> str | None:
    """The regex of one simple line; "" for a line that matches nothing (empty, a comment)."""
    if not line or line.startswith("#"):
        return ""
    if line.startswith("\\#"):  # `\#`: a name that starts with `#`, not a comment
        line = line[1:]
    dir_only = line.endswith("/")
    body = line[:-1] if dir_only else line
    anchored = "/" in body
    body = body.removeprefix("/")
    parts = [_segment(s) for s in body.split("/")]
    if not body or None in parts:
        return None
    head = "^" if anchored else "^(?:.+/)?"
    return head + "/".join(parts) + ("/" if dir_only else "(?:/|$)")  # type: ignore[arg-type]


def ignore_spec(lines: Iterable[str]) -> Any:
    """A matcher with `match_file(path)` (a folder as `path/`) for gitignore-style `lines`."""
    lines = list(lines)
    regexes = [_regex(line) for line in lines]
    if None in regexes:
        import pathspec

        return pathspec.GitIgnoreSpec.from_lines(lines)
    return _Simple([r for r in regexes if r])
