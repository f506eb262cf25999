"""Reader limits: the Insomnia host's discovery limits, each overridable by the consumer."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace

from plugin_kit.errors import UsageError

__all__ = ["Limits", "DEFAULT_LIMITS", "LIMIT_RULES", "parse_overrides", "over_limit_hint"]

KiB, MiB = 1024, 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_archive_size: int = 16 * MiB  # compressed .insomnia-plugin file
    max_manifest_size: int = 64 * KiB
    max_entries: int = 512
    max_file_size: int = 8 * MiB
    max_total_size: int = 64 * MiB  # expanded file content
    max_path_bytes: int = 255
    max_window: int = 8 * MiB  # zstd window the decoder will allocate
    max_pax_size: int = 8 * KiB
    max_ratio: int = 100  # decompressed : compressed, checked once past ratio_grace
    ratio_grace: int = 8 * MiB

    def with_overrides(self, **kw: int) -> Limits:
        return replace(self, **kw)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def unlimited_for(cls, size: int) -> Limits:
        """Limits raised so that `size` expanded bytes fit (benchmarks and trusted local use)."""
        big = max(size * 2, 64 * MiB)
        return cls(
            max_archive_size=big, max_entries=1_000_000, max_file_size=big, max_total_size=big,
            max_ratio=1_000_000,
        )  # fmt: skip


DEFAULT_LIMITS = Limits()

# The reader's refusals that mean "over a limit", not "damaged": rule -> the Limits field.
LIMIT_RULES = {
    "archive-too-large": "max_archive_size",
    "manifest-too-large": "max_manifest_size",
    "too-many-entries": "max_entries",
    "file-too-large": "max_file_size",
    "total-too-large": "max_total_size",
    "path-too-long": "max_path_bytes",
    "zstd-window": "max_window",
    "pax-too-large": "max_pax_size",
    "ratio-exceeded": "max_ratio",
}

_SIZE = re.compile(r"([0-9]+)(KiB|MiB|GiB)?")
_UNITS = {None: 1, "KiB": KiB, "MiB": MiB, "GiB": 1024 * MiB}


def parse_overrides(texts: list[str] | tuple[str, ...]) -> dict[str, int]:
    """`NAME=VALUE` pairs (`max_file_size=16MiB`, `max-entries=1000`) as Limits field values."""
    names = {f.name for f in fields(Limits)}
    out = {}
    for text in texts:
        name, _, value = text.partition("=")
        name = name.strip().replace("-", "_")
        m = _SIZE.fullmatch(value.strip())
        if name not in names or m is None:
            raise UsageError(
                f"{text!r} is not a limit such as max_file_size=16MiB",
                rule="limit-syntax",
                hint="NAME=N with an optional KiB, MiB or GiB; names: " + ", ".join(sorted(names)),
            )
        out[name] = int(m[1]) * _UNITS[m[2]]
    return out


def over_limit_hint(rule: str) -> str | None:
    """The hint of a refusal that is over a limit (None for other rules): not damage, a size."""
    name = LIMIT_RULES.get(rule)
    if name is None:
        return None
    return (
        f"The archive is over the limit {name}, not damaged; the host refuses it too. "
        f"Repack it within the limits (`plugin validate` names them), or read it with a raised "
        f"Limits.{name} if you trust it."
    )
