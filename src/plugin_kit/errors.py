"""The error root of plugin_kit: every layer raises a subclass carrying rule, place and hint."""

from __future__ import annotations

__all__ = [
    "PluginKitError",
    "UsageError",
    "ValidationError",
    "ArchiveError",
    "BuildError",
    "PackError",
    "SigningError",
    "PublishError",
    "InstallError",
    "VerificationError",
    "NeedsUserError",
    "LockTimeoutError",
    "DevError",
    "FileRefusedError",
    "InterruptedByUser",
    "EXIT_OK",
    "EXIT_ERROR",
    "EXIT_USAGE",
    "EXIT_VERIFY",
    "EXIT_NEEDS_USER",
    "EXIT_LOCK_TIMEOUT",
    "EXIT_INTERRUPTED",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_VERIFY = 3
EXIT_NEEDS_USER = 4
EXIT_LOCK_TIMEOUT = 5
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


class PluginKitError(Exception):
    """Base error: `rule` is a stable id, `place` names the file or entry, `hint` the next step."""

    exit_code: int = EXIT_ERROR
    phase: str = "error"

    def __init__(
        self,
        message: str,
        *,
        rule: str = "error",
        place: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.place = place
        self.hint = hint

    def __str__(self) -> str:
        where = f" ({self.place})" if self.place else ""
        return f"[{self.rule}] {self.message}{where}"

    def to_dict(self) -> dict[str, object]:
        return {
            "phase": self.phase,
            "rule": self.rule,
            "place": self.place,
            "message": self.message,
            "hint": self.hint,
        }


class UsageError(PluginKitError):
    exit_code = EXIT_USAGE
    phase = "usage"


class ValidationError(PluginKitError):
    """A manifest or project that breaks the contract; `problems` lists every one found."""

    phase = "validate"

    def __init__(self, message: str, *, problems: list | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.problems = problems or []


class ArchiveError(PluginKitError):
    """An archive the strict reader refuses. `rule` is one of the ids in docs/format.md."""

    phase = "read"


class PackError(PluginKitError):
    phase = "pack"


class BuildError(PackError):
    """The plugin's own build (its [build].command, a WAT or component compile) failed: the
    author's source, not the packing, is at fault. A PackError, so callers catching it still do."""

    phase = "build"


class SigningError(PluginKitError):
    phase = "sign"


class PublishError(PluginKitError):
    phase = "publish"


class InstallError(PluginKitError):
    phase = "install"


class VerificationError(InstallError):
    """A checksum, signature, digest or catalog check failed."""

    exit_code = EXIT_VERIFY
    phase = "verify"


class NeedsUserError(InstallError):
    """Any command that needs a person (a terminal, a confirmation, a password): exit 4."""

    exit_code = EXIT_NEEDS_USER
    phase = "needs-user"


class LockTimeoutError(InstallError):
    exit_code = EXIT_LOCK_TIMEOUT


class InterruptedByUser(PluginKitError):
    """Ctrl-C, or a question answered with Ctrl-C or end of input: the command stopped."""

    exit_code = EXIT_INTERRUPTED
    phase = "interrupted"


class DevError(PluginKitError):
    phase = "dev"


class FileRefusedError(PluginKitError):
    """A file others control that is not read: a symlink, not a regular file, or over its cap."""

    phase = "read"
