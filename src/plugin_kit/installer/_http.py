"""The http(s) side of fetch.py, imported only for an http or https URL (urllib.request, with
http.client, ssl and email, is most of a file:// install's imports otherwise): handlers whose
sockets the fetch's deadline can shut down, and redirects re-checked like the first URL."""

from __future__ import annotations

import http.client
import socket
import urllib.request
from typing import TYPE_CHECKING, Any

from plugin_kit.installer.fetch import TIMEOUT, check_url

if TYPE_CHECKING:
    from plugin_kit.installer.fetch import _Deadline

__all__ = ["open_http"]


class _CheckedRedirect(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        check_url(newurl, within=req.full_url)  # no downgrade, no remote-to-loopback hop
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _connection_class(base, deadline: _Deadline):  # type: ignore[no-untyped-def]
    """`base` (HTTPConnection or HTTPSConnection) whose socket the deadline can shut down;
    the connect itself waits at most what is left of the deadline."""

    def make(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = base(*args, **kwargs)

        def create(address, timeout=TIMEOUT, source_address=None):  # type: ignore[no-untyped-def]
            wait = min(
                timeout if isinstance(timeout, int | float) else TIMEOUT, deadline.remaining()
            )
            sock = socket.create_connection(address, max(wait, 0.001), source_address)
            deadline.watch(sock)
            return sock

        conn._create_connection = create
        return conn

    return make


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(_connection_class(http.client.HTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(
            _connection_class(http.client.HTTPSConnection, self.deadline),
            req,
            context=self._context,
        )


def open_http(url: str, deadline: _Deadline) -> tuple[Any, int | None]:
    """The response to GET `url` (already checked) and its Content-Length, if it gave one."""
    req = urllib.request.Request(
        url,
        headers={"User-Agent": "insomnia-plugin-kit", "Accept": "application/octet-stream, */*"},
    )
    opener = urllib.request.build_opener(
        _CheckedRedirect(), _HTTPHandler(deadline), _HTTPSHandler(deadline)
    )
    resp = opener.open(req, timeout=TIMEOUT)
    length = resp.headers.get("Content-Length")
    return resp, int(length) if length and length.isdigit() else None
