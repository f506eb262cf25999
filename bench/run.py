"""Run every benchmark in bench/ (bench_*.py) one after another; each prints a markdown table.

make bench                       # all of them (bench_pack.py with --big: the 1 GiB rows;
                                 # bench_startup.py with 15 rounds: its rows are ~50 ms)
make bench BENCH_ARGS="pack"     # only bench_pack.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXTRA = {
    "pack": ["--big"],
    "startup": ["--runs", "15"],
}  # every row of issue 15's table from one run


def main() -> int:
    here = Path(__file__).parent
    wanted = set(sys.argv[1:])
    failed = 0
    for script in sorted(here.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"\n## {name}\n", flush=True)
        failed |= subprocess.run([sys.executable, str(script), *EXTRA.get(name, [])]).returncode
    return failed


if __name__ == "__main__":
    sys.exit(main())
