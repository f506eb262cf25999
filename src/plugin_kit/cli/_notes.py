"""The library's notes on stderr. Each command routes them as it starts (`plugin`'s group
callback, `create-plugin`), so `plugin --help` and `--version` do not import logging."""

from __future__ import annotations

import logging

from plugin_kit.cli._output import info


class _NotesToStderr(logging.Handler):
    """The library's notes (logger "plugin_kit": a lock being waited for; with --verbose the
    URLs fetched and files written) as stderr lines, made visible like every other line."""

    def emit(self, record: logging.LogRecord) -> None:
        info(record.getMessage())


def show_library_notes(*, verbose: bool = False) -> None:
    """Route the library's log to stderr: INFO always, DEBUG with --verbose. Idempotent."""
    log = logging.getLogger("plugin_kit")
    if not any(isinstance(h, _NotesToStderr) for h in log.handlers):
        log.addHandler(_NotesToStderr())
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
