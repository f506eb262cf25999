"""Text that others control, made safe for a terminal: control characters are shown, never
interpreted.

A catalog, a manifest, a store file name or a lock in a cloned repository can carry escape
sequences (erase a line, move the cursor, OSC 52 writes the clipboard), C1 controls (U+009B
is a one-character CSI), bidi overrides that reorder what is read, or newlines that forge
a line of our own output. `visible` replaces each such character with a hex escape:
`\\xHH` up to U+00FF, `\\uHHHH` above (ESC is `\\x1b`, a newline `\\x0a`, RLO `\\u202e`).
Printable text, non-ASCII letters included, is kept as it is; a backslash is kept too, so
`\\x1b` typed literally looks the same as an escaped ESC but is equally inert.
"""

from __future__ import annotations

import re

__all__ = ["visible", "one_line"]

# C0 controls (newline and tab too), DEL, C1 controls; the Arabic letter mark, LRM/RLM;
# line and paragraph separators, bidi embeddings and overrides (U+2028-U+202E); bidi
# isolates (U+2066-U+2069); lone surrogates, which undecodable file names turn into.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape_char(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # one_line only: a tag or private-use character beyond the BMP
        return f"\\U{code:08x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape(match: re.Match[str]) -> str:
    return _escape_char(match.group())


def visible(text: str) -> str:
    """`text` with every character a terminal would interpret written as its escape."""
    return _UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """`text` as one printable line (`str.isprintable()`): visible()'s escapes, and the same
    escape for every other character that is not printable (a no-break space, a format
    character). For data that must stay one plain line wherever it is shown (risk summaries)."""
    return "".join(c if c.isprintable() else _escape_char(c) for c in text)
