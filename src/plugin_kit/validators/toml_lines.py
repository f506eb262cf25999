"""The line of a key path (`tools[1].input_schema`) in a TOML text, for annotations at the
manifest line. A line scan, not a parser: the text may be the invalid one being reported."""

from __future__ import annotations

import re

__all__ = ["key_line", "split_path"]

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_DOTTED = re.compile(r"""\s*([A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*(?:\.|$)""")


def split_path(path: str) -> list[str | int]:
    """`tools[1].input_schema` -> ["tools", 1, "input_schema"]."""
    return [int(i) if i else name for name, i in _PART.findall(path)]


def _keys(dotted: str) -> list[str]:
    return [k.strip("\"'") for k in _DOTTED.findall(dotted)]


def key_line(text: str, path: str) -> int | None:
    """1-based line of the deepest part of `path` found in `text`; None when no part is found."""
    want = split_path(path)
    if not want:
        return None
    counts: dict[tuple[str, ...], int] = {}
    table: list[str | int] = []
    best, depth = None, 0
    for n, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            names = _keys(header.group(2))
            table = list(names)
            if header.group(1) == "[[":  # array of tables: the next element of that array
                index = counts.get(tuple(names), -1) + 1
                counts[tuple(names)] = index
                table.append(index)
            here = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            here = [*table, *_keys(key.group(1))]
        matched = _common(here, want)
        if matched > depth or (matched == depth and matched == len(here) and best is None):
            best, depth = n, matched
    return best if depth else None


def _common(have: list[str | int], want: list[str | int]) -> int:
    """How many leading parts of `want` `have` names; 0 unless `have` is a prefix of `want`
    (or `want` of it), so a key of another table never matches."""
    n = 0
    for a, b in zip(have, want, strict=False):
        if a != b:
            return 0 if n < len(have) else n
        n += 1
    return n
