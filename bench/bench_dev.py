"""Save-to-reloaded latency of `plugin dev --watch`, per runtime, on freshly scaffolded plugins.

    python bench/bench_dev.py [--edits 50] [--bursts 10] [--runtimes hooks,wasm,mcp]

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
GOALS = {"hooks": (100, 250), "wasm": (100, 250), "mcp": (None, 1500)}


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


EDITS: dict[str, Callable[[Path, int], None]] = {
    "hooks": _edit_hooks,
    "wasm": _edit_wasm,
    "mcp": _edit_mcp,
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


def scaffold(runtime: str, base: Path) -> Path:
    dest = base / f"{runtime}-bench"
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
    from plugin_kit.content.digest import digest_path

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
            at, _ = dev.until(digest_path(root))
            out.append((at - last) * 1000)
    finally:
        dev.stop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--runtimes", default="hooks,wasm,mcp")
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
        burst = polling_burst(base, args.bursts)
        print(
            f"\nPolling (`--poll`), last save of a 5-save burst to its `reloaded` event, {args.bursts} bursts (ms):\n"
        )
        print("| p50 | max | goal |\n|---|---|---|")
        print(f"| {_pct(burst, 50):.0f} | {max(burst):.0f} | <= 1500 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
