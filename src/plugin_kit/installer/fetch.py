"""Fetching catalogs and release assets: https, http to loopback only, file://.

Every fetch has a byte cap (endless-data attack), a connect/read timeout and an overall
deadline that covers connecting, the response headers and the body (slow retrieval),
bounded retries for transient failures, and re-checks the scheme after each redirect.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from plugin_kit.errors import FileRefusedError, InstallError, UsageError, VerificationError
from plugin_kit.fsio import open_regular
from plugin_kit.installer._fs import checkpoint

if TYPE_CHECKING:
    import socket

__all__ = [
    "check_url",
    "fetch_bytes",
    "download",
    "Downloaded",
    "Progress",
    "MAX_ARCHIVE_BYTES",
    "sibling_url",
    "suffixed_url",
    "redact_url",
    "TIMEOUT",
    "RETRIES",
]

MAX_ARCHIVE_BYTES = 256 << 20
TIMEOUT = float(os.environ.get("PLUGIN_KIT_FETCH_TIMEOUT", "30"))
RETRIES = 3
_CHUNK = 1 << 16
_MIN_RATE = 64 << 10  # bytes/s a fetch must average once past the deadline floor

_log = logging.getLogger(__name__)
Progress = Callable[[int, int | None], None]


def _is_loopback(host: str) -> bool:
    """Names and addresses that reach this machine: localhost and its subdomains (RFC 6761,
    with or without the final dot), 127/8, ::1, the unspecified addresses (a connect to
    0.0.0.0 reaches local services), their IPv4-mapped forms, and the short or numeric IPv4
    spellings the resolver accepts (127.1, 2130706433)."""
    import ipaddress  # a host name to judge: an http(s) URL, whose fetch loads socket anyway
    import socket

    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:
            addr = ipaddress.IPv4Address(socket.inet_aton(name))
        except (OSError, ValueError):
            return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback or addr.is_unspecified


def _locality(parts: urllib.parse.SplitResult) -> int | None:
    """0 remote https, 1 loopback (http or https), 2 file://; None for anything else."""
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname:
        if _is_loopback(parts.hostname):
            return 1
        return 0 if scheme == "https" else None
    if scheme == "file" and parts.path and parts.netloc in ("", "localhost"):
        return 2
    return None


def check_url(url: str, *, within: str | None = None) -> urllib.parse.SplitResult:
    """Refuse anything but https, http to a loopback address, and file://.

    With `within` (the catalog naming `url`, or the URL a redirect leaves), `url` may not be
    more local than it: a remote server must not point us at local files or services.
    """
    parts = urllib.parse.urlsplit(url)
    level = _locality(parts)
    if level is None:
        raise UsageError(
            f"refusing URL {redact_url(url)}",
            rule="url-scheme",
            place="url",
            hint="use https://, file://, or http:// to 127.0.0.1 / localhost only",
        )
    if parts.scheme != "file" and not url.isascii():  # http.client sends ASCII only
        raise UsageError(
            f"refusing URL {redact_url(url)}: an http(s) URL must be ASCII",
            rule="url-not-ascii",
            place="url",
            hint="percent-encode the path and query (é as %C3%A9), write the host as"
            " punycode (xn--...)",
        )
    ceiling = _locality(urllib.parse.urlsplit(within)) if within else None
    if ceiling is not None and level > ceiling:
        raise VerificationError(
            f"refusing {redact_url(url)}: it is more local than {redact_url(str(within))}",
            rule="url-more-local",
            place=redact_url(url),
            hint="an https catalog may name only remote https assets; a loopback "
            "(http or https) catalog loopback or remote ones; file:// any of the three",
        )
    return parts


def redact_url(url: str) -> str:
    """Diagnostics never show credentials or query tokens that a URL may carry."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a malformed port is shown as nothing rather than failing the message
        port = None
    if port:
        host += f":{port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def suffixed_url(url: str, suffix: str) -> str:
    """`url` with `suffix` appended to its path (`.minisig`, `.pub`); the query (a token) stays."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path + suffix, fragment=""))


def sibling_url(url: str, name: str) -> str:
    """The URL of `name` in the same folder (release assets sit side by side)."""
    parts = urllib.parse.urlsplit(url)
    folder = parts.path.rsplit("/", 1)[0]
    return urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, f"{folder}/{urllib.parse.quote(name)}", "", "")
    )


def _deadline_seconds(size: int) -> float:
    """Time one fetch of `size` bytes may take: max(floor, size at 64 KiB/s).

    The floor is 60 s, or PLUGIN_KIT_FETCH_DEADLINE (read per call, so tests can lower it)."""
    floor = float(os.environ.get("PLUGIN_KIT_FETCH_DEADLINE", "60"))
    return max(floor, size / _MIN_RATE)


class _Deadline:
    """One fetch attempt's overall deadline, from before the connect to the last body byte.

    A socket timeout bounds each wait, not the sum: a server sending its headers a byte at
    a time would never trip it. So a timer shuts the fetch's sockets down when the deadline
    passes, which ends any blocked connect or read; the caller then sees `expired`. Until the
    response headers are in, the budget is the floor; then it grows with the expected size."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.budget = _deadline_seconds(0)
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None  # armed with the first socket

    def remaining(self) -> float:
        return max(0.0, self.start + self.budget - time.monotonic())

    def _arm(self) -> None:
        """The timer only shuts sockets down, so a fetch without one (file://) starts no
        thread; `check` still ends a read that took too long."""
        if not self._socks:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.remaining(), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def extend_for(self, size: int) -> None:
        """The headers are in: the whole fetch may take max(floor, size at the minimum rate)."""
        self.budget = _deadline_seconds(size)
        self._arm()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                _shut(sock)
        if self._timer is None:
            self._arm()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shut(sock)

    def check(self, url: str, done: int) -> None:
        if self.expired or time.monotonic() > self.start + self.budget:
            self.expired = True
            raise InstallError(
                f"{redact_url(url)} was too slow: {done} bytes in {self.budget:.0f} s",
                rule="fetch-deadline",
                place=redact_url(url),
                hint="retry later or from another mirror",
            )

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    import socket  # loaded already: there is a socket

    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _open(url: str, within: str | None, deadline: _Deadline):  # type: ignore[no-untyped-def]
    parts = check_url(url, within=within)
    _log.debug("fetching %s", redact_url(url))
    if parts.scheme == "file":
        path = Path(_url2pathname(parts.path))
        try:
            stream = open_regular(path, what=redact_url(url), follow_symlinks=True)
        except (OSError, FileRefusedError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else exc.message
            raise InstallError(
                f"cannot read {path}: {reason}", rule="fetch-failed", place=str(path)
            ) from exc
        return stream, os.fstat(stream.fileno()).st_size
    from plugin_kit.installer._http import open_http

    return open_http(url, deadline)


def _url2pathname(path: str) -> str:
    """urllib.request's url2pathname, without importing urllib.request's HTTP stack for a
    file:// URL."""
    if os.name == "nt":
        from nturl2path import url2pathname

        return url2pathname(path)
    return urllib.parse.unquote(path)


# urllib.error (which loads urllib.response, tempfile and shutil) only on a failed fetch.
def _transient(exc: BaseException) -> bool:
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code == 429
    return isinstance(exc, urllib.error.URLError | TimeoutError | ConnectionError) or _http_error(
        exc
    )


def _http_error(exc: BaseException) -> bool:
    """An http.client.HTTPException: only possible once http.client is loaded (for an http or
    https URL), so a file:// fetch never imports it."""
    client = sys.modules.get("http.client")
    return client is not None and isinstance(exc, client.HTTPException)


def _why(exc: BaseException) -> str:
    """The reason a fetch failed, as the server or the system gave it ("HTTP 404 Not Found")."""
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".strip()
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return reason.strerror or str(reason) if isinstance(reason, OSError) else str(reason)
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _fetch_hint(exc: BaseException) -> str:
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError) and exc.code == 404:
        return "nothing is at that URL: check it (a release asset may not be uploaded yet)"
    if isinstance(exc, urllib.error.HTTPError) and exc.code in (401, 403):
        return "the server refused access: a private URL needs its token in the URL"
    return "check the URL and your connection, then retry"


def _with_retries(url: str, body: Callable[[_Deadline], object]) -> object:
    """Run `body` under a fresh deadline per attempt; a deadline that passed is never retried."""
    for attempt in range(RETRIES):
        deadline = _Deadline()
        try:
            return body(deadline)
        except Exception as exc:  # URLError and timeouts are OSErrors
            if not isinstance(exc, OSError) and not _http_error(exc):
                raise
            if deadline.expired:  # the timer shut the socket: report the deadline, not the EOF
                deadline.check(url, 0)
            if not _transient(exc) or attempt == RETRIES - 1:
                raise InstallError(
                    f"cannot fetch {redact_url(url)}: {_why(exc)}",
                    rule="fetch-failed",
                    place=redact_url(url),
                    hint=_fetch_hint(exc),
                ) from exc
            time.sleep(0.2 * (2**attempt))
        finally:
            deadline.close()
    raise AssertionError("unreachable")


def _too_big(url: str, cap: int) -> VerificationError:
    return VerificationError(
        f"{redact_url(url)} is larger than the {cap}-byte limit",
        rule="fetch-too-large",
        place=redact_url(url),
    )


def _chunks(  # type: ignore[no-untyped-def]
    stream,
    url: str,
    cap: int,
    length: int | None,
    deadline: _Deadline,
    expected: int | None = None,
):
    """Read under the byte cap and the deadline (from here scaled to the expected size, else
    the Content-Length, else the cap); read1 returns what has arrived, so a trickle cannot
    hold one read open, and the deadline's timer ends a read that blocks past it."""
    if length is not None and length > cap:
        raise _too_big(url, cap)
    deadline.extend_for(next((n for n in (expected, length) if n is not None), cap))
    done = 0
    while chunk := stream.read1(_CHUNK):
        done += len(chunk)
        if done > cap:
            raise _too_big(url, cap)
        deadline.check(url, done)
        yield chunk
    deadline.check(url, done)  # an end of data caused by the timer is not a complete body


def fetch_bytes(url: str, *, max_bytes: int, within: str | None = None) -> bytes:
    """Small documents (catalogs, SHA256SUMS, signatures) read into memory under a cap.

    `within`: the catalog that named `url` (see check_url)."""

    def body(deadline: _Deadline) -> bytes:
        stream, length = _open(url, within, deadline)
        with stream:
            return b"".join(_chunks(stream, url, max_bytes, length, deadline))

    return _with_retries(url, body)  # type: ignore[return-value]


@dataclass
class Downloaded:
    path: Path
    size: int
    sha256: str


def download(
    url: str,
    part: Path,
    *,
    expected_size: int | None,
    max_bytes: int = MAX_ARCHIVE_BYTES,
    progress: Progress | None = None,
    within: str | None = None,
) -> Downloaded:
    """Stream `url` to `part` (cache.download_slot) while hashing; stop at the expected size
    + 1 byte.

    `within`: the catalog that named `url` (see check_url)."""
    cap = min(expected_size, max_bytes) if expected_size is not None else max_bytes

    def body(deadline: _Deadline) -> Downloaded:
        stream, length = _open(url, within, deadline)
        digest = hashlib.sha256()
        done = 0
        with stream, open(part, "wb") as out:
            for chunk in _chunks(stream, url, cap, length, deadline, expected_size):
                done += len(chunk)
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(done, expected_size or length)
            out.flush()
            os.fsync(out.fileno())
        checkpoint("download:done")
        return Downloaded(part, done, digest.hexdigest())

    try:
        return _with_retries(url, body)  # type: ignore[return-value]
    except BaseException:
        part.unlink(missing_ok=True)
        raise
