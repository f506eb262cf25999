"""What the fake GitHub remembers: repositories, releases, assets, git objects, refs and faults.

Pure data and rules, no HTTP: server.py turns requests into calls here. Every method runs under
the server's lock, so the model itself is not thread-safe.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class ApiError(Exception):
    """A GitHub-shaped error response: status, message and optional `errors` list."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "message": self.message,
            "documentation_url": "https://docs.github.com/rest",
        }
        if self.errors:
            doc["errors"] = self.errors
        return doc


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def blob_sha(data: bytes) -> str:
    """Git's blob id, which the contents API uses as a file's `sha`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def asset_name(name: str) -> str:
    """GitHub renames special characters to '.' and drops leading and trailing periods."""
    return re.sub(r"[^A-Za-z0-9._+-]", ".", name).strip(".") or "default"


@dataclass
class Asset:
    id: int
    name: str
    label: str
    content_type: str
    state: str  # "uploaded" or "starter" (left behind by a failed upload)
    data: bytes = b""
    download_count: int = 0
    created_at: str = field(default_factory=now_iso)

    @property
    def digest(self) -> str | None:
        if self.state != "uploaded":
            return None
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


@dataclass
class Release:
    id: int
    tag_name: str
    name: str
    body: str
    draft: bool
    prerelease: bool
    target_commitish: str
    make_latest: str = "true"
    immutable: bool = False
    created_at: str = field(default_factory=now_iso)
    published_at: str | None = None
    assets: list[Asset] = field(default_factory=list)

    @property
    def url_tag(self) -> str:
        """Drafts have no tag yet: GitHub serves their downloads under `untagged-<hash>`."""
        if self.draft:
            return "untagged-" + hashlib.sha1(str(self.id).encode()).hexdigest()[:20]
        return self.tag_name


@dataclass
class Commit:
    """A commit that landed on a branch through the API (the contents API or a ref update)."""

    sha: str
    branch: str
    paths: list[str]  # the files it changed against its parent
    message: str


@dataclass
class GitCommit:
    sha: str
    tree: str
    parents: list[str]
    message: str


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str = "main"
    immutable_releases: bool = False
    releases: list[Release] = field(default_factory=list)
    # The git data model, flattened: a tree maps full paths to blob shas.
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    git_commits: dict[str, GitCommit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # branch -> commit sha
    latest: int | None = None  # the release GitHub marks "Latest" (make_latest="true" moves it)
    commits: list[Commit] = field(default_factory=list)
    burned_tags: set[str] = field(default_factory=set)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def files(self) -> Mapping[str, Mapping[str, bytes]]:
        """branch -> path -> bytes at the branch's head (read-only: change files by committing)."""
        heads = {b: self.git_commits[c].tree for b, c in self.refs.items()}
        return MappingProxyType({b: self.tree_files(t) for b, t in heads.items()})

    def tree_files(self, tree: str) -> Mapping[str, bytes]:
        return MappingProxyType({p: self.blobs[sha] for p, sha in self.trees[tree].items()})


@dataclass
class Fault:
    """One injected failure.

    `when`: "before" answers with the error and does nothing; "after" does the work, then answers
    with the error (a lost response); "partial" (uploads only) leaves a `starter` asset, as
    GitHub's 502 does. `start` counts API requests from 0: the fault only fires from that one
    on. `times=None` fires on every match (an outage).
    """

    status: int
    method: str | None = None
    path: str | None = None
    when: str = "before"
    times: int | None = 1
    start: int = 0
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str, seq: int) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if seq < self.start:
            return False
        if self.method and self.method.upper() != method:
            return False
        return not (self.path and not re.search(self.path, path))

    def response(self) -> ApiError:
        default = {
            403: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            409: "Conflict",
            429: "You have exceeded a secondary rate limit. Please retry your request again later.",
        }
        return ApiError(self.status, self.message or default.get(self.status, "Server Error"))


@dataclass
class RequestRecord:
    seq: int
    method: str
    path: str
    status: int


class World:
    """All repositories plus the request log and the fault queue."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.faults: list[Fault] = []
        self.requests: list[RequestRecord] = []
        self._next_id = 1000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- repositories -------------------------------------------------------------------------

    def create_repo(
        self, full_name: str, *, default_branch: str = "main", immutable_releases: bool = False
    ) -> Repo:
        owner, _, name = full_name.partition("/")
        repo = Repo(owner, name, self.new_id(), default_branch, immutable_releases)
        # Like a repository created with a README-less first commit: the branch exists, empty.
        empty = self.tree_of(repo, {})
        root = self.create_commit(repo, {"message": "initial", "tree": empty, "parents": []})
        repo.refs[default_branch] = root.sha
        self.repos[full_name.lower()] = repo
        return repo

    def repo(self, owner: str, name: str) -> Repo:
        repo = self.repos.get(f"{owner}/{name}".lower())
        if repo is None:
            raise ApiError(404, "Not Found")
        return repo

    # -- releases -----------------------------------------------------------------------------

    def release(self, repo: Repo, release_id: int) -> Release:
        for rel in repo.releases:
            if rel.id == release_id:
                return rel
        raise ApiError(404, "Not Found")

    def release_by_tag(self, repo: Repo, tag: str) -> Release:
        # Drafts are invisible here, exactly like the real API.
        for rel in repo.releases:
            if rel.tag_name == tag and not rel.draft:
                return rel
        raise ApiError(404, "Not Found")

    def create_release(self, repo: Repo, body: dict) -> Release:
        tag = body.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise ApiError(422, "Validation Failed", [_err("Release", "missing_field", "tag_name")])
        draft = bool(body.get("draft", False))
        self._check_tag_free(repo, tag, draft)
        rel = Release(
            id=self.new_id(),
            tag_name=tag,
            name=body.get("name") or tag,
            body=body.get("body") or "",
            draft=draft,
            prerelease=bool(body.get("prerelease", False)),
            target_commitish=body.get("target_commitish") or repo.default_branch,
            make_latest=str(body.get("make_latest", "true")),
        )
        if not draft:
            self._publish(repo, rel)
        repo.releases.insert(0, rel)  # newest first
        return rel

    def _check_tag_free(self, repo: Repo, tag: str, draft: bool) -> None:
        if tag in repo.burned_tags:
            raise ApiError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": "Release",
                        "code": "custom",
                        "field": "tag_name",
                        "message": "tag_name was used by an immutable release",
                    }
                ],
            )
        if not draft and any(r.tag_name == tag and not r.draft for r in repo.releases):
            raise ApiError(
                422, "Validation Failed", [_err("Release", "already_exists", "tag_name")]
            )

    def _publish(self, repo: Repo, rel: Release) -> None:
        rel.draft = False
        rel.published_at = now_iso()
        self._mark_latest(repo, rel)
        if repo.immutable_releases:
            rel.immutable = True
            repo.burned_tags.add(rel.tag_name)

    def update_release(self, repo: Repo, rel: Release, body: dict) -> Release:
        if rel.immutable:
            frozen = {"tag_name": rel.tag_name, "draft": False, "prerelease": rel.prerelease}
            changed = [k for k, v in frozen.items() if k in body and body[k] != v]
            if changed:
                raise ApiError(422, f"Cannot change {', '.join(changed)} of an immutable release")
        if "tag_name" in body and body["tag_name"] != rel.tag_name:
            self._check_tag_free(repo, body["tag_name"], rel.draft)
            rel.tag_name = body["tag_name"]
        for key in ("name", "body", "target_commitish", "make_latest"):
            if key in body and body[key] is not None:
                setattr(rel, key, str(body[key]))
        if "prerelease" in body:
            rel.prerelease = bool(body["prerelease"])
        if rel.draft and body.get("draft") is False:
            self._check_tag_free(repo, rel.tag_name, False)
            self._publish(repo, rel)
        elif not rel.draft and "make_latest" in body:
            self._mark_latest(repo, rel)
        elif not rel.draft and body.get("draft") is True:
            rel.draft = True
            rel.published_at = None
        return rel

    def _mark_latest(self, repo: Repo, rel: Release) -> None:
        # "legacy" (by date and version) is modelled as "true"; prereleases are never Latest.
        if not rel.draft and not rel.prerelease and rel.make_latest != "false":
            repo.latest = rel.id

    def delete_release(self, repo: Repo, rel: Release) -> None:
        repo.releases.remove(rel)
        if repo.latest == rel.id:
            repo.latest = None

    # -- assets -------------------------------------------------------------------------------

    def asset(self, repo: Repo, asset_id: int) -> tuple[Release, Asset]:
        for rel in repo.releases:
            for asset in rel.assets:
                if asset.id == asset_id:
                    return rel, asset
        raise ApiError(404, "Not Found")

    def start_upload(self, rel: Release, name: str, label: str, content_type: str) -> Asset:
        if rel.immutable:
            raise ApiError(422, "Cannot upload assets to an immutable release.")
        name = asset_name(name)
        if any(a.name == name for a in rel.assets):
            raise ApiError(
                422, "Validation Failed", [_err("ReleaseAsset", "already_exists", "name")]
            )
        asset = Asset(self.new_id(), name, label, content_type, "starter")
        rel.assets.append(asset)
        return asset

    def delete_asset(self, rel: Release, asset: Asset) -> None:
        if rel.immutable:
            raise ApiError(422, "Cannot delete assets of an immutable release.")
        rel.assets.remove(asset)

    def download(self, owner: str, name: str, tag: str, filename: str) -> Asset:
        repo = self.repo(owner, name)
        for rel in repo.releases:
            if rel.draft or rel.tag_name != tag:
                continue
            for asset in rel.assets:
                if asset.name == filename and asset.state == "uploaded":
                    asset.download_count += 1
                    return asset
        raise ApiError(404, "Not Found")

    # -- contents -----------------------------------------------------------------------------

    def resolve(self, repo: Repo, ref: str | None) -> GitCommit:
        """A branch name or a commit sha, as the contents API's `ref` accepts."""
        ref = ref or repo.default_branch
        sha = repo.refs.get(ref.removeprefix("heads/").removeprefix("refs/heads/"), ref)
        if sha not in repo.git_commits:
            raise ApiError(404, f"No commit found for the ref {ref}")
        return repo.git_commits[sha]

    def branch_files(self, repo: Repo, ref: str | None) -> Mapping[str, bytes]:
        return repo.tree_files(self.resolve(repo, ref).tree)

    def put_file(self, repo: Repo, path: str, body: dict) -> tuple[bool, Commit]:
        branch = body.get("branch") or repo.default_branch
        if branch not in repo.refs:
            raise ApiError(404, f"Branch {branch} not found")
        head = repo.git_commits[repo.refs[branch]]
        files = repo.trees[head.tree]
        try:
            data = base64.b64decode(body.get("content") or "", validate=True)
        except ValueError as exc:
            raise ApiError(422, "content is not valid Base64") from exc
        sent_sha = body.get("sha")
        created = path not in files
        if not created and sent_sha is None:
            raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if not created and sent_sha != files[path]:
            raise ApiError(409, f"{path} does not match {sent_sha}")
        if created and sent_sha is not None:
            raise ApiError(409, f"{path} does not match {sent_sha}")
        tree = self.tree_of(repo, {**files, path: self.store_blob(repo, data)})
        commit = self.create_commit(
            repo, {"message": str(body.get("message", "")), "tree": tree, "parents": [head.sha]}
        )
        return created, self.move_branch(repo, branch, commit.sha)

    # -- git data: blobs, trees, commits, refs ------------------------------------------------

    def store_blob(self, repo: Repo, data: bytes) -> str:
        sha = blob_sha(data)
        repo.blobs[sha] = data
        return sha

    def create_blob(self, repo: Repo, body: dict) -> str:
        content, encoding = body.get("content"), body.get("encoding", "utf-8")
        if not isinstance(content, str):
            raise ApiError(422, 'Invalid request.\n\n"content" wasn\'t supplied.')
        if encoding == "base64":
            try:
                return self.store_blob(repo, base64.b64decode(content, validate=True))
            except ValueError as exc:
                raise ApiError(422, "content is not valid Base64") from exc
        if encoding != "utf-8":
            raise ApiError(422, f"encoding {encoding} is not supported")
        return self.store_blob(repo, content.encode())

    def tree_of(self, repo: Repo, entries: Mapping[str, str]) -> str:
        listing = "".join(f"{p}\0{sha}\n" for p, sha in sorted(entries.items()))
        sha = hashlib.sha1(b"tree " + listing.encode()).hexdigest()
        repo.trees[sha] = dict(entries)
        return sha

    def create_tree(self, repo: Repo, body: dict) -> str:
        base = body.get("base_tree")
        if base is not None and base not in repo.trees:
            raise ApiError(422, "Invalid request.\n\nbase_tree is not a valid tree")
        entries = dict(repo.trees[base]) if base else {}
        for item in body.get("tree") or []:
            path = item.get("path")
            if not isinstance(path, str) or not path or item.get("type", "blob") != "blob":
                raise ApiError(422, "Invalid tree entry")
            if item.get("content") is not None:
                entries[path] = self.store_blob(repo, str(item["content"]).encode())
            elif item.get("sha") is None:
                entries.pop(path, None)  # GitHub: sha null deletes the file
            elif item["sha"] in repo.blobs:
                entries[path] = item["sha"]
            else:
                raise ApiError(422, f"Invalid tree info: {item['sha']} is not a blob")
        return self.tree_of(repo, entries)

    def create_commit(self, repo: Repo, body: dict) -> GitCommit:
        tree, parents = body.get("tree"), list(body.get("parents") or [])
        if tree not in repo.trees:
            raise ApiError(422, "Tree SHA does not exist")
        if any(p not in repo.git_commits for p in parents):
            raise ApiError(422, "Parent SHA does not exist or is not a commit object")
        message = str(body.get("message", ""))
        seed = f"{tree}\0{' '.join(parents)}\0{message}\0{len(repo.git_commits)}"
        commit = GitCommit(hashlib.sha1(seed.encode()).hexdigest(), tree, parents, message)
        repo.git_commits[commit.sha] = commit
        return commit

    def branch_of(self, repo: Repo, ref: str) -> str:
        """`heads/<branch>` (as the refs API spells it) -> the branch; 404 if it does not exist."""
        branch = ref.removeprefix("refs/").removeprefix("heads/")
        if not ref.removeprefix("refs/").startswith("heads/") or branch not in repo.refs:
            raise ApiError(404, "Not Found")
        return branch

    def update_ref(self, repo: Repo, ref: str, body: dict) -> Commit | None:
        branch = self.branch_of(repo, ref)
        sha = body.get("sha")
        if sha not in repo.git_commits:
            raise ApiError(422, "Object does not exist")
        if not body.get("force") and not self._descends(repo, sha, repo.refs[branch]):
            raise ApiError(422, "Update is not a fast forward")
        if sha == repo.refs[branch]:
            return None
        return self.move_branch(repo, branch, sha)

    def move_branch(self, repo: Repo, branch: str, sha: str) -> Commit:
        old = repo.trees[repo.git_commits[repo.refs[branch]].tree]
        new_commit = repo.git_commits[sha]
        new = repo.trees[new_commit.tree]
        changed = sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))
        repo.refs[branch] = sha
        record = Commit(sha, branch, changed, new_commit.message)
        repo.commits.append(record)
        return record

    def _descends(self, repo: Repo, sha: str, ancestor: str) -> bool:
        todo, seen = [sha], set()
        while todo:
            current = todo.pop()
            if current == ancestor:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(repo.git_commits[current].parents)
        return False

    # -- faults -------------------------------------------------------------------------------

    def take_fault(self, method: str, path: str, seq: int) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path, seq):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def snapshot(self) -> dict[str, Any]:
        """Everything a test or a subprocess user may want to check, as plain JSON."""
        return {
            "repos": {
                repo.full_name: {
                    "releases": [
                        {
                            "id": r.id,
                            "tag_name": r.tag_name,
                            "draft": r.draft,
                            "immutable": r.immutable,
                            "prerelease": r.prerelease,
                            "make_latest": r.make_latest,
                            "assets": [
                                {
                                    "name": a.name,
                                    "state": a.state,
                                    "size": len(a.data),
                                    "digest": a.digest,
                                }
                                for a in r.assets
                            ],
                        }
                        for r in repo.releases
                    ],
                    "commits": [c.__dict__ for c in repo.commits],
                    "files": {b: sorted(files) for b, files in repo.files.items()},
                }
                for repo in self.repos.values()
            },
            "requests": [r.__dict__ for r in self.requests],
        }


def _err(resource: str, code: str, field_name: str) -> dict[str, str]:
    return {"resource": resource, "code": code, "field": field_name}
