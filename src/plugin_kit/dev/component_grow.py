"""Yoi traps a `memory.grow` or `table.grow` past its limits; under `--limits host` the dev host
does too.

The host's store limits trap when a memory or a table cannot grow (HareK02/yoi crates/worker/src/
feature/plugin.rs @ b12e0785, `wasm_component_store_limits`: `memory_size`, `table_elements(256)`,
`trap_on_grow_failure(true)`). The Python wasmtime API has no such switch: under its store limits
a grow returns -1, and a component that ignores the -1 goes on in the dev host where Yoi stops it.
So the dev host runs a copy in which every `memory.grow` of a core module calls a guard appended
to that module, and every `table.grow` a guard for its table (with the table's reference type).
Within the limit a guard grows as before; past it, it reads a byte no memory the limits allow
holds, which traps, and wasmtime's trap message carries that address ("memory fault at wasm
address 0x..."): the memory guard reads at the size asked for, the table guard at 0x80000000 plus
the elements asked for (capped below 2**31), so the report says how far over (a module without a
32-bit memory has nothing to read: its table guard just traps, and the report says "at least").
The copy is printed with `wasm-tools print`, rewritten, and parsed back in-process; the package
and the cache keep the author's bytes.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from plugin_kit.components.build import wasm_tools_executable
from plugin_kit.dev.component_limits import LimitBreak

__all__ = ["MEMORY_GUARD", "TABLE_GUARD", "guard_grows", "grow_break"]

MEMORY_GUARD = "yoi_dev_memory_grow"
TABLE_GUARD = "yoi_dev_table_grow"  # one per grown table: yoi_dev_table_grow_<table index>
# The new size in bytes is computed in i64 so it cannot wrap; the read address is capped at the
# last byte of a 32-bit memory, which is outside any memory the limit allows.
_MEMORY_GUARD_WAT = """(func ${guard} (param $pages i32) (result i32) (local $want i64)
  (local.set $want (i64.shl (i64.add (i64.extend_i32_u (memory.size))
                                     (i64.extend_i32_u (local.get $pages))) (i64.const 16)))
  (if (i64.gt_u (local.get $want) (i64.const {limit}))
    (then (drop (i32.load8_u (i32.wrap_i64 (select (local.get $want) (i64.const 0xffffffff)
                                                   (i64.lt_u (local.get $want) (i64.const 0xffffffff))))))
          unreachable))
  (memory.grow (local.get $pages)))
"""
# table.grow takes the new elements' value, then how many; the size asked for is in i64 too.
_TABLE_GUARD_WAT = """(func ${guard} (param $init {ref}) (param $n i32) (result i32) (local $want i64)
  (local.set $want (i64.add (i64.extend_i32_u (table.size {table}))
                            (i64.extend_i32_u (local.get $n))))
  (if (i64.gt_u (local.get $want) (i64.const {limit}))
    (then {fault}unreachable))
  (table.grow {table} (local.get $init) (local.get $n)))
"""
_TABLE_MARK = 0x8000_0000  # far past the memory limit, so the read faults in any allowed memory
_TABLE_FAULT = f"""(drop (i32.load8_u (i32.wrap_i64 (i64.or (i64.const {_TABLE_MARK:#x})
            (select (local.get $want) (i64.const {_TABLE_MARK - 1:#x})
                    (i64.lt_u (local.get $want) (i64.const {_TABLE_MARK - 1:#x})))))))
          """
_MODULE = re.compile(r"(\s*)\(core module\b")
_GROW = re.compile(r"\s*memory\.grow\s*")  # memory 0; the printer names any other memory
_TABLE_GROW = re.compile(r"\s*table\.grow (\S+)\s*")  # the printer names every table
_MEMORY = re.compile(r"\(memory (?:\$\S+ )?\(;\d+;\) (i64 )?")
# A declared or imported table: `(table $name (;0;) 1 10 funcref)`, `... (ref null $t)`.
_TABLE = re.compile(r"\(table (?:(\$\S+) )?\(;(\d+);\) (i64 )?\d+ (?:\d+ )?(\w+|\(ref [^()]*\))")
_FAULT = re.compile(r"memory fault at wasm address (0x[0-9a-fA-F]+)")


@dataclass
class _Done:
    """What was done to one kind of grow over all the modules."""

    op: str
    found: bool = False
    guarded: bool = False
    skipped: str = ""

    def __str__(self) -> str:
        if not self.found:
            return f"no {self.op}"
        if not self.guarded:
            return f"not guarded: {self.skipped}"
        return "guarded" + (f" (not {self.skipped})" if self.skipped else "")


def guard_grows(
    data: bytes, memory_bytes: int, table_elements: int
) -> tuple[bytes, dict[str, str]]:
    """`data` with every `memory.grow` of memory 0 trapping past `memory_bytes` and every
    `table.grow` past `table_elements`, and what was done to each, as `memory_grow` and
    `table_grow`: `guarded`, `no memory.grow` (`no table.grow`), or `not guarded: WHY` (then
    `data` itself, whose grows the store answers with -1; a component wasm-tools cannot print is
    left for the compile to refuse)."""

    def each(said: str) -> dict[str, str]:
        return {"memory_grow": said, "table_grow": said}

    exe = wasm_tools_executable()
    try:
        proc = subprocess.run([exe, "print", "-"], input=data, capture_output=True, timeout=60,
                              check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return data, each(f"not guarded: wasm-tools print failed: {exc}")
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        return data, each("not guarded: wasm-tools cannot print the component")
    memory, table = _Done("memory.grow"), _Done("table.grow")
    guarded = _rewrite(text, memory_bytes, table_elements, memory, table)
    done = {"memory_grow": str(memory), "table_grow": str(table)}
    if guarded == text:
        return data, done
    from wasmtime import WasmtimeError, wat2wasm

    try:
        return bytes(wat2wasm(guarded)), done
    except WasmtimeError as exc:
        return data, each(f"not guarded: {str(exc).splitlines()[0]}")


def _rewrite(text: str, memory_bytes: int, table_elements: int, memory: _Done, table: _Done) -> str:
    """The printed component with each core module's grows calling guards appended to that module
    (the last functions, so no function index moves). Core modules do not nest."""
    out: list[str] = []
    module: list[str] | None = None
    indent = ""
    for line in text.splitlines(keepends=True):
        if module is None:
            opened = _MODULE.match(line)
            if opened and line.count("(") > line.count(")"):  # not a one-line empty module
                module, indent = [], opened[1]
            out.append(line)
        elif line.rstrip("\n") == indent + ")":
            guards = _guard_memory(module, memory_bytes, memory)
            guards += _guard_tables(module, table_elements, table)
            out += module + [f"{indent}  {g}\n" for guard in guards for g in guard.splitlines()]
            out.append(line)
            module = None
        else:
            module.append(line)
    return "".join(out)


def _guard_memory(module: list[str], limit: int, done: _Done) -> list[str]:
    """Point the module's `memory.grow`s at the memory guard; the guard to append, if any (a
    64-bit memory grows by an i64 and is left to the store)."""
    grows = [i for i, m in enumerate(module) if _GROW.fullmatch(m.rstrip("\n"))]
    if not grows:
        return []
    done.found = True
    if any((m := _MEMORY.search(line)) and m[1] for line in module):
        done.skipped = "a module with a 64-bit memory"
        return []
    for i in grows:
        module[i] = module[i].replace("memory.grow", f"call ${MEMORY_GUARD}")
    done.guarded = True
    return [_MEMORY_GUARD_WAT.format(guard=MEMORY_GUARD, limit=limit)]


def _guard_tables(module: list[str], limit: int, done: _Done) -> list[str]:
    """Point the module's `table.grow`s at a guard per grown table; the guards to append (a
    64-bit table grows by an i64 and is left to the store)."""
    tables: dict[str, tuple[int, str, bool]] = {}  # by index and by name: index, ref type, 64-bit
    for line in module:
        if found := _TABLE.search(line):
            entry = (int(found[2]), found[4], bool(found[3]))
            tables[found[2]] = entry
            if found[1]:
                tables[found[1]] = entry
    memories = [m[1] for line in module if (m := _MEMORY.search(line))]
    fault = _TABLE_FAULT if memories and not any(memories) else ""
    guards: dict[int, str] = {}
    for i, line in enumerate(module):
        grow = _TABLE_GROW.fullmatch(line.rstrip("\n"))
        if not grow:
            continue
        done.found = True
        index, ref, wide = tables.get(grow[1], (-1, "", False))
        if index < 0 or wide:
            done.skipped = "a 64-bit table" if wide else f"table {grow[1]}, whose type is unread"
            continue
        name = f"{TABLE_GUARD}_{index}"
        module[i] = line.replace(f"table.grow {grow[1]}", f"call ${name}")
        guards[index] = _TABLE_GUARD_WAT.format(guard=name, ref=ref, table=index, limit=limit,
                                                fault=fault)  # fmt: skip
    done.guarded = done.guarded or bool(guards)
    return list(guards.values())


def grow_break(message: str, memory_bytes: int, table_elements: int) -> LimitBreak | None:
    """The limit a trap message shows a guard enforced, or None for any other trap."""
    fault = _FAULT.search(message)
    address = int(fault[1], 16) if fault else None
    if MEMORY_GUARD in message:
        return LimitBreak("memory_bytes", address or memory_bytes + 1, memory_bytes,
                          said="memory.grow asked for")  # fmt: skip
    if TABLE_GUARD not in message:
        return None
    asked = address - _TABLE_MARK if address is not None and address >= _TABLE_MARK else None
    if asked is None or asked >= _TABLE_MARK - 1:  # no memory to read, or past what it can say
        return LimitBreak("table_elements", max(asked or 0, table_elements + 1), table_elements,
                          said="table.grow asked for at least")  # fmt: skip
    return LimitBreak("table_elements", asked, table_elements, said="table.grow asked for")
