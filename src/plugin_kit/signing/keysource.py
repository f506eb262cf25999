"""Where a signing key comes from: a --key file, or CI secrets in the environment.

`MINISIGN_SECRET_KEY` holds the key file's text and `MINISIGN_PASSWORD` its password, the
names minisign users already store as GitHub Actions secrets. The caller passes the
environment (so tests and hosts control it) and, on a terminal, a password prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from plugin_kit.signing.errors import KeyFileError
from plugin_kit.signing.keys import SecretKey, load_secret_key, load_secret_key_file

__all__ = ["ENV_PASSWORD", "ENV_SECRET_KEY", "resolve_secret_key"]

ENV_SECRET_KEY = "MINISIGN_SECRET_KEY"
ENV_PASSWORD = "MINISIGN_PASSWORD"


def resolve_secret_key(
    key_path: Path | None,
    env: Mapping[str, str],
    *,
    prompt: Callable[[], str] | None = None,
) -> SecretKey:
    """Load the key from `key_path`, else from $MINISIGN_SECRET_KEY; decrypt it with
    $MINISIGN_PASSWORD, else with `prompt()` when given (only asked if the key is encrypted)."""
    password = env.get(ENV_PASSWORD) or None
    try:
        return _load(key_path, env, password)
    except KeyFileError as err:
        if err.rule != "signing.key-password-required" or prompt is None:
            raise
    return _load(key_path, env, prompt())


def _load(key_path: Path | None, env: Mapping[str, str], password: str | None) -> SecretKey:
    if key_path is not None:
        return load_secret_key_file(key_path, password)
    text = env.get(ENV_SECRET_KEY)
    if not text:
        raise KeyFileError(
            "no signing key",
            rule="signing.no-key",
            hint=f"pass --key PATH, or set {ENV_SECRET_KEY} to the text of the .key file",
        )
    return load_secret_key(text, password, place=f"${ENV_SECRET_KEY}")
