"""`plugin verify`: check a file's minisign signature against a pinned public key.

Signature mode runs when --pubkey or --pubkey-file is given. Without them, TARGET is left
for the store-verification mode (`plugin verify [REF | --all]`), which the installer adds.
"""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._complete import complete_refs_or_files
from plugin_kit.cli._options import ref_host_option
from plugin_kit.cli._output import echo, emit_json, emit_report
from plugin_kit.errors import UsageError, VerificationError


def _public_key(pubkey: str | None, pubkey_file: Path | None):  # type: ignore[no-untyped-def]
    from plugin_kit.signing.keys import load_public_key, load_public_key_file

    if pubkey and pubkey_file:
        raise UsageError("--pubkey and --pubkey-file exclude each other", rule="verify.options")
    return (
        load_public_key(pubkey, place="--pubkey") if pubkey else load_public_key_file(pubkey_file)
    )  # type: ignore[arg-type]


def verify_signature(
    target: str | None,
    pubkey: str | None,
    pubkey_file: Path | None,
    sig: Path | None,
    ignore_missing: bool,
    as_json: bool,
) -> None:
    from plugin_kit.catalog.model import catalog_summary
    from plugin_kit.signing.check import check_signed_file

    if not target:
        raise UsageError("name the FILE whose signature to check", rule="verify.no-file")
    key = _public_key(pubkey, pubkey_file)
    report = check_signed_file(
        Path(target),
        key,
        signature_path=sig,
        ignore_missing=ignore_missing,
        read_catalog=catalog_summary,
    )
    if as_json:
        emit_json(report.to_dict())
        return
    echo(f"ok: {report.path} signed by {key.base64} (key id {report.signature.key_id})")
    echo(f"trusted comment: {report.signature.trusted_comment}")
    for item in report.sums:
        echo(f"  {item.status:8} {item.name}")
    if report.catalog:
        c = report.catalog
        echo(
            f"catalog {c['catalog_id']}: serial {c['serial']}, {c['entries']} plugins, expires {c['expires_at']}"
        )


@click.command()
@click.argument("target", required=False, shell_complete=complete_refs_or_files)
@click.option("--pubkey", metavar="RW...", help="The publisher's public key (the RW... line).")
@click.option("--pubkey-file", type=click.Path(path_type=Path, dir_okay=False), help="A .pub file.")
@click.option(
    "--sig",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Signature file (default: FILE.minisig).",
)
@click.option(
    "--ignore-missing", is_flag=True, help="For SHA256SUMS: skip listed files that are absent."
)
@click.option(
    "--all", "all_", is_flag=True, help="Store mode: check every installed plugin in both stores."
)
@click.option(
    "--workspace",
    type=click.Path(path_type=Path, file_okay=False),
    help="Store mode: the workspace whose store to check (default: current folder).",
)
@ref_host_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def verify(
    target: str | None,
    pubkey: str | None,
    pubkey_file: Path | None,
    sig: Path | None,
    ignore_missing: bool,
    all_: bool,
    workspace: Path | None,
    ref_host: str | None,
    as_json: bool,
) -> None:
    """Check FILE's prehashed minisign signature (FILE.minisig) with a pinned public key.

    For a file named SHA256SUMS every listed file beside it is hashed too, like
    `sha256sum -c`; a file named extensions.json must also be a valid catalog. Without a key, `plugin verify REF` or `plugin verify --all` re-hashes
    installed store files and cache trees against plugins.lock instead. Exit status 3 means the check failed: the file, its signature or its
    trusted comment changed, or another key signed it.

    \b
    Examples:
      plugin verify weather-tools-0.3.1.insomnia-plugin --pubkey RWQf6LRCGA9i53mlYecO4Iz...
      plugin verify SHA256SUMS --pubkey-file release.pub
      plugin verify catalog/extensions.json --pubkey-file catalog.pub --json
      plugin verify --all
      plugin verify project:weather-tools --json
      plugin verify weather-tools --host yoi
    """
    if pubkey or pubkey_file:
        verify_signature(target, pubkey, pubkey_file, sig, ignore_missing, as_json)
        return
    if (not target and not all_) or (target and _is_file_target(target, workspace, ref_host)):
        raise UsageError(  # a file needs a key
            "pass --pubkey RW... or --pubkey-file F to check a signature, or REF / --all to check stores",
            rule="verify.no-key",
            hint="the public key comes from the publisher (release notes, catalog), never from the same download",
        )
    verify_stores(target, all_, workspace, as_json, ref_host)


def _looks_like_path(target: str) -> bool:
    """`./x`, `../x`, `/x`, `~/x`, `dir/x` or an archive name: a reference (ID, user:ID,
    project:ID) has none of these."""
    from plugin_kit.hosts import host_for_name

    return "/" in target or target.startswith((".", "~")) or host_for_name(target) is not None


def _is_file_target(target: str, workspace: Path | None, host: str | None = None) -> bool:
    """Is TARGET (given without a key) a file rather than an installed reference?

    A name that looks like a path is a path; an installed reference is a reference, even
    with a folder of that name here (an author's usual layout); a bare name that is both an
    installed reference and a file here is ambiguous and says so."""
    from plugin_kit.errors import InstallError
    from plugin_kit.installer.manage import resolve_ref

    if _looks_like_path(target):
        return True
    try:
        resolve_ref(target, workspace or Path.cwd(), host)
    except InstallError:
        return Path(target).is_file()  # not installed: a file here is what was meant
    if Path(target).is_file():
        raise UsageError(
            f"{target!r} is both an installed plugin and a file in this folder",
            rule="verify.ambiguous",
            hint=f"write ./{target} for the file (with --pubkey), or user:{target} /"
            f" project:{target} for the installed plugin",
        )
    return False


def verify_stores(
    ref: str | None, all_: bool, workspace: Path | None, as_json: bool, host: str | None = None
) -> None:
    """Store mode: re-hash store files and cache trees against plugins.lock (exit 3 on a mismatch)."""
    from plugin_kit.installer.manage import verify_installed

    report = verify_installed([ref] if ref else [], workspace or Path.cwd(), all_=all_, host=host)
    failed = None if report.ok else _store_problems_error(report.problems)
    if as_json:
        emit_report(report.to_dict(), failed)
        return
    if not report.checked and not report.problems:
        echo("nothing installed to verify (both stores are empty)")
    for item in report.checked:
        echo(f"checked {item['ref']} {item['version']}")
    for p in report.problems:
        echo(f"FAIL {p['ref']}: {p['check']}: {p['problem']}", err=True)
        if p.get("repair"):
            echo(f"  repair: {p['repair']}", err=True)
    if failed:
        raise failed


def _store_problems_error(problems: list[dict]) -> VerificationError:
    repairable = any(p.get("repair") for p in problems)
    return VerificationError(
        f"{len(problems)} problem(s) in the stores",
        rule="verify-store",
        hint="run each problem's repair line: `plugin install --force` fetches, verifies and"
        " places the copy again, keeping its grants"
        if repairable
        else "see each problem",
    )
