"""Reader limits: the Insomnia host's discovery limits, each overridable by the consumer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

__all__ = ["Limits", "DEFAULT_LIMITS"]

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
