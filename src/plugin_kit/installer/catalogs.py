"""Registered catalogs: add (pin catalog_id and key), refresh (signature, id, serial, expiry), cache.

Trusted state lives in the user's config (`catalogs.toml`): the pinned key, catalog_id,
last serial and the sha256 of the last verified bytes. The cache only holds bytes that
verified; which bytes are current is decided by `last_sha256` in catalogs.toml, so
swapping in a refreshed catalog is one atomic write of the config.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plugin_kit.catalog.model import entry_host
from plugin_kit.errors import (
    FileRefusedError,
    InstallError,
    NeedsUserError,
    UsageError,
    VerificationError,
)
from plugin_kit.fsio import read_bounded
from plugin_kit.installer._fs import atomic_write, file_lock, remove_write_temps
from plugin_kit.installer._toml import dumps
from plugin_kit.installer.audit import audit, now_iso
from plugin_kit.installer.fetch import check_url, fetch_bytes, redact_url, suffixed_url
from plugin_kit.installer.paths import catalog_cache_dir, config_dir
from plugin_kit.signing.caps import MAX_CATALOG_BYTES, MAX_SIGNATURE_BYTES

__all__ = [
    "CatalogSource",
    "LoadedCatalog",
    "KeyOffer",
    "registry",
    "no_catalogs",
    "add_catalog",
    "refresh_catalog",
    "remove_catalog",
    "trust_catalog",
    "load_catalog",
    "search_index",
]

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_INDEX_FIELDS = ("id", "name", "display_name", "description", "version", "runtime")


@dataclass
class CatalogSource:
    """One `[[catalog]]` of catalogs.toml: where it lives and what we pinned."""

    name: str
    url: str
    catalog_id: str
    pubkey: str
    key_id: str
    pin_source: str
    pinned_at: str
    last_serial: int
    last_sha256: str
    last_fetched: str
    expires_at: str
    entries: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "expired": _expired(self.expires_at)}


@dataclass
class KeyOffer:
    """A key seen for the first time; the caller decides whether to trust it (TOFU)."""

    url: str
    catalog_id: str
    key_id: str
    pubkey: str


@dataclass
class LoadedCatalog:
    source: CatalogSource
    doc: dict[str, Any]


def _registry_path() -> Path:
    return config_dir() / "catalogs.toml"


def _registry_lock() -> Path:
    return config_dir() / ".catalogs.lock"


def no_catalogs() -> UsageError:
    """What search, show, install and upgrade say on a machine with no catalog registered."""
    return UsageError(
        "no catalogs registered",
        rule="no-catalogs",
        hint="add the publisher's catalog: `plugin catalog add URL-OR-PATH --pubkey RW...`"
        " (the URL and key are in the publisher's README or release notes)",
    )


def registry() -> dict[str, CatalogSource]:
    try:
        doc = tomllib.loads(_registry_path().read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InstallError(
            f"catalogs.toml is not readable: {exc}",
            rule="catalogs-config",
            place=str(_registry_path()),
        ) from exc
    fields = CatalogSource.__dataclass_fields__
    return {
        c["name"]: CatalogSource(**{k: v for k, v in c.items() if k in fields})
        for c in doc.get("catalog", [])
    }


def _save_registry(sources: dict[str, CatalogSource]) -> None:
    """Callers hold the registry lock, so a temp left here is a killed write's, never a live one."""
    remove_write_temps(_registry_path())
    doc = {"catalog": [asdict(sources[n]) for n in sorted(sources)]}
    atomic_write(
        _registry_path(),
        dumps(
            doc, header="catalogs.toml: trusted catalog state; change it with `plugin catalog ...`"
        ).encode(),
    )


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _expired(expires_at: str) -> bool:
    when = _parse_time(expires_at)
    return when is not None and when <= datetime.now(UTC)


def derive_name(url: str) -> str:
    """A short name from the URL: the repository for GitHub URLs, else the last useful segment."""
    parts = urllib.parse.urlsplit(url)
    segs = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    if host in ("raw.githubusercontent.com", "github.com") and len(segs) >= 2:
        return _clean_name(segs[1])
    for seg in reversed(segs):
        stem = seg.removesuffix(".json")
        if stem not in ("extensions", "catalog", "releases", "download"):
            return _clean_name(stem)
    return _clean_name(host.replace(".", "-") or "catalog")


def _clean_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.") or "catalog"
    return name[:63]


def _fetch_signed(url: str) -> tuple[bytes, str]:
    data = fetch_bytes(url, max_bytes=MAX_CATALOG_BYTES)
    sig_url = suffixed_url(url, ".minisig")
    raw_sig = fetch_bytes(sig_url, max_bytes=MAX_SIGNATURE_BYTES)
    try:
        return data, raw_sig.decode("ascii")
    except UnicodeDecodeError as exc:
        raise VerificationError(
            "the catalog signature is not a minisign signature",
            rule="catalog-signature",
            place=redact_url(sig_url),
        ) from exc


def _json(data: bytes) -> Any:
    """json.loads that fails only with ValueError: a deeply nested document is one too."""
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("the document nests too deeply") from exc


def _entry_keys(data: bytes) -> list[str]:
    """Publisher keys the entries name, read from bytes not verified yet: only candidates,
    each must still verify the signature; an unreadable document offers none."""
    try:
        doc = _json(data)
    except ValueError:
        return []
    entries = doc.get("entries") if isinstance(doc, dict) else None
    keys = []
    for entry in entries if isinstance(entries, list) else []:
        sigs = entry.get("signatures") if isinstance(entry, dict) else None
        key = sigs.get("minisign_pubkey") if isinstance(sigs, dict) else None
        if isinstance(key, str):
            keys.append(key)
    return keys


def _offered_key(url: str, data: bytes, signature: str) -> str | None:
    """A key to offer on first use: a published `extensions.json.pub`, else the publisher key
    the entries name, whichever verifies the catalog signature. Trusted only with consent."""
    from plugin_kit.errors import PluginKitError

    offers: list[str] = []
    try:
        offers.append(fetch_bytes(suffixed_url(url, ".pub"), max_bytes=4096).decode("ascii"))
    except (PluginKitError, UnicodeDecodeError):
        pass
    offers += [k for k in _entry_keys(data) if k not in offers]
    for text in offers:
        try:
            _verify(data, signature, text, redact_url(url))
        except PluginKitError:
            continue
        from plugin_kit.signing.keys import load_public_key

        return load_public_key(text).base64
    return None


def _parse_doc(data: bytes, place: str) -> dict[str, Any]:
    """Parse and schema-check catalog bytes whose signature has been verified already."""
    try:
        doc = _json(data)
    except ValueError as exc:
        raise VerificationError(
            f"the catalog is not valid JSON: {exc}", rule="catalog-invalid", place=place
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("catalog_id"), str):
        raise VerificationError(
            "the catalog has no catalog_id", rule="catalog-invalid", place=place
        )
    from plugin_kit.catalog.validate import validate_catalog

    try:
        validate_catalog(doc)
    except InstallError:
        raise
    except Exception as exc:  # ValidationError carries the field path in its message
        raise VerificationError(
            f"the catalog breaks its schema: {exc}", rule="catalog-invalid", place=place
        ) from exc
    if not isinstance(doc.get("serial"), int) or isinstance(doc.get("serial"), bool):
        raise VerificationError(
            "the catalog has no integer serial", rule="catalog-invalid", place=place
        )
    if not isinstance(doc.get("entries", []), list):
        raise VerificationError(
            "the catalog's entries is not a list", rule="catalog-invalid", place=place
        )
    return doc


def _verify(data: bytes, signature: str, pubkey: str, place: str) -> str:
    from plugin_kit.signing.keys import load_public_key
    from plugin_kit.signing.signatures import verify_bytes

    key = load_public_key(pubkey, place="pinned catalog key")
    verify_bytes(data, signature, key, place=place)  # SignatureInvalid is a VerificationError
    return key.key_id


def _check_fresh(src: CatalogSource, doc: dict[str, Any], sha: str, *, allow_expired: bool) -> None:
    place = src.name
    if doc["catalog_id"] != src.catalog_id:
        raise VerificationError(
            f"catalog_id changed from {src.catalog_id!r} to {doc['catalog_id']!r}",
            rule="catalog-id-changed",
            place=place,
            hint="a catalog cannot change identity; add the new one under another name",
        )
    if doc["serial"] < src.last_serial:
        raise VerificationError(
            f"catalog serial went backwards ({doc['serial']} < {src.last_serial})",
            rule="catalog-rollback",
            place=place,
            hint="an old catalog is being replayed; if the publisher reset it, run "
            f"`plugin catalog trust {src.name} --reset`",
        )
    if doc["serial"] == src.last_serial and src.last_sha256 and sha != src.last_sha256:
        raise VerificationError(
            f"catalog serial {doc['serial']} was seen with other content",
            rule="catalog-equivocation",
            place=place,
            hint="the publisher must raise the serial with every change",
        )
    expires = str(doc.get("expires_at") or "")
    if not allow_expired and (not expires or _expired(expires)):
        raise VerificationError(
            f"catalog expired at {expires or '(no expires_at)'}",
            rule="catalog-expired",
            place=place,
            hint="the publisher must re-sign it; refresh later",
        )


def _index(name: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in doc.get("entries", []):
        if not isinstance(entry, dict):
            continue
        row = {k: str(entry.get(k) or "") for k in _INDEX_FIELDS}
        row["host"] = entry_host(entry).name
        words = [*entry.get("keywords", []), *entry.get("tags", [])]
        row["catalog"] = name
        row["keywords"] = [str(w) for w in words if isinstance(w, str)]
        row["text"] = " ".join(
            [*(row[k] for k in ("id", "name", "display_name", "description")), *row["keywords"]]
        ).lower()
        rows.append(row)
    return rows


_SURROGATE = re.compile("[\ud800-\udfff]")


def _index_lines(rows: list[dict[str, Any]]) -> bytes:
    """One JSON row per line, non-ASCII as UTF-8: search finds a query's text in a line's bytes
    before it parses the line (`search_index`). JSON escapes every control character, so a row
    never spans two lines. A lone surrogate (a catalog's `\\ud800`: valid JSON, no UTF-8) stays
    escaped, as it was in the catalog."""
    text = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text).encode("utf-8")


def _store_cache(name: str, data: bytes, signature: str, doc: dict[str, Any], sha: str) -> None:
    folder = catalog_cache_dir(name)
    atomic_write(folder / f"{sha}.json", data)
    atomic_write(folder / f"{sha}.json.minisig", signature.encode("ascii"))
    atomic_write(folder / f"{sha}.index.json", _index_lines(_index(name, doc)))


def _drop_old_cache(name: str, keep_sha: str) -> None:
    folder = catalog_cache_dir(name)
    for path in folder.iterdir() if folder.is_dir() else []:
        if not path.name.startswith(keep_sha):
            path.unlink(missing_ok=True)


def add_catalog(
    url: str,
    *,
    name: str | None = None,
    pubkey: str | None = None,
    trust: Callable[[KeyOffer], bool] | None = None,
) -> CatalogSource:
    """Fetch, verify and register a catalog, pinning its catalog_id and key.

    Without `pubkey`, the key the catalog advertises is offered to `trust` (TOFU); with no
    `trust` callback the caller needs the user, which is NeedsUserError (exit 4).
    """
    check_url(url)
    shown = redact_url(url)  # errors and prompts never carry the URL's query token
    name = name or derive_name(url)
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"catalog name {name!r} is not allowed",
            rule="catalog-name",
            hint="use lower-case letters, digits, '.', '_' and '-'",
        )
    data, signature = _fetch_signed(url)
    sha = hashlib.sha256(data).hexdigest()
    pin_source = "flag"
    if pubkey is None:
        offered = _offered_key(url, data, signature)
        if offered is None:
            raise VerificationError(
                "no key offered for this catalog verifies its signature",
                rule="catalog-no-key",
                place=shown,
                hint="pass --pubkey RW... from the publisher",
            )
        pubkey, pin_source = offered, "tofu"
    # Verify first, parse second: nothing of an unverified document is interpreted.
    key_id = _verify(data, signature, pubkey, shown)
    doc = _parse_doc(data, shown)
    if pin_source == "tofu":
        offer = KeyOffer(shown, doc["catalog_id"], key_id, pubkey)
        if trust is None:
            raise NeedsUserError(
                f"trusting key {offer.key_id} for catalog {offer.catalog_id!r} needs your consent",
                rule="catalog-trust",
                place=shown,
                hint="re-run on a terminal, or pass --pubkey RW... (or --yes to trust it)",
            )
        if not trust(offer):
            raise NeedsUserError(
                "key not trusted; nothing was added", rule="catalog-trust", place=shown
            )
    stamp = now_iso()
    src = CatalogSource(
        name=name,
        url=url,
        catalog_id=doc["catalog_id"],
        pubkey=pubkey,
        key_id=key_id,
        pin_source=pin_source,
        pinned_at=stamp,
        last_serial=0,
        last_sha256="",
        last_fetched=stamp,
        expires_at="",
    )
    _check_fresh(src, doc, sha, allow_expired=False)
    with file_lock(_registry_lock(), what="catalogs"):
        sources = registry()
        if name in sources:
            raise UsageError(
                f"a catalog named {name!r} is already registered",
                rule="catalog-exists",
                hint="pick another --name, or `plugin catalog rm` the old one",
            )
        _store_cache(name, data, signature, doc, sha)
        src.last_serial, src.last_sha256 = doc["serial"], sha
        src.expires_at, src.entries = str(doc.get("expires_at") or ""), len(doc.get("entries", []))
        sources[name] = src
        _save_registry(sources)
        _drop_old_cache(name, sha)
    audit(
        "catalog_add",
        outcome="ok",
        catalog=name,
        catalog_id=src.catalog_id,
        key_id=key_id,
        public_key=src.pubkey,
        serial=src.last_serial,
        pin_source=pin_source,
    )
    return src


def _get(sources: dict[str, CatalogSource], name: str) -> CatalogSource:
    if name not in sources:
        import difflib

        close = difflib.get_close_matches(name, list(sources), n=3)
        raise UsageError(
            f"no catalog named {name!r}",
            rule="catalog-unknown",
            hint=f"did you mean: {', '.join(close)}" if close else "see `plugin catalog ls`",
        )
    return sources[name]


def _accept(
    sources: dict[str, CatalogSource],
    current: CatalogSource,
    data: bytes,
    signature: str,
    doc: dict[str, Any],
    sha: str,
) -> None:
    """Cache verified bytes under their sha256, then switch to them with one config write."""
    _store_cache(current.name, data, signature, doc, sha)
    current.last_serial, current.last_sha256, current.last_fetched = doc["serial"], sha, now_iso()
    current.expires_at, current.entries = (
        str(doc.get("expires_at") or ""),
        len(doc.get("entries", [])),
    )
    _save_registry(sources)
    _drop_old_cache(current.name, sha)


def refresh_catalog(name: str, *, allow_expired: bool = False) -> CatalogSource:
    """Fetch again and accept only a newer (or identical) validly signed catalog."""
    src = _get(registry(), name)
    try:
        data, signature = _fetch_signed(src.url)
        sha = hashlib.sha256(data).hexdigest()
        _verify(data, signature, src.pubkey, redact_url(src.url))
        doc = _parse_doc(data, redact_url(src.url))
        _check_fresh(src, doc, sha, allow_expired=allow_expired)
    except InstallError as err:
        audit("catalog_refresh", outcome="refused", catalog=name, rule=err.rule)
        raise
    with file_lock(_registry_lock(), what="catalogs"):
        sources = registry()
        current = _get(sources, name)
        _check_fresh(current, doc, sha, allow_expired=allow_expired)  # another refresh may have won
        _accept(sources, current, data, signature, doc, sha)
    return current


def remove_catalog(
    name: str, *, in_use: list[str] | None = None, force: bool = False
) -> CatalogSource:
    """Unregister a catalog and drop its cache; refuses while `in_use` names installed plugins."""
    if in_use and not force:
        raise UsageError(
            f"catalog {name!r} is the source of installed plugins: {', '.join(in_use)}",
            rule="catalog-in-use",
            hint="uninstall them first, or pass --force",
        )
    with file_lock(_registry_lock(), what="catalogs"):
        sources = registry()
        src = _get(sources, name)
        del sources[name]
        _save_registry(sources)
    import shutil  # only a removal needs it, not search

    shutil.rmtree(catalog_cache_dir(name), ignore_errors=True)
    audit("catalog_rm", outcome="ok", catalog=name, catalog_id=src.catalog_id)
    return src


def trust_catalog(name: str, *, pubkey: str | None = None, reset: bool = False) -> CatalogSource:
    """Rotate the pinned key (`pubkey`) or forget the serial state (`reset`); both re-verify now."""
    if (pubkey is None) == (not reset):
        raise UsageError("pass exactly one of --pubkey or --reset", rule="usage")
    src = _get(registry(), name)
    try:
        data, signature = _fetch_signed(src.url)
        key_id = _verify(data, signature, pubkey or src.pubkey, redact_url(src.url))
        doc = _parse_doc(data, redact_url(src.url))
        sha = hashlib.sha256(data).hexdigest()
        probe = (
            CatalogSource(**{**asdict(src), "last_serial": 0, "last_sha256": ""}) if reset else src
        )
        _check_fresh(probe, doc, sha, allow_expired=False)
    except InstallError as err:
        audit("catalog_trust", outcome="refused", catalog=name, rule=err.rule)
        raise
    with file_lock(_registry_lock(), what="catalogs"):
        sources = registry()
        current = _get(sources, name)
        old_key, old_pubkey = current.key_id, current.pubkey
        if pubkey:
            current.pubkey, current.key_id, current.pin_source = pubkey, key_id, "flag"
            current.pinned_at = now_iso()
        _accept(sources, current, data, signature, doc, sha)
    audit(
        "catalog_trust_reset" if reset else "catalog_trust",
        outcome="ok",
        catalog=name,
        old_key_id=old_key,
        old_public_key=old_pubkey,
        key_id=current.key_id,
        public_key=current.pubkey,
        serial=current.last_serial,
    )
    return current


def _cached_bytes(src: CatalogSource, suffix: str) -> bytes:
    path = catalog_cache_dir(src.name) / f"{src.last_sha256}{suffix}"
    cap = MAX_SIGNATURE_BYTES if suffix.endswith(".minisig") else MAX_CATALOG_BYTES
    try:
        return read_bounded(path, cap, what=f"the cached catalog file {path.name}")
    except OSError as exc:
        raise InstallError(
            f"catalog {src.name!r} has no cached copy",
            rule="catalog-not-cached",
            place=str(path),
            hint=f"run `plugin catalog refresh {src.name}`",
        ) from exc


def load_catalog(src: CatalogSource, *, check_signature: bool = True) -> LoadedCatalog:
    """The cached catalog, re-checked against the sha256 (and key) pinned in catalogs.toml."""
    data = _cached_bytes(src, ".json")
    if hashlib.sha256(data).hexdigest() != src.last_sha256:
        raise VerificationError(
            f"the cached catalog {src.name!r} was modified",
            rule="catalog-cache-tampered",
            hint=f"run `plugin catalog refresh {src.name}`",
        )
    if check_signature:
        _verify(
            data,
            _cached_bytes(src, ".json.minisig").decode("ascii", "replace"),
            src.pubkey,
            src.name,
        )
    try:
        return LoadedCatalog(src, _json(data))
    except ValueError as exc:  # verified bytes always parse; this is a cache gone bad
        raise VerificationError(
            f"the cached catalog {src.name!r} is not valid JSON",
            rule="catalog-cache-tampered",
            hint=f"run `plugin catalog refresh {src.name}`",
        ) from exc


def _rows(data: bytes, needle: str) -> list[dict[str, Any]]:
    """The rows of one index that can hold `needle` (lowercase) in their `text`: the lines
    whose bytes hold it are parsed, together (one parse of 10,000 rows is far cheaper than
    10,000). A needle JSON would escape (`"`, `\\`, a control character) is not looked for in
    the bytes. An index written before rows had a line each (one JSON array) is parsed whole."""
    if data.startswith(b"["):
        return list(_json(data))
    lines = data.split(b"\n")
    if (
        needle
        and not any(c in needle for c in '"\\')
        and min(map(ord, needle)) >= 0x20
        and not _SURROGATE.search(needle)  # escaped in the index, and no UTF-8 to look for
    ):
        probe = needle.encode("utf-8")
        lines = [line for line in lines if probe in line]
    return list(_json(b"[" + b",".join(lines) + b"]")) if lines and lines != [b""] else []


def search_index(sources: list[CatalogSource], needle: str = "") -> list[dict[str, Any]]:
    """Compact rows for search, from the index written when the catalog verified; with
    `needle` (lowercase), at least the rows whose `text` holds it."""
    rows: list[dict[str, Any]] = []
    for src in sources:
        try:
            rows.extend(_rows(_cached_bytes(src, ".index.json"), needle))
        except (InstallError, FileRefusedError, ValueError):
            continue  # one unreadable cache does not break search across the others
    return rows
