"""Save-to-reloaded latency of `plugin dev --watch`, per runtime, on freshly scaffolded plugins.

    python bench/bench_dev.py [--edits 50] [--bursts 10] [--calls 200]
                              [--runtimes hooks,wasm,mcp,yoi-tool,yoi-instance]

The Yoi runtimes are components of the tool and the instance world, made from the dev tests'
WAT (tests/dev/yoi_components.py) and built by the project's two wasm-tools steps on every save.
For them the bench also times a tool call: warm, as the dev host makes it (compiled once per
load, a fresh instance per call), and as the Yoi host makes it (a new engine and a compile on
every call).

For each runtime: scaffold with create-plugin, start `plugin dev --watch --json`, then save a real
change N times (one at a time) and time each save until the `reloaded` event with that save's
content digest arrives on stdout. Polling: write a burst of 5 saves 100 ms apart and time the last
save until the `reloaded` event for the final state. Prints markdown tables for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
GOALS = {
    "hooks": (100, 250), "wasm": (100, 250), "mcp": (None, 1500),
    "yoi-tool": (100, 250), "yoi-instance": (100, 250),
}  # fmt: skip


def _edit_hooks(root: Path, n: int) -> None:
    path = root / "hooks.toml"
    text = path.read_text()
    head, _, _ = text.partition("\n# bench ")
    path.write_text(
        f'{head}\n# bench {n}\n[[hooks]]\nevent = "session_start"\naction = "context"\ncontext = "{n}"\n'
    )


def _edit_wasm(root: Path, n: int) -> None:
    path = root / "src" / "plugin.wat"
    text = path.read_text()
    marker = '(memory (export "memory") 2)'
    head, _, tail = text.partition(marker)
    tail = tail.split("\n", 1)[1] if tail.startswith(" (data (i32.const 300)") else tail
    path.write_text(f'{head}{marker} (data (i32.const 300) "edit {n}")\n{tail.lstrip(chr(10))}')


def _edit_mcp(root: Path, n: int) -> None:
    [path] = root.glob("*/server.py")
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("BENCH_EDIT = ")]
    path.write_text("\n".join([*lines, f"BENCH_EDIT = {n}"]) + "\n")


def _edit_yoi(root: Path, n: int) -> None:
    """A data segment only the edit writes, after the memory line: a new component each save."""
    path = root / "src" / "component.wat"
    lines = [ln for ln in path.read_text().splitlines() if "(i32.const 6000)" not in ln]
    at = next(i for i, ln in enumerate(lines) if '(memory (export "memory")' in ln)
    lines.insert(at + 1, f'  (data (i32.const 6000) "edit {n}")')
    path.write_text("\n".join(lines) + "\n")


EDITS: dict[str, Callable[[Path, int], None]] = {
    "hooks": _edit_hooks,
    "wasm": _edit_wasm,
    "mcp": _edit_mcp,
    "yoi-tool": _edit_yoi,
    "yoi-instance": _edit_yoi,
}


class Dev:
    def __init__(self, root: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "plugin"), "dev", "--watch", "--json", *args], cwd=root,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[tuple[float, dict]] = queue.Queue()
        # In a burst a file can change under the packer ("changed while packing"); the next cycle recovers.
        self.tolerate_errors = "--poll" in args
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.put((time.perf_counter(), json.loads(line)))

    def until(
        self, digest: str | None, timeout: float = 60, *, other_than: str | None = None
    ) -> tuple[float, dict]:
        """Arrival time and event of the first `reloaded` with this digest (or any but `other_than`)."""
        deadline = time.monotonic() + timeout
        while True:
            at, event = self.lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            if event["event"] == "error" and not self.tolerate_errors:
                raise SystemExit(f"dev loop error: {event['error']}")
            if (
                event["event"] == "reloaded"
                and digest in (None, event["digest"])
                and event["digest"] != other_than
            ):
                return at, event

    def stop(self) -> None:
        self.proc.send_signal(2)
        self.proc.wait(timeout=30)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _yoi_project(world: str, dest: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from dev.yoi_components import core_wat, yoi_project

    return yoi_project(dest, core_wat(world), world=world)


def scaffold(runtime: str, base: Path) -> Path:
    dest = base / f"{runtime}-bench"
    if runtime.startswith("yoi-"):
        return _yoi_project(runtime.removeprefix("yoi-"), dest)
    subprocess.run([str(BIN / "create-plugin"), str(dest), "--runtime", runtime, "--no-input", "--no-git"],
                   check=True, capture_output=True)  # fmt: skip
    return dest


def latency(runtime: str, base: Path, edits: int) -> tuple[list[float], list[float]]:
    root = scaffold(runtime, base)
    dev = Dev(root)
    _, event = dev.until(None)
    saves, cycles = [], []
    try:
        for n in range(edits):
            time.sleep(0.15)  # one save at a time, as a person saves
            t = time.perf_counter()
            EDITS[runtime](root, n)
            # wasm builds module.wasm in the loop, so the new digest is known only from the event.
            at, event = dev.until(None, other_than=event["digest"])
            saves.append((at - t) * 1000)
            cycles.append(event["ms"]["total"])
    finally:
        dev.stop()
    return saves, cycles


def polling_burst(base: Path, bursts: int) -> list[float]:
    from plugin_kit.content.digest import source_digest

    root = scaffold("hooks", base / "poll")
    dev = Dev(root, "--poll")
    dev.until(None)
    out = []
    try:
        for b in range(bursts):
            time.sleep(1.2)
            for k in range(5):
                _edit_hooks(root, b * 10 + k)
                last = time.perf_counter()
                time.sleep(0.1)
            at, _ = dev.until(source_digest(root))
            out.append((at - last) * 1000)
    finally:
        dev.stop()
    return out


def call_latency(base: Path, calls: int) -> list[tuple[str, list[float], list[float]]]:
    """Per Yoi world: a tool call warm (the dev host's way) and compiled per call (the host's way)."""
    import wasmtime
    from wasmtime import component as wc

    from plugin_kit.dev.session import DevSession, Probe

    out = []
    for world in ("tool", "instance"):
        root = _yoi_project(world, base / f"calls-{world}")
        session = DevSession(root, probe=Probe())
        session.cycle(lambda event: None)
        plugin = session.host.current.plugin  # type: ignore[union-attr]
        data = (root / "plugin.component.wasm").read_bytes()
        warm, cold = [], []
        for _ in range(calls):
            t = time.perf_counter()
            plugin.call("greet", {"n": 1})
            warm.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            config = wasmtime.Config()
            config.wasm_component_model = True
            config.consume_fuel = True
            engine = wasmtime.Engine(config)  # run_plugin_component_tool: a new engine per call
            compiled = wc.Component(engine, data)
            store = wasmtime.Store(engine)
            store.set_fuel(5_000_000)
            instance = wc.Linker(engine).instantiate(store, compiled)
            func = instance.get_func(store, "call" if world == "tool" else "handle-tool")
            func(store, "greet", '{"n": 1}')
            func.post_return(store)
            cold.append((time.perf_counter() - t) * 1000)
        session.close()
        out.append((world, warm, cold))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--runtimes", default="hooks,wasm,mcp,yoi-tool,yoi-instance")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dev-") as tmp:
        base = Path(tmp)
        for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(base / var.lower())
        print(f"Save to `reloaded` event, {args.edits} saves each (ms):\n")
        print("| runtime | p50 | p95 | max | goal p50 / p95 | host cycle p50 |")
        print("|---|---|---|---|---|---|")
        for runtime in args.runtimes.split(","):
            saves, cycles = latency(runtime, base, args.edits)
            p50_goal, p95_goal = GOALS[runtime]
            goal = f"{'<= ' + str(p50_goal) if p50_goal else '-'} / <= {p95_goal}"
            print(f"| {runtime} | {_pct(saves, 50):.0f} | {_pct(saves, 95):.0f} | {max(saves):.0f} | {goal} "
                  f"| {statistics.median(cycles):.0f} |", flush=True)  # fmt: skip
        if any(r.startswith("yoi-") for r in args.runtimes.split(",")):
            print(f"\nYoi tool call, {args.calls} calls each (ms):\n")
            print(
                "| world | warm p50 | warm p95 | compiled per call p50 | p95 |\n|---|---|---|---|---|"
            )
            for world, warm, cold in call_latency(base, args.calls):
                print(f"| {world} | {_pct(warm, 50):.2f} | {_pct(warm, 95):.2f} | {_pct(cold, 50):.1f} "
                      f"| {_pct(cold, 95):.1f} |", flush=True)  # fmt: skip
        burst = polling_burst(base, args.bursts)
        print(
            f"\nPolling (`--poll`), last save of a 5-save burst to its `reloaded` event, {args.bursts} bursts (ms):\n"
        )
        print("| p50 | max | goal |\n|---|---|---|")
        print(f"| {_pct(burst, 50):.0f} | {max(burst):.0f} | <= 1500 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
