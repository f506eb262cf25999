"""`plugin validate`: every problem of a plugin folder at once, with file, field path, phase and hint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from plugin_kit.errors import PluginKitError
from plugin_kit.hosts import INSOMNIA, Host, host_for_project
from plugin_kit.validators.limits import Limits
from plugin_kit.validators.models import PluginManifest, manifest_model
from plugin_kit.validators.problems import Problem

if TYPE_CHECKING:
    from plugin_kit.content.collect import SourceFile
    from plugin_kit.validators.models import PluginManifest

__all__ = [
    "ValidationReport",
    "validate_project",
    "package_measures",
    "limit_problems",
    "tree_problems",
    "tree_check",
    "component_warnings",
]


@dataclass
class ValidationReport:
    path: str
    manifest: PluginManifest | None
    host: Host | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "host": self.host.name if self.host else None,
            "valid": self.ok,
            "id": self.manifest.id if self.manifest else None,
            "version": self.manifest.version if self.manifest else None,
            "files": self.files,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _warn(rule: str, message: str, hint: str, file: str = "") -> Problem:
    return Problem(rule, message, file=file, phase="pack", hint=hint, severity="warning")


Measure = tuple[str, str, int, str]
"""(problem rule, Limits field, measured value, file or "") of one limit a package is held to."""


def package_measures(sizes: dict[str, int]) -> list[Measure]:
    """What the host's limits measure in a package's files (the archive size is measured after packing)."""
    out: list[Measure] = [
        ("limit-entries", "max_entries", len(sizes), ""),
        ("limit-total", "max_total_size", sum(sizes.values()), ""),
    ]
    out += [("limit-file", "max_file_size", size, path) for path, size in sizes.items()]
    if "plugin.toml" in sizes:
        out.append(("limit-manifest", "max_manifest_size", sizes["plugin.toml"], "plugin.toml"))
    return out


def limit_problems(measures: list[Measure], limits: Limits, host: Host = INSOMNIA) -> list[Problem]:
    """Errors over `limits`, warnings over the host's own limits where `limits` raised them."""
    out = []
    for rule, name, value, file in measures:
        allowed, host_allowed = getattr(limits, name), getattr(host.limits, name)
        what = f"{file or 'the package'}: {value}"
        if value > allowed:
            out.append(
                Problem(rule, f"{what} is over the limit {name} ({allowed})", file=file, phase="pack",
                        hint=f"Ship less, or raise the limit with --limit {name}=N (the {host.title} "
                        f"host refuses more than {host_allowed}).")
            )  # fmt: skip
        elif value > host_allowed:
            out.append(
                _warn(rule, f"{what} is over the {host.title} host's limit {name} ({host_allowed})",
                      "The host refuses this package, and so do readers with the default limits.",
                      file)
            )  # fmt: skip
    return out


def _doc_warnings(names: set[str]) -> list[Problem]:
    out = []
    if not any(n.split(".")[0].upper() in ("LICENSE", "LICENCE", "COPYING") for n in names):
        out.append(
            _warn("no-license", "no LICENSE file is packed", "Add a LICENSE file and include it.")
        )
    if not any(n.split(".")[0].upper() == "README" for n in names):
        out.append(_warn("no-readme", "no README is packed", "Add a README.md and include it."))
    return out


def component_warnings(manifest: PluginManifest, files: list[SourceFile]) -> list[Problem]:
    """The pre-flight (components/preflight.py) of the component a manifest runs, when it names
    one (`runtime.component`, Yoi) and it is packed: would the host start it? (The reader of
    components is imported only then: an Insomnia plugin's validate and pack never load it.)"""
    path = dict(manifest.referenced_files()).get("runtime.component")
    packed = next((f for f in files if f.path == path), None)
    if packed is None:
        return []
    from plugin_kit.components.preflight import preflight_file

    report = preflight_file(packed.source, manifest, place=packed.path)
    return report.warnings if report else []


def tree_check(
    root: Path, manifest: PluginManifest, files: list[SourceFile], host: Host = INSOMNIA
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of a plugin folder's manifest against the files that would be packed."""
    by_path = {f.path: f for f in files}
    model = manifest_model(host)
    kw = {
        "packed": set(by_path),
        "read": lambda p: by_path[p].source.read_bytes(),
        "exists": lambda p: (root / p).is_file(),
    }
    return model.semantic_problems(manifest, **kw), model.warnings(manifest, **kw)


def tree_problems(
    root: Path, manifest: PluginManifest, files: list[SourceFile], host: Host = INSOMNIA
) -> list[Problem]:
    """Semantic problems (errors only) of a plugin folder, against the files that would be packed."""
    return tree_check(root, manifest, files, host)[0]


def _problem_of(err: PluginKitError, phase: str) -> Problem:
    return Problem(err.rule, err.message, file=err.place or "", phase=phase, hint=err.hint or "")


def validate_project(
    path: Path, *, host: str | None = None, limit_overrides: dict[str, int] | None = None
) -> ValidationReport:
    """Validate a plugin folder (or its plugin.toml) for its host (`host` names one, else read from
    plugin.toml): manifest, semantics, packing, limits, warnings.

    The host's limits apply unless `limit_overrides` (`--limit`) raises one; a package over
    them is invalid.
    """
    from plugin_kit.content.collect import collect_files

    path = Path(path)
    root = path.parent if path.is_file() else path
    mpath = root / "plugin.toml"
    report = ValidationReport(str(root), None)
    if path.is_file() and path.name != "plugin.toml":
        report.problems.append(
            Problem("manifest-missing", f"{path.name} is not plugin.toml", file=str(path), phase="parse",
                    hint="Pass the plugin's folder, or its plugin.toml.")
        )  # fmt: skip
        return report
    try:
        data = mpath.read_bytes()
    except OSError as exc:
        report.problems.append(
            Problem("manifest-missing", f"cannot read plugin.toml: {exc.strerror}", file=str(mpath), phase="parse",
                    hint="Pass a plugin folder, or run `create-plugin` to make one.")
        )  # fmt: skip
        return report
    try:
        report.host = host_for_project(root, host)
    except PluginKitError as err:  # neither host's shape, or an unknown --host
        report.problems.append(_problem_of(err, "parse"))
        return report
    model = manifest_model(report.host)
    doc, report.problems = model.problems(data)
    if doc is None:
        return report
    if report.problems:  # a partly valid manifest: report what else is wrong in the same run
        found = _partial_semantic(root, doc, report.problems, report.host)
        # One problem per field: a semantic check's words are the more specific ("not SemVer").
        said = {p.field for p in found}
        report.problems = [p for p in report.problems if p.field not in said] + found
        return _located(report, data)
    report.manifest = manifest = model.from_doc(doc)
    try:
        files = collect_files(root, manifest, host=report.host)
    except PluginKitError as err:
        report.problems.append(_problem_of(err, "pack"))
        return _located(report, data)
    report.files = len(files)
    report.problems, semantic_warnings = tree_check(root, manifest, files, report.host)
    limits = report.host.limits.with_overrides(**(limit_overrides or {}))
    sized = limit_problems(package_measures({f.path: f.size for f in files}), limits, report.host)
    report.problems += [p for p in sized if p.severity == "error"]
    report.warnings = [
        *semantic_warnings,
        *(p for p in sized if p.severity == "warning"),
        *_doc_warnings({f.path for f in files}),
        *component_warnings(manifest, files),
    ]
    return _located(report, data)


def _partial_semantic(
    root: Path, doc: dict, schema_problems: list[Problem], host: Host
) -> list[Problem]:
    """The semantic problems of a manifest that failed its schema, where the checks can run on it."""
    from plugin_kit.content.collect import collect_files

    model = manifest_model(host)
    # A section the schema flagged below its top (a hook without `file`) would trip the checks
    # that read it: they run without it. Scalars and the table of required keys stay.
    flagged_sections = {
        p.field.split(".")[0].split("[")[0]
        for p in schema_problems
        if "." in p.field or "[" in p.field
    }
    doc = {k: v for k, v in doc.items() if not (k in flagged_sections and isinstance(v, list))}
    try:
        manifest = model.from_doc(doc)
        files = collect_files(root, manifest, host=host)
        found = tree_check(root, manifest, files, host)[0]
    # The schema said the shape is wrong; a check that trips over it has nothing to add.
    except (PluginKitError, KeyError, TypeError, AttributeError, ValueError, IndexError):
        return []
    return found


def _located(report: ValidationReport, data: bytes) -> ValidationReport:
    """Every problem and warning on plugin.toml gets its line and column there."""
    from plugin_kit.validators.locate import locate

    text = data.decode("utf-8", "replace")
    report.problems = locate(report.problems, text, "plugin.toml")
    report.warnings = locate(report.warnings, text, "plugin.toml")
    return report
