"""The download checks, cheapest first: sha256 and size, signed SHA256SUMS, archive signature,
then the strict reader, the manifest against the entry, and the package's requests against
what the user was shown. Each failure is exit 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plugin_kit.errors import VerificationError

__all__ = [
    "check_sha256",
    "check_sums",
    "check_signature",
    "check_manifest",
    "check_consent",
    "read_strict",
]


def check_sha256(
    actual: str, size: int, *, expected: str, expected_size: int | None, place: str
) -> None:
    if expected_size is not None and size != expected_size:
        raise VerificationError(
            f"archive is {size} bytes, the catalog says {expected_size}",
            rule="archive-size",
            place=place,
        )
    if actual.lower() != expected.lower():
        raise VerificationError(
            "archive sha256 does not match",
            rule="archive-sha256",
            place=place,
            hint=f"expected {expected.lower()}, got {actual}",
        )


def check_sums(sums: bytes, sums_sig: str, key: Any, *, asset: str, sha256: str, place: str) -> Any:
    """SHA256SUMS must verify with the publisher key and list `asset` with the same sha256."""
    from plugin_kit.errors import SigningError
    from plugin_kit.signing.signatures import verify_bytes
    from plugin_kit.signing.sums import parse_sums

    verified = verify_bytes(sums, sums_sig, key, place=f"{place} SHA256SUMS.minisig")
    try:
        listed = parse_sums(sums)
    except SigningError as exc:
        raise VerificationError(
            f"SHA256SUMS is not readable: {exc.message}", rule="sums-format", place=place
        ) from exc
    if asset not in listed:
        raise VerificationError(
            f"SHA256SUMS has no line for {asset}", rule="sums-missing", place=place
        )
    if listed[asset].lower() != sha256.lower():
        raise VerificationError(
            f"SHA256SUMS lists another sha256 for {asset}", rule="sums-mismatch", place=place
        )
    return verified


def check_signature(path: Path, signature: str, key: Any, *, asset: str) -> Any:
    """The archive's own signature, whose trusted comment must name this file if it names one."""
    from plugin_kit.signing.signatures import verify_file

    verified = verify_file(path, signature, key)
    named = verified.fields.get("file")
    if named and named != asset:
        raise VerificationError(
            f"the signature was made for {named!r}, not {asset!r}",
            rule="signature-other-file",
            place=asset,
            hint="a valid signature was moved onto another file",
        )
    return verified


def read_strict(path: Path, place: str, host: str | None = None, into: Path | None = None) -> Any:
    """The strict reader, as `host`'s package when given (an entry's host: the bytes must be
    that host's format), else the host the bytes show; its refusals become verification
    failures naming the entry. With `into` it extracts as it checks (one pass, read-only and
    durable), and `into` exists only if every rule passed."""
    from plugin_kit.errors import PluginKitError
    from plugin_kit.packer.reader import extract_archive, read_archive

    try:
        if into is not None:
            return extract_archive(path, into, host=host, read_only=True, durable=True)
        return read_archive(path, host=host)
    except VerificationError:
        raise
    except PluginKitError as exc:
        raise VerificationError(
            f"the archive is refused: {exc.message}",
            rule=f"archive:{exc.rule}",
            place=f"{place} ({exc.place})" if exc.place and exc.place != str(path) else place,
            hint=exc.hint,
        ) from exc


def check_manifest(
    info: Any, *, plugin_id: str | None, version: str | None, digest: str | None, place: str
) -> None:
    """Id, version and content digest (the package host's digest) of the verified package
    against what the entry or plan says; None skips a check."""
    m = info.manifest
    if plugin_id is not None and m.id != plugin_id:
        raise VerificationError(
            f"the archive holds plugin {m.id!r}, the entry says {plugin_id!r}",
            rule="manifest-id",
            place=place,
        )
    if version is not None and m.version != version:
        raise VerificationError(
            f"the archive holds version {m.version}, the entry says {version}",
            rule="manifest-version",
            place=place,
        )
    if digest is not None and info.digest != digest:
        raise VerificationError(
            "the archive's content digest is not the entry's",
            rule="digest-mismatch",
            place=place,
            hint=f"entry {digest}, archive {info.digest}",
        )


def check_consent(
    info: Any, capabilities: dict[str, Any], runtime: str, risk: str, *, place: str
) -> None:
    """The verified package must ask for exactly what was shown before the user said yes:
    the same capabilities, runtime and risk (one rule, catalog/risk.py, computes risk), read
    the way the package's own host (`info.host`, what the strict reader read) states them."""
    from plugin_kit.catalog.risk import assess, declared_capabilities, requests_from, requests_of

    host = info.host
    manifest = info.manifest
    asked = declared_capabilities(host, manifest)
    actual = assess(requests_of(host, manifest))
    claimed = assess(requests_from(host, capabilities, runtime))
    differs = [
        what
        for what, same in (
            ("capabilities", asked == capabilities),
            ("runtime", manifest.runtime == runtime),
            ("risk", actual.level == risk),
        )
        if not same
    ]
    if differs:
        raise VerificationError(
            f"the package asks for other things than you were shown ({', '.join(differs)}):"
            f" shown {risk} risk, {runtime}, {claimed.summary}; the package is"
            f" {actual.level} risk, {manifest.runtime}, {actual.summary}",
            rule="consent-mismatch",
            place=place,
            hint="the catalog entry does not describe this package; nothing was installed."
            " Tell the catalog's publisher.",
        )
