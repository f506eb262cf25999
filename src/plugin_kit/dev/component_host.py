"""The host APIs a Yoi component imports (`yoi:host/{request,websocket,fs}@1.0.0`), grant-checked on
every call, as the host does (HareK02/yoi crates/worker/src/feature/plugin.rs @ b12e0785:
`define_plugin_component_host_imports`, `authorize_plugin_host_api`, `execute_plugin_fs_*`,
`validate_plugin_request_request`, `validate_plugin_websocket_open_request`).

A refused or failed host call raises, which traps the component's call, as in the host. The dev
host never reaches the network: a granted request or WebSocket is answered from the fixtures file
(URL -> response); a granted request without a fixture goes to the loopback `--upstream` server
if there is one (component_request.py); otherwise it fails with a message saying so.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from plugin_kit.dev.component_grants import (
    HOST_APIS,
    ComponentGrants,
    denied,
    requested_apis,
    target_allows,
)
from plugin_kit.dev.component_request import Upstream, check_request, fixture_response
from plugin_kit.errors import DevError, UsageError
from plugin_kit.validators.yoi_url import ParsedUrl, normalize_host_literal, parse_url

__all__ = ["HostApis", "IMPORTS", "load_fixtures"]

IMPORTS = {f"yoi:host/{api}@1.0.0": api for api in HOST_APIS}
KiB = 1024
FS_MAX_REQUEST = 64 * KiB
FS_MAX_PATH = 4096
FS_MAX_READ = 64 * KiB
FS_MAX_WRITE = 64 * KiB
FS_MAX_LIST = 256
REQUEST_MAX_DESCRIPTOR = 48 * KiB
WEBSOCKET_MAX_OPEN = 8 * KiB
WEBSOCKET_MAX_TEXT = 32 * KiB
WEBSOCKET_MAX_CONNECTIONS = 4


def load_fixtures(path: Path) -> dict[str, Any]:
    """The fixtures file: a JSON object from `URL` or `METHOD URL` to a response (`{"status",
    "headers", "body"}`, or a string body) or, for a WebSocket URL, `{"messages": [...]}`."""
    try:
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the fixtures file: {exc}", rule="usage", place=str(path)
        ) from exc
    if not isinstance(data, dict):
        raise UsageError("the fixtures file must hold a JSON object", rule="usage", place=str(path))
    for key, value in data.items():
        _check_fixture(value, f"{path}: {key}")
    return data


def _check_fixture(value: Any, place: str) -> None:
    """Refuse here, before anything runs, a fixture a request or WebSocket call could not
    answer with (it would raise out of the component's host call)."""
    messages = value.get("messages", []) if isinstance(value, Mapping) else []
    try:
        if not isinstance(messages, list):
            raise TypeError("`messages` must be a list")
        fixture_response(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(
            'the fixture is not a response ({"status", "headers", "body"}, a body, or'
            f' {{"messages": [...]}}): {exc}',
            rule="usage",
            place=place,
        ) from exc


def _failed(message: str, place: str) -> DevError:
    return DevError(message, rule="yoi-host-call-failed", place=place)


def _json(text: str, place: str, keys: set[str], required: set[str]) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise _failed(f"invalid request JSON: {exc}", place) from exc
    if not isinstance(value, dict) or not required <= set(value) or set(value) - keys:
        raise _failed(f"request JSON must have {sorted(required)} (and only {sorted(keys)})", place)
    return value


class HostApis:
    """The host side of one component instance: its grants, fixtures, loopback upstream (None:
    fixtures only) and open WebSockets."""

    def __init__(
        self,
        manifest: Any,
        grants: ComponentGrants,
        fixtures: Mapping[str, Any],
        upstream: Upstream | None = None,
    ) -> None:
        self.manifest = manifest
        self.grants = grants
        self.fixtures = fixtures
        self.upstream = upstream
        self.requested = requested_apis(list(manifest.permissions))
        self._sockets: dict[int, list[str]] = {}
        self._next_handle = 1

    # -- authority ---------------------------------------------------------------------------

    def refusal(self, api: str) -> str | None:
        """Why the host refuses every call to `api` (authorize_plugin_host_api), or None."""
        if api not in self.requested:
            return f"requested host_api.{api} permission is missing"
        if api not in self.grants.apis:
            return f"granted host_api.{api} permission is missing"
        if api == "request" and not self.manifest.request:
            return "manifest host_api.request target declaration is missing"
        if api == "websocket" and not self.manifest.websocket:
            return "manifest host_api.websocket target declaration is missing"
        if api in ("request", "websocket") and not getattr(self.grants, api):
            return f"enabled host_api.{api} grants are missing"
        if api == "fs" and not any(g["operations"] for g in self.grants.fs):
            return "granted host_api.fs scope allowlist is missing"
        return None

    def authorize(self, api: str) -> None:
        reason = self.refusal(api)
        if reason:
            raise denied(f"plugin host API dispatch denied: {reason}", f"host_api.{api}")

    def report(self, imported: set[str]) -> dict[str, dict[str, object]]:
        """Per host API: imported by the component, and granted or denied (with the reason)."""
        out: dict[str, dict[str, object]] = {}
        for api in HOST_APIS:
            reason = self.refusal(api)
            grants = [f"{g['root']} {','.join(g['operations'])}" for g in self.grants.fs] if api == "fs" \
                else [_label(t) for t in getattr(self.grants, api)]  # fmt: skip
            out[api] = {"imported": api in imported, "granted": reason is None,
                        "reason": reason, "grants": grants}  # fmt: skip
        return out

    # -- fs ----------------------------------------------------------------------------------

    def fs(self, operation: str, request: str) -> str:
        place = f"host_api.fs {operation}"
        if len(request.encode()) > FS_MAX_REQUEST:
            raise _failed(f"FS request descriptor exceeds {FS_MAX_REQUEST} bytes", place)
        self.authorize("fs")
        keys = {"path", "content"} if operation == "write" else {"path"}
        body = _json(request, place, keys, keys)
        rel = _relative(str(body["path"]), place)
        if operation == "write" and not rel.parts:
            raise _failed("FS write path must name a file", place)
        roots = [g["root"] for g in self.grants.fs if operation in g["operations"]]
        if not roots:
            raise denied(f"host_api.fs {operation} denied: no matching operation grant", place)
        last: DevError | None = None
        for root in roots:
            try:
                target = _resolve(Path(root), rel, place, leaf=operation != "write")
            except DevError as err:
                last = err
                continue
            return json.dumps(_FS_OPS[operation](target, str(body["path"]), body, place))
        assert last is not None
        raise last

    # -- request -----------------------------------------------------------------------------

    def request(self, request: str) -> str:
        place = "host_api.request"
        if len(request.encode()) > REQUEST_MAX_DESCRIPTOR:
            raise _failed(f"request descriptor exceeds {REQUEST_MAX_DESCRIPTOR} bytes", place)
        self.authorize("request")
        body = _json(request, place, {"method", "url", "headers", "body"}, {"method", "url"})
        method, url = str(body["method"]), str(body["url"])
        headers = check_request(method, url, body.get("headers"), body.get("body"))
        parsed = self._allow("request", method, url, place)
        fixture = self.fixtures.get(f"{method} {url}", self.fixtures.get(url))
        if fixture is not None:
            return _response_json(fixture_response(fixture))
        if self.upstream is None:
            raise _failed(f"no fixture for {method} {url} and no --upstream: the dev host never "
                          "reaches the network", place)  # fmt: skip
        return _response_json(self.upstream.forward(method, parsed, headers, body.get("body")))

    def _allow(self, api: str, method: str | None, url: str, place: str) -> ParsedUrl:
        """The URL as the host parses it, once it is declared and granted; else DevError."""
        try:
            parsed = parse_url(url)
        except ValueError as exc:
            raise _failed(f"invalid {api} URL: {exc}", place) from exc
        host = normalize_host_literal(parsed.host)  # plugin.rs `canonical_host`: `.` is none
        if not host or parsed.username or parsed.password is not None:
            raise _failed(f"{api} URL must have a host and no credentials: {url}", place)
        what = f"{method} {url}" if method else url
        if not any(target_allows(t, method, parsed) for t in getattr(self.manifest, api)):
            raise denied(
                f"host_api.{api} target {what} is not declared by the plugin manifest", place
            )
        if not any(target_allows(t, method, parsed) for t in getattr(self.grants, api)):
            raise denied(
                f"host_api.{api} target {what} is not covered by enabled {api} grants", place
            )
        return parsed

    # -- websocket ---------------------------------------------------------------------------

    def ws_open(self, request: str) -> str:
        place = "host_api.websocket open"
        if len(request.encode()) > WEBSOCKET_MAX_OPEN:
            raise _failed(f"WebSocket open descriptor exceeds {WEBSOCKET_MAX_OPEN} bytes", place)
        self.authorize("websocket")
        body = _json(request, place, {"url", "protocols", "headers"}, {"url"})
        if body.get("protocols") or body.get("headers"):
            raise _failed("WebSocket subprotocols and handshake headers are not supported", place)
        url = str(body["url"])
        try:
            scheme = parse_url(url).scheme  # parsed first: `WSS://` is a wss URL
        except ValueError as exc:
            raise _failed(f"invalid WebSocket URL: {exc}", place) from exc
        if scheme not in ("ws", "wss"):
            raise _failed("only ws and wss URLs are allowed", place)
        self._allow("websocket", None, url, place)
        if len(self._sockets) >= WEBSOCKET_MAX_CONNECTIONS:
            raise _failed(f"at most {WEBSOCKET_MAX_CONNECTIONS} WebSockets may be open", place)
        fixture = self.fixtures.get(url)
        if not isinstance(fixture, Mapping):
            raise _failed(f"no fixture for {url}: the dev host never reaches the network", place)
        handle, self._next_handle = self._next_handle, self._next_handle + 1
        self._sockets[handle] = [str(m) for m in fixture.get("messages", [])]
        return json.dumps({"handle": handle, "url": url})

    def _socket(self, handle: int) -> list[str]:
        self.authorize("websocket")
        if handle not in self._sockets:
            raise _failed(f"unknown WebSocket handle {handle}", "host_api.websocket")
        return self._sockets[handle]

    def ws_send(self, handle: int, text: str) -> str:
        self._socket(handle)
        size = len(text.encode())
        if size > WEBSOCKET_MAX_TEXT:
            raise _failed(
                f"WebSocket text frame exceeds {WEBSOCKET_MAX_TEXT} bytes", "host_api.websocket"
            )
        return json.dumps({"sent": True, "bytes": size})

    def ws_recv(self, handle: int, timeout_ms: int) -> str:
        queue = self._socket(handle)
        return json.dumps({"type": "text", "text": queue.pop(0)} if queue else {"type": "closed"})

    def ws_close(self, handle: int) -> str:
        self._socket(handle)
        del self._sockets[handle]
        return json.dumps({"closed": True})

    def close_all(self) -> None:
        self._sockets.clear()

    # -- linking -----------------------------------------------------------------------------

    def link(self, linker: Any) -> None:
        """Define the three host interfaces, and nothing else, in a component linker."""
        funcs = {
            "request": {"request": lambda s, r: self.request(r)},
            "websocket": {
                "open": lambda s, r: self.ws_open(r),
                "send-text": lambda s, h, t: self.ws_send(h, t),
                "recv": lambda s, h, ms: self.ws_recv(h, ms),
                "close": lambda s, h: self.ws_close(h),
            },
            "fs": {op: (lambda s, r, op=op: self.fs(op, r)) for op in ("read", "list", "write")},
        }
        with linker.root() as root:
            for name, api in IMPORTS.items():
                with root.add_instance(name) as instance:
                    for func, impl in funcs[api].items():
                        instance.add_func(func, impl)


def _response_json(response: Mapping[str, Any]) -> str:
    # serde_json, as the host encodes it: non-ASCII text stays as it is
    return json.dumps(response, ensure_ascii=False)


def _label(target: Mapping[str, Any]) -> str:
    port = f":{target['port']}" if target.get("port") else ""
    methods = ",".join(target.get("methods") or [])
    paths = ",".join(target.get("path_prefixes") or []) or "*"
    return " ".join(
        x for x in (f"{target.get('scheme')}://{target.get('host')}{port}", methods, paths) if x
    )


def _relative(path: str, place: str) -> PurePosixPath:
    """parse_plugin_fs_relative_path: relative, no `..`, no NUL, at most 4096 bytes."""
    if not path or "\0" in path or len(path.encode()) > FS_MAX_PATH:
        raise _failed("FS path must be non-empty, without NUL, at most 4096 bytes", place)
    rel = PurePosixPath(path)
    if rel.is_absolute():
        raise denied("FS request paths must be relative to a configured fs grant root", place)
    if ".." in rel.parts:
        raise denied("FS path traversal outside the grant root is denied", place)
    return PurePosixPath(*[p for p in rel.parts if p != "."]) if rel.parts else rel


def _resolve(root: Path, rel: PurePosixPath, place: str, *, leaf: bool) -> Path:
    """The real path of `rel` below `root`; no symlink on the way; it must stay inside the root.
    For a write (`leaf=False`) the file itself may be missing, but must not be a link or folder."""
    if not root.is_absolute():  # a Profile's root as written; resolve_plugin_fs_grant_root
        raise denied("configured fs grant root must be an absolute path", place)
    if root.is_symlink() or not root.is_dir():
        raise denied("configured fs grant root is unavailable or a symlink", place)
    root = root.resolve()
    current = root
    parts = rel.parts if leaf else rel.parts[:-1]
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError as exc:
            raise _failed(f"FS path is unavailable for {rel}: {exc.strerror}", place) from exc
        if stat.S_ISLNK(mode):
            raise denied(f"FS path symlink escape is denied: {rel}", place)
    target = current if leaf else current / rel.name
    if not leaf and (target.is_symlink() or target.is_dir()):
        raise denied(f"FS write target is a symlink or a folder: {rel}", place)
    real = target.resolve()
    if real != root and root not in real.parents:
        raise denied(f"FS path escapes the configured grant root: {rel}", place)
    return target


def _read(target: Path, path: str, body: Mapping[str, Any], place: str) -> dict[str, object]:
    if not target.is_file():
        raise _failed(f"FS read target is not a regular file: {path}", place)
    with open(target, "rb") as f:
        data = f.read(FS_MAX_READ + 1)
    return {"path": path, "content": data[:FS_MAX_READ].decode("utf-8", "replace"),
            "truncated": len(data) > FS_MAX_READ}  # fmt: skip


def _list(target: Path, path: str, body: Mapping[str, Any], place: str) -> dict[str, object]:
    if not target.is_dir():
        raise _failed(f"FS list target is not a directory: {path}", place)
    entries = []
    with os.scandir(target) as it:
        for entry in it:
            kind = "symlink" if entry.is_symlink() else "dir" if entry.is_dir() else \
                "file" if entry.is_file() else "other"  # fmt: skip
            entries.append({"name": entry.name, "kind": kind})
    entries.sort(key=lambda e: e["name"])
    return {"path": path, "entries": entries[:FS_MAX_LIST], "truncated": len(entries) > FS_MAX_LIST}


def _write(target: Path, path: str, body: Mapping[str, Any], place: str) -> dict[str, object]:
    data = str(body["content"]).encode()
    if len(data) > FS_MAX_WRITE:
        raise _failed(f"FS write content exceeds {FS_MAX_WRITE} bytes", place)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return {"path": path, "bytes_written": len(data)}


_FS_OPS = {"read": _read, "list": _list, "write": _write}
