"""Mutated archives for the readers' property tests: one byte flipped, a cut, or one byte inserted,
extracted into a fresh folder whatever the host."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from plugin_kit.errors import ArchiveError
from plugin_kit.packer.reader import extract_archive


def _mutate(base: bytes, kind: str, pos: int, value: int) -> bytes:
    data = bytearray(base)
    if kind == "flip":
        data[pos] ^= value
    elif kind == "cut":
        del data[pos:]
    else:
        data[pos:pos] = bytes([value])
    return bytes(data)


def mutations(base: bytes) -> st.SearchStrategy[bytes]:
    """`base` with one byte flipped, cut short at a position, or one byte inserted."""
    return st.one_of(
        st.tuples(st.just("flip"), st.integers(0, len(base) - 1), st.integers(1, 255)),
        st.tuples(st.just("cut"), st.integers(0, len(base) - 1), st.just(0)),
        st.tuples(st.just("insert"), st.integers(0, len(base)), st.integers(0, 255)),
    ).map(lambda m: _mutate(base, *m))


@contextmanager
def extracted(data: bytes, name: str, host: str | None = None) -> Iterator[tuple[Path, Any]]:
    """`data` saved as `name` in a fresh folder and extracted into its `box/dest`: (the folder,
    the archive's info or the reader's refusal). Any other exception propagates."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / name
        src.write_bytes(data)
        (Path(tmp) / "box").mkdir()
        try:
            outcome: Any = extract_archive(src, Path(tmp) / "box" / "dest", host=host)
        except ArchiveError as err:
            outcome = err
        yield Path(tmp), outcome
