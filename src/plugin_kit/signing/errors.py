"""Errors of the signing layer; a failed check is also a VerificationError (exit code 3)."""

from __future__ import annotations

from plugin_kit.errors import EXIT_VERIFY, SigningError, VerificationError

__all__ = ["KeyFileError", "SignatureInvalid", "SumsError"]


class KeyFileError(SigningError):
    """A key that cannot be read, decrypted or written (rule ids `signing.key-*`)."""


class SignatureInvalid(SigningError, VerificationError):
    """A signature that does not verify: callers may catch it as either SigningError or
    VerificationError, so the installer's verify path and the publisher's sign path agree."""

    exit_code = EXIT_VERIFY
    phase = "verify"


class SumsError(SigningError):
    """A SHA256SUMS file or name that `sha256sum -c` would not read the same way."""
