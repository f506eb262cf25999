"""The catalog step of a publish: merge the new releases into the target's catalog and sign it.

Entries and the merge come from publisher/catalog.py (the catalog's owner); this module only
feeds them what the release actually holds (URLs as the target returned them) and decides
whether anything must be written: the same inputs give the same bytes, so a re-run writes
nothing. The signature is checked rather than compared, and rewritten only if it does not
verify over the catalog's bytes (a hand edit, or a catalog written by something else).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plugin_kit.publisher.plan import ReleasePlan

__all__ = ["CatalogUpdate", "catalog_diff", "catalog_update"]


@dataclass
class CatalogUpdate:
    """What a target needs: the merged document for the catalog it holds, and the signing key."""

    document: Callable[[bytes | None], dict[str, Any]]
    key: Any  # signing.keys.SecretKey
    message: str

    def render(self, current: bytes | None) -> bytes:
        from plugin_kit.publisher.catalog import dump_catalog

        return dump_catalog(self.document(current))

    def sign(self, data: bytes) -> bytes:
        from plugin_kit.publisher.catalog import catalog_signature_comment
        from plugin_kit.signing.signatures import sign_bytes

        comment = catalog_signature_comment(json.loads(data))
        return sign_bytes(data, self.key, trusted_comment=comment).encode("ascii")

    def signature_valid(self, data: bytes, signature: bytes | None) -> bool:
        from plugin_kit.signing.errors import SigningError
        from plugin_kit.signing.signatures import verify_bytes

        if signature is None:
            return False
        try:
            verify_bytes(data, signature.decode("ascii", "replace"), self.key.public_key)
        except SigningError:
            return False
        return True


def catalog_diff(old: bytes | None, new: bytes, name: str) -> str:
    before = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    after = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))


def _entries(
    releases: list[tuple[ReleasePlan, dict[str, str]]], repository: str | None
) -> list[dict[str, Any]]:
    from plugin_kit.publisher.catalog import entry_for_release

    return [
        entry_for_release(
            arch.info,  # type: ignore[arg-type]
            tag=plan.tag,
            urls=urls,
            public_key=plan.public_key,
            key_id=plan.key_id,
            repo=repository,
            assets=plan.assets,
        )
        for plan, urls in releases
        for arch in plan.archives
    ]


def catalog_update(
    releases: list[tuple[ReleasePlan, dict[str, str]]],
    key: Any,
    *,
    catalog_id: str,
    repository: str | None,
    place: str,
) -> CatalogUpdate:
    """`releases` pairs each plan with {asset name: download URL as the target returned it}."""
    from plugin_kit.catalog.model import load_catalog_bytes
    from plugin_kit.catalog.validate import validate_catalog
    from plugin_kit.publisher.catalog import merge_entries

    def document(current: bytes | None) -> dict[str, Any]:
        old = load_catalog_bytes(current, place=place) if current is not None else None
        doc = merge_entries(
            old, _entries(releases, repository), catalog_id=catalog_id, repository=repository
        )
        validate_catalog(doc)
        return doc

    names = ", ".join(f"{a.id} {a.version}" for plan, _ in releases for a in plan.archives)
    return CatalogUpdate(document, key, f"catalog: publish {names}")
