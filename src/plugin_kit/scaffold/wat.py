"""Compile WebAssembly text (WAT) to a binary module with wasmtime's built-in wat2wasm."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from plugin_kit.errors import BuildError
from plugin_kit.fsio import write_atomic

__all__ = ["WatResult", "compile_wat", "wat_to_bytes"]


@dataclass(frozen=True)
class WatResult:
    source: str
    output: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def wat_to_bytes(text: str, *, place: str = "<wat>") -> bytes:
    """The binary module for `text`; a syntax error becomes a BuildError naming line and column."""
    # wasmtime is heavy (~100 ms); only this path needs it.
    from wasmtime import WasmtimeError, wat2wasm

    try:
        return bytes(wat2wasm(text))
    except WasmtimeError as exc:
        raise BuildError(
            f"cannot compile WebAssembly text: {_summary(str(exc))}",
            rule="wat2wasm.syntax",
            place=place,
            hint="fix the WAT source at the line and column shown, then build again",
        ) from exc


def compile_wat(src: Path, out: Path) -> WatResult:
    """Compile `src` and write `out` atomically: on any failure `out` is left as it was."""
    try:
        text = src.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(
            f"cannot read WebAssembly text: {exc}",
            rule="wat2wasm.read",
            place=str(src),
            hint="pass an existing UTF-8 .wat file",
        ) from exc
    data = wat_to_bytes(text, place=str(src))
    try:
        write_atomic(out, data)
    except OSError as exc:
        raise BuildError(
            f"cannot write {out}: {exc.strerror}",
            rule="wat2wasm.write",
            place=str(out),
            hint="check that the output folder exists and is writable",
        ) from exc
    return WatResult(str(src), str(out), len(data), hashlib.sha256(data).hexdigest())


def _summary(message: str) -> str:
    # wasmtime puts the reason first, then "--> <anon>:LINE:COL" and a caret diagram.
    lines = message.strip().splitlines() or ["unknown error"]
    where = re.search(r"-->\s*\S*?:(\d+):(\d+)", message)
    return f"{lines[0]} at line {where[1]}, column {where[2]}" if where else lines[0]
