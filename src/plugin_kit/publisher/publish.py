"""`plugin publish` as a library call: preflight, sign, release per tag, then the catalog.

Order matters: nothing is written before every local check passed (archives, names, tags,
key, token); releases are complete and published before the catalog points at them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plugin_kit.errors import PublishError, UsageError
from plugin_kit.publisher.catalog_sync import catalog_update
from plugin_kit.publisher.dir_target import DirTarget
from plugin_kit.publisher.github_api import GitHubSession, Progress, settings_from_env
from plugin_kit.publisher.github_target import GitHubTarget
from plugin_kit.publisher.outcome import PublishResult
from plugin_kit.publisher.plan import plan_releases
from plugin_kit.publisher.retry import RetryPolicy

__all__ = ["PublishOptions", "publish"]


@dataclass
class PublishOptions:
    archives: list[Path] = field(default_factory=list)
    target: str = "github"  # "github" or "dir:PATH"
    repo: str | None = None
    tag: str | None = None
    key_path: Path | None = None
    base_url: str | None = None
    catalog_path: str = "catalog/extensions.json"
    catalog_branch: str | None = None
    catalog_id: str | None = None
    dry_run: bool = False
    force_replace: bool = False
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    # GitHub asks for a second between writes (secondary rate limits); tests pass 0.
    write_pacing: float = 1.0
    env: Mapping[str, str] | None = None


def _target(
    opts: PublishOptions,
    env: Mapping[str, str],
    note: Callable[[str], None],
    progress: Progress | None,
):
    if opts.target.startswith("dir:"):
        root = opts.target[4:]
        if not root:
            raise UsageError(
                "dir: needs a path", rule="publish.bad-target", hint="e.g. --target dir:site"
            )
        return DirTarget(
            Path(root),
            base_url=opts.base_url,
            force_replace=opts.force_replace,
            catalog_path=opts.catalog_path,
            note=note,
        ), None
    if opts.target != "github":
        raise UsageError(
            f"unknown target {opts.target!r}",
            rule="publish.bad-target",
            hint="use --target github or --target dir:PATH",
        )
    # The token check, before any write; a dry run only reads, which a public repository allows.
    settings = settings_from_env(env, opts.repo, need_token=not opts.dry_run)
    session = GitHubSession(settings, opts.policy, write_pacing=opts.write_pacing)
    target = GitHubTarget(
        session,
        force_replace=opts.force_replace,
        catalog_path=opts.catalog_path,
        catalog_branch=opts.catalog_branch,
        note=note,
        progress=progress,
    )
    return target, settings.repo


def _catalog_id(opts: PublishOptions, repo: str | None) -> str:
    """The explicit --catalog-id, else the repository owner, else the dir: folder's name; checked."""
    from plugin_kit.publisher.catalog_build import check_catalog_id

    if opts.catalog_id:
        catalog_id, origin = opts.catalog_id, "--catalog-id"
    elif repo:
        catalog_id, origin = repo.split("/")[0].lower(), "the repository owner"
    else:
        catalog_id = Path(opts.target[4:]).resolve().name.lower() or "local"
        origin = "the dir: folder's name"
    try:
        check_catalog_id(catalog_id)
    except PublishError as exc:
        raise UsageError(
            f"{catalog_id!r} (from {origin}) cannot be a catalog id",
            rule="publish.bad-catalog-id",
            place=opts.target,
            hint=f"{exc.hint}: pass one with --catalog-id, e.g. --catalog-id my-plugins",
        ) from exc
    return catalog_id


def _author_warnings(plans: list) -> list[dict[str, object]]:  # list[ReleasePlan]
    """A placeholder author in a manifest about to go into the catalog (it is published as is)."""
    from plugin_kit.validators.semantic import placeholder_author

    out = []
    for plan in plans:
        for archive in plan.archives:
            for author in getattr(archive.manifest, "authors", []):  # Yoi manifests name none
                if placeholder_author(author):
                    out.append({"rule": "author-placeholder", "file": archive.path.name,
                                "message": f"the author {author!r} is a placeholder, not you"})  # fmt: skip
    return out


def publish(
    opts: PublishOptions,
    *,
    note: Callable[[str], None] = lambda _m: None,
    progress: Progress | None = None,
    password_prompt: Callable[[], str] | None = None,
) -> PublishResult:
    """Publish `opts.archives`; `note` receives progress lines, `progress` upload byte counts."""
    from plugin_kit.signing.keysource import resolve_secret_key

    env = os.environ if opts.env is None else opts.env
    target, repo = _target(opts, env, note, progress)
    catalog_id = _catalog_id(opts, repo)  # before anything is read or written
    key = resolve_secret_key(opts.key_path, env, prompt=password_prompt)
    plans = plan_releases(opts.archives, key=key, tag=opts.tag, env=env)
    result = PublishResult(opts.target, opts.dry_run, key.public_key.base64, key.public_key.key_id)
    result.warnings = _author_warnings(plans)
    for warning in result.warnings:
        note(f"warning[{warning['rule']}]: {warning['file']}: {warning['message']}")

    def update(urls: list[dict[str, str]]):  # -> CatalogUpdate
        return catalog_update(
            list(zip(plans, urls, strict=True)),
            key,
            catalog_id=catalog_id,
            repository=repo,
            place=opts.catalog_path,
        )

    if opts.dry_run:
        result.releases = [target.preview(plan) for plan in plans]
        result.catalog = target.preview_catalog(update([r.urls() for r in result.releases]))
        return result
    # Read-only: a catalog that refuses these versions (same version, other bytes) stops the
    # run before any release changes, so release and catalog never disagree.
    target.preview_catalog(update([target.expected_urls(plan) for plan in plans]))
    result.releases = [target.publish(plan) for plan in plans]
    result.catalog = target.commit_catalog(update([r.urls() for r in result.releases]))
    return result
