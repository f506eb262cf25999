"""The `dir:PATH` target: the same release layout and catalog on disk, for any static host.

PATH/releases/download/<tag>/<asset> and PATH/<catalog path>(.minisig), the catalog path
(--catalog-path, default catalog/extensions.json) inside PATH; URLs are
`<base-url>/releases/download/<tag>/<asset>`, the base defaulting to PATH's file:// URL.
Every file is written atomically; an existing asset with other bytes is refused (a published
release does not change) unless --force-replace.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from plugin_kit.errors import PublishError, UsageError
from plugin_kit.fsio import write_atomic
from plugin_kit.publisher.catalog import asset_url
from plugin_kit.publisher.catalog_sync import CatalogUpdate, catalog_diff
from plugin_kit.publisher.outcome import AssetOutcome, CatalogOutcome, ReleaseOutcome
from plugin_kit.publisher.plan import ReleasePlan

__all__ = ["DirTarget"]


def _sha256(path: Path) -> str | None:
    from plugin_kit.content.digest import sha256_file

    return sha256_file(path) if path.is_file() else None


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError as exc:
        raise PublishError(
            f"cannot write: {exc.strerror or exc}", rule="publish.write", place=str(path)
        ) from exc


def _relative(catalog_path: str) -> PurePosixPath:
    path = PurePosixPath(catalog_path)
    if not catalog_path or path.is_absolute() or ".." in path.parts or not path.name:
        raise UsageError(
            f"--catalog-path {catalog_path!r} is not a file path inside the dir: folder",
            rule="publish.bad-catalog-path",
            hint="give a relative path such as catalog/extensions.json (the default)",
        )
    return path


class DirTarget:
    def __init__(
        self,
        root: Path,
        *,
        base_url: str | None = None,
        force_replace: bool = False,
        catalog_path: str = "catalog/extensions.json",
        note: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.root = root
        self.catalog_path = _relative(catalog_path)
        self.base_url = (base_url or root.resolve().as_uri()).rstrip("/")
        self.force_replace = force_replace
        self.note = note

    def _release_dir(self, tag: str) -> Path:
        return self.root / "releases" / "download" / tag

    def _decide(self, plan: ReleasePlan) -> ReleaseOutcome:
        folder = self._release_dir(plan.tag)
        outcome = ReleaseOutcome(
            plan.tag,
            "existing" if folder.is_dir() else "create",
            release_url=self._url(plan.tag, ""),
        )
        for asset in plan.assets:
            have = _sha256(folder / asset.name)
            if have == asset.sha256:
                action = "skip"
            elif have is None:
                action = "upload"
            elif self.force_replace:
                action = "replace"
            else:
                raise PublishError(
                    f"{asset.name} of {plan.tag} is already published with other bytes",
                    rule="publish.published-differs",
                    place=str(folder / asset.name),
                    hint="bump the version (recommended), or pass --force-replace to overwrite it",
                )
            outcome.assets.append(
                AssetOutcome(
                    asset.name, asset.size, asset.sha256, action, self._url(plan.tag, asset.name)
                )
            )
        return outcome

    def _url(self, tag: str, name: str) -> str:
        return asset_url(self.base_url, tag, name)

    def expected_urls(self, plan: ReleasePlan) -> dict[str, str]:
        return {a.name: self._url(plan.tag, a.name) for a in plan.assets}

    def preview(self, plan: ReleasePlan) -> ReleaseOutcome:
        return self._decide(plan)

    def publish(self, plan: ReleasePlan) -> ReleaseOutcome:
        outcome = self._decide(plan)  # refuses before writing anything
        folder = self._release_dir(plan.tag)
        for asset, done in zip(plan.assets, outcome.assets, strict=True):
            if done.action != "skip":
                self.note(f"writing {folder / asset.name}")
                _write(folder / asset.name, asset.read())
        outcome.published = True
        return outcome

    # -- catalog ------------------------------------------------------------------------------

    def _catalog_files(self) -> tuple[Path, Path]:
        path = self.root / self.catalog_path
        return path, path.with_name(path.name + ".minisig")

    def preview_catalog(self, update: CatalogUpdate) -> CatalogOutcome:
        path, _sig = self._catalog_files()
        current = path.read_bytes() if path.is_file() else None
        new = update.render(current)
        return CatalogOutcome(
            str(path),
            new != current,
            diff=catalog_diff(current, new, path.name),
            fetch_url=self._catalog_url(),
        )

    def commit_catalog(self, update: CatalogUpdate) -> CatalogOutcome:
        from plugin_kit.publisher.catalog import write_signed_catalog

        path, _sig = self._catalog_files()
        current = path.read_bytes() if path.is_file() else None
        written = write_signed_catalog(path, update.document(current), update.key)
        if written.changed:
            self.note(f"wrote {path} and its signature")
        url = self._catalog_url()
        return CatalogOutcome(str(path), written.changed, url=url, fetch_url=url)

    def _catalog_url(self) -> str:
        return f"{self.base_url}/{self.catalog_path}"
