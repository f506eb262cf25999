"""Check a signed file as a consumer would: its signature, and for SHA256SUMS every file it lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from plugin_kit.fsio import read_limited
from plugin_kit.signing.caps import MAX_CATALOG_BYTES, MAX_SIGNATURE_BYTES, MAX_SUMS_BYTES
from plugin_kit.signing.errors import SignatureInvalid, SigningError
from plugin_kit.signing.keys import PublicKey
from plugin_kit.signing.signatures import (
    VerifiedSignature,
    check_names_file,
    verify_bytes,
    verify_file,
)
from plugin_kit.signing.sums import parse_sums

__all__ = ["CatalogReader", "SignedFileReport", "SumCheck", "check_signed_file"]

CatalogReader = Callable[[bytes, str], dict[str, object]]
"""(verified bytes, place) -> a summary; raises when the bytes are not a valid catalog."""

SUMS_NAME = "SHA256SUMS"
CATALOG_NAME = "extensions.json"


@dataclass(frozen=True)
class SumCheck:
    name: str
    status: str  # "ok" | "mismatch" | "missing"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status}


@dataclass(frozen=True)
class SignedFileReport:
    path: Path
    signature_path: Path
    signature: VerifiedSignature
    sums: list[SumCheck] = field(default_factory=list)
    catalog: dict[str, object] | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": True,
            "path": str(self.path),
            "signature": str(self.signature_path),
            **self.signature.to_dict(),
            "sums": [s.to_dict() for s in self.sums],
            "catalog": self.catalog,
        }


def _read_signature(path: Path) -> str:
    try:
        data = read_limited(path, MAX_SIGNATURE_BYTES)
    except OSError as exc:
        raise SignatureInvalid(
            f"no such file: {path}"
            if isinstance(exc, FileNotFoundError)
            else f"cannot read the signature: {exc.strerror}",
            rule="signing.signature-missing",
            place=str(path),
            hint="download FILE.minisig next to FILE, or pass --sig PATH",
        ) from exc
    return data.decode("ascii", errors="replace")


def check_signed_file(
    path: Path,
    key: PublicKey,
    *,
    signature_path: Path | None = None,
    ignore_missing: bool = False,
    read_catalog: CatalogReader | None = None,
) -> SignedFileReport:
    """Verify `path` against `signature_path` (default `path.minisig`) with the pinned `key`.

    A file named SHA256SUMS is then read, and every file it lists beside it is hashed and
    compared, like `sha256sum -c`; missing files fail unless `ignore_missing`. The verified
    bytes of a file named extensions.json go to `read_catalog` (the catalog layer, above this
    one), which raises if they are not a valid catalog. A trusted comment that names a file
    must name this one."""
    sig_path = signature_path or path.with_name(path.name + ".minisig")
    if not path.exists():  # the file itself first: its signature is not what is missing
        raise SigningError(f"no such file: {path}", rule="signing.no-such-file", place=str(path))
    signature = _read_signature(sig_path)
    if path.name not in (SUMS_NAME, CATALOG_NAME):
        verified = verify_file(path, signature, key)
        check_names_file(verified, path.name, place=str(path))
        return SignedFileReport(path, sig_path, verified)
    # Read once, then verify and parse the same bytes: the file cannot change in between.
    data = _read_small(path, MAX_CATALOG_BYTES if path.name == CATALOG_NAME else MAX_SUMS_BYTES)
    verified = verify_bytes(data, signature, key, place=str(path))
    check_names_file(verified, path.name, place=str(path))
    if path.name == SUMS_NAME:
        return SignedFileReport(
            path, sig_path, verified, sums=_check_sums(path, data, ignore_missing)
        )
    catalog = read_catalog(data, str(path)) if read_catalog is not None else None
    return SignedFileReport(path, sig_path, verified, catalog=catalog)


def _read_small(path: Path, limit: int) -> bytes:
    try:
        return read_limited(path, limit)
    except OSError as exc:
        raise SigningError(
            f"cannot read the file to verify: {exc.strerror}",
            rule="signing.unreadable",
            place=str(path),
        ) from exc


def _check_sums(path: Path, data: bytes, ignore_missing: bool) -> list[SumCheck]:
    from plugin_kit.content.digest import sha256_file

    listed = parse_sums(data)
    results = []
    for name, expected in listed.items():
        target = path.parent / name
        if not target.is_file():
            results.append(SumCheck(name, "missing"))
            continue
        results.append(SumCheck(name, "ok" if sha256_file(target) == expected else "mismatch"))
    bad = [
        r
        for r in results
        if r.status == "mismatch" or (r.status == "missing" and not ignore_missing)
    ]
    if bad:
        raise SignatureInvalid(
            ", ".join(f"{r.name}: {r.status}" for r in bad),
            rule="sums.mismatch" if any(r.status == "mismatch" for r in bad) else "sums.missing",
            place=str(path),
            hint="a listed file differs from what was signed; download it again (or pass --ignore-missing)",
        )
    if not any(r.status == "ok" for r in results):
        raise SignatureInvalid(
            "SHA256SUMS lists no file present beside it",
            rule="sums.nothing-checked",
            place=str(path),
            hint="download the release assets next to SHA256SUMS",
        )
    return results
