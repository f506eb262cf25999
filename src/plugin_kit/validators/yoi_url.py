"""A request or WebSocket URL as the Yoi host sees it when it matches a grant.

Yoi parses the URL first (`reqwest::Url::parse`, the Rust `url` crate 2.5.8, which follows the
WHATWG URL Standard) and matches its grants against the parsed URL's parts (HareK02/yoi
crates/worker/src/feature/plugin.rs @ b12e0785: `validate_plugin_request_request`,
`request_target_allows`, `websocket_target_allows`, `canonical_host`): `url.scheme()`,
`url.host_str()`, `url.port_or_known_default()` and `url.path()`. The path a grant prefix is
compared with is the parsed one: `.`/`..` segments (also written `%2e`, any case) resolved,
non-ASCII and the path percent-encode set percent-encoded, `\\` a separator. Only the special
schemes a request or WebSocket may use are parsed here, and only as far as the match and the
request sent depend on it; another scheme is read as its name alone (the host refuses it by it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_to_bytes

__all__ = [
    "ParsedUrl",
    "parse_url",
    "written_port",
    "normalize_path",
    "normalize_host_literal",
    "ascii_lower",
    "prefix_as_parsed",
]

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# what the url crate keeps as it is in a path (`PATH`: C0 controls, space, " # < > ? ` { } and
# DEL are encoded) and in a special URL's query (`SPECIAL_QUERY`: C0, space, " # < > ' and DEL)
_PATH_KEEP = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"#<>?`{}')
_QUERY_KEEP = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "\"#<>'")
_SINGLE_DOT = {".", "%2e"}  # compared lower-cased: `%2E` is a dot too
_DOUBLE_DOT = {"..", ".%2e", "%2e.", "%2e%2e"}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
# the forbidden domain code points: a host holding one is not a URL
_FORBIDDEN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|%\x7f") | {chr(c) for c in range(0x20)}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class ParsedUrl:
    """The parts of a parsed URL the host reads (names as the url crate's accessors)."""

    scheme: str
    host: str = ""  # host_str(): ASCII, lower case; an IPv6 address in brackets
    port: int | None = None  # port(): None when absent or the scheme's default
    path: str = ""  # path()
    query: str | None = None  # query()
    username: str = ""  # as written, not encoded: the host only asks whether there is one
    password: str | None = None

    @property
    def port_or_default(self) -> int | None:
        """port_or_known_default()"""
        return self.port if self.port is not None else DEFAULT_PORTS.get(self.scheme)

    @property
    def target(self) -> str:
        """The request target sent on the wire: the path and the query."""
        return self.path + ("" if self.query is None else f"?{self.query}")

    @property
    def authority(self) -> str:
        """The `Host:` header: the host, and the port when it is not the default."""
        return self.host + ("" if self.port is None else f":{self.port}")


def ascii_lower(text: str) -> str:
    """Rust's `to_ascii_lowercase`: only A-Z change."""
    return text.translate(_ASCII_LOWER)


def normalize_host_literal(host: str) -> str:
    """The host's `normalize_host_literal`, applied to a grant's host and the URL's alike."""
    return ascii_lower(host.rstrip(".").lstrip("[").rstrip("]"))


def normalize_path(path: str) -> str:
    """The WHATWG path state for a special URL: `path` as `url.path()` returns it."""
    if path[:1] in ("/", "\\"):
        path = path[1:]
    raw = re.split(r"[/\\]", path)
    segments: list[str] = []
    for i, segment in enumerate(raw):
        last = i == len(raw) - 1
        encoded = quote(segment, safe=_PATH_KEEP)
        dots = encoded.lower()
        if dots in _DOUBLE_DOT:
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif dots in _SINGLE_DOT:
            if last:
                segments.append("")
        else:
            segments.append(encoded)
    return "/" + "/".join(segments)


def prefix_as_parsed(prefix: str) -> str | None:
    """A path prefix as it must be written to match the paths it reads as (non-ASCII encoded,
    no `.`/`..` segment before a `/`), or None when it is written so already. Yoi compares a
    prefix with the parsed path as it is written, so one that differs matches nothing."""
    probe = prefix + "x"  # a last segment the prefix may leave open is kept as written
    parsed = normalize_path(probe)[:-1] if prefix.startswith("/") else None
    return None if parsed == prefix or parsed is None else parsed


def parse_url(text: str) -> ParsedUrl:
    """`Url::parse` as far as a grant match depends on it; ValueError where it fails."""
    return _parse(text)[0]


def written_port(text: str) -> int | None:
    """The port `text` writes, also when it is the scheme's default, which `ParsedUrl.port`
    drops (a grant written with `:443` pins 443); ValueError where the parse fails."""
    return _parse(text)[1]


def _parse(text: str) -> tuple[ParsedUrl, int | None]:
    text = text.strip("".join(chr(c) for c in range(0x21)))
    text = re.sub(r"[\t\n\r]", "", text)
    match = _SCHEME.match(text)
    if not match or text[match.end() : match.end() + 1] != ":":
        raise ValueError("relative URL without a base")
    scheme = ascii_lower(match.group())
    if scheme not in DEFAULT_PORTS:
        return ParsedUrl(scheme), None
    rest = text[match.end() + 1 :].lstrip("/\\")  # special authority ignore slashes state
    end = re.search(r"[/\\?#]", rest)
    authority, rest = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    username, password = "", None
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
        name, colon, secret = userinfo.partition(":")
        username, password = name, (secret if colon and secret else None)  # `u:@h` has none
    host, written = _host_and_port(authority)
    port = None if written == DEFAULT_PORTS[scheme] else written
    path_end = re.search(r"[?#]", rest)
    path = rest[: path_end.start()] if path_end else rest
    query = None
    if path_end and path_end.group() == "?":
        query = quote(rest[path_end.end() :].partition("#")[0], safe=_QUERY_KEEP)
    return ParsedUrl(scheme, host, port, normalize_path(path), query, username, password), written


def _host_and_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise ValueError("invalid IPv6 address")
        host, after = _ipv6(authority[1:close]), authority[close + 1 :]
        if after and not after.startswith(":"):
            raise ValueError("invalid port number")
        port_text = after[1:]
    else:
        raw, _, port_text = authority.partition(":")
        host = _domain(raw)
    if not re.fullmatch(r"[0-9]*", port_text):
        raise ValueError("invalid port number")
    port = int(port_text) if port_text else None
    if port is not None and port > 65535:
        raise ValueError("invalid port number")
    return host, port


def _ipv6(text: str) -> str:
    """An IPv6 literal serialised as the URL Standard does: lower-case hex pieces, the first
    longest run of two or more zero pieces compressed to `::`."""
    import ipaddress  # only IP literals need it; the validator imports this module

    try:
        if "%" in text:  # Python takes a zone (`%eth0`), the URL Standard does not
            raise ValueError(text)
        value = int(ipaddress.IPv6Address(text))
    except ValueError as exc:
        raise ValueError("invalid IPv6 address") from exc
    pieces = [(value >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    best, best_len, i = -1, 1, 0
    while i < 8:
        j = i
        while j < 8 and pieces[j] == 0:
            j += 1
        if j - i > best_len:
            best, best_len = i, j - i
        i = j + 1
    hexes = [format(p, "x") for p in pieces]
    if best < 0:
        return "[" + ":".join(hexes) + "]"
    return "[" + ":".join(hexes[:best]) + "::" + ":".join(hexes[best + best_len :]) + "]"


def _domain(raw: str) -> str:
    """The host parser for a non-bracketed host: percent-decoded, IDNA (UTS #46, non-
    transitional, as the `idna` crate the url crate uses), checked, and an IPv4 address when
    its last label is a number."""
    if not raw:
        raise ValueError("empty host")
    name = unquote_to_bytes(raw).decode("utf-8", "replace")
    if not name.isascii() or "xn--" in ascii_lower(name):
        name = _idna(name)
    name = ascii_lower(name)
    if _FORBIDDEN_HOST & set(name) or not name:
        raise ValueError("invalid domain character")
    labels = name.split(".")
    last = labels[-1] if labels[-1] or len(labels) == 1 else labels[-2]
    if re.fullmatch(r"[0-9]+|0[xX][0-9A-Fa-f]*", last):
        return _ipv4(labels)
    return name


def _idna(name: str) -> str:
    """UTS #46 ToASCII as the URL Standard asks it: mapped (non-transitional, no STD3 rules),
    and every label valid: an `xn--` label must decode to a label that maps to itself, none
    may start with a combining mark, a joiner needs its context (CheckJoiners)."""
    import idna  # installed with PyGithub's requests; only non-ASCII host names need it

    try:
        mapped = idna.uts46_remap(name, std3_rules=False, transitional=False)
        labels = mapped.split(".")
        for label in labels:
            _check_label(_unicode_label(label, idna), idna)
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"invalid international domain name: {exc}") from exc
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in labels
    )


def _unicode_label(label: str, idna: Any) -> str:
    """An `xn--` label decoded (Punycode), which must map to itself; another as it is."""
    if not label.startswith("xn--"):  # mapped: lower case already
        return label
    decoded = label[4:].encode("ascii").decode("punycode")
    if not decoded or idna.uts46_remap(decoded, std3_rules=False, transitional=False) != decoded:
        raise idna.IDNAError(f"{label!r} is not a valid A-label")
    return decoded


def _check_label(label: str, idna: Any) -> None:
    if label.isascii():
        return
    idna.core.check_initial_combiner(label)
    for pos, char in enumerate(label):
        if char in "\u200c\u200d" and not idna.core.valid_contextj(label, pos):
            raise idna.IDNAError(f"a joiner out of its context in {label!r}")


def _ipv4(labels: list[str]) -> str:
    """The URL Standard's IPv4 parser: 1 to 4 decimal, octal (`0` first) or hex (`0x`)
    numbers, the last filling the bytes the others leave."""
    if labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]
    if len(labels) > 4:
        raise ValueError("invalid IPv4 address")
    numbers = [_ipv4_number(label) for label in labels]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError("invalid IPv4 address")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _ipv4_number(label: str) -> int:
    if not label:  # `0..1`, `.1.2`: an empty part fails; only `0x` alone is 0
        raise ValueError("invalid IPv4 address")
    base, digits = 10, label
    if label[:2] in ("0x", "0X"):
        base, digits = 16, label[2:]
    elif len(label) > 1 and label.startswith("0"):
        base, digits = 8, label[1:]
    if not all(c in "0123456789abcdef"[:base] for c in digits.lower()):
        raise ValueError("invalid IPv4 address")
    return int(digits, base) if digits else 0
