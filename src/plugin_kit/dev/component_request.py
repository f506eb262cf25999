"""`yoi:host/request` beyond the grants: the host's request rules, its response bounds and
redaction, and forwarding a granted request to a loopback server the author runs (`--upstream`).

The rules are the host's (HareK02/yoi crates/worker/src/feature/plugin.rs @ b12e0785):
`validate_plugin_request_request` and `validate_request_header` (methods, at most 16 headers,
names of at most 64 bytes, values of at most 1 KiB, no credential-like, upgrade or event-stream
header, a body of at most 32 KiB, http and https only), `ReqwestPluginRequestClient::execute`
(no redirect followed, no proxy, a 5 s timeout, its user agent, at most 64 KiB of body read) and
`enforce_request_response_bounds` / `collect_request_response_headers` (credential-like response
headers dropped, at most 16 kept, values redacted by `redact_secret_like` and cut at 1 KiB).

The dev host never reaches the network: `--upstream` must name a loopback address (127.0.0.0/8,
::1 or `localhost` resolving only to those); a granted request for `https://api.example.com/v1/x?q`
is sent there as `/v1/x?q` (below the upstream's own path, if it has one) with `Host:
api.example.com`, in plain HTTP.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from plugin_kit.dev.component_grants import REQUEST_METHODS
from plugin_kit.errors import DevError, UsageError
from plugin_kit.validators.yoi_url import ParsedUrl, normalize_path, parse_url

__all__ = ["Upstream", "parse_upstream", "check_request", "fixture_response", "redact"]

KiB = 1024
REQUEST_MAX_BODY = 32 * KiB  # PLUGIN_REQUEST_MAX_REQUEST_BODY_BYTES
REQUEST_MAX_HEADERS = 16  # PLUGIN_REQUEST_MAX_REQUEST_HEADERS
HEADER_NAME_MAX = 64  # PLUGIN_REQUEST_MAX_HEADER_NAME_BYTES
HEADER_VALUE_MAX = 1 * KiB  # PLUGIN_REQUEST_MAX_HEADER_VALUE_BYTES
RESPONSE_MAX_HEADERS = 16  # PLUGIN_REQUEST_MAX_RESPONSE_HEADERS
RESPONSE_MAX_BODY = 64 * KiB  # PLUGIN_REQUEST_MAX_RESPONSE_BYTES
REQUEST_TIMEOUT = 5.0  # PLUGIN_REQUEST_TIMEOUT, seconds
USER_AGENT = "yoi-plugin-request-host-api/0.1"
SENSITIVE_HEADERS = frozenset(
    "authorization proxy-authorization cookie set-cookie x-api-key x-auth-token api-key apikey".split()
)  # is_sensitive_header
_SECRET_WORDS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                 "x-auth-token", "api-key", "token", "secret", "password")  # fmt: skip
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP header name (RFC 9110 token)
UPSTREAM_RULE = "yoi-upstream-not-loopback"
PLACE = "host_api.request"


def _failed(message: str) -> DevError:
    # PluginRequestError::new redacts every message it carries.
    return DevError(redact(message), rule="yoi-host-call-failed", place=PLACE)


def redact(text: str) -> str:
    """`redact_secret_like`: after each secret-like word (any case), its `=`/`:`/space run, the
    value up to the next space, `,`, `;` or line end becomes `<redacted>`."""
    for word in _SECRET_WORDS:
        pattern = re.compile(rf"({re.escape(word)}[ =:\t]*)([^ ,;\n\r]*)", re.IGNORECASE)
        text = pattern.sub(lambda m: m[1] + ("<redacted>" if m[2] else ""), text)
    return text


# -- the request -------------------------------------------------------------------------------


def _header(item: Any) -> tuple[str, str]:
    if not isinstance(item, Mapping) or set(item) != {"name", "value"}:
        raise _failed('a request header must be {"name": ..., "value": ...} and nothing else')
    name, value = item["name"], item["value"]
    if not isinstance(name, str) or not isinstance(value, str):
        raise _failed("request header names and values must be strings")
    if not name or len(name.encode()) > HEADER_NAME_MAX or not _TOKEN.fullmatch(name):
        raise _failed("request header name is invalid")
    if len(value.encode()) > HEADER_VALUE_MAX:
        raise _failed(f"request header `{name}` exceeds {HEADER_VALUE_MAX} bytes")
    lower = name.lower()
    if lower in SENSITIVE_HEADERS:
        raise _failed(f"request header `{name}` is credential-like and must be supplied by an "
                      "explicit future secret-ref grant, not guest memory")  # fmt: skip
    words = [v.strip().lower() for v in value.split(",")]
    if lower == "upgrade" or (lower == "connection" and "upgrade" in words):
        raise _failed("persistent connection upgrade headers are not supported by host_api.request")
    if lower == "accept" and "text/event-stream" in words:
        raise _failed("SSE/event-stream requests are not supported by host_api.request")
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):  # HeaderValue::from_str
        raise _failed(f"invalid request header value for `{name}`")
    return name, value


def check_request(method: str, url: str, headers: Any, body: Any) -> list[tuple[str, str]]:
    """`validate_plugin_request_request` up to the allowlist: the headers to send, or DevError."""
    if method not in REQUEST_METHODS:
        raise _failed(f"request method `{method}` is not allowed")
    if headers is not None and not isinstance(headers, list):
        raise _failed("request headers must be a list")
    if len(headers or []) > REQUEST_MAX_HEADERS:
        raise _failed(f"request descriptor has too many headers (max {REQUEST_MAX_HEADERS})")
    out = [_header(h) for h in headers or []]
    if body is not None and not isinstance(body, str):
        raise _failed("request body must be a string")
    if len((body or "").encode()) > REQUEST_MAX_BODY:
        raise _failed(f"request body exceeds {REQUEST_MAX_BODY} bytes")
    try:
        scheme = parse_url(url).scheme  # Url::parse: an out-of-range port fails it too
    except ValueError as exc:
        raise _failed(f"invalid request URL: {exc}") from exc
    if scheme in ("ws", "wss"):
        raise _failed("WebSocket URLs are not supported by host_api.request")
    if scheme not in ("http", "https"):
        raise _failed(f"unsupported request URL scheme {scheme!r}; only http and https are allowed")
    return out


# -- the response ------------------------------------------------------------------------------


def _visible(c: str) -> bool:
    return c == "\t" or 32 <= ord(c) < 127


def _bounded_value(value: str) -> str:
    value = redact(value)
    data = value.encode()
    if len(data) <= HEADER_VALUE_MAX:
        return value
    return data[:HEADER_VALUE_MAX].decode("utf-8", "ignore") + "…"


def _response(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> dict[str, Any]:
    """What the component receives: the host's bounds applied to headers and body."""
    kept = [(n, v) for n, v in headers if n.lower() not in SENSITIVE_HEADERS]
    # take(16) first, then drop what `HeaderValue::to_str` refuses (not visible ASCII)
    kept = [(n, v) for n, v in kept[:RESPONSE_MAX_HEADERS] if all(_visible(c) for c in v)]
    text = body[:RESPONSE_MAX_BODY].decode("utf-8", "replace")
    truncated = len(body) > RESPONSE_MAX_BODY
    if len(text.encode()) > RESPONSE_MAX_BODY:  # replacement characters can grow it
        text = text.encode()[:RESPONSE_MAX_BODY].decode("utf-8", "ignore")
        truncated = True
    return {
        "status": status,
        "headers": [{"name": n, "value": _bounded_value(v)} for n, v in kept],
        "body": text,
        "truncated": truncated,
    }


def fixture_response(fixture: Any) -> dict[str, Any]:
    """A fixture (`{"status", "headers", "body"}`, or the body alone) as the host would bound it."""
    response = {"body": fixture} if isinstance(fixture, str) else dict(fixture)
    headers = [(str(k), str(v)) for k, v in dict(response.get("headers") or {}).items()]
    body = str(response.get("body", "")).encode()
    return _response(int(response.get("status", 200)), headers, body)


# -- the loopback upstream ---------------------------------------------------------------------


def _refused(text: str, why: str) -> UsageError:
    return UsageError(
        f"--upstream {text}: {why}; the dev host only forwards to a loopback server "
        "(127.0.0.0/8, ::1 or localhost), it never reaches the network",
        rule=UPSTREAM_RULE,
        place="--upstream",
        hint="Run your fake of the service on this machine, e.g. --upstream http://127.0.0.1:8080.",
    )


def _loopback_addresses(host: str, port: int, text: str) -> tuple[str, ...]:
    """The addresses to connect to: an IP literal, or what `localhost` resolves to; every one
    must be loopback (a name other than localhost is refused without a lookup)."""
    if host.lower() == "localhost":
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise _refused(text, f"localhost does not resolve ({exc})") from exc
        addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    else:
        addresses = (host,)
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            raise _refused(text, f"{host} is a host name, not a loopback address") from None
        if not ip.is_loopback:
            raise _refused(text, f"{address} is not a loopback address")
    return addresses


@dataclass(frozen=True)
class Upstream:
    """A loopback HTTP server that answers granted requests in the network's place."""

    url: str
    addresses: tuple[str, ...]
    port: int
    base_path: str = ""
    timeout: float = REQUEST_TIMEOUT

    def forward(
        self, method: str, url: ParsedUrl, headers: Sequence[tuple[str, str]], body: str | None
    ) -> dict[str, Any]:
        """Send one checked, granted request here; the response as the host bounds it. The time-out
        holds for the whole request, as reqwest's does: each socket wait gets what is left of it.
        The path, query and `Host:` are the parsed URL's (yoi_url.py), as reqwest sends them."""
        import http.client

        target = self.base_path + url.target
        shown = f"{url.scheme}://{url.authority}{url.path}"  # safe_url: no query
        host = _host_header(url.authority, shown)
        end = time.monotonic() + self.timeout
        conn = None
        try:
            conn = self._connect(shown, end)
            sock = conn.sock  # the response reads from it after conn lets go of it
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host)  # the target the component asked for
            if not any(n.lower() == "user-agent" for n, _ in headers):
                conn.putheader("User-Agent", USER_AGENT)
            for name, value in headers:
                conn.putheader(name, value.encode())  # the host sends a value's UTF-8 bytes
            data = body.encode() if body is not None else None
            if data is not None:
                conn.putheader("Content-Length", str(len(data)))
            sock.settimeout(_left(end))
            conn.endheaders(data)
            sock.settimeout(_left(end))
            response = conn.getresponse()  # a redirect is answered as it is, never followed
            content = b""
            while len(content) <= RESPONSE_MAX_BODY and not response.isclosed():
                sock.settimeout(_left(end))
                chunk = response.read1(min(16 * KiB, RESPONSE_MAX_BODY + 1 - len(content)))
                if not chunk:
                    break
                content += chunk
            return _response(response.status, response.getheaders(), content)
        except TimeoutError as exc:
            raise _failed(f"request to {shown} timed out (upstream {self.url})") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise _failed(f"request to {shown} failed: {exc} (upstream {self.url})") from exc
        finally:
            if conn is not None:
                conn.close()

    def _connect(self, shown: str, end: float) -> Any:
        import http.client

        last: OSError | None = None
        for address in self.addresses:
            conn = http.client.HTTPConnection(address, self.port, timeout=_left(end))
            try:
                conn.connect()
                return conn
            except TimeoutError:
                conn.close()
                raise
            except OSError as exc:
                conn.close()
                last = exc
        raise _failed(f"request to {shown} failed: upstream {self.url} is not answering ({last})")


def _host_header(authority: str, shown: str) -> str:
    """The Host header: the parsed URL's host (ASCII already) and port. A label over 63 bytes
    names nothing DNS can resolve, so the call fails as Yoi's would at its lookup."""
    if any(len(label) > 63 for label in authority.split(":")[0].split(".")):
        raise _failed(f"request URL host is invalid: {shown}")
    return authority


def _left(end: float) -> float:
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError("the request time-out is spent")
    return left


def parse_upstream(text: str, *, timeout: float = REQUEST_TIMEOUT) -> Upstream:
    """`--upstream http://127.0.0.1:PORT[/PATH]`; UsageError (rule yoi-upstream-not-loopback)
    for anything that is not plain HTTP to a loopback address."""
    try:
        parts = urlsplit(text)
        port = 80 if parts.port is None else parts.port
    except ValueError as exc:
        raise _refused(text, f"not a URL ({exc})") from exc
    if port == 0:
        raise _refused(text, "port 0 is no server's port")
    if parts.scheme != "http" or not parts.hostname:
        raise _refused(text, "it must be an http:// URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise _refused(text, "it must not carry credentials, a query or a fragment")
    addresses = _loopback_addresses(parts.hostname, port, text)
    base_path = normalize_path(parts.path).rstrip("/")  # encoded, as the targets put below it
    return Upstream(text, addresses, port, base_path, timeout)
