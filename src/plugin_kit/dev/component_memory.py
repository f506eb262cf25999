"""Yoi traps a `memory.grow` past its memory limit; under `--limits host` the dev host does too.

The host's store limits trap when a memory cannot grow (HareK02/yoi crates/worker/src/feature/
plugin.rs @ b12e0785, `wasm_component_store_limits`: `trap_on_grow_failure(true)`). The Python
wasmtime API has no such switch: under its store limits `memory.grow` returns -1, and a component
that ignores the -1 goes on in the dev host where Yoi stops it. So the dev host runs a copy in
which every `memory.grow` of a core module calls a guard appended to that module. Within the limit
the guard grows as before; past it, it reads the byte at the size that was asked for, which traps,
and wasmtime's trap message carries that address ("memory fault at wasm address 0x..."): the report
says how far over. The copy is printed with `wasm-tools print`, rewritten, and parsed back
in-process; the package and the cache keep the author's bytes.
"""

from __future__ import annotations

import re
import subprocess

from plugin_kit.components.build import wasm_tools_executable
from plugin_kit.dev.component_limits import LimitBreak

__all__ = ["GUARD", "guard_memory_grow", "grow_break"]

GUARD = "yoi_dev_memory_grow"
# The new size in bytes is computed in i64 so it cannot wrap; the read address is capped at the
# last byte of a 32-bit memory, which is outside any memory the limit allows.
_GUARD_WAT = """(func ${guard} (param $pages i32) (result i32) (local $want i64)
  (local.set $want (i64.shl (i64.add (i64.extend_i32_u (memory.size))
                                     (i64.extend_i32_u (local.get $pages))) (i64.const 16)))
  (if (i64.gt_u (local.get $want) (i64.const {limit}))
    (then (drop (i32.load8_u (i32.wrap_i64 (select (local.get $want) (i64.const 0xffffffff)
                                                   (i64.lt_u (local.get $want) (i64.const 0xffffffff))))))
          unreachable))
  (memory.grow (local.get $pages)))
"""
_MODULE = re.compile(r"(\s*)\(core module\b")
_GROW = re.compile(r"\s*memory\.grow\s*")  # memory 0; the printer names any other memory
_MEMORY64 = re.compile(r"\(memory\b.*\bi64\b")
_FAULT = re.compile(r"memory fault at wasm address (0x[0-9a-fA-F]+)")


def guard_memory_grow(data: bytes, limit: int) -> tuple[bytes, str]:
    """`data` with every `memory.grow` of memory 0 trapping past `limit` bytes, and what was done:
    `guarded`, `no memory.grow`, or `not guarded: WHY` (then `data` itself, whose grows the store
    answers with -1; a component wasm-tools cannot print is left for the compile to refuse)."""
    exe = wasm_tools_executable()
    try:
        proc = subprocess.run([exe, "print", "-"], input=data, capture_output=True, timeout=60,
                              check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return data, f"not guarded: wasm-tools print failed: {exc}"
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        return data, "not guarded: wasm-tools cannot print the component"
    if "memory.grow" not in text:
        return data, "no memory.grow"
    guarded, skipped = _rewrite(text, limit)
    if guarded == text:
        return data, f"not guarded: {skipped}"
    from wasmtime import WasmtimeError, wat2wasm

    try:
        return bytes(wat2wasm(guarded)), "guarded" + (f" (not {skipped})" if skipped else "")
    except WasmtimeError as exc:
        return data, f"not guarded: {str(exc).splitlines()[0]}"


def _rewrite(text: str, limit: int) -> tuple[str, str]:
    """The printed component with each core module's `memory.grow` calling the guard, which is
    appended to that module (the last function, so no function index moves); and which modules
    were left as they are (a 64-bit memory grows by an i64). Core modules do not nest."""
    out: list[str] = []
    module: list[str] | None = None
    indent, skipped = "", ""
    for line in text.splitlines(keepends=True):
        if module is None:
            opened = _MODULE.match(line)
            if opened and line.count("(") > line.count(")"):  # not a one-line empty module
                module, indent = [], opened[1]
            out.append(line)
        elif line.rstrip("\n") == indent + ")":
            grows = [i for i, m in enumerate(module) if _GROW.fullmatch(m.rstrip("\n"))]
            if grows and any(_MEMORY64.search(m) for m in module):
                skipped = "a module with a 64-bit memory"
            elif grows:
                for i in grows:
                    module[i] = module[i].replace("memory.grow", f"call ${GUARD}")
                guard = _GUARD_WAT.format(guard=GUARD, limit=limit)
                module += [f"{indent}  {g}\n" for g in guard.splitlines()]
            out += [*module, line]
            module = None
        else:
            module.append(line)
    return "".join(out), skipped


def grow_break(message: str, limit: int) -> LimitBreak | None:
    """The memory limit a trap message shows the guard enforced, or None for any other trap."""
    if GUARD not in message:
        return None
    fault = _FAULT.search(message)
    asked = int(fault[1], 16) if fault else limit + 1
    return LimitBreak("memory_bytes", asked, limit, said="memory.grow asked for")
