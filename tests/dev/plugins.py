"""Small plugin trees for the dev host, built in code (a hooks file, a hand-written WAT module, an MCP
server), and `plugin dev --watch --json` as a subprocess whose events the tests read."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

VENV_BIN = Path(sys.executable).parent

HEAD = """\
manifest_version = 1

[plugin]
id = "{id}"
version = "{version}"
api = ">=1.0.0, <2.0.0"
runtime = "{runtime}"
description = "A plugin made by the dev tests"
license = "MIT"
"""

HOOKS = """\
[[hooks]]
name = "no-rm-rf"
event = "pre_tool_use"
tool = "shell"
pattern = "rm -rf"
action = "deny"
message = "rm -rf is not allowed"

[[hooks]]
name = "remind"
event = "session_start"
action = "context"
context = "Be brief."
"""

# Tools pick their behaviour by argv[1]'s first byte: g = getenv, p = prestat, s = spin, else echo.
WAT = r"""
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "{\"env\":\"")
  (data (i32.const 32) "\"}")
  (data (i32.const 48) "{\"fd3\":0}")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $echo (local $n i32) (local $total i32)
    (block $done
      (loop $more
        (i32.store (i32.const 0) (i32.add (i32.const 4096) (local.get $total)))
        (i32.store (i32.const 4) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br $more)))
    (call $write (i32.const 4096) (local.get $total)))
  (func $getenv (local $size i32) (local $i i32)
    (drop (call $env_sizes (i32.const 40) (i32.const 44)))
    (local.set $size (i32.load (i32.const 44)))
    (drop (call $env_get (i32.const 1024) (i32.const 4096)))
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
        (if (i32.eqz (i32.load8_u (i32.add (i32.const 4096) (local.get $i))))
          (then (i32.store8 (i32.add (i32.const 4096) (local.get $i)) (i32.const 32))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $more)))
    (call $write (i32.const 16) (i32.const 8))
    (call $write (i32.const 4096) (local.get $size))
    (call $write (i32.const 32) (i32.const 2)))
  (func $prestat_fd3
    ;; errno of fd_prestat_get(3) as one digit: 0 = a folder is preopened, 8 = EBADF, none is
    (i32.store8 (i32.const 55) (i32.add (i32.const 48) (call $prestat (i32.const 3) (i32.const 200))))
    (call $write (i32.const 48) (i32.const 9)))
  (func $spin (loop $forever (br $forever)))
  (func (export "_start")
    (local $first i32)
    (drop (call $args_get (i32.const 512) (i32.const 600)))
    (local.set $first (i32.load8_u (i32.load (i32.const 516))))
    (block $picked
      (if (i32.eq (local.get $first) (i32.const 103)) (then (call $getenv) (br $picked)))
      (if (i32.eq (local.get $first) (i32.const 112)) (then (call $prestat_fd3) (br $picked)))
      (if (i32.eq (local.get $first) (i32.const 115)) (then (call $spin) (br $picked)))
      (call $echo)))
)
"""

MCP_SERVER = '''\
import os

from mcp.server.mcpserver import MCPServer

app = MCPServer("dev-test")


@app.tool()
def echo(text: str) -> dict:
    """Echo the text back, with what the server sees of its environment."""
    return {"text": text, "secret": os.environ.get("SECRET_TOKEN"), "cwd": os.getcwd(),
            "weather": os.environ.get("WEATHER_KEY"), "pid": os.getpid()}


app.run()
'''


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def manifest_text(
    runtime: str, *, id: str = "dev-test", version: str = "0.1.0", body: str = ""
) -> str:
    return HEAD.format(id=id, version=version, runtime=runtime) + body


def hooks_plugin(root: Path, **kw: str) -> Path:
    body = '\n[runtime]\nfile = "hooks.toml"\n\n[package]\ninclude = ["hooks.toml", "README.md", "LICENSE"]\n'
    return write_tree(root, {
        "plugin.toml": manifest_text("hooks", body=body, **kw),
        "hooks.toml": HOOKS, "README.md": "# dev test\n", "LICENSE": "MIT\n",
    })  # fmt: skip


def wasm_plugin(root: Path, *, secrets: tuple[str, ...] = ("WEATHER_*",), fs_read: tuple[str, ...] = (),
                build: bool = True, **kw: str) -> Path:  # fmt: skip
    """A wasm plugin built from src/plugin.wat by `plugin wat2wasm`, as the template does."""
    tools = "".join(
        f'\n[[tools]]\nname = "{n}"\ndescription = "{n} tool"\n'
        for n in ("echo", "getenv", "prestat", "spin")
    )
    body = (
        '\n[runtime]\nmodule = "module.wasm"\n'
        + tools
        + f"\n[capabilities]\nsecrets = {json.dumps(list(secrets))}\n"
        + f"filesystem = {{ read = {json.dumps(list(fs_read))}, write = [] }}\n"
        + '\n[package]\ninclude = ["module.wasm", "README.md", "LICENSE"]\n'
    )
    files: dict[str, str | bytes] = {
        "plugin.toml": "",
        "src/plugin.wat": WAT,
        "README.md": "# w\n",
        "LICENSE": "MIT\n",
    }
    if build:
        body += (
            '\n[build]\ncommand = ["plugin", "wat2wasm", "src/plugin.wat", "-o", "module.wasm"]\n'
        )
    import wasmtime

    files["module.wasm"] = bytes(wasmtime.wat2wasm(WAT))
    files["plugin.toml"] = manifest_text("wasm", body=body, **kw)
    return write_tree(root, files)


def mcp_plugin(root: Path, *, secrets: tuple[str, ...] = ("WEATHER_*",), tools: tuple[str, ...] = ("echo",),
               **kw: str) -> Path:  # fmt: skip
    body = (
        '\n[runtime]\ncommand = ["python", "server.py"]\n'
        + "".join(f'\n[[tools]]\nname = "{n}"\ndescription = "{n} tool"\n' for n in tools)
        + f"\n[capabilities]\nsecrets = {json.dumps(list(secrets))}\n"
        + '\n[package]\ninclude = ["server.py", "README.md", "LICENSE"]\n'
    )
    return write_tree(root, {
        "plugin.toml": manifest_text("mcp", body=body, **kw), "server.py": MCP_SERVER,
        "README.md": "# m\n", "LICENSE": "MIT\n",
    })  # fmt: skip


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """Live (non-zombie) child processes of `pid`."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


class DevProcess:
    """`plugin dev --watch --json` as a subprocess, its stdout read line by line as JSON events."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "plugin"), "dev", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})}, text=True,
        )  # fmt: skip
        self.events: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(json.loads(line))

    def next(self, *kinds: str, timeout: float = 60) -> dict:
        """The next event of one of `kinds`, skipping others; fails the test if none comes."""
        while True:
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                self.stop()
                raise AssertionError(
                    f"no {kinds} event; seen {self.seen}; stderr {self.stderr()}"
                ) from None
            self.seen.append(event)
            if event["event"] in kinds:
                return event

    def stderr(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""

    def interrupt(self, timeout: float = 30) -> int:
        import signal

        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def atomic_write(path: Path, text: str) -> None:
    """Save as editors do: a temp file beside the target, renamed over it."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
