"""`--limit NAME=N` for the commands that hold a package to the host's limits (validate, pack)."""

from __future__ import annotations

LIMIT_HELP = (
    "Raise one of the host's limits, e.g. max_file_size=16MiB or max_entries=1000 (repeatable); "
    "the host itself still refuses such a package."
)


def limit_overrides(texts: tuple[str, ...]) -> dict[str, int]:
    """Each NAME=N as {NAME: N}; the command applies them to its host's limits."""
    if not texts:
        return {}
    from plugin_kit.validators.limits import parse_overrides

    return parse_overrides(texts)
