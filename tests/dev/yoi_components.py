"""Yoi component plugins for the dev host tests, written in WAT and built by the
project's own `plugin wat2component` build command (plugin-kit.toml), as `plugin dev` runs it.

The WIT is the host's interface, written out here (HareK02/yoi resources/plugin/wit @ b12e0785);
the core modules are small hand-written WAT. A tool component picks its behaviour by the first
byte of the tool name (see TOOL_BODY); the instance component counts tool calls and ingress
events in a global, so a test can see its state survive between calls.
"""

from __future__ import annotations

import json
from pathlib import Path

HOST_WIT = """package yoi:host@1.0.0;
interface request { request: func(request-json: string) -> string; }
interface websocket {
  open: func(request-json: string) -> string;
  send-text: func(handle: u32, text: string) -> string;
  recv: func(handle: u32, timeout-ms: u32) -> string;
  close: func(handle: u32) -> string;
}
interface fs {
  read: func(request-json: string) -> string;
  %list: func(request-json: string) -> string;
  write: func(request-json: string) -> string;
}
"""
IMPORTS = """  import yoi:host/request@1.0.0;
  import yoi:host/websocket@1.0.0;
  import yoi:host/fs@1.0.0;
"""
TOOL_WIT = f"""package yoi:plugin@1.0.0;
world tool {{
{IMPORTS}  export call: func(tool-name: string, input-json: string) -> string;
}}
"""
INSTANCE_WIT = f"""package yoi:plugin@1.0.0;
world instance {{
{IMPORTS}  export start: func(config-json: string) -> string;
  export handle-tool: func(name: string, input-json: string) -> string;
  export handle-ingress: func(name: string, event-json: string) -> string;
  export status: func() -> string;
  export stop: func() -> string;
}}
"""
WORLDS = {"tool": "yoi:plugin/tool@1.0.0", "instance": "yoi:plugin/instance@1.0.0"}

# Memory: strings at 0, the return area at 4096, the heap from 8192, the output from 131072.
PRELUDE = r"""
  (memory (export "memory") {pages})
  {extra}
  (global $heap (mut i32) (i32.const 8192))
  (global $out (mut i32) (i32.const 0))
  (data (i32.const 0) "{\22summary\22:\22")
  (data (i32.const 16) "\22,\22content\22:\22")
  (data (i32.const 32) "\22}")
  (data (i32.const 48) "{\22state\22:\22ready\22,\22data\22:{}}")
  (data (i32.const 96) "{\22accepted\22:true}")
  (data (i32.const 128) "{\22state\22:\22running\22,\22data\22:{\22count\22:")
  (data (i32.const 176) "{\22state\22:\22stopped\22,\22data\22:{\22count\22:")
  (data (i32.const 224) "}}")
  (data (i32.const 240) "{\22summary\22:\22count ")
  (data (i32.const 272) "\22,\22content\22:null}")
  (func $realloc (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func $put (param $p i32) (param $n i32)
    (memory.copy (i32.add (i32.const 131072) (global.get $out)) (local.get $p) (local.get $n))
    (global.set $out (i32.add (global.get $out) (local.get $n))))
  (func $byte (param $b i32)
    (i32.store8 (i32.add (i32.const 131072) (global.get $out)) (local.get $b))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))
  (func $put_esc (param $p i32) (param $n i32) (local $b i32)
    (block $done (loop $more
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $b (i32.load8_u (local.get $p)))
      (if (i32.or (i32.eq (local.get $b) (i32.const 34)) (i32.eq (local.get $b) (i32.const 92)))
        (then (call $byte (i32.const 92))))
      (call $byte (local.get $b))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $more))))
  (func $put_num (param $v i32)
    (if (i32.ge_u (local.get $v) (i32.const 10)) (then (call $put_num (i32.div_u (local.get $v) (i32.const 10)))))
    (call $byte (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10)))))
  (func $begin (global.set $out (i32.const 0)))
  (func $ret (result i32)
    (i32.store (i32.const 4096) (i32.const 131072))
    (i32.store (i32.const 4100) (global.get $out))
    (i32.const 4096))
  ;; {"summary":"<summary>","content":"<escaped content>"}
  (func $tool_out (param $sp i32) (param $sn i32) (param $cp i32) (param $cn i32) (result i32)
    (call $put (i32.const 0) (i32.const 12))
    (call $put (local.get $sp) (local.get $sn))
    (call $put (i32.const 16) (i32.const 13))
    (call $put_esc (local.get $cp) (local.get $cn))
    (call $put (i32.const 32) (i32.const 2))
    (call $ret))
"""

HOST_IMPORTS = {
    "fs": "\n  ".join(
        f'(import "yoi:host/fs@1.0.0" "{op}" (func $fs_{op} (param i32 i32 i32)))'
        for op in ("read", "list", "write")
    ),
    "request": '(import "yoi:host/request@1.0.0" "request" (func $request (param i32 i32 i32)))',
}

# By the first byte of the tool name: g(reet) echoes the input; r(ead), d(ir), p(ut) and f(etch)
# pass the input to fs.read, fs.list, fs.write and request; n(oop) answers an empty content;
# s(pin) loops forever; t(rap) traps; b(ig) answers 70 000 bytes; l(ong) a 2 000-byte summary;
# w(ork) spends ~12 million fuel, then greets; m(em) grows its memory by one page per byte of input
# (from 4 pages) without looking at memory.grow's answer, then greets.
TOOL_BODY = r"""
  (data (i32.const 300) "hello")
  (func (export "call") (param $np i32) (param $nn i32) (param $ip i32) (param $in i32) (result i32)
    (local $c i32) (local $i i32)
    (call $begin)
    (local.set $c (i32.load8_u (local.get $np)))
    {host_calls}
    (if (i32.eq (local.get $c) (i32.const 110)) (then
      (return (call $tool_out (i32.const 300) (i32.const 5) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $c) (i32.const 115)) (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $c) (i32.const 116)) (then unreachable))
    (if (i32.eq (local.get $c) (i32.const 98)) (then
      (call $put (i32.const 0) (i32.const 12)) (call $put (i32.const 300) (i32.const 5))
      (call $put (i32.const 16) (i32.const 13))
      (block $d (loop $l (br_if $d (i32.ge_u (local.get $i) (i32.const 70000)))
        (call $byte (i32.const 120)) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
      (call $put (i32.const 32) (i32.const 2))
      (return (call $ret))))
    (if (i32.eq (local.get $c) (i32.const 108)) (then
      (call $put (i32.const 0) (i32.const 12))
      (block $d (loop $l (br_if $d (i32.ge_u (local.get $i) (i32.const 2000)))
        (call $byte (i32.const 120)) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
      (call $put (i32.const 16) (i32.const 13)) (call $put (i32.const 32) (i32.const 2))
      (return (call $ret))))
    (if (i32.eq (local.get $c) (i32.const 109)) (then (drop (memory.grow (local.get $in)))))
    (if (i32.eq (local.get $c) (i32.const 119)) (then
      (block $d (loop $l (br_if $d (i32.ge_u (local.get $i) (i32.const 3000000)))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))))
    (call $tool_out (i32.const 300) (i32.const 5) (local.get $ip) (local.get $in)))
  (func (export "cabi_post_call") (param i32))
"""
HOST_CALL = r"""
    (if (i32.eq (local.get $c) (i32.const {letter})) (then
      (call ${func} (local.get $ip) (local.get $in) (i32.const 4104))
      (return (call $tool_out (local.get $np) (local.get $nn)
                              (i32.load (i32.const 4104)) (i32.load (i32.const 4108))))))
"""

INSTANCE_BODY = r"""
  (global $count (mut i32) (i32.const 0))
  (func (export "start") (param i32 i32) (result i32)
    (call $begin) (call $put (i32.const 48) (i32.const 27)) (call $ret))
  (func (export "handle-tool") (param i32 i32 i32 i32) (result i32)
    (call $begin)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $put (i32.const 240) (i32.const 18)) (call $put_num (global.get $count))
    (call $put (i32.const 272) (i32.const 17)) (call $ret))
  (func (export "handle-ingress") (param i32 i32 i32 i32) (result i32)
    (call $begin)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $put (i32.const 96) (i32.const 17)) (call $ret))
  (func (export "status") (result i32)
    (call $begin) (call $put (i32.const 128) (i32.const 35))
    (call $put_num (global.get $count)) (call $put (i32.const 224) (i32.const 2)) (call $ret))
  (func (export "stop") (result i32)
    (call $begin) (call $put (i32.const 176) (i32.const 35))
    (call $put_num (global.get $count)) (call $put (i32.const 224) (i32.const 2)) (call $ret))
"""


def core_wat(
    world: str = "tool", *, imports: tuple[str, ...] = (), pages: int = 4, extra: str = ""
) -> str:
    """The core module of a component: the prelude, the host imports asked for, the world's exports."""
    head = "\n  ".join(HOST_IMPORTS[i] for i in imports)
    if world == "instance":
        body = INSTANCE_BODY
    else:
        calls = "".join(
            HOST_CALL.replace("{letter}", str(ord(letter))).replace("{func}", func)
            for api, letter, func in (
                ("fs", "r", "fs_read"),
                ("fs", "d", "fs_list"),
                ("fs", "p", "fs_write"),
                ("request", "f", "request"),
            )  # fmt: skip
            if api in imports
        )
        body = TOOL_BODY.replace("{host_calls}", calls)
    prelude = PRELUDE.replace("{pages}", str(pages)).replace("{extra}", extra)
    return f"(module\n  {head}\n{prelude}\n{body})\n"


def write_wit(dest: Path) -> Path:
    (dest / "deps" / "yoi-host").mkdir(parents=True, exist_ok=True)
    (dest / "deps" / "yoi-host" / "yoi-host-v1.wit").write_text(HOST_WIT)
    (dest / "yoi-plugin-tool-v1.wit").write_text(TOOL_WIT)
    (dest / "yoi-plugin-instance-v1.wit").write_text(INSTANCE_WIT)
    return dest


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string or number is a TOML one too


def _permissions(
    apis: tuple[str, ...], tools: tuple[str, ...], ingresses: tuple[str, ...]
) -> list[str]:
    """What the host requires before it registers each tool and ingress (worker plugin.rs
    `authorize_plugin_tool`), plus the host APIs the component imports."""
    out = [f'{{ kind = "host_api", api = "{a}" }}' for a in apis]
    for surface, names in (("tool", tools), ("ingress", ingresses)):
        if names:
            out.append(f'{{ kind = "surface", surface = "{surface}" }}')
            out += [f'{{ kind = "{surface}", name = {_toml(n)} }}' for n in names]
    return out


def yoi_project(
    root: Path,
    wat: str,
    *,
    world: str = "tool",
    tools: tuple[str, ...] = ("greet",),
    apis: tuple[str, ...] = (),
    request: tuple[dict, ...] = (),
    ingresses: tuple[str, ...] = (),
    version: str = "0.1.0",
) -> Path:
    """A Yoi project: plugin.toml in the host's shape, the WIT, the WAT and the sidecar's build."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [
        "schema_version = 1", 'id = "dev-test"', 'name = "Dev test"', f"version = {_toml(version)}",
        'description = "A component made by the dev tests"',
        "permissions = [" + ", ".join(_permissions(apis, tools, ingresses)) + "]",
        "", "[runtime]", 'kind = "wasm-component"', 'component = "plugin.component.wasm"',
        f"world = {_toml(WORLDS[world])}",
    ]  # fmt: skip
    for tool in tools:
        lines += ["", "[[tools]]", f"name = {_toml(tool)}", f"description = {_toml('The ' + tool + ' tool')}",
                  'input_schema = { type = "object" }']  # fmt: skip
    for target in request:
        lines += ["", "[[request]]"] + [f"{k} = {_toml(v)}" for k, v in target.items()]
    for name in ingresses:
        lines += [
            "",
            "[[ingresses]]",
            f"name = {_toml(name)}",
            'description = "Events for the tests"',
        ]
    (root / "plugin.toml").write_text("\n".join(lines) + "\n")
    write_wit(root / "wit")
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "component.wat").write_text(wat)
    (root / ".gitignore").write_text("plugin.component.wasm\n")  # built, so not watched
    command = ["plugin", "wat2component", "src/component.wat", "--wit", "wit", "--world", world,
               "-o", "plugin.component.wasm"]  # fmt: skip
    (root / "plugin-kit.toml").write_text("[build]\ncommand = " + _toml(command) + "\n")
    return root
