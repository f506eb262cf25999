"""Byte caps on the release files a publisher controls: one number each for every reader, the
publisher's own checks (`plugin verify`) and the consumer's fetches and cached copies alike, so
a file one side accepts is never refused by the other for its size."""

from __future__ import annotations

__all__ = ["MAX_SIGNATURE_BYTES", "MAX_SUMS_BYTES", "MAX_CATALOG_BYTES"]

MAX_SIGNATURE_BYTES = 16 * 1024  # a .minisig is four lines; its trusted comment up to 8 KiB
MAX_SUMS_BYTES = 1 << 20  # Dispatch caps its checksum download at 1 MiB; so do we
MAX_CATALOG_BYTES = 32 << 20  # catalog/extensions.json (10,000 typical entries: ~27 MiB)
