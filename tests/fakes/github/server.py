"""The loopback GitHub: real HTTP on 127.0.0.1 in the GitHub Enterprise layout.

API under `/api/v3`, uploads under `/api/uploads`, release downloads at
`/<owner>/<repo>/releases/download/<tag>/<name>`, all on one origin (PyGithub refuses URLs on
another port). `/_fake/...` is a small admin API so a test running the fake as a subprocess can
read its state and inject faults.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .state import (
    ApiError,
    Asset,
    Fault,
    GitCommit,
    Release,
    Repo,
    RequestRecord,
    World,
    blob_sha,
    now_iso,
)

__all__ = ["FakeGitHub"]

_API = "/api/v3"
_UPLOADS = "/api/uploads"
# The contents API returns a file's bytes only up to 1 MiB.
CONTENTS_LIMIT = 1 << 20
_RATE_LIMIT = 5000


class FakeGitHub:
    """A running fake. Use as a context manager, or call start() and stop()."""

    def __init__(self, *, token: str | None = None, port: int = 0) -> None:
        self.world = World()
        self.token = token
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What GITHUB_API_URL should be set to."""
        return self.url + _API

    def start(self) -> FakeGitHub:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- set-up and inspection ----------------------------------------------------------------

    def create_repo(self, full_name: str, **kw: Any) -> Repo:
        with self.lock:
            return self.world.create_repo(full_name, **kw)

    def repo(self, full_name: str) -> Repo:
        owner, _, name = full_name.partition("/")
        return self.world.repo(owner, name)

    def commit_file(self, full_name: str, path: str, data: bytes, branch: str | None = None) -> str:
        """Commit one file straight into the model (a push from elsewhere); returns the commit sha."""
        with self.lock:
            repo = self.repo(full_name)
            branch = branch or repo.default_branch
            head = repo.git_commits[repo.refs[branch]]
            tree = self.world.tree_of(
                repo, {**repo.trees[head.tree], path: self.world.store_blob(repo, data)}
            )
            commit = self.world.create_commit(
                repo, {"message": f"push {path}", "tree": tree, "parents": [head.sha]}
            )
            return self.world.move_branch(repo, branch, commit.sha).sha

    def inject(
        self, status: int, method: str | None = None, path: str | None = None, **kw: Any
    ) -> Fault:
        """Queue a fault; see state.Fault for `when`, `times` and `start`."""
        fault = Fault(status, method, path, **kw)
        with self.lock:
            self.world.faults.append(fault)
        return fault

    def partial_upload(self, name: str | None = None, status: int = 502) -> Fault:
        """The next matching upload leaves a `starter` asset and answers `status`."""
        path = (
            r"^/api/uploads/"
            if name is None
            else rf"^/api/uploads/.*[?&]name={re.escape(name)}(&|$)"
        )
        return self.inject(status, "POST", path, when="partial")

    def secondary_rate_limit(
        self, method: str | None = None, path: str | None = None, **kw: Any
    ) -> Fault:
        """403 "secondary rate limit", with `retry_after=` seconds or without."""
        return self._limited(403, method, path, **kw)

    def too_many_requests(
        self, method: str | None = None, path: str | None = None, **kw: Any
    ) -> Fault:
        """429, with `retry_after=` seconds or without (PyGithub only retries the former)."""
        return self._limited(429, method, path, **kw)

    def _limited(self, status: int, method: str | None, path: str | None, *,
                 retry_after: int | None = None, times: int = 1) -> Fault:  # fmt: skip
        headers = {"x-ratelimit-remaining": "4000"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return self.inject(status, method, path, times=times, headers=headers)

    def outage(self, start: int, *, when: str = "before", status: int = 503) -> Fault:
        """Every API request from number `start` on fails: a crash or a lost network."""
        return self.inject(status, start=start, times=None, when=when)

    def clear_faults(self) -> None:
        with self.lock:
            self.world.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        with self.lock:
            return list(self.world.requests)

    def writes(self) -> list[RequestRecord]:
        """Requests that could have changed something (anything but GET and HEAD)."""
        return [r for r in self.requests if r.method not in ("GET", "HEAD")]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return self.world.snapshot()

    # -- JSON views (absolute URLs on our own origin, as PyGithub requires) ------------------

    def repo_json(self, repo: Repo) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{repo.full_name}"
        owner = {
            "login": repo.owner,
            "id": 1,
            "type": "User",
            "url": f"{self.api_url}/users/{repo.owner}",
        }
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": owner,
            "private": False,
            "url": base,
            "html_url": f"{self.url}/{repo.full_name}",
            "releases_url": base + "/releases{/id}",
            "default_branch": repo.default_branch,
            "permissions": {"admin": True, "push": True, "pull": True},
        }

    def release_json(self, repo: Repo, rel: Release) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{repo.full_name}/releases/{rel.id}"
        return {
            "id": rel.id,
            "node_id": f"RE_{rel.id}",
            "url": base,
            "html_url": f"{self.url}/{repo.full_name}/releases/tag/{quote(rel.url_tag)}",
            "assets_url": base + "/assets",
            "upload_url": f"{self.url}{_UPLOADS}/repos/{repo.full_name}/releases/{rel.id}/assets{{?name,label}}",
            "tarball_url": f"{self.api_url}/repos/{repo.full_name}/tarball/{quote(rel.tag_name)}",
            "zipball_url": f"{self.api_url}/repos/{repo.full_name}/zipball/{quote(rel.tag_name)}",
            "tag_name": rel.tag_name,
            "target_commitish": rel.target_commitish,
            "name": rel.name,
            "body": rel.body,
            "draft": rel.draft,
            "prerelease": rel.prerelease,
            "immutable": rel.immutable,
            "created_at": rel.created_at,
            "published_at": rel.published_at,
            "author": {"login": repo.owner, "id": 1, "type": "User"},
            "assets": [self.asset_json(repo, rel, a) for a in rel.assets],
        }

    def asset_json(self, repo: Repo, rel: Release, asset: Asset) -> dict[str, Any]:
        return {
            "id": asset.id,
            "node_id": f"RA_{asset.id}",
            "url": f"{self.api_url}/repos/{repo.full_name}/releases/assets/{asset.id}",
            "browser_download_url": (
                f"{self.url}/{repo.full_name}/releases/download/{quote(rel.url_tag)}/{quote(asset.name)}"
            ),
            "name": asset.name,
            "label": asset.label,
            "state": asset.state,
            "content_type": asset.content_type,
            "size": len(asset.data),
            "digest": asset.digest,
            "download_count": asset.download_count,
            "created_at": asset.created_at,
            "updated_at": asset.created_at,
            "uploader": {"login": repo.owner, "id": 1, "type": "User"},
        }

    def file_json(self, repo: Repo, path: str, data: bytes | None, ref: str) -> dict[str, Any]:
        url = f"{self.api_url}/repos/{repo.full_name}/contents/{quote(path)}?ref={quote(ref)}"
        doc: dict[str, Any] = {
            "type": "file",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": blob_sha(data or b""),
            "size": len(data or b""),
            "url": url,
            "html_url": f"{self.url}/{repo.full_name}/blob/{quote(ref)}/{quote(path)}",
            "download_url": None,
            "git_url": None,
        }
        if data is not None and len(data) > CONTENTS_LIMIT:
            # GitHub sends no content for files over 1 MiB: read them through git/blobs.
            doc["encoding"], doc["content"] = "none", ""
        elif data is not None:
            doc["encoding"] = "base64"
            doc["content"] = base64.encodebytes(data).decode()
        return doc


class _Reply(Exception):
    """Raised by a route to answer with something other than JSON 200."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw
        self.content_type = content_type


Route = Callable[..., Any]


def _make_handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    routes = _Routes(fake)

    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeGitHub/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # tests capture output; the request log lives in fake.world.requests

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            # Read the body even when failing, or the client sees a reset instead of our answer.
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            path = unquote(parts.path) if not parts.path.startswith(_API + "/repos") else parts.path
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            reply = routes.dispatch(self.command, parts.path, path, query, body, self.headers)
            self._send(reply)

        def _send(self, reply: _Reply) -> None:
            if reply.raw is not None:
                payload = reply.raw
            elif reply.body is None:
                payload = b""
            else:
                payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(payload)
                except ConnectionError:
                    pass  # the client gave up (upload deadline tests do this on purpose)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Handler


class _Routes:
    """Maps (method, path) to the model; applies auth, faults and rate-limit headers."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.world = fake.world
        self.table: list[tuple[str, re.Pattern[str], Route]] = []
        r = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        for method, pattern, fn in [
            ("GET", r"/rate_limit", self.rate_limit),
            ("GET", r + r"", self.get_repo),
            ("GET", r + r"/releases", self.list_releases),
            ("POST", r + r"/releases", self.create_release),
            ("GET", r + r"/releases/latest", self.latest_release),
            ("GET", r + r"/releases/tags/(?P<tag>[^/]+)", self.release_by_tag),
            ("GET", r + r"/releases/assets/(?P<aid>\d+)", self.get_asset),
            ("PATCH", r + r"/releases/assets/(?P<aid>\d+)", self.update_asset),
            ("DELETE", r + r"/releases/assets/(?P<aid>\d+)", self.delete_asset),
            ("GET", r + r"/releases/(?P<rid>\d+)", self.get_release),
            ("PATCH", r + r"/releases/(?P<rid>\d+)", self.update_release),
            ("DELETE", r + r"/releases/(?P<rid>\d+)", self.delete_release),
            ("GET", r + r"/releases/(?P<rid>\d+)/assets", self.list_assets),
            ("GET", r + r"/contents/(?P<path>.+)", self.get_contents),
            ("PUT", r + r"/contents/(?P<path>.+)", self.put_contents),
            ("GET", r + r"/git/blobs/(?P<sha>[0-9a-f]{40})", self.get_blob),
            ("POST", r + r"/git/blobs", self.create_blob),
            ("POST", r + r"/git/trees", self.create_tree),
            ("GET", r + r"/git/commits/(?P<sha>[0-9a-f]{40})", self.get_commit),
            ("POST", r + r"/git/commits", self.create_commit),
            ("GET", r + r"/git/ref/(?P<ref>.+)", self.get_ref),
            ("PATCH", r + r"/git/refs/(?P<ref>.+)", self.update_ref),
        ]:
            self.table.append((method, re.compile(_API + pattern + "$"), fn))
        self.upload_re = re.compile(_UPLOADS + r + r"/releases/(?P<rid>\d+)/assets$")
        self.download_re = re.compile(
            r"^/(?P<owner>[^/_][^/]*)/(?P<name>[^/]+)/releases/download/(?P<tag>.+)/(?P<file>[^/]+)$"
        )

    # -- dispatch -----------------------------------------------------------------------------

    def dispatch(
        self,
        method: str,
        raw_path: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: Any,
    ) -> _Reply:
        with self.fake.lock:
            try:
                if path.startswith("/_fake/"):
                    return self.admin(method, path, body)
                if not path.startswith("/api/"):
                    return self.download(method, path)
                return self.api(method, raw_path, query, body, headers)
            except _Reply as reply:
                return reply

    def api(
        self, method: str, raw_path: str, query: dict[str, str], body: bytes, headers: Any
    ) -> _Reply:
        seq = len(self.world.requests)
        full = raw_path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        record = RequestRecord(seq, method, full, 0)
        self.world.requests.append(record)
        reply = self._api(method, raw_path, query, body, headers, seq, full)
        record.status = reply.status
        reply.headers = {**self._rate_headers(), **reply.headers}
        return reply

    def _api(
        self,
        method: str,
        raw_path: str,
        query: dict[str, str],
        body: bytes,
        headers: Any,
        seq: int,
        full: str,
    ) -> _Reply:
        if not self._authorized(headers.get("Authorization")):
            return _Reply(401, {"message": "Bad credentials"})
        fault = self.world.take_fault(method, full, seq)
        if fault is not None and fault.when == "before":
            return self._fault_reply(fault)
        try:
            match = self.upload_re.match(raw_path) if method == "POST" else None
            if match:
                result = self.upload(match, query, body, headers, fault)
            else:
                result = self._route(method, raw_path, query, body)
        except ApiError as err:
            return _Reply(err.status, err.body())
        except _Reply as reply:
            result = reply
        if fault is not None:
            return self._fault_reply(fault)
        return result if isinstance(result, _Reply) else _Reply(200, result)

    def _route(self, method: str, raw_path: str, query: dict[str, str], body: bytes) -> Any:
        for verb, pattern, fn in self.table:
            match = pattern.match(raw_path)
            if match and verb == method:
                args = {k: unquote(v) for k, v in match.groupdict().items()}
                return fn(query=query, body=_json(body), **args)
        if any(p.match(raw_path) for _, p, _ in self.table):
            raise ApiError(405, "Method Not Allowed")
        raise ApiError(404, "Not Found")

    def _authorized(self, header: str | None) -> bool:
        if self.fake.token is None:
            return True
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() in ("token", "bearer") and value == self.fake.token

    def _fault_reply(self, fault: Fault) -> _Reply:
        return _Reply(fault.status, fault.response().body(), headers=dict(fault.headers))

    def _rate_headers(self) -> dict[str, str]:
        used = len(self.world.requests)
        return {
            "x-ratelimit-limit": str(_RATE_LIMIT),
            "x-ratelimit-remaining": str(max(_RATE_LIMIT - used, 0)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": "core",
            "X-GitHub-Request-Id": f"FAKE:{used}",
        }

    # -- repository and releases --------------------------------------------------------------

    def rate_limit(self, **_: Any) -> Any:
        core = {
            "limit": _RATE_LIMIT,
            "remaining": _RATE_LIMIT - len(self.world.requests),
            "reset": int(time.time()) + 3600,
            "used": len(self.world.requests),
        }
        return {"resources": {"core": core, "search": core, "graphql": core}, "rate": core}

    def get_repo(self, owner: str, name: str, **_: Any) -> Any:
        return self.fake.repo_json(self.world.repo(owner, name))

    def list_releases(self, owner: str, name: str, query: dict[str, str], **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        items = [self.fake.release_json(repo, rel) for rel in repo.releases]
        return self._page(f"{self.fake.api_url}/repos/{repo.full_name}/releases", items, query)

    def create_release(self, owner: str, name: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        rel = self.world.create_release(repo, body)
        raise _Reply(201, self.fake.release_json(repo, rel))

    def latest_release(self, owner: str, name: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        if repo.latest is None:
            raise ApiError(404, "Not Found")
        return self.fake.release_json(repo, self.world.release(repo, repo.latest))

    def release_by_tag(self, owner: str, name: str, tag: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        return self.fake.release_json(repo, self.world.release_by_tag(repo, tag))

    def get_release(self, owner: str, name: str, rid: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        return self.fake.release_json(repo, self.world.release(repo, int(rid)))

    def update_release(self, owner: str, name: str, rid: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        rel = self.world.update_release(repo, self.world.release(repo, int(rid)), body)
        return self.fake.release_json(repo, rel)

    def delete_release(self, owner: str, name: str, rid: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        self.world.delete_release(repo, self.world.release(repo, int(rid)))
        raise _Reply(204)

    # -- assets -------------------------------------------------------------------------------

    def list_assets(self, owner: str, name: str, rid: str, query: dict[str, str], **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        rel = self.world.release(repo, int(rid))
        items = [self.fake.asset_json(repo, rel, a) for a in rel.assets]
        return self._page(
            f"{self.fake.api_url}/repos/{repo.full_name}/releases/{rid}/assets", items, query
        )

    def get_asset(self, owner: str, name: str, aid: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        rel, asset = self.world.asset(repo, int(aid))
        return self.fake.asset_json(repo, rel, asset)

    def update_asset(self, owner: str, name: str, aid: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        rel, asset = self.world.asset(repo, int(aid))
        if rel.immutable:
            raise ApiError(422, "Cannot update assets of an immutable release.")
        asset.name = body.get("name") or asset.name
        asset.label = body.get("label", asset.label) or ""
        return self.fake.asset_json(repo, rel, asset)

    def delete_asset(self, owner: str, name: str, aid: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        rel, asset = self.world.asset(repo, int(aid))
        self.world.delete_asset(rel, asset)
        raise _Reply(204)

    def upload(
        self,
        match: re.Match[str],
        query: dict[str, str],
        body: bytes,
        headers: Any,
        fault: Fault | None,
    ) -> _Reply:
        repo = self.world.repo(match["owner"], match["name"])
        rel = self.world.release(repo, int(match["rid"]))
        if not query.get("name"):
            raise ApiError(422, "Bad Content-Length or missing name")
        content_type = headers.get("Content-Type") or "application/octet-stream"
        asset = self.world.start_upload(rel, query["name"], query.get("label", ""), content_type)
        if fault is not None and fault.when == "partial":
            return _Reply(fault.status)  # the starter asset stays behind, as on GitHub
        asset.data = body
        asset.state = "uploaded"
        return _Reply(201, self.fake.asset_json(repo, rel, asset))

    # -- contents -----------------------------------------------------------------------------

    def get_contents(
        self, owner: str, name: str, path: str, query: dict[str, str], **_: Any
    ) -> Any:
        repo = self.world.repo(owner, name)
        ref = query.get("ref") or repo.default_branch
        files = self.world.branch_files(repo, ref)
        if path not in files:
            raise ApiError(404, "Not Found")
        return self.fake.file_json(repo, path, files[path], ref)

    def get_blob(self, owner: str, name: str, sha: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        if sha not in repo.blobs:
            raise ApiError(404, "Not Found")
        data = repo.blobs[sha]
        return {"sha": sha, "size": len(data), "encoding": "base64",
                "content": base64.encodebytes(data).decode(), "url": self._git_url(repo, "blobs", sha)}  # fmt: skip

    def put_contents(self, owner: str, name: str, path: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        created, commit = self.world.put_file(repo, path, body)
        data = repo.files[commit.branch][path]
        doc = {
            "content": self.fake.file_json(repo, path, None, commit.branch)
            | {"sha": blob_sha(data)},
            "commit": self._commit_json(repo, repo.git_commits[commit.sha]),
        }
        raise _Reply(201 if created else 200, doc)

    # -- git data -----------------------------------------------------------------------------

    def _git_url(self, repo: Repo, kind: str, sha: str) -> str:
        return f"{self.fake.api_url}/repos/{repo.full_name}/git/{kind}/{sha}"

    def _commit_json(self, repo: Repo, commit: GitCommit) -> dict[str, Any]:
        person = {"name": repo.owner, "email": f"{repo.owner}@example.invalid", "date": now_iso()}
        return {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha}",
            "url": self._git_url(repo, "commits", commit.sha),
            "html_url": f"{self.fake.url}/{repo.full_name}/commit/{commit.sha}",
            "message": commit.message,
            "tree": {"sha": commit.tree, "url": self._git_url(repo, "trees", commit.tree)},
            "parents": [
                {"sha": p, "url": self._git_url(repo, "commits", p)} for p in commit.parents
            ],
            "author": person,
            "committer": person,
        }

    def create_blob(self, owner: str, name: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        sha = self.world.create_blob(repo, body)
        raise _Reply(201, {"sha": sha, "url": self._git_url(repo, "blobs", sha)})

    def create_tree(self, owner: str, name: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        sha = self.world.create_tree(repo, body)
        entries = [
            {"path": path, "mode": "100644", "type": "blob", "sha": blob,
             "size": len(repo.blobs[blob]), "url": self._git_url(repo, "blobs", blob)}
            for path, blob in sorted(repo.trees[sha].items())
        ]  # fmt: skip
        doc = {"sha": sha, "url": self._git_url(repo, "trees", sha), "tree": entries}
        raise _Reply(201, doc | {"truncated": False})

    def get_commit(self, owner: str, name: str, sha: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        if sha not in repo.git_commits:
            raise ApiError(404, "Not Found")
        return self._commit_json(repo, repo.git_commits[sha])

    def create_commit(self, owner: str, name: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        raise _Reply(201, self._commit_json(repo, self.world.create_commit(repo, body)))

    def _ref_json(self, repo: Repo, branch: str) -> dict[str, Any]:
        sha = repo.refs[branch]
        return {
            "ref": f"refs/heads/{branch}",
            "node_id": f"REF_{branch}",
            "url": f"{self.fake.api_url}/repos/{repo.full_name}/git/refs/heads/{quote(branch)}",
            "object": {"type": "commit", "sha": sha, "url": self._git_url(repo, "commits", sha)},
        }

    def get_ref(self, owner: str, name: str, ref: str, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        return self._ref_json(repo, self.world.branch_of(repo, ref))

    def update_ref(self, owner: str, name: str, ref: str, body: dict, **_: Any) -> Any:
        repo = self.world.repo(owner, name)
        self.world.update_ref(repo, ref, body)
        return self._ref_json(repo, self.world.branch_of(repo, ref))

    # -- downloads and admin ------------------------------------------------------------------

    def download(self, method: str, path: str) -> _Reply:
        match = self.download_re.match(path)
        if method not in ("GET", "HEAD") or not match:
            return _Reply(404, {"message": "Not Found"})
        try:
            asset = self.world.download(match["owner"], match["name"], match["tag"], match["file"])
        except ApiError as err:
            return _Reply(err.status, err.body())
        return _Reply(
            200,
            raw=asset.data,
            content_type="application/octet-stream",
            headers={"ETag": hashlib.sha256(asset.data).hexdigest()},
        )

    def admin(self, method: str, path: str, body: bytes) -> _Reply:
        doc = _json(body)
        if (method, path) == ("GET", "/_fake/state"):
            return _Reply(200, self.world.snapshot())
        if (method, path) == ("POST", "/_fake/repos"):
            repo = self.world.create_repo(doc.pop("full_name"), **doc)
            return _Reply(201, self.fake.repo_json(repo))
        if (method, path) == ("POST", "/_fake/faults"):
            fault = Fault(**doc)
            self.world.faults.append(fault)
            return _Reply(201, asdict(fault))
        if (method, path) == ("DELETE", "/_fake/faults"):
            self.world.faults.clear()
            return _Reply(204)
        return _Reply(404, {"message": "Not Found"})

    # -- helpers ------------------------------------------------------------------------------

    def _page(self, base: str, items: list[Any], query: dict[str, str]) -> _Reply:
        per_page = min(max(int(query.get("per_page") or 30), 1), 100)
        page = max(int(query.get("page") or 1), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = []
        if page < last:
            links.append(f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{base}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?per_page={per_page}&page={page - 1}>; rel="prev"')
            links.append(f'<{base}?per_page={per_page}&page=1>; rel="first"')
        headers = {"Link": ", ".join(links)} if links else {}
        return _Reply(200, items[(page - 1) * per_page : page * per_page], headers=headers)


def _json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise _Reply(400, {"message": "Problems parsing JSON"}) from exc
    return doc if isinstance(doc, dict) else {}
