"""The GitHub connection: settings from the Actions environment, PyGithub calls with errors
translated where they enter, and uploads with a deadline and progress.

Uploads bypass PyGithub: its upload connection has no timeout at all (research/publish.md 3.1),
so a stalled upload would hang the job. The token only ever goes into an Authorization header.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

from plugin_kit.errors import PublishError, UsageError
from plugin_kit.publisher.plan import PlannedAsset
from plugin_kit.publisher.retry import RetryPolicy, Transient, classify

__all__ = ["GitHubSession", "GitHubSettings", "Progress", "gh_cli_token", "settings_from_env"]

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
DEFAULT_API = "https://api.github.com"


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str
    repo: str
    token: str = ""

    def __repr__(self) -> str:  # the token never reaches a repr, a log or an error
        return f"GitHubSettings(api_url={self.api_url!r}, repo={self.repo!r})"


def settings_from_env(
    env: Mapping[str, str], repo: str | None, *, need_token: bool = True
) -> GitHubSettings:
    """Settings from the environment; a dry run (`need_token=False`) may read anonymously."""
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or gh_cli_token()
    repo = repo or env.get("GITHUB_REPOSITORY") or ""
    if not token and need_token:
        raise UsageError(
            "no GitHub token",
            rule="publish.no-token",
            hint="set GITHUB_TOKEN (in Actions: `env: GITHUB_TOKEN: ${{ github.token }}` "
            "with `permissions: contents: write`) or GH_TOKEN, or log in with `gh auth login`",
        )
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise UsageError(
            f"no repository to publish to ({repo or 'unset'})",
            rule="publish.no-repo",
            hint="pass --repo OWNER/NAME or set GITHUB_REPOSITORY",
        )
    return GitHubSettings((env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/"), repo, token)


def gh_cli_token() -> str:
    """The token of a logged-in GitHub CLI (`gh auth token`), or "" when gh is absent or out."""
    import shutil
    import subprocess

    gh = shutil.which("gh")
    if gh is None:
        return ""
    try:
        done = subprocess.run(
            [gh, "auth", "token"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    token = done.stdout.strip()
    # One line of token characters only: anything else is not a token we would send.
    return token if done.returncode == 0 and token.isascii() and token.isprintable() else ""


def _message(data: Any) -> str:
    if isinstance(data, dict):
        parts = [str(data.get("message", ""))]
        for err in data.get("errors") or []:
            if isinstance(err, dict):
                parts.append(str(err.get("message") or err.get("code") or ""))
        return "; ".join(p for p in parts if p)
    return str(data or "")


def error_codes(data: Any) -> set[str]:
    errors = data.get("errors") if isinstance(data, dict) else None
    return {str(e.get("code")) for e in errors or [] if isinstance(e, dict)}


class GitHubSession:
    """One PyGithub client for one repository; every call goes through `call`."""

    def __init__(
        self, settings: GitHubSettings, policy: RetryPolicy, *, write_pacing: float = 1.0
    ) -> None:
        import github

        self.settings = settings
        self.policy = policy
        self.write_pacing = write_pacing
        self.gh = github.Github(
            auth=github.Auth.Token(settings.token) if settings.token else None,
            base_url=settings.api_url,
            retry=None,  # see retry.py: whole steps are retried, after re-reading state
            timeout=30,
            per_page=100,
            seconds_between_requests=0,
            seconds_between_writes=write_pacing,
        )
        self._repo: Any = None

    @property
    def repo(self) -> Any:
        if self._repo is None:
            self._repo = self.call(self.gh.get_repo, self.settings.repo)
        return self._repo

    def call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """Run a PyGithub call; transient failures become Transient, the rest PublishError."""
        import github
        import requests

        try:
            return fn(*args, **kw)
        except github.GithubException as exc:
            raise self.translate(exc.status, exc.data, dict(exc.headers or {})) from exc
        except (requests.RequestException, OSError) as exc:
            raise Transient(f"connection to GitHub failed ({type(exc).__name__})") from exc

    def translate(self, status: int, data: Any, headers: dict[str, str]) -> Exception:
        message = _message(data)
        transient = classify(status, message, headers, self.policy)
        if transient is not None:
            return transient
        if status in (401, 403):
            return PublishError(
                f"GitHub refused the token ({status}: {message})",
                rule="publish.auth",
                place=self.settings.repo,
                hint="the token needs `contents: write` on this repository",
            )
        if status == 404:
            return PublishError(
                f"not found on GitHub: {message}",
                rule="publish.not-found",
                place=self.settings.repo,
                hint="check --repo / GITHUB_REPOSITORY and GITHUB_API_URL, and that the token can see the repository",
            )
        return PublishError(
            f"GitHub answered {status}: {message}", rule="publish.github", place=self.settings.repo
        )

    def upload(
        self, upload_url: str, asset: PlannedAsset, progress: Progress | None
    ) -> dict[str, Any]:
        """POST one asset to the release's upload_url; within `policy.upload_deadline` or Transient."""
        import requests

        deadline = time.monotonic() + self.policy.upload_deadline
        self.policy.sleep(self.write_pacing)
        with asset.open() as fh:
            body = _DeadlineReader(
                fh, asset.size, deadline, lambda n: progress and progress(asset.name, n, asset.size)
            )
            try:
                resp = requests.post(
                    upload_url.split("{", 1)[0],
                    params={"name": asset.name, "label": ""},
                    data=body,
                    headers={
                        "Authorization": f"token {self.settings.token}",
                        "Content-Type": asset.content_type,
                        "Accept": "application/vnd.github+json",
                        "User-Agent": "insomnia-plugin-kit",
                    },
                    timeout=(10, max(deadline - time.monotonic(), 1)),
                )
            except (requests.RequestException, OSError) as exc:
                reason = "deadline passed" if body.expired else type(exc).__name__
                raise Transient(f"upload of {asset.name} failed ({reason})") from exc
        if resp.status_code == 201:
            return resp.json()
        try:
            data: Any = resp.json()
        except ValueError:
            data = {"message": resp.reason}
        if resp.status_code == 422 and "already_exists" in error_codes(data):
            # A lost answer or a racing run stored it: re-read the assets and reconcile again.
            raise Transient(f"{asset.name} already exists on the release", wait=0)
        raise self.translate(resp.status_code, data, dict(resp.headers))

    def download(self, url: str) -> bytes:
        """Fetch a published asset through its browser_download_url (for servers without `digest`)."""
        import requests

        try:
            auth = {"Authorization": f"token {self.settings.token}"} if self.settings.token else {}
            resp = requests.get(url, headers=auth, timeout=60)
        except requests.RequestException as exc:
            raise Transient(f"download of {url} failed ({type(exc).__name__})") from exc
        if resp.status_code != 200:
            raise self.translate(resp.status_code, {"message": resp.reason}, dict(resp.headers))
        return resp.content


class _DeadlineReader:
    """A file-like body: counts bytes for progress and stops once the deadline has passed."""

    def __init__(
        self, fh: BinaryIO, size: int, deadline: float, seen: Callable[[int], object]
    ) -> None:
        self.fh, self.size, self.deadline, self.seen = fh, size, deadline, seen
        self.sent = 0
        self.expired = False

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        if time.monotonic() > self.deadline:
            self.expired = True
            raise TimeoutError("upload deadline passed")
        chunk = self.fh.read(n if n and n > 0 else 1 << 16)
        self.sent += len(chunk)
        self.seen(self.sent)
        return chunk
