"""Pack and read of large trees, side by side with the reference tools in one run.

    python bench/bench_pack.py [--runs 5] [--big]

Prints a markdown table of medians and ratios (ours / reference) for docs/performance.md, then
the cost of packing split into per-byte and fixed parts: our writer in process against the
pinned zstandard library and the zstd CLI compressing the same tar stream at the same level,
and a whole `plugin pack` of a three-file plugin against `python -c 'import click'`.
Peak RSS is the largest resident set of any process in the measured command (RUSAGE_CHILDREN).
Start-up rows are in bench_startup.py.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PY = sys.executable
MANIFEST = """manifest_version = 1
[plugin]
id = "bench-plugin"
version = "1.0.0"
api = ">=1.0.0, <2.0.0"
runtime = "hooks"
description = "benchmark tree"
license = "MIT"
[runtime]
file = "hooks.toml"
"""
MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)
"""


def prepare_python() -> None:
    """Measure Python as an installed wheel runs: byte-compiled, and allowed to use the .pyc
    files (a cold interpreter compiling our sources would measure the compiler)."""
    import plugin_kit

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    package = Path(plugin_kit.__file__).parent
    compileall.compile_dir(package, quiet=2, rx=re.compile(re.escape(str(package / "templates"))))


def measure(cmd: str, runs: int, setup: str | None = None) -> tuple[float, float]:
    """Median wall seconds and max peak RSS (MiB) of `cmd` over `runs` runs, each in a fresh parent."""
    walls, rss = [], []
    for _ in range(runs):
        if setup:
            subprocess.run(setup, shell=True, check=True)
        out = subprocess.run(
            [PY, "-c", MEASURE, cmd], capture_output=True, text=True, check=True
        ).stdout.split()
        if out[2] != "0":
            raise SystemExit(f"command failed: {cmd}")
        walls.append(float(out[0]))
        rss.append(int(out[1]) / 1024)
    return statistics.median(walls), max(rss)


def make_tree(root: Path, files: int, total: int, seed: int = 7) -> None:
    """Half text-like lines, half random bytes, lognormal sizes, spread over folders."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / "plugin.toml").write_text(MANIFEST)
    (root / "hooks.toml").write_text('[[hooks]]\nevent = "session_start"\naction = "allow"\n')
    weights = [rng.lognormvariate(0, 1.2) for _ in range(files)]
    scale = total / sum(weights)
    words = [f"word{i}" for i in range(500)]
    for i, w in enumerate(weights):
        size = max(1, int(w * scale))
        d = root / f"d{i % 160:03d}"
        d.mkdir(exist_ok=True)
        if i % 2:
            (d / f"f{i:05d}.bin").write_bytes(rng.randbytes(size))
        else:
            line = " ".join(rng.choice(words) for _ in range(12)) + "\n"
            text = (line * (size // len(line) + 1))[:size]
            (d / f"f{i:05d}.log").write_text(text)


def row(
    name: str, ours: tuple[float, float], ref: tuple[float, float], ref_name: str, goal: str
) -> str:
    return (
        f"| {name} | {ours[0]:.3f} s | {ref_name}: {ref[0]:.3f} s | **{ours[0] / ref[0]:.2f}x** | "
        f"{ours[1]:.0f} MiB | {ref[1]:.0f} MiB | {goal} |"
    )


def measure_extract(archive: Path, dest: Path, total: int, runs: int) -> tuple[float, float]:
    """`measure` of our extract_archive of `archive` into `dest` (removed before each run), with
    the limits raised to fit a tree of `total` bytes."""
    extract = (
        "from plugin_kit.packer.reader import extract_archive; from plugin_kit.validators.limits import Limits; "
        f"extract_archive('{archive}', '{dest}', limits=Limits.unlimited_for({total * 2}))"
    )
    return measure(f'{PY} -c "{extract}"', runs, setup=f"rm -rf {dest}")


def limit_flags(total: int) -> str:
    """`plugin pack` flags raising every limit to fit a tree of `total` bytes (the hosts' limits
    are far below the large trees)."""
    names = ("max_archive_size", "max_entries", "max_file_size", "max_total_size", "max_ratio")
    return " ".join(f"--limit {name}={2 * total}" for name in names)


def bench_large(work: Path, runs: int, files: int, total: int, label: str) -> list[str]:
    tree = work / "tree"
    make_tree(tree, files, total)
    out = work / "out"
    raise_limits = limit_flags(total)
    ours = measure(f"plugin pack --no-build {raise_limits} -o {out} {tree}", runs)
    ref = measure(
        f"tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - -C {tree} . | zstd -3 -q -o {work}/ref.tar.zst -f",
        runs,
    )
    archive = next(out.glob("*.insomnia-plugin"))
    x_ours, x_ref = work / "x-ours", work / "x-ref"
    read_ours = measure_extract(archive, x_ours, total, runs)
    read_ref = measure(
        f"mkdir -p {x_ref} && tar --zstd -xf {archive} -C {x_ref}", runs, setup=f"rm -rf {x_ref}"
    )
    hashes = _hash_time(tree, archive, runs)
    return [
        row(f"pack {label}", ours, ref, "tar \\| zstd -3", "<= 1.5x, < 100 MiB"),
        row(f"read + extract {label}", read_ours, read_ref, "tar --zstd -xf", "<= 1.5x, < 100 MiB"),
        f"| {label}: the format's two sha256 passes alone (every file, then the archive; the "
        f"time in hashlib's updates, reading not counted), which neither reference makes | "
        f"{hashes:.3f} s | | | | | |",
    ]


_HASHING = """
import hashlib, pathlib, sys, time
spent = 0.0
for p in [*sorted(pathlib.Path(sys.argv[1]).rglob("*")), pathlib.Path(sys.argv[2])]:
    if p.is_file():
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                t = time.perf_counter()
                h.update(chunk)
                spent += time.perf_counter() - t
print(spent)
"""


def _hash_time(tree: Path, archive: Path, runs: int) -> float:
    """Median seconds spent in sha256 updates alone over every file of `tree`, then `archive`
    (reading not counted), each run in a fresh interpreter: the format's two hash passes."""
    argv = [PY, "-c", _HASHING, str(tree), str(archive)]
    return statistics.median(
        float(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    )


def _in_process(code: str, runs: int) -> float:
    """Median seconds of `code`'s timed part, each run in a fresh interpreter."""
    probe = f"import time\n{code}\nt = time.perf_counter()\nrun()\nprint(time.perf_counter() - t)"
    return statistics.median(
        float(subprocess.run([PY, "-c", probe], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    )


def bench_cost(work: Path, runs: int) -> list[str]:
    """Per-byte: the same tar stream (our archive, decompressed) through our writer, the pinned
    library (our parameters) and the zstd CLI at level 3. Fixed: a three-file `plugin pack`."""
    from plugin_kit.packer.writer import ZSTD_LEVEL, ZSTD_WORKERS

    tree, archive = work / "l" / "tree", next((work / "l" / "out").glob("*.insomnia-plugin"))
    stream = work / "stream.tar"
    subprocess.run(["zstd", "-d", "-q", "-f", str(archive), "-o", str(stream)], check=True)
    mib = stream.stat().st_size / (1 << 20)
    ours = _in_process(
        "from pathlib import Path\nfrom plugin_kit.content.collect import collect_files, load_project_manifest\n"
        "from plugin_kit.hosts import INSOMNIA\nfrom plugin_kit.packer.writer import write_archive\n"
        f"root = Path('{tree}')\nfiles = collect_files(root, load_project_manifest(root, INSOMNIA), host=INSOMNIA)\n"
        "out = open('/dev/null', 'wb')\ndef run(): write_archive(files, out)", runs)  # fmt: skip
    lib = _in_process(
        "import zstandard\n"
        f"data = open('{stream}', 'rb').read()\n"
        f"c = zstandard.ZstdCompressor(level={ZSTD_LEVEL}, threads={ZSTD_WORKERS},"
        " write_checksum=True, write_content_size=True, write_dict_id=False)\n"
        "def run(): c.compress(data)", runs)  # fmt: skip
    cli = measure(f"zstd -{ZSTD_LEVEL} -q -c {stream} > /dev/null", runs)[0]
    small = work / "two"
    make_tree(small, 1, 64)
    fixed = measure(f"plugin pack --no-build -o {work}/two-out {small}", runs)[0]
    click = measure(f"{PY} -c 'import click'", runs)[0]
    per = [("our writer (read, hash, compress, hash)", ours), ("pinned zstandard, same parameters", lib),
           ("zstd CLI -3", cli)]  # fmt: skip
    rows = [
        f"| per byte: {name} | {t:.3f} s | {mib / t:.0f} MiB/s | {t / cli:.2f}x |"
        for name, t in per
    ]
    rows.append(f"| fixed: `plugin pack` of a three-file plugin | {fixed:.3f} s | "
                f"`python -c 'import click'`: {click:.3f} s | {fixed / click:.2f}x |")  # fmt: skip
    return rows


@contextmanager
def workdir(prefix: str) -> Iterator[tuple[Path, Path]]:
    """A scratch folder on tmpfs when there is one (work, its parent), removed afterwards."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield work, base
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_table(rows: list[str], started: str, base: Path, runs: int) -> None:
    print(f"Run {started} on {os.cpu_count()} cores, tree in {base}, median of {runs} runs.\n")
    print("| what | ours | reference | ratio | our peak RSS | reference peak RSS | goal |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big", action="store_true", help="also pack and read 1 GiB")
    args = ap.parse_args()
    prepare_python()
    with workdir("plugin-kit-bench-") as (work, base):
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        rows = bench_large(work / "l", args.runs, 2000, 100 << 20, "2,000 files, 100 MiB")
        if args.big:
            rows += bench_large(work / "g", 1, 4000, 1 << 30, "1 GiB (limits raised)")
        print_table(rows, started, base, args.runs)
        print("\nPacking cost, per byte (the 100 MiB tree's tar stream) and fixed:\n")
        print("| what | time | throughput or reference | ratio to the zstd CLI or reference |")
        print("|---|---|---|---|")
        print("\n".join(bench_cost(work, args.runs)))


if __name__ == "__main__":
    main()
