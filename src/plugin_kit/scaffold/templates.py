"""Where a template comes from: a built-in runtime kind, a local folder, a git URL or a zip."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from plugin_kit import __version__
from plugin_kit.errors import UsageError
from plugin_kit.hosts import HOSTS, INSOMNIA, YOI, Host

__all__ = [
    "BUILTIN_PREFIX",
    "TemplateSource",
    "builtin_spec",
    "builtin_names",
    "default_runtime",
    "runtime_summaries",
    "open_template",
]

BUILTIN_PREFIX = "builtin:"
# Per host: the folder name prefix of its built-in templates (one per Host.runtime_kinds entry,
# e.g. templates/wasm, templates/yoi-tool) and the runtime kind made when none is given.
_FOLDER_PREFIX = {INSOMNIA.name: "", YOI.name: "yoi-"}
_DEFAULT_RUNTIME = {INSOMNIA.name: "wasm", YOI.name: "tool"}


@dataclass(frozen=True)
class TemplateSource:
    spec: str  # what the answers file records: "builtin:wasm", an absolute path or a URL
    path: Path  # the folder holding cookiecutter.json
    version: str
    variables: dict[str, Any]  # cookiecutter.json as written

    @property
    def public_keys(self) -> list[str]:
        """The answers a user may give: cookiecutter.json keys not starting with `_`."""
        return [k for k in self.variables if not k.startswith("_")]

    @property
    def builtin(self) -> bool:
        return self.spec.startswith(BUILTIN_PREFIX)

    @property
    def host(self) -> Host:
        """The host the template makes plugins for (its `_host` variable; Insomnia without one)."""
        from plugin_kit.hosts import get_host

        return get_host(str(self.variables.get("_host") or INSOMNIA.name))


def builtin_spec(runtime: str, host: Host = INSOMNIA) -> str:
    """`builtin:<folder>` of `host`'s template for `runtime`."""
    if runtime not in host.runtime_kinds:
        raise UsageError(
            f"unknown runtime {runtime!r} for the {host.title} host",
            rule="create.runtime",
            place="--runtime",
            hint=f"choose one of: {', '.join(host.runtime_kinds)}",
        )
    return BUILTIN_PREFIX + _FOLDER_PREFIX[host.name] + runtime


def default_runtime(host: Host) -> str:
    return _DEFAULT_RUNTIME[host.name]


# One line per runtime kind, shown before the interactive question.
_KIND_SUMMARY = {
    INSOMNIA.name: {
        "hooks": "rules in hooks.toml that allow, deny or add context to tool calls; no code",
        "wasm": "a tool as a WebAssembly module (WASI), sandboxed; written in WAT, Rust or TinyGo",
        "mcp": "tools from a Python MCP server (a native process, not sandboxed)",
    },
    YOI.name: {
        "tool": "a Yoi tool: a WebAssembly component the host calls with JSON arguments",
        "instance": "a Yoi instance: a long-lived component that handles ingress events",
    },
}


def runtime_summaries(host: Host) -> dict[str, str]:
    """`kind -> one line` for every runtime kind of `host`, in the host's order."""
    return {kind: _KIND_SUMMARY[host.name][kind] for kind in host.runtime_kinds}


def builtin_names() -> list[str]:
    """Every built-in template folder, whatever its host."""
    return [_FOLDER_PREFIX[h.name] + kind for h in HOSTS.values() for kind in h.runtime_kinds]


def builtin_root() -> Path:
    return Path(str(files("plugin_kit") / "templates"))


@contextmanager
def open_template(spec: str, *, version: str | None = None) -> Iterator[TemplateSource]:
    """Resolve `spec`; a fetched template lives in a temporary folder removed on exit."""
    if spec.startswith(BUILTIN_PREFIX):
        name = spec[len(BUILTIN_PREFIX) :]
        if name not in builtin_names():
            raise UsageError(
                f"unknown built-in template {spec!r}",
                rule="create.runtime",
                place="--template",
                hint=f"choose one of: {', '.join(BUILTIN_PREFIX + n for n in builtin_names())}",
            )
        yield _source(spec, builtin_root() / name, version, default_version=__version__)
        return
    local = Path(spec).expanduser()
    if local.is_dir():
        yield _source(str(local.resolve()), local.resolve(), version)
        return
    with tempfile.TemporaryDirectory(prefix="create-plugin-template-") as tmp:
        yield _source(spec, _fetch(spec, Path(tmp)), version)


def _fetch(spec: str, into: Path) -> Path:
    # cookiecutter clones git/hg URLs and unpacks zips; cloning into our temp folder keeps
    # ~/.cookiecutters untouched.
    from cookiecutter.config import BUILTIN_ABBREVIATIONS
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.repository import determine_repo_dir

    try:
        repo_dir, _ = determine_repo_dir(
            template=spec,
            abbreviations=BUILTIN_ABBREVIATIONS,
            clone_to_dir=str(into),
            checkout=None,
            no_input=True,
        )
    except (CookiecutterException, OSError, subprocess.CalledProcessError) as exc:
        raise UsageError(
            f"cannot fetch template {spec!r}: {exc}",
            rule="create.template-fetch",
            place="--template",
            hint="pass a folder with cookiecutter.json, a git URL or a .zip of a cookiecutter template",
        ) from exc
    return Path(repo_dir)


def _source(
    spec: str, path: Path, version: str | None, default_version: str = ""
) -> TemplateSource:
    try:
        variables = json.loads((path / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{path} is not a cookiecutter template: cannot read cookiecutter.json ({exc})",
            rule="create.template",
            place=str(path),
            hint="a template folder holds cookiecutter.json and one {{cookiecutter.…}} folder",
        ) from exc
    if not isinstance(variables, dict):
        raise UsageError(
            "cookiecutter.json must hold an object", rule="create.template", place=str(path)
        )
    found = version or str(variables.get("_template_version") or default_version or _git_head(path))
    return TemplateSource(spec, path, found or "unversioned", variables)


def _git_head(path: Path) -> str:
    if not (path / ".git").exists() or shutil.which("git") is None:
        return ""
    proc = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""
