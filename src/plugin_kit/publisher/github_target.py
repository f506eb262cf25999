"""Publish a release plan to GitHub: find or create the draft, reconcile assets, publish last.

Every step first reads what is there, so a run that died anywhere is finished by the next one,
and a transient failure is handled by retrying the whole step (retry.with_retries):
- a published release for the tag with the planned assets is done (immutable or not);
  one with other assets is an error (bump the version), unless mutable and --force-replace;
- drafts are found by listing (get-by-tag never shows them); ours carry a body marker, and
  duplicates of ours (a create whose answer was lost) are deleted;
- an asset identical by digest is kept; a `starter`, different or unplanned one in the draft
  is deleted before uploading; the draft must equal the plan before it is published;
- publishing passes every field (PyGithub resets the ones left out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugin_kit.errors import PublishError
from plugin_kit.publisher.catalog_sync import CatalogUpdate, catalog_diff
from plugin_kit.publisher.github_api import GitHubSession, Progress, error_codes
from plugin_kit.publisher.outcome import AssetOutcome, CatalogOutcome, ReleaseOutcome
from plugin_kit.publisher.plan import PlannedAsset, ReleasePlan
from plugin_kit.publisher.retry import Transient, with_retries

_GITHUB_WEB = "https://github.com/"
_GITHUB_RAW = "https://raw.githubusercontent.com/"

__all__ = ["GitHubTarget"]


def _sha(remote: Any) -> str | None:
    digest = getattr(remote, "digest", None)
    return (
        digest.split(":", 1)[1]
        if isinstance(digest, str) and digest.startswith("sha256:")
        else None
    )


class GitHubTarget:
    def __init__(
        self,
        session: GitHubSession,
        *,
        force_replace: bool = False,
        catalog_path: str = "catalog/extensions.json",
        catalog_branch: str | None = None,
        note: Callable[[str], None] = lambda _m: None,
        progress: Progress | None = None,
    ) -> None:
        self.s = session
        self.catalog_path = catalog_path.strip("/")
        self.catalog_branch = catalog_branch
        self.force_replace = force_replace
        self.note = note
        self.progress = progress

    # -- public -------------------------------------------------------------------------------

    def publish(self, plan: ReleasePlan) -> ReleaseOutcome:
        outcome = ReleaseOutcome(plan.tag, action="existing")
        actions: dict[str, str] = {}
        return with_retries(
            lambda: self._converge(plan, outcome, actions), self.s.policy, self.note
        )

    def expected_urls(self, plan: ReleasePlan) -> dict[str, str]:
        """Where GitHub serves a published release's assets (for checks; the catalog gets the real ones)."""
        from plugin_kit.publisher.catalog import asset_url

        base = with_retries(lambda: self.s.repo.html_url, self.s.policy, self.note)
        return {a.name: asset_url(base, plan.tag, a.name) for a in plan.assets}

    def preview(self, plan: ReleasePlan) -> ReleaseOutcome:
        """What publish would do, from read-only calls (the dry run)."""
        return with_retries(lambda: self._preview(plan), self.s.policy, self.note)

    # -- the convergent step ------------------------------------------------------------------

    def _converge(
        self, plan: ReleasePlan, outcome: ReleaseOutcome, actions: dict[str, str]
    ) -> ReleaseOutcome:
        published, drafts = self._observe(plan)
        if published is not None:
            if self._matches(plan, published):
                return self._finish(plan, published, outcome, actions)
            self._refuse_published(plan, published)
            release = published  # mutable, and the author asked for --force-replace
        else:
            release = self._draft(plan, drafts, outcome)
        self._reconcile(plan, release, outcome, actions, mutable_published=published is not None)
        release = self.s.call(self.s.repo.get_release, release.id)
        if not self._matches(plan, release, exact=release.draft):  # a draft must equal the plan
            raise Transient(f"release {plan.tag} does not match the plan after uploading")
        if release.draft:
            self._publish_draft(plan, release)
            release = self.s.call(self.s.repo.get_release, release.id)
        return self._finish(plan, release, outcome, actions)

    def _observe(self, plan: ReleasePlan) -> tuple[Any, list[Any]]:
        repo = self.s.repo
        try:
            return self.s.call(repo.get_release, plan.tag), []
        except PublishError as exc:
            if exc.rule != "publish.not-found":
                raise
        # Drafts are invisible to get-by-tag: listing is the only way to find them.
        releases = self.s.call(lambda: list(repo.get_releases()))
        return None, [r for r in releases if r.draft and r.tag_name == plan.tag]

    def _matches(self, plan: ReleasePlan, release: Any, *, exact: bool = False) -> bool:
        remote = {a.name: a for a in self.s.call(lambda: list(release.get_assets()))}
        if exact and set(remote) != {a.name for a in plan.assets}:
            return False
        return all(
            self._same(a, remote.get(a.name), published=not release.draft) for a in plan.assets
        )

    def _same(self, planned: PlannedAsset, remote: Any, *, published: bool) -> bool:
        if remote is None or remote.state != "uploaded" or remote.size != planned.size:
            return False
        sha = _sha(remote)
        if sha is None and published:
            # Older GitHub Enterprise has no `digest`: hash the published bytes instead.
            import hashlib

            sha = hashlib.sha256(self.s.download(remote.browser_download_url)).hexdigest()
        return sha == planned.sha256

    def _refuse_published(self, plan: ReleasePlan, release: Any) -> None:
        if release.immutable:
            raise PublishError(
                f"release {plan.tag} is published and immutable, with assets other than these",
                rule="publish.immutable-release",
                place=release.html_url,
                hint="a published version cannot change: bump the version in plugin.toml, pack and publish again",
            )
        if not self.force_replace:
            raise PublishError(
                f"release {plan.tag} is already published with different assets",
                rule="publish.published-differs",
                place=release.html_url,
                hint="bump the version (recommended), or pass --force-replace to overwrite the published assets",
            )

    def _draft(self, plan: ReleasePlan, drafts: list[Any], outcome: ReleaseOutcome) -> Any:
        ours = sorted((d for d in drafts if plan.marker in (d.body or "")), key=lambda d: d.id)
        if ours:
            for extra in ours[1:]:
                self.note(f"deleting duplicate draft {extra.id} for {plan.tag}")
                self.s.call(extra.delete_release)
            outcome.action = "adopt" if outcome.action == "existing" else outcome.action
            return ours[0]
        if drafts:
            outcome.action = "adopt" if outcome.action == "existing" else outcome.action
            return min(drafts, key=lambda d: d.id)
        self.note(f"creating draft release {plan.tag}")
        outcome.action = "create"
        kw: dict[str, Any] = {"draft": True, "prerelease": plan.prerelease}
        if plan.target_commitish:
            kw["target_commitish"] = plan.target_commitish
        try:
            return self.s.call(
                self.s.repo.create_git_release, plan.tag, plan.title, plan.body, **kw
            )
        except PublishError as exc:
            if "already_exists" in str(exc) or "already exists" in str(exc):
                # Someone published the tag meanwhile: look again.
                raise Transient(f"a release for {plan.tag} appeared meanwhile", wait=0) from exc
            raise

    def _reconcile(
        self,
        plan: ReleasePlan,
        release: Any,
        outcome: ReleaseOutcome,
        actions: dict[str, str],
        *,
        mutable_published: bool,
    ) -> None:
        remote = {a.name: a for a in self.s.call(lambda: list(release.get_assets()))}
        planned = {a.name for a in plan.assets}
        for name, asset in sorted(remote.items()):
            if name not in planned and not mutable_published:
                self.note(f"removing {name} ({asset.state}) from the draft: not in the plan")
                self.s.call(asset.delete_asset)
                outcome.removed.append(name)
        for asset in plan.assets:
            existing = remote.get(asset.name)
            if self._same(asset, existing, published=mutable_published):
                actions.setdefault(asset.name, "skip")
                continue
            if existing is not None:
                self.note(f"replacing {asset.name} ({existing.state}, digest differs or missing)")
                self.s.call(existing.delete_asset)
            if actions.get(asset.name) != "replace":
                actions[asset.name] = "replace" if existing is not None else "upload"
            self.note(f"uploading {asset.name} ({asset.size} bytes)")
            self.s.upload(release.upload_url, asset, self.progress)

    def _publish_draft(self, plan: ReleasePlan, release: Any) -> None:
        kw: dict[str, Any] = {
            "draft": False,
            "prerelease": plan.prerelease,
            "tag_name": plan.tag,
            "make_latest": "true" if self._newest_stable(plan) else "false",
        }
        if plan.target_commitish:
            kw["target_commitish"] = plan.target_commitish
        self.note(f"publishing release {plan.tag}")
        try:
            self.s.call(release.update_release, plan.title, plan.body, **kw)
        except PublishError as exc:
            cause = exc.__cause__
            data = getattr(cause, "data", None)
            if "already_exists" in error_codes(data):
                raise Transient(
                    f"a release for {plan.tag} was published meanwhile", wait=0
                ) from exc
            if "immutable" in str(exc):
                raise PublishError(
                    f"tag {plan.tag} was used by an immutable release",
                    rule="publish.tag-burned",
                    place=plan.tag,
                    hint="this tag can never be released again: bump the version",
                ) from exc
            raise

    def _newest_stable(self, plan: ReleasePlan) -> bool:
        """Whether no published stable release of the same tag form is newer (a backport is not)."""
        import semver

        if plan.prerelease:
            return False
        prefix = plan.tag[: -len(plan.version)] if plan.tag.endswith(plan.version) else None
        if prefix is None:
            return True
        mine = semver.Version.parse(plan.version)
        for release in self.s.call(lambda: list(self.s.repo.get_releases())):
            tag = release.tag_name or ""
            if release.draft or release.prerelease or not tag.startswith(prefix):
                continue
            try:
                other = semver.Version.parse(tag[len(prefix) :])
            except ValueError:
                continue  # not one of ours (another plugin's tag, a hand-made one)
            if other.prerelease is None and other > mine:
                return False
        return True

    def _finish(
        self, plan: ReleasePlan, release: Any, outcome: ReleaseOutcome, actions: dict[str, str]
    ) -> ReleaseOutcome:
        remote = {a.name: a for a in self.s.call(lambda: list(release.get_assets()))}
        outcome.release_url = release.html_url
        outcome.release_id = release.id
        outcome.published = not release.draft
        outcome.immutable = bool(release.immutable)
        outcome.assets = [
            AssetOutcome(
                a.name,
                a.size,
                a.sha256,
                actions.get(a.name, "skip"),
                remote[a.name].browser_download_url,
            )
            for a in plan.assets
        ]
        return outcome

    # -- dry run ------------------------------------------------------------------------------

    def _preview(self, plan: ReleasePlan) -> ReleaseOutcome:
        published, drafts = self._observe(plan)
        release = published
        if published is not None:
            if not self._matches(plan, published):
                self._refuse_published(plan, published)
            action = "existing"
        elif drafts:
            ours = [d for d in drafts if plan.marker in (d.body or "")]
            release = min(ours or drafts, key=lambda d: d.id)
            action = "adopt"
        else:
            action = "create"
        outcome = ReleaseOutcome(plan.tag, action, release_url=getattr(release, "html_url", None))
        remote = (
            {a.name: a for a in self.s.call(lambda: list(release.get_assets()))} if release else {}
        )
        expected = self.expected_urls(plan)
        for asset in plan.assets:
            existing = remote.get(asset.name)
            if self._same(asset, existing, published=published is not None):
                act = "skip"
            else:
                act = "replace" if existing is not None else "upload"
            url = (
                existing.browser_download_url
                if existing is not None and published is not None
                else expected[asset.name]
            )
            outcome.assets.append(AssetOutcome(asset.name, asset.size, asset.sha256, act, url))
        outcome.removed = (
            sorted(set(remote) - {a.name for a in plan.assets}) if published is None else []
        )
        return outcome

    # -- catalog: one commit of both files through the git data API -------------------------
    # The contents API writes one file per commit, so a reader between the catalog's commit and
    # its signature's would see a signature that does not verify. A tree with both files, a
    # commit on the branch head and a fast-forward-only ref update land them together.

    def _raw_url(self) -> str:
        """The catalog's raw bytes: raw.githubusercontent.com on github.com, `/raw/` elsewhere."""
        html, branch = self.s.repo.html_url, self._branch()
        if html.startswith(_GITHUB_WEB):
            return f"{_GITHUB_RAW}{html[len(_GITHUB_WEB) :]}/{branch}/{self.catalog_path}"
        return f"{html}/raw/{branch}/{self.catalog_path}"

    def _branch(self) -> str:
        return self.catalog_branch or self.s.repo.default_branch

    def _read_at(self, path: str, ref: str) -> bytes | None:
        try:
            found = self.s.call(self.s.repo.get_contents, path, ref=ref)
        except PublishError as exc:
            if exc.rule == "publish.not-found":
                return None
            raise
        if isinstance(found, list):
            raise PublishError(
                "the catalog path is a folder", rule="publish.bad-catalog", place=path
            )
        if found.encoding != "base64":
            # Over 1 MiB the contents API sends no bytes; the blob API has them (up to 100 MiB).
            import base64

            blob = self.s.call(self.s.repo.get_git_blob, found.sha)
            return base64.b64decode(blob.content)
        return found.decoded_content

    def _head(self) -> tuple[Any, Any]:
        """The branch's ref and its head commit, which the catalog is read at and built on."""
        ref = self.s.call(self.s.repo.get_git_ref, f"heads/{self._branch()}")
        sha = self.s.call(lambda: ref.object.sha)  # the ref loads lazily
        return ref, self.s.call(self.s.repo.get_git_commit, sha)

    def _commit(self, base: Any, files: dict[str, bytes], message: str) -> str:
        import base64

        from github import InputGitTreeElement

        repo = self.s.repo
        elements = []
        for path, data in sorted(files.items()):
            blob = self.s.call(repo.create_git_blob, base64.b64encode(data).decode(), "base64")
            elements.append(InputGitTreeElement(path, "100644", "blob", sha=blob.sha))
        tree = self.s.call(repo.create_git_tree, elements, base_tree=base.tree)
        return self.s.call(repo.create_git_commit, message, tree, [base]).sha

    def _advance(self, ref: Any, sha: str) -> None:
        try:
            self.s.call(ref.edit, sha, force=False)
        except PublishError as exc:
            if getattr(exc.__cause__, "status", None) == 422 and "fast forward" in exc.message:
                # Another commit landed on the branch: read it again and merge on top of it.
                raise Transient(f"{self._branch()} moved meanwhile", wait=0) from exc
            raise

    def preview_catalog(self, update: CatalogUpdate) -> CatalogOutcome:
        current = with_retries(
            lambda: self._read_at(self.catalog_path, self._branch()), self.s.policy, self.note
        )
        new = update.render(current)
        return CatalogOutcome(
            self.catalog_path,
            new != current,
            diff=catalog_diff(current, new, self.catalog_path),
            fetch_url=self._raw_url(),
        )

    def commit_catalog(self, update: CatalogUpdate) -> CatalogOutcome:
        outcome = CatalogOutcome(self.catalog_path, False)
        made: dict[str, bool] = {}  # our commits -> whether they changed the catalog itself
        return with_retries(
            lambda: self._commit_catalog(update, outcome, made), self.s.policy, self.note
        )

    def _commit_catalog(
        self, update: CatalogUpdate, outcome: CatalogOutcome, made: dict[str, bool]
    ) -> CatalogOutcome:
        path, sig_path = self.catalog_path, self.catalog_path + ".minisig"
        ref, base = self._head()
        outcome.url = f"{self.s.repo.html_url}/blob/{self._branch()}/{path}"
        outcome.fetch_url = self._raw_url()
        if base.sha in made:  # our ref update landed but its answer was lost
            outcome.commit, outcome.changed = base.sha, made[base.sha]
            return outcome
        current = self._read_at(path, base.sha)
        new = update.render(current)
        files = {path: new} if new != current else {}
        if not update.signature_valid(new, self._read_at(sig_path, base.sha)):
            files[sig_path] = update.sign(new)
        if not files:
            return outcome
        self.note(f"committing {', '.join(sorted(files))} to {self._branch()}")
        sha = self._commit(base, files, update.message)
        made[sha] = path in files
        self._advance(ref, sha)
        outcome.commit, outcome.changed = sha, path in files
        return outcome
