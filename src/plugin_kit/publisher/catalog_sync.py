"""The catalog step of a publish: merge the new releases into the target's catalog and sign it.

Entries and the merge come from publisher/catalog.py (the catalog's owner); this module only
feeds them what the release actually holds (URLs as the target returned them) and decides
whether anything must be written: the same inputs give the same bytes, so a re-run writes
nothing. The signature is checked rather than compared, and rewritten only if it does not
verify over the catalog's current bytes (a run that died between the two files).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plugin_kit.errors import PublishError
from plugin_kit.publisher.plan import ReleasePlan, signature_comment

__all__ = ["CatalogUpdate", "catalog_diff", "catalog_update"]

CATALOG_NAME = "extensions.json"


@dataclass
class CatalogUpdate:
    """What a target needs to update its catalog: current bytes in, new bytes out, plus signing."""

    render: Callable[[bytes | None], bytes]
    sign: Callable[[bytes], bytes]
    signature_valid: Callable[[bytes, bytes | None], bool]
    message: str


def catalog_diff(old: bytes | None, new: bytes, name: str) -> str:
    before = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    after = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))


def _load(current: bytes | None, place: str) -> dict[str, Any] | None:
    if current is None:
        return None
    try:
        doc = json.loads(current)
    except ValueError as exc:
        raise PublishError(
            f"the existing catalog is not JSON ({exc})",
            rule="publish.bad-catalog",
            place=place,
            hint="fix or remove the file, then publish again",
        ) from exc
    if not isinstance(doc, dict):
        raise PublishError(
            "the existing catalog is not a JSON object", rule="publish.bad-catalog", place=place
        )
    return doc


def _entries(
    releases: list[tuple[ReleasePlan, dict[str, str]]], repository: str | None
) -> list[dict[str, Any]]:
    from plugin_kit.publisher.catalog import entry_for_release

    entries = []
    for plan, urls in releases:
        for arch in plan.archives:
            entries.append(
                entry_for_release(
                    arch.info,
                    tag=plan.tag,
                    repo=repository,
                    urls=urls,
                    public_key=plan.public_key,
                    key_id=plan.key_id,
                )
            )
    return entries


def catalog_update(
    releases: list[tuple[ReleasePlan, dict[str, str]]],
    key: Any,
    *,
    catalog_id: str,
    repository: str | None,
    place: str,
) -> CatalogUpdate:
    """`releases` pairs each plan with {asset name: download URL as the target returned it}."""
    from plugin_kit.publisher.catalog import dump_catalog, merge_entries
    from plugin_kit.signing.errors import SigningError
    from plugin_kit.signing.signatures import sign_bytes, verify_bytes

    def render(current: bytes | None) -> bytes:
        doc = merge_entries(
            _load(current, place), _entries(releases, repository), catalog_id=catalog_id
        )
        return dump_catalog(doc)

    def sign(data: bytes) -> bytes:
        comment = signature_comment(CATALOG_NAME, catalog=catalog_id)
        return sign_bytes(data, key, trusted_comment=comment).encode("ascii")

    def valid(data: bytes, signature: bytes | None) -> bool:
        if signature is None:
            return False
        try:
            verify_bytes(data, signature.decode("ascii", "replace"), key.public_key)
        except SigningError:
            return False
        return True

    names = ", ".join(f"{a.id} {a.version}" for plan, _ in releases for a in plan.archives)
    return CatalogUpdate(render, sign, valid, f"catalog: publish {names}")
