"""The release plan: preflight checks and the signed payload, made locally before any network write.

One release per tag. Each archive brings itself and its `.minisig`; each release adds
`SHA256SUMS` over its archives and `SHA256SUMS.minisig`. Signatures carry a trusted comment
without a timestamp, so the same key and archive always give the same bytes: a re-run then
finds every asset identical by digest and uploads nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from plugin_kit.errors import PublishError, UsageError
from plugin_kit.hosts import HOSTS

__all__ = [
    "DEFAULT_TAG",
    "PlannedArchive",
    "PlannedAsset",
    "ReleasePlan",
    "SUMS_NAME",
    "plan_releases",
    "signature_comment",
]

SUMS_NAME = "SHA256SUMS"
DEFAULT_TAG = "v{version}"
# A hidden marker in the release body: how a re-run recognises the drafts it made itself.
MARKER = "<!-- plugin-publish:{tag} -->"


@dataclass(frozen=True)
class PlannedAsset:
    """One file of the release: the bytes in memory (small files) or on disk (the archive)."""

    name: str
    size: int
    sha256: str
    content_type: str
    data: bytes | None = field(default=None, repr=False)
    path: Path | None = None

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return self.path.open("rb")

    def read(self) -> bytes:
        with self.open() as fh:
            return fh.read()

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class PlannedArchive:
    """An archive that passed the strict reader; `info` is the reader's ArchiveInfo."""

    path: Path
    info: object = field(repr=False)

    @property
    def manifest(self):  # -> Manifest
        return self.info.manifest  # type: ignore[attr-defined]

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def version(self) -> str:
        return self.manifest.version


@dataclass
class ReleasePlan:
    tag: str
    version: str
    prerelease: bool
    title: str
    body: str
    archives: list[PlannedArchive]
    assets: list[PlannedAsset]
    public_key: str
    key_id: str
    target_commitish: str | None = None

    @property
    def marker(self) -> str:
        return MARKER.format(tag=self.tag)

    def asset(self, name: str) -> PlannedAsset:
        return next(a for a in self.assets if a.name == name)


def signature_comment(file_name: str, **fields: str) -> str:
    """`file:<name>\\t<key>:<value>...\\thashed`, the CLI's shape minus the timestamp (see module doc)."""
    return "\t".join([f"file:{file_name}", *(f"{k}:{v}" for k, v in fields.items()), "hashed"])


def expected_tags(plugin_id: str, version: str) -> tuple[str, str]:
    return f"v{version}", f"{plugin_id}-v{version}"


def resolve_tag(plugin_id: str, version: str, tag: str | None, env: Mapping[str, str]) -> str:
    """The release tag: `--tag` (a literal or a `{id}`/`{version}` template), else the pushed tag
    in GitHub Actions, else `v<version>`. It must be `v<version>` or `<id>-v<version>`, and
    equal the pushed tag when a tag push started the workflow."""
    pushed = env.get("GITHUB_REF_NAME") if env.get("GITHUB_REF_TYPE") == "tag" else None
    tag = (tag or pushed or DEFAULT_TAG).replace("{id}", plugin_id).replace("{version}", version)
    good = expected_tags(plugin_id, version)
    if tag not in good or (pushed and pushed != tag):
        raise PublishError(
            f"tag {pushed if pushed and pushed != tag else tag!r} does not match {plugin_id} {version}",
            rule="publish.tag-mismatch",
            place=tag,
            hint=f"tag this version {' or '.join(good)}, or bump the version in plugin.toml to match the tag",
        )
    return tag


def read_archive_checked(path: Path):  # -> PlannedArchive
    """The strict reader (the host told by the file's bytes), a SemVer version, then the file
    name must be exactly the host's `<id>-<version><suffix>`."""
    from plugin_kit.packer.reader import read_archive
    from plugin_kit.publisher.catalog import check_catalog_version

    info = read_archive(path)
    manifest = info.manifest
    check_catalog_version(info)
    expected = info.host.archive_name(manifest.id, manifest.version)
    if path.name != expected:
        raise PublishError(
            f"archive name {path.name!r} does not match its manifest ({manifest.id} {manifest.version})",
            rule="publish.name-mismatch",
            place=str(path),
            hint=f"publish the file `plugin pack` wrote, named {expected}",
        )
    return PlannedArchive(path, info)


def _is_prerelease(version: str) -> bool:
    return bool(re.match(r"^[0-9]+\.[0-9]+\.[0-9]+-", version))


def _small(name: str, data: bytes, content_type: str = "text/plain") -> PlannedAsset:
    return PlannedAsset(name, len(data), hashlib.sha256(data).hexdigest(), content_type, data=data)


def _release_for(
    tag: str, archives: list[PlannedArchive], key, env: Mapping[str, str]
) -> ReleasePlan:
    from plugin_kit.publisher.catalog import release_title
    from plugin_kit.signing.signatures import sign_bytes, sign_file
    from plugin_kit.signing.sums import format_sums

    versions = sorted({a.version for a in archives})
    if len(versions) != 1:
        raise PublishError(
            f"archives of different versions share the tag {tag}: {', '.join(versions)}",
            rule="publish.tag-mismatch",
            place=tag,
            hint="use --tag '{id}-v{version}' so each plugin gets its own release",
        )
    assets: list[PlannedAsset] = []
    sums: dict[str, str] = {}
    for arch in sorted(archives, key=lambda a: a.path.name):
        info = arch.info
        name = arch.path.name
        assets.append(
            PlannedAsset(name, info.size, info.sha256, "application/octet-stream", path=arch.path)
        )  # type: ignore[attr-defined]
        comment = signature_comment(name, id=arch.id, version=arch.version)
        sig = sign_file(arch.path, key, trusted_comment=comment).encode("ascii")
        assets.append(_small(name + ".minisig", sig))
        sums[name] = info.sha256  # type: ignore[attr-defined]
    sums_bytes = format_sums(sums)
    assets.append(_small(SUMS_NAME, sums_bytes))
    sums_sig = sign_bytes(sums_bytes, key, trusted_comment=signature_comment(SUMS_NAME, tag=tag))
    assets.append(_small(SUMS_NAME + ".minisig", sums_sig.encode("ascii")))
    first = archives[0]
    title = release_title(first.info) if len(archives) == 1 else tag
    body = _release_body(
        first.manifest.description if len(archives) == 1 else "", key.public_key.base64, tag
    )
    return ReleasePlan(
        tag=tag,
        version=versions[0],
        prerelease=_is_prerelease(versions[0]),
        title=title,
        body=body,
        archives=archives,
        assets=assets,
        public_key=key.public_key.base64,
        key_id=key.public_key.key_id,
        target_commitish=env.get("GITHUB_SHA") or None,
    )


def _release_body(description: str, public_key: str, tag: str) -> str:
    lines = [description, ""] if description else []
    lines += [
        "Verify the downloads:",
        "",
        "```sh",
        f"minisign -Vm SHA256SUMS -P {public_key}",
        "sha256sum -c SHA256SUMS",
        "```",
        "",
        MARKER.format(tag=tag),
    ]
    return "\n".join(lines)


def default_archives(cwd: Path) -> list[Path]:
    """Every host's archives in ./dist (what `plugin pack` writes there)."""
    found = sorted(p for h in HOSTS.values() for p in (cwd / "dist").glob("*" + h.suffix))
    if not found:
        suffixes = " or ".join(h.suffix for h in HOSTS.values())
        raise UsageError(
            "no archives given and none in ./dist",
            rule="publish.no-archives",
            hint=f"run `plugin pack` first, or pass the {suffixes} files to publish",
        )
    return found


def plan_releases(
    archives: Sequence[Path],
    *,
    key,
    tag: str | None = None,
    env: Mapping[str, str] | None = None,
) -> list[ReleasePlan]:
    """Preflight every archive, sign, and group them into one plan per tag. Writes nothing."""
    env = os.environ if env is None else env
    paths = list(archives) or default_archives(Path.cwd())
    checked = [read_archive_checked(Path(p)) for p in paths]
    ids = [a.id for a in checked]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise UsageError(
            f"more than one archive for {', '.join(duplicates)}",
            rule="publish.duplicate-plugin",
            hint="publish one version of each plugin at a time",
        )
    groups: dict[str, list[PlannedArchive]] = {}
    for arch in checked:
        groups.setdefault(resolve_tag(arch.id, arch.version, tag, env), []).append(arch)
    return [_release_for(t, group, key, env) for t, group in sorted(groups.items())]
