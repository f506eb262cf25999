"""`create-plugin --update`: apply a newer template to the files the author has not changed.

The 3-way decision per file uses the recorded sha256 of what was generated (the base), the
author's file now, and the new template's rendering from the recorded answers. The base
needs no copy of the old template, so it works for built-in templates whose old versions
are no longer shipped.

`.create-plugin.json` is a file in the repository, so what it names is input, not consent:
rendering a cookiecutter template runs its code (hooks, Jinja extensions, and Jinja itself,
which is not sandboxed), so a recorded template is rendered only if it is built-in; any
other one must be named on the command line. Files the template no longer makes are only
listed, and deleted only when the caller asks (`delete=True`, the CLI's --delete).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import posixpath
import shlex
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import UsageError
from plugin_kit.fsio import write_atomic
from plugin_kit.scaffold.answers import (
    ANSWERS_FILE,
    Record,
    project_relative,
    public_answers,
    read_record,
    record_bytes,
)
from plugin_kit.scaffold.render import render, resolve_answers, tree_hashes
from plugin_kit.scaffold.templates import BUILTIN_PREFIX, open_template

__all__ = ["Conflict", "UpdateResult", "update_project"]


@dataclass(frozen=True)
class Conflict:
    path: str
    reason: str
    diff: str  # unified diff from the author's file to the new template's
    template_sha256: str | None  # the new template's version; None when it removed the file

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass
class UpdateResult:
    path: str
    template: str
    old_version: str
    new_version: str
    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Untouched files the template no longer makes: kept and listed until delete=True.
    to_remove: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # conflicts marked resolved by the author
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["conflicts"] = [c.to_dict() for c in self.conflicts]
        return out


def update_project(
    project: Path,
    *,
    template: str | None = None,
    template_version: str | None = None,
    resolved: Iterable[str] = (),
    delete: bool = False,
    dry_run: bool = False,
) -> UpdateResult:
    """Apply the template; a conflict named in `resolved` keeps the author's file and records
    the template's version as its base, so it is no longer reported. `template` is the one
    the user named; without it only a built-in recorded template is rendered. With
    `dry_run` nothing is written."""
    project = project.absolute()
    record = read_record(project)
    if template is None:
        _check_recorded_template(record)
    marked = {_resolved_path(project, given) for given in resolved}
    with open_template(template or record.template, version=template_version) as source:
        if marked:
            _check_same_template(record, source.spec, source.version)
        context = resolve_answers(source, public_answers(record.answers))
        with tempfile.TemporaryDirectory(
            prefix=".create-plugin-update-", dir=project.parent
        ) as tmp:
            fresh = render(source, context, Path(tmp))
            new = tree_hashes(fresh, skip=frozenset({ANSWERS_FILE}))
            _check_known(marked, record.files, new)
            result = UpdateResult(
                str(project), source.spec, record.template_version, source.version
            )
            result.dry_run = dry_run
            for rel in sorted(set(record.files) | set(new)):
                _decide(rel, record.files.get(rel), new.get(rel), project, fresh, result, delete)
        result.resolved = [c.path for c in result.conflicts if c.path in marked]
        result.conflicts = [c for c in result.conflicts if c.path not in marked]
        answers = public_answers(context["cookiecutter"])
        files = _recorded_files(new, record.files, result.conflicts, result.to_remove)
        if not dry_run:
            write_atomic(
                project / ANSWERS_FILE,
                record_bytes(Record(source.spec, source.version, answers, files)),
            )
    return result


def _check_recorded_template(record: Record) -> None:
    """A template named only by the repository's own record may not run: built-in ones only."""
    if record.template.startswith(BUILTIN_PREFIX):
        return
    raise UsageError(
        f"{ANSWERS_FILE} names the template {record.template!r}, which is not built-in; "
        "rendering a template runs its code (hooks and Jinja), so --update renders only "
        "built-in templates or one you name",
        rule="update.template-untrusted",
        place=f"{ANSWERS_FILE}: template",
        hint="if you trust it, name it yourself: create-plugin --update --template "
        + shlex.quote(record.template),
    )


def _resolved_path(project: Path, given: str) -> str:
    """A --resolved PATH as recorded: relative to the project (or absolute inside it)."""
    rel = os.path.relpath(given, project) if os.path.isabs(given) else given
    try:
        return project_relative(posixpath.normpath(rel))
    except ValueError as exc:
        raise UsageError(
            f"--resolved {given!r} is not a file inside the project",
            rule="update.resolved",
            place=given,
            hint="name the file as the conflict lists it, relative to the project",
        ) from exc


def _check_same_template(record: Record, spec: str, version: str) -> None:
    """The author merged against the diff shown for the recorded template version; a different
    one may change the file in ways they never saw, so marking it resolved would lose that."""
    if (spec, version) != (record.template, record.template_version):
        raise UsageError(
            f"conflicts were reported against {record.template} {record.template_version}, "
            f"not {spec} {version}",
            rule="update.resolved-version",
            place="--resolved",
            hint="run create-plugin --update without --resolved, merge the diff it shows, "
            "then mark the files resolved",
        )


def _check_known(marked: set[str], old: dict[str, str], new: dict[str, str]) -> None:
    unknown = sorted(marked - set(old) - set(new))
    if unknown:
        raise UsageError(
            f"--resolved names file(s) neither {ANSWERS_FILE} nor the template knows: "
            + ", ".join(unknown),
            rule="update.resolved",
            place=", ".join(unknown),
            hint="name the files as the conflicts list them, relative to the project",
        )


def _recorded_files(
    new: dict[str, str], old: dict[str, str], conflicts: list[Conflict], kept: list[str]
) -> dict[str, str]:
    """The new template's hashes, except that a conflicted file keeps its old base: the next
    --update reports it again until the author's file is the template's version or the author
    marks it resolved (resolved files are not in `conflicts`, so they take the new hash).
    A file kept although the template dropped it keeps its base too, so it stays listed."""
    files = dict(new)
    for path in [c.path for c in conflicts] + kept:
        files.pop(path, None)
        if path in old:
            files[path] = old[path]
    return dict(sorted(files.items()))


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _decide(
    rel: str,
    base: str | None,
    new: str | None,
    project: Path,
    fresh: Path,
    result: UpdateResult,
    delete: bool,
) -> None:
    mine = project / rel
    current = _sha(mine)
    if current == new:
        return  # already what the new template makes
    if current == base:  # untouched by the author: follow the template
        if not _inside(project, mine):
            result.conflicts.append(
                Conflict(rel, "reached through a symbolic link out of the project", "", new)
            )
            return
        if new is None:  # a deletion is never implied: listed first, done only when asked
            if not delete:
                result.to_remove.append(rel)
                return
            if not result.dry_run:
                mine.unlink()
            result.removed.append(rel)
            return
        if not result.dry_run:
            mine.parent.mkdir(parents=True, exist_ok=True)
            data, mode = (fresh / rel).read_bytes(), (fresh / rel).stat().st_mode & 0o777
            write_atomic(mine, data, mode=mode)
        (result.added if base is None else result.updated).append(rel)
        return
    if base == new:
        return  # only the author changed it: theirs stays, nothing to report
    reason = "changed by you and by the template"
    if current is None:
        reason = "deleted by you, changed by the template"
    elif new is None:
        reason = "changed by you, removed by the template"
    result.conflicts.append(
        Conflict(rel, reason, _diff(rel, mine, fresh / rel, result.new_version), new)
    )


def _inside(project: Path, path: Path) -> bool:
    """False when a symbolic link the author made would send the write or delete elsewhere."""
    return path.parent.resolve().is_relative_to(project.resolve()) and not path.is_symlink()


def _diff(rel: str, mine: Path, theirs: Path, version: str) -> str:
    a, b = _text(mine), _text(theirs)
    if a is None or b is None:
        return f"Binary files {rel} (yours) and {rel} (template {version}) differ\n"
    return "".join(
        difflib.unified_diff(a, b, fromfile=f"{rel} (yours)", tofile=f"{rel} (template {version})")
    )


def _text(path: Path) -> list[str] | None:
    if not path.is_file():
        return []
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None
