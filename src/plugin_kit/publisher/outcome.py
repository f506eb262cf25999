"""Results of a publish, as dataclasses with to_dict() for --json and the Actions outputs."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AssetOutcome", "CatalogOutcome", "PublishResult", "ReleaseOutcome"]


@dataclass
class AssetOutcome:
    name: str
    size: int
    sha256: str
    action: str  # upload | replace | skip
    url: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "action": self.action,
            "url": self.url,
        }


@dataclass
class ReleaseOutcome:
    tag: str
    action: str  # create | adopt | existing (and, in a dry run, what would happen)
    release_url: str | None = None
    release_id: int | None = None
    assets: list[AssetOutcome] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # unplanned or broken assets deleted
    published: bool = False
    immutable: bool = False

    def urls(self) -> dict[str, str]:
        return {a.name: a.url for a in self.assets if a.url}

    def to_dict(self) -> dict[str, object]:
        return {
            "tag": self.tag,
            "action": self.action,
            "release_url": self.release_url,
            "release_id": self.release_id,
            "assets": [a.to_dict() for a in self.assets],
            "removed": self.removed,
            "published": self.published,
            "immutable": self.immutable,
        }


@dataclass
class CatalogOutcome:
    path: str
    changed: bool
    # This run's one commit of the catalog and/or its signature (both always agree in it).
    commit: str | None = None
    url: str | None = None
    diff: str = ""
    # What operators register with `plugin catalog add` (raw bytes, not a web page).
    fetch_url: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "changed": self.changed,
            "commit": self.commit,
            "url": self.url,
            "fetch_url": self.fetch_url,
            "diff": self.diff,
        }


@dataclass
class PublishResult:
    target: str
    dry_run: bool
    public_key: str
    key_id: str
    releases: list[ReleaseOutcome] = field(default_factory=list)
    catalog: CatalogOutcome | None = None
    warnings: list[dict[str, object]] = field(default_factory=list)  # Problem.to_dict() each

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "dry_run": self.dry_run,
            "public_key": self.public_key,
            "key_id": self.key_id,
            "releases": [r.to_dict() for r in self.releases],
            "catalog": self.catalog.to_dict() if self.catalog else None,
            "warnings": self.warnings,
        }
