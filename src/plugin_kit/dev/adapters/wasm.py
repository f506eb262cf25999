"""wasm runtime: a WASI preview1 command module run by wasmtime, one fresh store per tool call.

A call gets the tool name as argv[1], the input JSON on stdin and must print JSON on stdout. The store
sees only the declared secrets in its environment, only the declared filesystem scopes as preopened
folders, and runs on a fuel budget, so an endless loop traps instead of hanging the dev loop.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from plugin_kit.dev.adapters.base import CallResult, LoadContext, LoadedPlugin, ToolInfo
from plugin_kit.dev.hooksfile import load_hooks
from plugin_kit.dev.policy import (
    CapabilityReport,
    Enforcement,
    Preopen,
    filesystem_preopens,
    requested,
    secret_env,
)
from plugin_kit.errors import DevError

__all__ = ["load", "WasmPlugin", "FUEL", "MAX_OUTPUT"]

WASI_MODULE = "wasi_snapshot_preview1"
# About a few hundred million simple instructions: generous for a tool, finite for a bug.
FUEL = 500_000_000
MAX_OUTPUT = 8 * 1024 * 1024


class WasmPlugin(LoadedPlugin):
    """A compiled module plus the grants every call runs with."""

    def __init__(
        self,
        ctx: LoadContext,
        module: Any,
        engine: Any,
        grants: tuple[dict[str, str], list[Preopen]],
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self._ctx = ctx
        self._module = module
        self._engine = engine
        self._env, self._preopens = grants

    def call(self, tool: str, arguments: dict[str, Any]) -> CallResult:
        self.require_tool(tool)
        stdout, stderr, code = self._run(tool, json.dumps(arguments).encode())
        text = stderr.decode("utf-8", "replace")
        try:
            output = json.loads(stdout)
        except ValueError as exc:
            if code != 0:
                return CallResult(tool, {"exit_code": code}, is_error=True, stderr=text)
            raise DevError(
                f"tool {tool!r} printed something that is not JSON: {stdout[:80]!r}",
                rule="wasm-output-not-json",
                place=f"{self._ctx.manifest.runtime_section.get('module')}: stdout",
                hint="Write exactly one JSON document to stdout.",
            ) from exc
        return CallResult(tool, output, is_error=code != 0, stderr=text)

    def _run(self, tool: str, stdin: bytes) -> tuple[bytes, bytes, int]:
        import wasmtime

        out, err = bytearray(), bytearray()
        # stdin lives in a private folder, never in one the module may have preopened.
        with tempfile.TemporaryDirectory(prefix="plugin-dev-wasm-") as tmp:
            stdin_path = Path(tmp, "stdin.json")
            stdin_path.write_bytes(stdin)
            wasi = wasmtime.WasiConfig()
            wasi.argv = [self._ctx.manifest.id, tool]
            wasi.env = list(self._env.items())
            wasi.stdin_file = str(stdin_path)
            wasi.stdout_custom = _collector(out)
            wasi.stderr_custom = _collector(err)
            for p in self._preopens:
                wasi.preopen_dir(str(p.host), p.guest, p.writable)
            store = wasmtime.Store(self._engine)
            store.set_wasi(wasi)
            store.set_fuel(FUEL)
            linker = wasmtime.Linker(self._engine)
            linker.define_wasi()
            code = 0
            try:
                instance = linker.instantiate(store, self._module)
                instance.exports(store)["_start"](store)
            except wasmtime.ExitTrap as exc:
                code = exc.code
            except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
                raise _trap_error(exc, store, tool) from exc
        return bytes(out), bytes(err), code


def _collector(buffer: bytearray) -> Any:
    def write(data: bytes) -> int:
        # Bounded: a runaway print loop must not eat the dev host's memory.
        room = MAX_OUTPUT - len(buffer)
        buffer.extend(data[: max(room, 0)])
        return len(data)

    return write


def _trap_error(exc: Exception, store: Any, tool: str) -> DevError:
    if store.get_fuel() == 0:
        return DevError(
            f"tool {tool!r} ran out of fuel ({FUEL} units)",
            rule="wasm-fuel-exhausted",
            place=f"tool {tool}",
            hint="Look for an endless loop; the dev host stops runaway modules.",
        )
    return DevError(f"tool {tool!r} trapped: {exc}", rule="wasm-trap", place=f"tool {tool}")


def _check_module(module: Any, place: str) -> None:
    """A WASI command: `_start` and `memory` exported, and nothing imported beyond WASI preview1."""
    import wasmtime

    foreign = sorted({f"{i.module}.{i.name}" for i in module.imports if i.module != WASI_MODULE})
    if foreign:
        raise DevError(
            "module imports what the host does not provide: " + ", ".join(foreign),
            rule="wasm-import-denied",
            place=place,
            hint=f"Import only from {WASI_MODULE}; the host grants nothing else.",
        )
    exports = {e.name: e.type for e in module.exports}
    missing = [
        name
        for name, kind in (("_start", wasmtime.FuncType), ("memory", wasmtime.MemoryType))
        if not isinstance(exports.get(name), kind)
    ]
    if missing:
        raise DevError(
            "module does not export " + " and ".join(missing),
            rule="wasm-missing-export",
            place=place,
            hint="Build a WASI preview1 command module (it exports _start and memory).",
        )


def _instantiate(engine: Any, module: Any, place: str) -> None:
    """Link against WASI once, without running it: a wrong import signature fails now, not on a call."""
    import wasmtime

    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    try:
        linker.instantiate(store, module)
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        raise DevError(
            f"module does not instantiate: {exc}",
            rule="wasm-link-failed",
            place=place,
            hint="Check the signatures of its WASI preview1 imports.",
        ) from exc


def _report(
    ctx: LoadContext, env_names: list[str], withheld: int, preopens: list[Preopen]
) -> CapabilityReport:
    asked = requested(ctx.manifest.capabilities)
    grants = ", ".join(f"{p.scope} at {p.guest} ({'rw' if p.writable else 'ro'})" for p in preopens)
    items = [
        Enforcement(
            "secrets",
            asked["secrets"],
            True,
            f"{len(env_names)} variable(s) passed by name match; {withheld} undeclared host variable(s) invisible",
        ),
        Enforcement(
            "filesystem",
            asked["filesystem"],
            True,
            f"preopened: {grants}" if grants else "no folder preopened",
        ),
        Enforcement(
            "network",
            asked["network"],
            True,
            "WASI preview1 has no sockets unless preopened; none are, so the module has no network",
        ),
        Enforcement("process", asked["process"], True, "WASI preview1 cannot start processes"),
        Enforcement(
            "imports",
            [WASI_MODULE],
            True,
            "only WASI preview1 is linked; other imports are refused",
        ),
        Enforcement(
            "time",
            f"fuel {FUEL}",
            True,
            "each call runs on a fuel budget and traps when it is spent",
        ),
    ]
    if asked["rate_limits"]:
        items.append(
            Enforcement(
                "rate_limits",
                asked["rate_limits"],
                False,
                "not applied: the module cannot reach the network",
            )
        )
    return CapabilityReport(env_passed=env_names, env_withheld=withheld, items=items)


def load(ctx: LoadContext) -> WasmPlugin:
    """Compile the module, check its imports and exports, and link it once to prove it instantiates."""
    import wasmtime

    rel = str(ctx.manifest.runtime_section.get("module", ""))
    path = ctx.package_dir / rel
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    try:
        module = wasmtime.Module(engine, path.read_bytes())
    except (OSError, wasmtime.WasmtimeError) as exc:
        raise DevError(f"cannot compile {rel}: {exc}", rule="wasm-invalid", place=rel) from exc
    _check_module(module, rel)
    _instantiate(engine, module, rel)
    secrets = list(requested(ctx.manifest.capabilities)["secrets"])  # type: ignore[call-overload]
    env, withheld = secret_env(secrets, ctx.environ)
    fs = requested(ctx.manifest.capabilities)["filesystem"]
    roots = {
        "workspace": ctx.workspace,
        "plugin": ctx.package_dir,
        "temp": ctx.temp_dir,
        "home": Path.home(),
    }
    preopens = filesystem_preopens(fs, roots)  # type: ignore[arg-type]
    # The extracted cache is read-only whatever the manifest asks.
    preopens = [
        Preopen(p.scope, p.host, p.guest, p.writable and p.scope != "plugin") for p in preopens
    ]
    tools = [ToolInfo(t["name"], t.get("description", "")) for t in ctx.manifest.tools]
    return WasmPlugin(
        ctx,
        module,
        engine,
        (env, preopens),
        runtime="wasm",
        tools=tools,
        hooks=load_hooks(ctx.package_dir, ctx.manifest),
        capabilities=_report(ctx, sorted(env), withheld, preopens),
        details={"module": rel},
    )
