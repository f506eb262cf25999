"""Search over a 10,000-entry catalog, in process (the whole-process `plugin install`, `list`
and `search` rows are in bench_startup.py).

    python bench/bench_install.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = """manifest_version = 1

[plugin]
id = "bench-tools"
version = "1.0.0"
api = ">=1.0.0, <2.0.0"
runtime = "hooks"
description = "Benchmark plugin"
license = "MIT"

[runtime]
file = "hooks.toml"

[package]
include = ["hooks.toml"]
"""


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="bench-install-"))
    os.environ.update(
        XDG_CONFIG_HOME=str(root / "config"), XDG_CACHE_HOME=str(root / "cache"), HOME=str(root)
    )
    env = dict(os.environ)
    py = sys.executable
    plugin = [py, "-m", "plugin_kit"]
    src = root / "src"
    src.mkdir()
    (src / "plugin.toml").write_text(MANIFEST)
    (src / "hooks.toml").write_text('[[hooks]]\nevent = "pre_tool_use"\naction = "allow"\n')
    run = lambda *a: subprocess.run([*plugin, *a], env=env, check=True, capture_output=True)  # noqa: E731
    run("pack", str(src), "-o", str(root / "dist"))
    run("keygen", "-o", str(root / "k"), "--no-password")
    archive = next((root / "dist").glob("*.insomnia-plugin"))
    run("publish", str(archive), "--target", f"dir:{root / 'site'}", "--key", str(root / "k.key"))
    pub = (root / "k.pub").read_text().splitlines()[-1]
    run(
        "catalog",
        "add",
        (root / "site" / "catalog" / "extensions.json").as_uri(),
        "--name",
        "b",
        "--pubkey",
        pub,
    )

    # search over 10,000 entries (the schema's maximum), from the verified cache, in process
    from plugin_kit.installer.catalogs import add_catalog, registry
    from plugin_kit.installer.query import search
    from plugin_kit.publisher.catalog import write_signed_catalog
    from plugin_kit.signing.keys import load_secret_key

    doc = json.loads((root / "site" / "catalog" / "extensions.json").read_text())
    base = doc["entries"][0]
    entries = []
    for i in range(10_000):
        e = json.loads(json.dumps(base).replace("bench-tools", f"bench-tools-{i:05d}"))
        e["description"] = f"Benchmark plugin number {i} for weather and rain"
        entries.append(e)
    doc["entries"], doc["serial"] = entries, doc["serial"] + 1
    big = root / "big" / "extensions.json"
    write_signed_catalog(big, doc, load_secret_key((root / "k.key").read_text(), None))
    add_catalog(big.as_uri(), name="big", pubkey=pub)
    sources = [registry()["big"]]
    samples = []
    for _ in range(9):
        t = time.perf_counter()
        hits = search("number 9999", catalog="big")
        samples.append(time.perf_counter() - t)
    assert len(hits) == 1 and sources
    t_search = statistics.median(samples)

    print("| benchmark | median | goal |")
    print("|---|---|---|")
    print(f"| search, 10,000-entry catalog (in process) | {t_search * 1000:.1f} ms | <= 50 ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
