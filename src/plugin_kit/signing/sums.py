"""SHA256SUMS: `<hex>  <name>` lines, sorted by name, LF, exactly what `sha256sum -c` reads.

Names are single release-asset names. Anything `sha256sum` would escape or read differently
(slashes, backslashes, line breaks, a leading `*`, surrounding spaces) is refused both ways,
so a hostile file cannot make two tools disagree about which name a hash belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from plugin_kit.signing.caps import MAX_SUMS_BYTES
from plugin_kit.signing.errors import SumsError

__all__ = ["format_sums", "parse_sums"]

_HEX = re.compile(r"[0-9a-f]{64}")
_LINE = re.compile(r"([0-9A-Fa-f]{64}) ([ *])(.*)")


def _check_name(name: str, place: str) -> None:
    bad = (
        not name
        or name in (".", "..")
        or name != name.strip()
        or name.startswith("*")
        or any(c in "/\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    )
    if bad:
        raise SumsError(
            f"unsafe file name in SHA256SUMS: {name!r}",
            rule="sums.bad-name",
            place=place,
            hint="asset names are plain file names: no slash, backslash, control character or leading '*'",
        )


def format_sums(mapping: Mapping[str, str]) -> bytes:
    """Render {name: sha256 hex} as SHA256SUMS bytes, sorted by the UTF-8 bytes of each name."""
    lines = []
    for name in sorted(mapping, key=lambda n: n.encode("utf-8")):
        digest = mapping[name].lower()
        _check_name(name, "SHA256SUMS")
        if not _HEX.fullmatch(digest):
            raise SumsError(
                f"not a sha256 hex digest for {name!r}", rule="sums.bad-digest", place="SHA256SUMS"
            )
        lines.append(f"{digest}  {name}\n")
    return "".join(lines).encode("utf-8")


def parse_sums(data: bytes) -> dict[str, str]:
    """Read SHA256SUMS bytes into {name: lower-case hex}; strict, raises SumsError with the line."""
    if len(data) > MAX_SUMS_BYTES:
        raise SumsError(
            "SHA256SUMS is larger than 1 MiB", rule="sums.too-large", place="SHA256SUMS"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SumsError(
            "SHA256SUMS is not UTF-8", rule="sums.encoding", place="SHA256SUMS"
        ) from exc
    if text and not text.endswith("\n"):
        text += "\n"  # sha256sum accepts a missing final newline; so do we
    out: dict[str, str] = {}
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        place = f"SHA256SUMS:{number}"
        match = _LINE.fullmatch(line)
        if not match:
            raise SumsError(
                "expected `<sha256 hex>  <name>`",
                rule="sums.bad-line",
                place=place,
                hint="lines are written by `sha256sum` or `plugin publish`, LF line endings",
            )
        digest, _mode, name = match.groups()
        _check_name(name, place)
        if name in out:
            raise SumsError(f"{name!r} is listed twice", rule="sums.duplicate", place=place)
        out[name] = digest.lower()
    return out
