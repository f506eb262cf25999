"""`plugin keygen`: make a minisign key pair for signing releases and catalogs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from plugin_kit.cli._output import echo, emit_json, info
from plugin_kit.errors import NeedsUserError, UsageError


def _password(no_password: bool, password_env: str | None) -> str | None:
    if no_password:
        return None
    if password_env:
        value = os.environ.get(password_env)
        if not value:
            raise UsageError(
                f"${password_env} is not set or empty",
                rule="keygen.password-env",
                hint=f"export {password_env}=..., or pass --no-password for a CI key",
            )
        return value
    if not sys.stdin.isatty():
        raise NeedsUserError(
            "no terminal to ask for a password",
            rule="keygen.no-tty",
            hint="pass --password-env VAR, or --no-password for a key kept in a CI secret",
        )
    return click.prompt(  # stderr: stdout stays the result (--json)
        "Password for the new key", hide_input=True, confirmation_prompt=True, err=True
    )


@click.command()
@click.option(
    "-o",
    "--output",
    "base",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Base path: writes BASE.key and BASE.pub (default: "
    "$XDG_CONFIG_HOME/insomnia-plugin-kit/keys/release, outside every project).",
)
@click.option(
    "--no-password", is_flag=True, help="Leave the secret key unencrypted (for CI secrets)."
)
@click.option(
    "--password-env", metavar="VAR", help="Read the password from this environment variable."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def keygen(base: Path | None, no_password: bool, password_env: str | None, as_json: bool) -> None:
    """Write BASE.key (mode 0600, scrypt-encrypted unless --no-password) and BASE.pub.

    The files are minisign 0.11 keys: `minisign -S -s BASE.key` and `minisign -V -p BASE.pub`
    use them as they are. Existing files are never overwritten, and a secret key is never
    written inside a git work tree where git would track it. Without --password-env the
    password is asked on the terminal. Decrypting uses scrypt with 1 GiB of memory, like the
    minisign CLI.

    \b
    Examples:
      plugin keygen
      plugin keygen -o ci --no-password --json
      KEY_PW=... plugin keygen -o release --password-env KEY_PW
    """
    from plugin_kit.signing.keyplace import DEFAULT_KEY_NAME, check_untracked, default_key_dir
    from plugin_kit.signing.keys import generate_keypair, key_paths

    if no_password and password_env:
        raise UsageError(
            "--no-password and --password-env exclude each other", rule="keygen.options"
        )
    folder = default_key_dir() if base is None else None
    base = base or default_key_dir() / DEFAULT_KEY_NAME
    check_untracked(key_paths(base)[0])  # before a password is asked
    password = _password(no_password, password_env)
    if folder is not None:  # made once the command can go on: a refusal leaves nothing behind
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if password is not None and not as_json:
        info("encrypting the secret key (scrypt, 1 GiB, a few seconds)...")
    result = generate_keypair(base, password)
    if as_json:
        emit_json(result.to_dict())
        return
    echo(
        f"secret key  {result.secret_key}  (keep private{'' if result.encrypted else ', UNENCRYPTED'})"
    )
    echo(f"public key  {result.public_key}")
    echo(f"key id      {result.key_id}")
    echo(f"pin this    {result.public_key_base64}")
    info(f"for CI: store the text of {result.secret_key} as the secret MINISIGN_SECRET_KEY")
