"""Read the structure of a WebAssembly component without running it (Component Model binary format).

One pass over the bytes, every length checked against the input, in pure Python: the imports,
the exports with their function types, the core module instantiations, and the tables and
memories the instantiated modules define. That is what Yoi's runtime checks before and while it
instantiates a component. Instructions are not validated: a component that reads cleanly here
can still fail `wasm-tools validate`.

Format: the Component Model's Binary.md (sections 0-11) as `wasm-tools` 1.262 writes it, and
the core module sections 4 (table) and 5 (memory) of the WebAssembly 2.0 spec. A construct this
reader does not know (newer async or GC encodings) stops the reading; `ComponentInfo.unread`
then says where, and the pre-flight skips the checks that need the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from plugin_kit.components.runtime import Signature
from plugin_kit.errors import ValidationError

__all__ = [
    "ComponentInfo",
    "ComponentImport",
    "ComponentExport",
    "ComponentFormatError",
    "read_component",
]

MAGIC = b"\0asm"
_CORE_VERSION = b"\x01\x00\x00\x00"
_COMPONENT_LAYER = b"\x01\x00"
_MAX_DEPTH = 16  # nested components / types deeper than this are not read

_PRIMITIVES = {
    0x7F: "bool", 0x7E: "s8", 0x7D: "u8", 0x7C: "s16", 0x7B: "u16", 0x7A: "s32", 0x79: "u32",
    0x78: "s64", 0x77: "u64", 0x76: "f32", 0x75: "f64", 0x74: "char", 0x73: "string",
    0x64: "error-context",
}  # fmt: skip
_EXTERN_KINDS = {0x00: "core-module", 0x01: "func", 0x02: "value", 0x03: "type",
                 0x04: "component", 0x05: "instance"}  # fmt: skip


class ComponentFormatError(ValidationError):
    """The bytes start like WebAssembly but break the binary format."""


class _Unknown(Exception):
    """A construct this reader does not know; reading stops, what was read stays."""


@dataclass(frozen=True)
class ComponentImport:
    name: str
    kind: str  # "instance", "func", "type", "component", "core-module", "value"
    functions: tuple[str, ...] = ()  # an instance import: the functions its type declares

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "functions": list(self.functions)}


@dataclass(frozen=True)
class ComponentExport:
    name: str
    kind: str
    signature: Signature | None = None  # a func export whose type could be resolved

    def to_dict(self) -> dict[str, object]:
        sig = str(self.signature) if self.signature else None
        return {"name": self.name, "kind": self.kind, "signature": sig}


@dataclass(frozen=True)
class ComponentInfo:
    kind: str  # "component" | "core-module" | "not-wasm"
    size: int
    imports: tuple[ComponentImport, ...] = ()
    exports: tuple[ComponentExport, ...] = ()
    core_instances: int = 0  # core module instantiations: what a store's instance limit counts
    tables: tuple[int, ...] = ()  # initial elements of each table the instantiated modules define
    memories: tuple[int, ...] = ()  # initial bytes of each memory they define
    unread: str = ""  # where reading stopped early, and on what

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["imports"] = [i.to_dict() for i in self.imports]
        out["exports"] = [e.to_dict() for e in self.exports]
        return out


@dataclass
class _Usage:
    """What instantiating a module or component costs the store."""

    instances: int = 0
    tables: list[int] = field(default_factory=list)
    memories: list[int] = field(default_factory=list)

    def add(self, other: _Usage) -> None:
        self.instances += other.instances
        self.tables += other.tables
        self.memories += other.memories


@dataclass
class _Level:
    """The index spaces of one component that the checks need (None: present but not tracked)."""

    modules: list[_Usage | None] = field(default_factory=list)
    components: list[_Usage | None] = field(default_factory=list)
    types: list[object] = field(default_factory=list)  # Signature | tuple of func names | None
    funcs: list[Signature | None] = field(default_factory=list)
    usage: _Usage = field(default_factory=_Usage)
    imports: list[ComponentImport] = field(default_factory=list)
    exports: list[ComponentExport] = field(default_factory=list)


class _Reader:
    def __init__(self, data: bytes, pos: int, end: int) -> None:
        self.data, self.pos, self.end = data, pos, end

    def fail(self, what: str) -> ComponentFormatError:
        return ComponentFormatError(
            f"malformed component: {what} at byte {self.pos}",
            rule="component-malformed",
            place=f"byte {self.pos}",
            hint="Rebuild the component (wasm-tools component new); check it with "
            "`wasm-tools validate`.",
        )

    def byte(self) -> int:
        if self.pos >= self.end:
            raise self.fail("unexpected end")
        self.pos += 1
        return self.data[self.pos - 1]

    def leb(self, max_bytes: int, *, signed: bool = False) -> int:
        """A LEB128 number of at most `max_bytes` bytes (5 for u32 and s33, 10 for u64)."""
        result = shift = 0
        for _ in range(max_bytes):
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result - (1 << shift) if signed and b & 0x40 else result
        raise self.fail(f"LEB128 number longer than {max_bytes} bytes")

    def u32(self) -> int:
        return self.leb(5)

    def u64(self) -> int:
        return self.leb(10)

    def s33(self) -> int:
        return self.leb(5, signed=True)

    def count(self) -> int:
        """A vector length: each element takes at least one byte, so it cannot exceed the rest."""
        n = self.u32()
        if n > self.end - self.pos:
            raise self.fail(f"vector of {n} entries in {self.end - self.pos} bytes")
        return n

    def take(self, n: int) -> bytes:
        if n > self.end - self.pos:
            raise self.fail(f"{n} bytes wanted, {self.end - self.pos} left")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def name(self) -> str:
        raw = self.take(self.u32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("name that is not UTF-8") from None

    def sections(self, kind: str) -> Iterator[tuple[int, _Reader]]:
        """(id, body) of each `kind` ("component" or "core") section up to the end; after each
        the reader moves past the body, whatever the caller read of it."""
        while self.pos < self.end:
            section = self.byte()
            size = self.u32()
            body = _Reader(self.data, self.pos, self.pos + size)
            if body.end > self.end:
                raise self.fail(f"{kind} section {section} of {size} bytes past the end")
            yield section, body
            self.pos = body.end

    def extern_name(self) -> str:
        """importname' / exportname': 0x00 then the name (0x01 carries a version suffix)."""
        tag = self.byte()
        if tag != 0x00:
            raise _Unknown(f"import/export name form 0x{tag:02x}")
        return self.name()


def read_component(data: bytes) -> ComponentInfo:
    """The structure of `data`: a component, a core module, or something that is not WebAssembly."""
    if data[:4] != MAGIC or len(data) < 8:
        return ComponentInfo("not-wasm", len(data))
    if data[4:8] == _CORE_VERSION:
        return ComponentInfo("core-module", len(data))
    if data[6:8] != _COMPONENT_LAYER:
        raise _Reader(data, 4, 8).fail(f"unknown WebAssembly version/layer {data[4:8].hex()}")
    level = _Level()
    unread = ""
    try:
        _component(_Reader(data, 8, len(data)), level, 0)
    except _Unknown as exc:
        unread = str(exc)
    return ComponentInfo(
        "component",
        len(data),
        tuple(level.imports),
        tuple(level.exports),
        level.usage.instances,
        tuple(level.usage.tables),
        tuple(level.usage.memories),
        unread,
    )


def _component(r: _Reader, level: _Level, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _Unknown(f"components nested deeper than {_MAX_DEPTH}")
    for section, body in r.sections("component"):
        try:
            _SECTIONS.get(section, _skip)(body, level, depth)
        except _Unknown as exc:
            raise _Unknown(f"{exc} in section {section} at byte {body.pos}") from None
        if section in _SECTIONS and body.pos != body.end:
            raise body.fail(f"section {section} has {body.end - body.pos} bytes left over")


def _skip(r: _Reader, level: _Level, depth: int) -> None:
    r.pos = r.end  # custom (0), core type (3), start (9): nothing the checks need


def _core_module(r: _Reader, level: _Level, depth: int) -> None:
    level.modules.append(_module_usage(r))


def _module_usage(r: _Reader) -> _Usage:
    """What one instantiation of a core module defines: a table and memory per entry."""
    if r.take(8) != MAGIC + _CORE_VERSION:
        raise r.fail("core module without the \\0asm version 1 header")
    usage = _Usage(instances=1)
    for section, body in r.sections("core"):
        if section == 4:  # table
            for _ in range(body.count()):
                usage.tables.append(_table_min(body))
        elif section == 5:  # memory
            for _ in range(body.count()):
                usage.memories.append(_limits_min(body) * 65536)
    return usage


def _table_min(r: _Reader) -> int:
    first = r.byte()
    if first == 0x40:  # a table with an initialiser expression (function references proposal)
        raise _Unknown("table with an initialiser expression")
    if first in (0x63, 0x64):  # (ref null? heaptype)
        r.s33()
    return _limits_min(r)


def _limits_min(r: _Reader) -> int:
    flags = r.byte()
    if flags > 0x07:
        raise r.fail(f"limits flags 0x{flags:02x}")
    wide = flags & 0x04  # memory64 / table64
    minimum = r.u64() if wide else r.u32()
    if flags & 0x01:
        r.u64() if wide else r.u32()
    return minimum


def _core_instances(r: _Reader, level: _Level, depth: int) -> None:
    for _ in range(r.count()):
        tag = r.byte()
        if tag == 0x00:  # (instantiate module args): a real instance, counted by the store
            module = r.u32()
            for _ in range(r.count()):
                r.name()
                if r.byte() != 0x12:
                    raise r.fail("core instantiate argument that is not an instance")
                r.u32()
            if module >= len(level.modules):
                raise r.fail(f"core module index {module} out of range")
            level.usage.add(level.modules[module] or _Usage(instances=1))
        elif tag == 0x01:  # a bag of exports: no instantiation
            for _ in range(r.count()):
                r.name()
                r.byte()
                r.u32()
        else:
            raise r.fail(f"core instance form 0x{tag:02x}")


def _nested_component(r: _Reader, level: _Level, depth: int) -> None:
    if r.take(8)[4:8] != b"\x0d\x00\x01\x00":
        raise _Unknown("nested component with another version")
    inner = _Level()
    _component(r, inner, depth + 1)
    level.components.append(inner.usage)


def _instances(r: _Reader, level: _Level, depth: int) -> None:
    for _ in range(r.count()):
        tag = r.byte()
        if tag != 0x00:
            raise _Unknown(f"component instance form 0x{tag:02x}")
        comp = r.u32()
        for _ in range(r.count()):
            r.name()
            _sortidx(r)
        if comp >= len(level.components):
            raise r.fail(f"component index {comp} out of range")
        level.usage.add(level.components[comp] or _Usage())


def _sortidx(r: _Reader) -> tuple[int, int]:
    """A sort (0x00 core-sort | 0x01..0x05; a core sort is returned as 0x100+) and an index."""
    sort = r.byte()
    if sort == 0x00:
        sort = 0x100 + r.byte()
    elif sort > 0x05:
        raise r.fail(f"sort 0x{sort:02x}")
    return sort, r.u32()


def _aliases(r: _Reader, level: _Level, depth: int) -> None:
    for _ in range(r.count()):
        sort = r.byte()
        if sort == 0x00:
            sort = 0x100 + r.byte()
        target = r.byte()
        if target in (0x00, 0x01):
            r.u32()
            r.name()
        elif target == 0x02:
            r.u32()
            r.u32()
        else:
            raise r.fail(f"alias target 0x{target:02x}")
        _grow(level, sort)


def _grow(level: _Level, sort: int) -> None:
    """A definition whose details are not tracked still takes an index in its space."""
    space = {0x01: level.funcs, 0x03: level.types, 0x04: level.components, 0x111: level.modules}
    if sort in space:
        space[sort].append(None)


def _types(r: _Reader, level: _Level, depth: int) -> None:
    for _ in range(r.count()):
        level.types.append(_deftype(r, depth))


def _deftype(r: _Reader, depth: int) -> object:
    if depth > _MAX_DEPTH:
        raise _Unknown(f"types nested deeper than {_MAX_DEPTH}")
    tag = r.byte()
    if tag == 0x40:
        return _functype(r)
    if tag == 0x42:  # instance type: keep the names of the functions it exports
        funcs = []
        for _ in range(r.count()):
            decl = r.byte()
            if decl == 0x01:
                _deftype(r, depth + 1)
            elif decl == 0x02:
                _alias(r)
            elif decl == 0x04:
                name = r.extern_name()
                if _externdesc(r)[0] == "func":
                    funcs.append(name)
            else:
                raise _Unknown(f"instance type declaration 0x{decl:02x}")
        return tuple(funcs)
    if tag == 0x41:  # component type
        for _ in range(r.count()):
            decl = r.byte()
            if decl == 0x03:
                r.extern_name()
                _externdesc(r)
            elif decl == 0x01:
                _deftype(r, depth + 1)
            elif decl == 0x02:
                _alias(r)
            elif decl == 0x04:
                r.extern_name()
                _externdesc(r)
            else:
                raise _Unknown(f"component type declaration 0x{decl:02x}")
        return None
    if tag == 0x3F:  # resource: rep i32, optional destructor
        if r.byte() != 0x7F:
            raise r.fail("resource representation other than i32")
        if r.byte() == 0x01:
            r.u32()
        return None
    r.pos -= 1
    _defvaltype(r)
    return None


def _alias(r: _Reader) -> None:
    sort = r.byte()
    if sort == 0x00:
        r.byte()
    target = r.byte()
    if target == 0x02:
        r.u32()
        r.u32()
    elif target in (0x00, 0x01):
        r.u32()
        r.name()
    else:
        raise r.fail(f"alias target 0x{target:02x}")


def _functype(r: _Reader) -> Signature:
    params = tuple((r.name(), _valtype(r)) for _ in range(r.count()))
    tag = r.byte()
    if tag == 0x00:
        return Signature(params, _valtype(r))
    if tag == 0x01 and r.byte() == 0x00:
        return Signature(params, None)
    raise _Unknown("function result list form")


def _valtype(r: _Reader) -> str:
    code = r.s33()
    if code >= 0:
        return f"type {code}"
    byte = code & 0x7F
    if byte not in _PRIMITIVES:
        raise r.fail(f"value type 0x{byte:02x}")
    return _PRIMITIVES[byte]


def _opt_valtype(r: _Reader) -> None:
    if r.byte() == 0x01:
        _valtype(r)


def _defvaltype(r: _Reader) -> None:
    tag = r.byte()
    if tag in _PRIMITIVES:
        return
    if tag == 0x72:  # record
        for _ in range(r.count()):
            r.name()
            _valtype(r)
    elif tag == 0x71:  # variant
        for _ in range(r.count()):
            r.name()
            _opt_valtype(r)
            if r.byte() != 0x00:
                raise _Unknown("variant case with `refines`")
    elif tag in (0x70, 0x6B):  # list, option
        _valtype(r)
    elif tag == 0x6F:  # tuple
        for _ in range(r.count()):
            _valtype(r)
    elif tag in (0x6E, 0x6D):  # flags, enum
        for _ in range(r.count()):
            r.name()
    elif tag == 0x6A:  # result
        _opt_valtype(r)
        _opt_valtype(r)
    elif tag in (0x69, 0x68):  # own, borrow
        r.u32()
    else:
        raise _Unknown(f"type constructor 0x{tag:02x}")


def _externdesc(r: _Reader) -> tuple[str, int | None]:
    """(kind, type index) of an externdesc; the index is None where there is none."""
    kind = r.byte()
    if kind == 0x00:
        if r.byte() != 0x11:
            raise r.fail("core extern description other than a module")
        return "core-module", r.u32()
    if kind in (0x01, 0x04, 0x05):
        return _EXTERN_KINDS[kind], r.u32()
    if kind in (0x02, 0x03):  # value / type bound: 0x00 index | 0x01 valtype or resource
        bound = r.byte()
        if bound == 0x00:
            r.u32()
        elif kind == 0x02 and bound == 0x01:
            _valtype(r)
        elif bound != 0x01:
            raise r.fail(f"bound 0x{bound:02x}")
        return _EXTERN_KINDS[kind], None
    raise r.fail(f"extern description 0x{kind:02x}")


def _imports(r: _Reader, level: _Level, depth: int) -> None:
    for _ in range(r.count()):
        name = r.extern_name()
        kind, idx = _externdesc(r)
        typ = _type_at(level, idx)
        functions = typ if kind == "instance" and isinstance(typ, tuple) else ()
        level.imports.append(ComponentImport(name, kind, functions))
        if kind == "func":
            level.funcs.append(typ if isinstance(typ, Signature) else None)
        else:
            _grow(level, {"type": 0x03, "component": 0x04, "core-module": 0x111}.get(kind, -1))


def _type_at(level: _Level, idx: int | None) -> object:
    return level.types[idx] if idx is not None and idx < len(level.types) else None


def _canons(r: _Reader, level: _Level, depth: int) -> None:
    for _ in range(r.count()):
        op = r.byte()
        if op == 0x00:  # lift: a component function of type ft
            if r.byte() != 0x00:
                raise r.fail("canon lift of something other than a core function")
            r.u32()
            _canon_opts(r)
            typ = _type_at(level, r.u32())
            level.funcs.append(typ if isinstance(typ, Signature) else None)
        elif op == 0x01:  # lower: a core function
            if r.byte() != 0x00:
                raise r.fail("canon lower of something other than a function")
            r.u32()
            _canon_opts(r)
        elif op in (0x02, 0x03, 0x04):  # resource.new / drop / rep: core functions
            r.u32()
        else:
            raise _Unknown(f"canonical function 0x{op:02x}")


def _canon_opts(r: _Reader) -> None:
    for _ in range(r.count()):
        opt = r.byte()
        if opt in (0x03, 0x04, 0x05, 0x07):  # memory, realloc, post-return, callback
            r.u32()
        elif opt not in (0x00, 0x01, 0x02, 0x06):  # encodings, async
            raise _Unknown(f"canonical option 0x{opt:02x}")


def _exports(r: _Reader, level: _Level, depth: int) -> None:
    for _ in range(r.count()):
        name = r.extern_name()
        sort, idx = _sortidx(r)
        sig = level.funcs[idx] if sort == 0x01 and idx < len(level.funcs) else None
        if r.byte() == 0x01:  # an ascribed type
            kind, type_idx = _externdesc(r)
            ascribed = _type_at(level, type_idx)
            if kind == "func" and isinstance(ascribed, Signature):
                sig = ascribed
        kind = "core" if sort >= 0x100 else _EXTERN_KINDS.get(sort, "?")
        level.exports.append(ComponentExport(name, kind, sig))
        if sort == 0x01:
            level.funcs.append(sig)  # an export also defines a new index
        else:
            _grow(level, sort)


_SECTIONS = {
    1: _core_module,
    2: _core_instances,
    4: _nested_component,
    5: _instances,
    6: _aliases,
    7: _types,
    8: _canons,
    10: _imports,
    11: _exports,
}
