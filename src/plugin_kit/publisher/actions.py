"""GitHub Actions reporting of a publish: step outputs and the job summary (failures are
annotated by the CLI, plugin_kit.cli._actions).

Values are written with the heredoc form of GITHUB_OUTPUT, with a random delimiter, so no value
can inject another output. Only public data goes here: names, sizes, digests, URLs, the public key.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path

from plugin_kit.errors import PublishError
from plugin_kit.hosts import host_for_name
from plugin_kit.publisher.outcome import PublishResult

__all__ = ["step_outputs", "step_summary", "write_actions_files"]


def step_outputs(result: PublishResult) -> dict[str, str]:
    """tag, release_url, assets (JSON) and catalog_commit; several releases are space-separated."""
    assets = [
        {"tag": r.tag, "name": a.name, "size": a.size, "sha256": a.sha256, "url": a.url}
        for r in result.releases
        for a in r.assets
    ]
    catalog = result.catalog
    return {
        "tag": " ".join(r.tag for r in result.releases),
        "release_url": " ".join(r.release_url or "" for r in result.releases),
        "assets": json.dumps(assets, sort_keys=True),
        "catalog_commit": (catalog.commit or "") if catalog else "",
    }


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def step_summary(result: PublishResult) -> str:
    """Markdown: one table per release, then the exact commands that verify the downloads."""
    lines: list[str] = []
    for rel in result.releases:
        title = f"[{rel.tag}]({rel.release_url})" if rel.release_url else rel.tag
        lines += [f"### Published {title}", "", "| Asset | Size | SHA-256 |", "|---|---:|---|"]
        lines += [f"| `{a.name}` | {_size(a.size)} | `{a.sha256}` |" for a in rel.assets]
        sums = next((a.url for a in rel.assets if a.name == "SHA256SUMS"), None)
        urls = " ".join(f'"{a.url}"' for a in rel.assets if a.url)
        lines += [
            "",
            "Verify:",
            "",
            "```sh",
            f"curl -fsSL --remote-name-all {urls}" if sums else "# download the assets above",
            f"minisign -Vm SHA256SUMS -P {result.public_key}",
        ]
        lines += [
            f"minisign -Vm {a.name} -P {result.public_key}"
            for a in rel.assets
            if host_for_name(a.name) is not None
        ]
        lines += ["sha256sum -c SHA256SUMS", "```", ""]
    if result.catalog is not None:
        last = result.catalog.commit
        commit = f" in commit `{last}`" if last else " (unchanged)"
        lines += [f"Catalog `{result.catalog.path}`{commit}.", ""]
    lines += [f"Signing key `{result.key_id}`: `{result.public_key}`", ""]
    return "\n".join(lines)


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise PublishError(
            f"cannot write {path.name}: {exc.strerror}",
            rule="publish.actions-file",
            place=str(path),
        ) from exc


def write_actions_files(result: PublishResult, env: Mapping[str, str]) -> None:
    """Append to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY when the runner provides them."""
    if env.get("GITHUB_OUTPUT"):
        chunks = []
        for name, value in step_outputs(result).items():
            delimiter = f"EOF_{secrets.token_hex(8)}"
            chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        _append(Path(env["GITHUB_OUTPUT"]), "".join(chunks))
    if env.get("GITHUB_STEP_SUMMARY"):
        _append(Path(env["GITHUB_STEP_SUMMARY"]), step_summary(result))
