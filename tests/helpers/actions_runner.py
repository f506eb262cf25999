"""Run action.yml and workflow jobs the way a GitHub runner does, locally.

Each `run:` step is written to a file and run with `bash --noprofile --norc -eo pipefail {0}`
(the runner's `shell: bash`), with the step's env, a fresh GITHUB_OUTPUT per step, GITHUB_PATH
applied to later steps, one GITHUB_STEP_SUMMARY, and `if:` conditions including failure().
`uses:` of the toolchain's action runs our action.yml; actions/checkout (the project is already
there), setup-python (the interpreter given is the runner's Python), cache and attest are
skipped. pip gets no index: PIP_NO_INDEX and PIP_FIND_LINKS point it at a local wheelhouse,
so a run proves the hashed lock is enough.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
SKIPPED = ("actions/checkout@", "actions/setup-python@", "actions/cache@", "actions/attest-")
SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


def parse_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `k=v` lines and `k<<DELIM` heredocs."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        if "<<" in lines[i] and ("=" not in lines[i] or lines[i].index("<<") < lines[i].index("=")):
            key, delim = lines[i].split("<<", 1)
            end = lines.index(delim, i + 1)
            out[key] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            key, _, value = lines[i].partition("=")
            out[key] = value
            i += 1
    return out


@dataclass
class Job:
    """The state a job's steps share: env, PATH additions, the summary, the log, failure."""

    env: dict[str, str]
    temp: Path
    path_dirs: list[str] = field(default_factory=list)
    log: str = ""
    failed: bool = False
    counter: int = 0

    def step_env(self, extra: dict[str, str]) -> tuple[dict[str, str], Path, Path]:
        self.counter += 1
        output = self.temp / f"_output-{self.counter}"
        path_file = self.temp / f"_path-{self.counter}"
        env = {**self.env, **extra, "GITHUB_OUTPUT": str(output), "GITHUB_PATH": str(path_file)}
        env["PATH"] = ":".join([*reversed(self.path_dirs), self.env["PATH"]])
        return env, output, path_file

    def bash(self, script: str, extra: dict[str, str], cwd: Path) -> dict[str, str]:
        env, output, path_file = self.step_env(extra)
        script_file = self.temp / f"_step-{self.counter}.sh"
        script_file.write_text(script)
        proc = subprocess.run([*SHELL, str(script_file)], env=env, cwd=cwd, capture_output=True,
                              text=True)  # fmt: skip
        self.log += proc.stdout + proc.stderr
        if path_file.exists():
            self.path_dirs += [p for p in path_file.read_text().splitlines() if p]
        if proc.returncode != 0:
            self.failed = True
        return parse_outputs(output)


def _condition(expr: str | None, value: Callable[[str], str]) -> tuple[bool, bool]:
    """(the condition holds, the step runs only after a failure)."""
    if expr is None:
        return True, False
    text = str(expr).replace("${{", "").replace("}}", "").strip()
    parts = [p.strip() for p in text.split("&&")]
    results = []
    for part in parts:
        if part == "failure()":
            results.append("FAILED")
            continue
        m = re.fullmatch(r"(\S+)\s*(==|!=)\s*'([^']*)'", part)
        assert m, f"unsupported condition {part!r}"
        equal = value(m.group(1)) == m.group(3)
        results.append(equal if m.group(2) == "==" else not equal)
    return all(r is True or r == "FAILED" for r in results), "FAILED" in results


class Composite:
    """Our action.yml, run with `with:` inputs inside a Job."""

    def __init__(self, job: Job, inputs: dict[str, str], github: dict[str, str]) -> None:
        self.job, self.github = job, github
        self.action = yaml.safe_load(ACTION.read_text())
        self.inputs = {k: str(v.get("default", "")) for k, v in self.action["inputs"].items()}
        self.inputs.update(inputs)
        self.steps: dict[str, dict[str, str]] = {}

    def value(self, expr: str) -> str:
        kind, _, rest = expr.strip().partition(".")
        if kind == "inputs":
            return self.expand(self.inputs[rest])
        if kind == "github":
            return self.github[rest]
        if kind == "runner":
            return {"temp": str(self.job.temp)}[rest]
        if kind == "steps":
            step, _, name = rest.partition(".outputs.")
            return self.steps.get(step, {}).get(name, "")
        raise AssertionError(f"unsupported expression {expr}")

    def expand(self, text: str) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: self.value(m.group(1)), text)

    def run(self, cwd: Path) -> dict[str, str]:
        for step in self.action["runs"]["steps"]:
            ok, on_failure = _condition(step.get("if"), self.value)
            if self.job.failed != on_failure or not ok:
                continue
            if "uses" in step:
                assert step["uses"].startswith(SKIPPED), step["uses"]
                continue
            env = {k: self.expand(str(v)) for k, v in (step.get("env") or {}).items()}
            env["GITHUB_ACTION_PATH"] = str(ROOT)
            outputs = self.job.bash(self.expand(step["run"]), env, cwd)
            if "id" in step:
                self.steps[step["id"]] = outputs
        return {k: self.expand(v["value"]) for k, v in self.action["outputs"].items()}


def run_workflow_job(job: Job, workflow: Path, name: str, cwd: Path, github: dict[str, str],
                     secrets: dict[str, str]) -> dict[str, dict[str, str]]:  # fmt: skip
    """The steps of one job of a workflow file; our action's `uses:` runs action.yml.
    Returns the outputs of the steps that have an id."""
    from plugin_kit.links import ACTION as ACTION_NAME

    doc = yaml.safe_load(workflow.read_text())
    assert doc["defaults"]["run"]["shell"] == "bash", "steps must run with -eo pipefail"

    def value(expr: str) -> str:
        kind, _, rest = expr.strip().partition(".")
        return {"secrets": secrets, "github": github}[kind][rest]

    def expand(text: str) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: value(m.group(1)), str(text))

    outputs: dict[str, dict[str, str]] = {}
    for step in doc["jobs"][name]["steps"]:
        if job.failed:
            break
        uses, got = step.get("uses", ""), {}
        if uses.startswith(f"{ACTION_NAME}@"):
            inputs = {k: expand(v) for k, v in (step.get("with") or {}).items()}
            got = Composite(job, inputs, github).run(cwd)
        elif uses:
            assert uses.startswith(SKIPPED), uses
        else:
            env = {k: expand(v) for k, v in (step.get("env") or {}).items()}
            got = job.bash(step["run"], env, cwd)
        if "id" in step:
            outputs[step["id"]] = got
    return outputs
