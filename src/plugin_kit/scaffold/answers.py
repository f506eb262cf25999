"""Answers: parsing `--set`, checking them before anything is written, and the record file."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from plugin_kit.errors import UsageError
from plugin_kit.hosts import INSOMNIA, Host
from plugin_kit.validators.problems import Problem

__all__ = [
    "ANSWERS_FILE",
    "Record",
    "parse_set",
    "check_keys",
    "check_id",
    "answer_problems",
    "public_answers",
    "git_author",
    "read_record",
    "project_relative",
    "record_bytes",
]

ANSWERS_FILE = ".create-plugin.json"
# Manifest fields that come straight from an answer, so a problem there is the user's input.
_FIELD_ANSWER = {
    "plugin.id": "id",
    "plugin.version": "version",
    "plugin.license": "license",
    "plugin.display_name": "name",
    "plugin.description": "description",
    "plugin.authors": "author",
    "plugin.repository": "repository",
    # Yoi's plugin.toml keeps them at the top level.
    "id": "id",
    "name": "name",
    "version": "version",
    "description": "description",
}


@dataclass(frozen=True)
class Record:
    """What `create-plugin --update` needs: the template, its version, the answers, and the
    sha256 of every file as generated (so "changed by the author" needs no old template)."""

    template: str
    template_version: str
    answers: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_set(items: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--set {item!r} is not KEY=VALUE",
                rule="create.set",
                place="--set",
                hint="write --set description='Weather tools'",
            )
        out[key.strip()] = value
    return out


def check_keys(given: Mapping[str, object], known: list[str]) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise UsageError(
            f"unknown template variable(s): {', '.join(unknown)}",
            rule="create.unknown-key",
            place="--set",
            hint=f"this template asks for: {', '.join(known)}",
        )


def check_id(plugin_id: object, host: Host = INSOMNIA) -> None:
    """Refuse a bad id before it names a folder (cookiecutter would render `../x` as a path)."""
    from plugin_kit.scaffold.checks import id_problem

    why = id_problem(host, str(plugin_id))
    if why is not None:
        raise UsageError(
            f"invalid plugin id: {why}",
            rule="create.id",
            place="--id",
            hint="for example --id weather-tools",
        )


def answer_problems(problems: list[Problem]) -> UsageError | None:
    """Turn manifest problems caused by an answer into one usage error naming the answers."""
    mine = [p for p in problems if p.field.split("[")[0] in _FIELD_ANSWER]
    if not mine:
        return None
    lines = [f"{_FIELD_ANSWER[p.field.split('[')[0]]}: {p.message}" for p in mine]
    return UsageError(
        "invalid answer(s): " + "; ".join(lines),
        rule="create.answer",
        place=", ".join(sorted({_FIELD_ANSWER[p.field.split("[")[0]] for p in mine})),
        hint=mine[0].hint or "fix the value and run create-plugin again",
    )


def public_answers(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if not k.startswith("_")}


def git_author() -> str | None:
    """The author as "Name <email>" from git config, so it need not be asked."""
    if shutil.which("git") is None:
        return None
    values = []
    for key in ("user.name", "user.email"):
        proc = subprocess.run(["git", "config", key], capture_output=True, text=True, check=False)
        values.append(proc.stdout.strip())
    name, email = values
    if not name:
        return None
    return f"{name} <{email}>" if email else name


def read_record(project: Path) -> Record:
    path = project / ANSWERS_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Record(
            template=str(doc["template"]),
            template_version=str(doc["template_version"]),
            answers=dict(doc["answers"]),
            files={project_relative(str(k)): str(v) for k, v in doc.get("files", {}).items()},
        )
    except FileNotFoundError as exc:
        raise UsageError(
            f"{project} has no {ANSWERS_FILE}",
            rule="update.no-record",
            place=str(path),
            hint="--update works on projects made by create-plugin",
        ) from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            f"cannot read {ANSWERS_FILE}: {exc}",
            rule="update.bad-record",
            place=str(path),
            hint=f"restore {ANSWERS_FILE} from version control",
        ) from exc


def project_relative(rel: str) -> str:
    """A recorded file path; `--update` may write or delete it, so it must stay inside the project."""
    parts = PurePosixPath(rel).parts
    if (
        not parts
        or rel.startswith("/")
        or "\\" in rel
        or any(p in ("..", ".") for p in parts)
        or parts[0] == ".git"
    ):
        raise ValueError(f"file path {rel!r} leaves the project")
    return rel


def record_bytes(record: Record) -> bytes:
    return (
        json.dumps(record.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()
