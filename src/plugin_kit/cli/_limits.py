"""`--limit NAME=N` for the commands that hold a package to the host's limits (validate, pack)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plugin_kit.validators.limits import Limits

LIMIT_HELP = (
    "Raise one of the host's limits, e.g. max_file_size=16MiB or max_entries=1000 (repeatable); "
    "the host itself still refuses such a package."
)


def raised_limits(texts: tuple[str, ...]) -> Limits | None:
    """The Insomnia host's limits with each NAME=N applied (None when none is given)."""
    if not texts:
        return None
    from plugin_kit.hosts import INSOMNIA
    from plugin_kit.validators.limits import parse_overrides

    return INSOMNIA.limits.with_overrides(**parse_overrides(texts))
