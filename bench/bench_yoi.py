"""Yoi packages: pack and read+extract a .yoi-plugin, side by side with Info-ZIP in one run.

    python bench/bench_yoi.py [--runs 5]

Trees: a host-sized one (500 files, 15 MiB: the host's limits allow 512 entries and 16 MiB) and
2,000 files, 100 MiB (limits raised). References: `zip -0 -X -r -q` of the same tree (stored,
no extra fields) and `unzip -q -d` of our package. Prints a markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_pack import (
    limit_flags,
    make_tree,
    measure,
    measure_extract,
    prepare_python,
    print_table,
    row,
    workdir,
)

MANIFEST = """schema_version = 1
id = "bench.plugin"
name = "Bench"
version = "1.0.0"
description = "benchmark tree"
surfaces = ["tool"]

[runtime]
kind = "wasm-component"
component = "plugin.component.wasm"
world = "yoi:plugin/tool@1.0.0"
"""


def make_yoi_tree(root: Path, files: int, total: int) -> None:
    make_tree(root, files - 2, total)
    (root / "plugin.toml").write_text(MANIFEST)
    (root / "hooks.toml").unlink()
    (root / "plugin.component.wasm").write_bytes(b"\0asm\x0d\x00\x01\x00")


def bench(work: Path, runs: int, files: int, total: int, label: str) -> list[str]:
    tree = work / "tree"
    make_yoi_tree(tree, files, total)
    out = work / "out"
    ours = measure(f"plugin pack --no-build {limit_flags(total)} -o {out} {tree}", runs)
    ref = measure(
        f"cd {tree} && zip -0 -X -r -q {work}/ref.zip .", runs, setup=f"rm -f {work}/ref.zip"
    )
    archive = next(out.glob("*.yoi-plugin"))
    x_ours, x_ref = work / "x-ours", work / "x-ref"
    read_ours = measure_extract(archive, x_ours, total, runs)
    read_ref = measure(f"unzip -q {archive} -d {x_ref}", runs, setup=f"rm -rf {x_ref}")
    return [
        row(f"pack .yoi-plugin, {label}", ours, ref, "zip -0 -X -r -q", "<= 1.5x, < 100 MiB"),
        row(f"read + extract .yoi-plugin, {label}", read_ours, read_ref, "unzip -q -d", "<= 1.5x, < 100 MiB"),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    prepare_python()
    with workdir("plugin-kit-bench-yoi-") as (work, base):
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        rows = bench(work / "s", args.runs, 500, 15 << 20, "500 files, 15 MiB")
        rows += bench(
            work / "l", args.runs, 2000, 100 << 20, "2,000 files, 100 MiB (limits raised)"
        )
        print_table(rows, started, base, args.runs)


if __name__ == "__main__":
    main()
