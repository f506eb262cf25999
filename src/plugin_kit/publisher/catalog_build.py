"""`plugin catalog build`: one signed catalog over releases of many plugins.

Each input is a release folder (as `plugin publish --target dir:` writes it, or a GitHub
release downloaded as is) or one archive inside such a folder. Nothing is trusted on the way
in: every archive goes through the strict reader, its `.minisig` and the folder's signed
SHA256SUMS must verify with a publisher key, and SHA256SUMS must list the archive's sha256.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from plugin_kit.errors import PublishError
from plugin_kit.hosts import HOSTS, host_for_name
from plugin_kit.publisher.catalog import (
    CATALOG_NAME,
    CHECKSUM_ASSET,
    DEFAULT_TTL,
    CatalogWrite,
    asset_url,
    check_catalog_version,
    entry_for_release,
    load_catalog_bytes,
    merge_entries,
    write_signed_catalog,
)
from plugin_kit.signing.keys import PublicKey, SecretKey

__all__ = ["ReleaseFile", "build_catalog", "catalog_path", "release_entries"]

_SIG_SUFFIX = ".minisig"
_MAX_SMALL_FILE = 1 << 20


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    size: int
    sha256: str


def catalog_path(out: Path) -> Path:
    """OUT is the catalog file when it ends in .json, else the folder that holds extensions.json."""
    return out if out.suffix == ".json" else out / CATALOG_NAME


def _archives(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if source.is_dir():
        found = sorted(p for p in source.iterdir() if host_for_name(p.name) and p.is_file())
        if found:
            return found
    raise PublishError(
        f"no {' or '.join(h.suffix for h in HOSTS.values())} archive here",
        rule="catalog.no-archive",
        place=str(source),
        hint="pass a release folder (archives, .minisig files, SHA256SUMS) or an archive in one",
    )


def _small(path: Path) -> bytes:
    from plugin_kit.fsio import read_limited

    try:
        data = read_limited(path, _MAX_SMALL_FILE)
    except OSError as exc:
        raise PublishError(
            f"missing release file: {exc.strerror}",
            rule="catalog.release-incomplete",
            place=str(path),
            hint="publish with `plugin publish --target dir:PATH`, or sign with `plugin sign`",
        ) from exc
    if len(data) > _MAX_SMALL_FILE:
        raise PublishError(
            "file is too large for a signature or SHA256SUMS",
            rule="catalog.too-large",
            place=str(path),
        )
    return data


def _verify(path: Path, keys: Sequence[PublicKey]) -> PublicKey:
    """Check path's .minisig with whichever publisher key signed it; return that key.

    Every key is tried in full: two keys may carry the same key id (the id is a label its
    maker chooses), so a key whose id matches but whose signature check fails is not the end."""
    from plugin_kit.signing.errors import SignatureInvalid
    from plugin_kit.signing.signatures import check_names_file, verify_file

    signature = _small(path.with_name(path.name + _SIG_SUFFIX)).decode("ascii", "replace")
    errors: list[SignatureInvalid] = []
    for key in keys:
        try:
            verified = verify_file(path, signature, key)
        except SignatureInvalid as err:
            if err.rule not in ("signing.wrong-key", "signing.bad-signature"):
                raise
            errors.append(err)
            continue
        check_names_file(verified, path.name, place=str(path))
        return key
    # A key with the right id that does not verify says more than "another key signed it".
    worst = next((e for e in errors if e.rule == "signing.bad-signature"), errors[-1])
    if worst.rule == "signing.wrong-key":
        worst.hint = "pass the publisher's key with --publisher-pubkey"
    raise worst


def _tag(folder: Path, plugin_id: str, version: str) -> str:
    """The folder's name when it is this release's tag (v<version> or <id>-v<version>)."""
    if folder.name in (f"v{version}", f"{plugin_id}-v{version}"):
        return folder.name
    return f"v{version}"


def _release_files(folder: Path, names: Sequence[str]) -> list[ReleaseFile]:
    import hashlib

    out = []
    for name in names:
        data = _small(folder / name)
        out.append(ReleaseFile(name, len(data), hashlib.sha256(data).hexdigest()))
    return out


def _entry(
    archive: Path, keys: Sequence[PublicKey], base_url: str | None, repo: str | None
) -> dict[str, Any]:
    from plugin_kit.packer.reader import read_archive
    from plugin_kit.signing.sums import parse_sums

    info = read_archive(archive)
    check_catalog_version(info)
    expected = info.host.archive_name(info.manifest.id, info.manifest.version)
    if archive.name != expected:
        raise PublishError(
            f"archive name does not match its manifest ({expected})",
            rule="catalog.archive-name",
            place=str(archive),
        )
    folder = archive.parent
    key = _verify(archive, keys)
    sums = folder / CHECKSUM_ASSET
    if _verify(sums, keys) != key:
        raise PublishError(
            "SHA256SUMS and the archive are signed by different keys",
            rule="catalog.mixed-keys",
            place=str(sums),
        )
    if parse_sums(_small(sums)).get(archive.name) != info.sha256:
        raise PublishError(
            "SHA256SUMS does not list this archive's sha256",
            rule="catalog.sums-mismatch",
            place=str(sums),
        )
    tag = _tag(folder, info.manifest.id, info.manifest.version)
    names = [archive.name, archive.name + _SIG_SUFFIX, CHECKSUM_ASSET, CHECKSUM_ASSET + _SIG_SUFFIX]
    small = _release_files(folder, names[1:])
    if base_url is not None:
        urls = {n: asset_url(base_url, tag, n) for n in names}
    elif repo is not None:
        urls = {n: asset_url(f"https://github.com/{repo}", tag, n) for n in names}
    else:
        urls = {n: (folder / n).resolve().as_uri() for n in names}
    return entry_for_release(info, tag=tag, urls=urls, public_key=key, repo=repo, assets=small)


def release_entries(
    sources: Sequence[Path],
    publisher_keys: Sequence[PublicKey],
    *,
    base_url: str | None = None,
    repo: str | None = None,
) -> list[dict[str, Any]]:
    """Catalog entries for every archive in `sources`, each checked as described above."""
    return [_entry(a, publisher_keys, base_url, repo) for s in sources for a in _archives(s)]


def check_catalog_id(catalog_id: str) -> None:
    if (
        not re.fullmatch(r"[a-z0-9](?:[a-z0-9_-]|\.(?!\.))*", catalog_id)
        or catalog_id.endswith(".")
        or len(catalog_id) > 80
    ):
        raise PublishError(
            f"{catalog_id!r} is not a catalog id",
            rule="catalog.bad-id",
            hint="lower-case letters, digits, '.', '_' and '-', at most 80 characters",
        )


def build_catalog(
    out: Path,
    sources: Sequence[Path],
    key: SecretKey,
    *,
    catalog_id: str,
    publisher_keys: Sequence[PublicKey] = (),
    base_url: str | None = None,
    repo: str | None = None,
    repository: str | None = None,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
    refresh: bool = False,
) -> CatalogWrite:
    """Merge every release in `sources` into the catalog at OUT (made if absent) and sign it
    with `key`. Publisher signatures are checked with `publisher_keys` (default: `key`'s own)."""
    check_catalog_id(catalog_id)
    path = catalog_path(out)
    existing = load_catalog_bytes(path.read_bytes(), place=str(path)) if path.is_file() else None
    entries = release_entries(
        sources, list(publisher_keys) or [key.public_key], base_url=base_url, repo=repo
    )
    doc = merge_entries(
        existing,
        entries,
        catalog_id=catalog_id,
        repository=repository,
        now=now,
        ttl=ttl,
        refresh=refresh,
    )
    return write_signed_catalog(path, doc, key)
