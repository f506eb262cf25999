"""`plugin sign`: write FILE.minisig, a prehashed minisign signature."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from plugin_kit.cli._output import emit_json, info
from plugin_kit.errors import NeedsUserError

_UNLOCKING = "unlocking the key (scrypt with 1 GiB of memory takes a few seconds)..."


def password_prompt() -> str:
    password = click.prompt("Password for the secret key", hide_input=True, err=True)
    info(_UNLOCKING)
    return password


def load_key(key: Path | None):  # type: ignore[no-untyped-def]
    """The signing key from --key or $MINISIGN_SECRET_KEY; an encrypted one is unlocked with
    $MINISIGN_PASSWORD, else with a password asked on a terminal (a line says scrypt runs).
    Without either an encrypted key needs the user: exit 4, like every command that asks."""
    from plugin_kit.signing.errors import KeyFileError
    from plugin_kit.signing.keysource import ENV_PASSWORD, resolve_secret_key

    env = dict(os.environ)
    password = env.pop(ENV_PASSWORD, None)
    try:
        return resolve_secret_key(key, env)  # a key without a password needs none
    except KeyFileError as err:
        if err.rule != "signing.key-password-required":
            raise
        if password:
            info(_UNLOCKING)
            return resolve_secret_key(key, {**env, ENV_PASSWORD: password})
        if sys.stdin.isatty():
            return resolve_secret_key(key, env, prompt=password_prompt)
        raise NeedsUserError(err.message, rule=err.rule, place=err.place, hint=err.hint) from err


def _comment(path: Path) -> str:
    """A plugin archive is read strictly (a hostile one is refused before it is signed) and its
    signature names its id and version; any other file gets minisign's default comment."""
    from plugin_kit.hosts import host_for_name
    from plugin_kit.signing.release import asset_trusted_comment
    from plugin_kit.signing.signatures import trusted_comment_for

    if host_for_name(path.name) is None:
        return trusted_comment_for(path.name)
    from plugin_kit.packer.reader import read_archive

    m = read_archive(path).manifest
    return asset_trusted_comment(path.name, m.id, m.version)


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Secret key file (default: $MINISIGN_SECRET_KEY).",
)
@click.option(
    "--trusted-comment",
    metavar="TEXT",
    help="Signed comment (default names the file, and id and version for archives).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def sign(
    files: tuple[Path, ...], key: Path | None, trusted_comment: str | None, as_json: bool
) -> None:
    """Sign each FILE, writing FILE.minisig (prehashed, as `minisign -S` does).

    The key comes from --key, or from $MINISIGN_SECRET_KEY holding the key file's text; an
    encrypted key takes its password from $MINISIGN_PASSWORD, or asks on a terminal.
    A plugin archive (.insomnia-plugin or .yoi-plugin) is read strictly first, and its
    signature names its id and version. Check the result with `plugin verify` or `minisign -V -H`.

    \b
    Examples:
      plugin sign dist/weather-tools-0.3.1.insomnia-plugin --key release.key
      MINISIGN_SECRET_KEY="$(cat ci.key)" plugin sign SHA256SUMS --json
      plugin sign notes.txt --key release.key --trusted-comment "release notes 0.3.1"
    """
    from plugin_kit.signing.signatures import write_signature

    secret = load_key(key)
    results = []
    for path in files:
        comment = trusted_comment if trusted_comment is not None else _comment(path)
        out = write_signature(path, secret, trusted_comment=comment)
        results.append(
            {
                "file": str(path),
                "signature": str(out),
                "key_id": secret.key_id,
                "trusted_comment": comment,
            }
        )
        if not as_json:
            info(f"signed {path} -> {out}")
    if as_json:
        emit_json({"ok": True, "signed": results})
