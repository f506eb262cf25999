"""Fetching catalogs and release assets: https, http to loopback only, file://.

Every fetch has a byte cap (endless-data attack), a connect/read timeout and an overall
deadline (slow retrieval), bounded retries for transient failures, and re-checks the scheme
after each redirect.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plugin_kit.errors import InstallError, UsageError, VerificationError
from plugin_kit.installer._fs import checkpoint
from plugin_kit.installer.paths import downloads_dir

__all__ = [
    "check_url",
    "fetch_bytes",
    "download",
    "Downloaded",
    "Progress",
    "MAX_ARCHIVE_BYTES",
    "sibling_url",
    "TIMEOUT",
    "RETRIES",
]

MAX_ARCHIVE_BYTES = 256 << 20
TIMEOUT = float(os.environ.get("PLUGIN_KIT_FETCH_TIMEOUT", "30"))
RETRIES = 3
_CHUNK = 1 << 16
_MIN_RATE = 64 << 10  # bytes/s a fetch must average once past the deadline floor

Progress = Callable[[int, int | None], None]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _locality(parts: urllib.parse.SplitResult) -> int | None:
    """0 remote https, 1 loopback http, 2 file://; None for anything else."""
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return 0
    if scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return 1
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
            f"refusing URL {_redact(url)}",
            rule="url-scheme",
            place="url",
            hint="use https://, file://, or http:// to 127.0.0.1 / localhost only",
        )
    ceiling = _locality(urllib.parse.urlsplit(within)) if within else None
    if ceiling is not None and level > ceiling:
        raise VerificationError(
            f"refusing {_redact(url)}: it is more local than {_redact(str(within))}",
            rule="url-more-local",
            place=_redact(url),
            hint="an https catalog may name only https assets; loopback http only "
            "loopback http or https; file:// any of the three",
        )
    return parts


def _redact(url: str) -> str:
    """Diagnostics never show credentials or query tokens that a URL may carry."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def sibling_url(url: str, name: str) -> str:
    """The URL of `name` in the same folder (release assets sit side by side)."""
    parts = urllib.parse.urlsplit(url)
    folder = parts.path.rsplit("/", 1)[0]
    return urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, f"{folder}/{urllib.parse.quote(name)}", "", "")
    )


class _CheckedRedirect(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        check_url(newurl, within=req.full_url)  # no downgrade, no remote-to-loopback hop
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_CheckedRedirect())


def _open(url: str, within: str | None = None):  # type: ignore[no-untyped-def]
    parts = check_url(url, within=within)
    if parts.scheme == "file":
        path = Path(urllib.request.url2pathname(parts.path))
        try:
            return open(path, "rb"), path.stat().st_size
        except OSError as exc:
            raise InstallError(
                f"cannot read {path}: {exc.strerror}", rule="fetch-failed", place=str(path)
            ) from exc
    req = urllib.request.Request(
        url,
        headers={"User-Agent": "insomnia-plugin-kit", "Accept": "application/octet-stream, */*"},
    )
    resp = _opener.open(req, timeout=TIMEOUT)
    length = resp.headers.get("Content-Length")
    return resp, int(length) if length and length.isdigit() else None


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code == 429
    return isinstance(
        exc, urllib.error.URLError | TimeoutError | ConnectionError | http.client.HTTPException
    )


def _with_retries(url: str, body: Callable[[], object]) -> object:
    for attempt in range(RETRIES):
        try:
            return body()
        except (OSError, http.client.HTTPException) as exc:  # URLError and timeouts are OSErrors
            if not _transient(exc) or attempt == RETRIES - 1:
                code = f" (HTTP {exc.code})" if isinstance(exc, urllib.error.HTTPError) else ""
                raise InstallError(
                    f"cannot fetch {_redact(url)}{code}",
                    rule="fetch-failed",
                    place=_redact(url),
                    hint="check the URL and your connection, then retry",
                ) from exc
            time.sleep(0.2 * (2**attempt))
    raise AssertionError("unreachable")


def _too_big(url: str, cap: int) -> VerificationError:
    return VerificationError(
        f"{_redact(url)} is larger than the {cap}-byte limit",
        rule="fetch-too-large",
        place=_redact(url),
    )


def _deadline_seconds(size: int) -> float:
    """Time one fetch of `size` bytes may take: max(floor, size at 64 KiB/s).

    The floor is 60 s, or PLUGIN_KIT_FETCH_DEADLINE (read per call, so tests can lower it)."""
    floor = float(os.environ.get("PLUGIN_KIT_FETCH_DEADLINE", "60"))
    return max(floor, size / _MIN_RATE)


def _chunks(  # type: ignore[no-untyped-def]
    stream, url: str, cap: int, length: int | None, expected: int | None = None
):
    """Read under the byte cap and the deadline (scaled from the expected size, else the
    Content-Length, else the cap); read1 returns what has arrived, so a trickle cannot hold
    one read open (each read still waits at most TIMEOUT)."""
    if length is not None and length > cap:
        raise _too_big(url, cap)
    size = next((n for n in (expected, length) if n is not None), cap)
    budget = _deadline_seconds(size)
    deadline = time.monotonic() + budget
    done = 0
    while chunk := stream.read1(_CHUNK):
        done += len(chunk)
        if done > cap:
            raise _too_big(url, cap)
        if time.monotonic() > deadline:
            raise InstallError(
                f"{_redact(url)} was too slow: {done} bytes in {budget:.0f} s",
                rule="fetch-deadline",
                place=_redact(url),
                hint="retry later or from another mirror",
            )
        yield chunk


def fetch_bytes(url: str, *, max_bytes: int, within: str | None = None) -> bytes:
    """Small documents (catalogs, SHA256SUMS, signatures) read into memory under a cap.

    `within`: the catalog that named `url` (see check_url)."""

    def body() -> bytes:
        stream, length = _open(url, within)
        with stream:
            return b"".join(_chunks(stream, url, max_bytes, length))

    return _with_retries(url, body)  # type: ignore[return-value]


@dataclass
class Downloaded:
    path: Path
    size: int
    sha256: str


def _part_path() -> Path:
    folder = downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # The pid prefix lets a later run tell a dead run's leftovers from a live one's.
    return folder / f"{os.getpid()}-{os.urandom(6).hex()}.part"


def download(
    url: str,
    *,
    expected_size: int | None,
    max_bytes: int = MAX_ARCHIVE_BYTES,
    progress: Progress | None = None,
    within: str | None = None,
) -> Downloaded:
    """Stream `url` to a .part file while hashing; stop at the expected size + 1 byte.

    `within`: the catalog that named `url` (see check_url)."""
    cap = min(expected_size, max_bytes) if expected_size is not None else max_bytes
    part = _part_path()

    def body() -> Downloaded:
        stream, length = _open(url, within)
        digest = hashlib.sha256()
        done = 0
        with stream, open(part, "wb") as out:
            for chunk in _chunks(stream, url, cap, length, expected_size):
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
