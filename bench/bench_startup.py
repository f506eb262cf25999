"""Start-up of every everyday command, whole process, against `python -c 'import click'`.

    python bench/bench_startup.py [--runs 9]

Rows (issue 15): --help, --version; validate, pack, inspect, digest of a small plugin (30 files,
200 KiB) for both hosts; install from a file:// catalog; list with 10 plugins installed; search
over a 10,000-entry catalog. Runs are interleaved (each round runs every command once, the
reference first), medians are taken per command and each ratio is against the reference's
median of the same run. Python runs as for an installed wheel (bench_pack.prepare_python).

The floor of a row is every module the command imports that is not ours (click, the standard
library's, pathspec, semver, minisign, ...), imported in one process that runs no code of ours,
timed in the same rounds: what the command would cost if our code took no time at all. A goal
below its row's floor cannot be met without dropping one of those modules. "Our modules" is
what importing ours too adds (another such process), "the work" the rest of the command.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_pack import PY, make_tree, prepare_python, workdir
from bench_yoi import make_yoi_tree

GOALS = {"help": 1.2, "validate": 1.5, "pack": 2.0, "inspect": 1.5, "digest": 1.5,
         "install": 3.0, "list": 1.5, "search": 1.5}  # fmt: skip
# The `plugin` script beside this Python, as users run it (`python -m` would add runpy's imports).
_SCRIPT = Path(PY).parent / "plugin"
PLUGIN = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-m", "plugin_kit"]


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    cfg = {"HOME": home, "XDG_CONFIG_HOME": home / ".config", "XDG_CACHE_HOME": home / ".cache"}
    return env | {k: str(v) for k, v in cfg.items()}


def _run(env: dict[str, str], cwd: Path, *args: str) -> None:
    subprocess.run([*PLUGIN, *args], env=env, cwd=cwd, check=True, capture_output=True)


def _catalog(work: Path, env: dict[str, str], search_env: dict[str, str]) -> None:
    """10 small plugins published to a dir: catalog (9 installed from it), and in another home
    (installing must not read it) a 10,000-entry catalog for search."""
    from plugin_kit.publisher.catalog import write_signed_catalog
    from plugin_kit.signing.keys import load_secret_key

    _run(env, work, "keygen", "-o", "k", "--no-password")
    for i in range(10):
        src = work / f"p{i}"
        make_tree(src, 2, 2048, seed=i)
        (src / "plugin.toml").write_text(
            (src / "plugin.toml").read_text().replace("bench-plugin", f"bench-plugin-{i}")
        )
        _run(env, work, "pack", "--no-build", str(src), "-o", "dist")
    archives = sorted(str(p) for p in (work / "dist").glob("*.insomnia-plugin"))
    _run(env, work, "publish", *archives, "--tag", "{id}-v{version}", "--target", "dir:site",
         "--key", "k.key")  # fmt: skip
    pub = (work / "k.pub").read_text().splitlines()[-1]
    site = work / "site/catalog/extensions.json"
    _run(env, work, "catalog", "add", site.as_uri(), "--name", "site", "--pubkey", pub)
    doc = json.loads(site.read_text())
    base = doc["entries"][0]
    entries = []
    for i in range(10_000):
        e = json.loads(json.dumps(base).replace(base["name"], f"other-tools-{i:05d}"))
        e["description"] = f"Benchmark plugin number {i} for weather and rain"
        entries.append(e)
    doc["entries"], doc["serial"] = entries, doc["serial"] + 1
    big = work / "big" / "extensions.json"
    write_signed_catalog(big, doc, load_secret_key((work / "k.key").read_text(), None))
    _run(search_env, work, "catalog", "add", big.as_uri(), "--name", "big", "--pubkey", pub)
    for i in range(1, 10):  # 10 installed with the one the install row puts back each time
        _run(env, work, "install", f"bench-plugin-{i}", "--yes")


Row = tuple[str, str, list[str], Callable | None, dict[str, str]]

_IMPORT = "import importlib\nfor m in {mods!r}:\n    try:\n        importlib.import_module(m)\n    except Exception:\n        pass"


def import_argvs(row: Row, work: Path) -> tuple[list[str], list[str]]:
    """Two processes that import, in the order `row`'s command did (`python -X importtime`),
    every module it imports but ours (the floor), and every module (ours too), running no
    command: a failed optional import fails in them too."""
    _, _, argv, before, env = row
    if before:
        before()
    traced = (
        [PY, "-X", "importtime", *argv] if argv[0] != PY else [PY, "-X", "importtime", *argv[1:]]
    )
    err = subprocess.run(
        traced, env=env, cwd=work, check=True, capture_output=True, text=True
    ).stderr
    names = [
        line.rsplit("|", 1)[1].strip()
        for line in err.splitlines()
        if line.startswith("import time:")
    ][1:]  # [0] is the header line
    floor = [m for m in names if m.split(".")[0] != "plugin_kit"]
    return [PY, "-c", _IMPORT.format(mods=floor)], [PY, "-c", _IMPORT.format(mods=names)]


def commands(work: Path, env: dict[str, str], search_env: dict[str, str]) -> list[Row]:
    """(goal key, row label, argv, set-up before each run, environment)."""
    ins = "out/bench-plugin-1.0.0.insomnia-plugin"
    yoi = "out/bench.plugin-1.0.0.yoi-plugin"

    def uninstall() -> None:
        subprocess.run([*PLUGIN, "uninstall", "user:bench-plugin-0"], env=env, cwd=work,
                       capture_output=True)  # fmt: skip

    rows: list[tuple[str, str, list[str], Callable | None]] = [
        ("help", "`plugin --help`", [*PLUGIN, "--help"], None),
        ("help", "`plugin --version`", [*PLUGIN, "--version"], None),
    ]
    for host, tree, archive in (("insomnia", "small", ins), ("yoi", "ysmall", yoi)):
        rows += [
            ("validate", f"`plugin validate` ({host})", [*PLUGIN, "validate", tree], None),
            ("pack", f"`plugin pack` ({host}, 30 files, 200 KiB)",
             [*PLUGIN, "pack", "--no-build", tree, "-o", "out2"], None),
            ("inspect", f"`plugin inspect` ({host})", [*PLUGIN, "inspect", archive], None),
            ("digest", f"`plugin digest` ({host})", [*PLUGIN, "digest", archive], None),
        ]  # fmt: skip
    rows += [
        ("install", "`plugin install` (file:// catalog)",
         [*PLUGIN, "install", "bench-plugin-0", "--yes"], uninstall),
        ("list", "`plugin list` (10 installed)", [*PLUGIN, "list"], None),
    ]  # fmt: skip
    search = (
        "search",
        "`plugin search` (10,000 entries)",
        [*PLUGIN, "search", "number 9999"],
        None,
    )
    return [(*r, env) for r in rows] + [(*search, search_env)]


def medians(plan: list[Row], runs: int, cwd: Path) -> list[float]:
    """Median seconds of each row's command, interleaved: each round runs every row once, in
    order, after its set-up."""
    samples: list[list[float]] = [[] for _ in plan]
    for _ in range(runs):
        for i, (_, _, argv, before, env) in enumerate(plan):
            if before:
                before()
            t = time.perf_counter()
            subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
            samples[i].append(time.perf_counter() - t)
    return [statistics.median(x) for x in samples]


def measure(work: Path, rows: list[Row], runs: int, compare: str | None) -> list[str]:
    """Each round: the reference, then every row (and, with `compare`, the same row with that
    source tree first on PYTHONPATH: the code before a change, in the same interleaving)."""
    reference: Row = ("", "", [PY, "-c", "import click"], None, dict(os.environ))
    argvs = [import_argvs(r, work) for r in rows]
    floors = [("", "", floor, None, r[4]) for r, (floor, _) in zip(rows, argvs, strict=True)]
    imports = [("", "", every, None, r[4]) for r, (_, every) in zip(rows, argvs, strict=True)]
    old = [(*r[:4], r[4] | {"PYTHONPATH": compare}) for r in rows] if compare else []
    med = medians([reference, *rows, *floors, *imports, *old], runs, work)
    ref, out = med[0], []
    for i, (goal, label, *_) in enumerate(rows):
        n = len(rows)
        ours, floor, every = med[1 + i], med[1 + n + i], med[1 + 2 * n + i]
        met = "met" if ours / ref <= GOALS[goal] else "missed"
        if met == "missed" and floor / ref > GOALS[goal]:
            met += ", below the floor"
        was = f" {med[1 + 3 * n + i] / ref:.2f}x |" if compare else ""
        out.append(f"| {label} | {ours * 1000:.0f} ms | {ref * 1000:.0f} ms |{was} "
                   f"{floor * 1000:.0f} ms ({floor / ref:.2f}x) | {(every - floor) * 1000:.0f} ms | "
                   f"{(ours - every) * 1000:.0f} ms | **{ours / ref:.2f}x** | "
                   f"<= {GOALS[goal]}x ({met}) |")  # fmt: skip
    return out


_STDLIB = "import click, pathlib, tomllib, dataclasses, logging, json"
LIBRARIES = ("pathspec", "semver", "hashlib", "zstandard", "minisign", "tomlkit", "filelock")


def library_costs(runs: int) -> list[str]:
    """What importing each chosen library adds, in one process, to click and the standard
    modules every command loads; interleaved, medians."""
    plan = [("click", "import click"), ("+ pathlib, tomllib, dataclasses, logging, json", _STDLIB)]
    plan += [(f"+ {lib}", f"{_STDLIB}, {lib}") for lib in LIBRARIES]
    env = dict(os.environ)
    med = medians([("", "", [PY, "-c", code], None, env) for _, code in plan], runs, Path.cwd())
    rows = []
    for i, ((label, _), m) in enumerate(zip(plan, med, strict=True)):
        added = f"+{(m - med[1]) * 1000:.1f} ms" if i > 1 else ""
        rows.append(f"| {label} | {m * 1000:.1f} ms | {added} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--compare", metavar="SRC", help="also time the package in SRC (before)")
    args = ap.parse_args()
    prepare_python()
    with workdir("plugin-kit-bench-startup-") as (work, base):
        env, search_env = _env(work / "home"), _env(work / "search-home")
        make_tree(work / "small", 28, 200 * 1024)
        make_yoi_tree(work / "ysmall", 30, 200 * 1024)
        for tree in ("small", "ysmall"):
            _run(env, work, "pack", "--no-build", tree, "-o", "out")
        _catalog(work, env, search_env)
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        rows = measure(work, commands(work, env, search_env), args.runs, args.compare)
        load = os.getloadavg()[0]
    print(f"Run {started} on {os.cpu_count()} cores, tree in {base}, median of {args.runs} "
          f"interleaved runs, load average {load:.1f}.\n")  # fmt: skip
    before = " before (ratio) |" if args.compare else ""
    print(f"| command | ours | `python -c 'import click'` |{before} floor | our modules | the work "
          "| ratio | goal |")  # fmt: skip
    print("|---|---|---|" + ("---|" if args.compare else "") + "---|---|---|---|---|")
    print("\n".join(rows))
    print("\nWhat each library adds to click and the standard modules every command loads:\n")
    print("| import | time | added |")
    print("|---|---|---|")
    print("\n".join(library_costs(args.runs)))


if __name__ == "__main__":
    sys.exit(main())
