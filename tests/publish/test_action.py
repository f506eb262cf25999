"""action.yml: schema-valid, zizmor-clean, and its steps run the way a runner runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers.plugins import FILES, MANIFEST

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent


def test_action_passes_the_github_actions_schema():
    run = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-actions", ACTION],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_action_has_no_zizmor_findings():
    run = subprocess.run(
        [BIN / "zizmor", "--offline", "--format", "json", ACTION], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout) == []


def test_third_party_actions_are_pinned_by_commit():
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses), uses


class Runner:
    """Runs a composite action's `run:` steps: expressions, env, INPUT_*, per-step GITHUB_OUTPUT."""

    def __init__(
        self, action: dict, inputs: dict[str, str], env: dict[str, str], temp: Path, read_outputs
    ) -> None:
        self.action, self.env, self.temp, self.read_outputs = action, env, temp, read_outputs
        self.inputs = {k: v.get("default", "") for k, v in action["inputs"].items()}
        self.inputs.update(inputs)
        self.steps: dict[str, dict[str, str]] = {}
        self.github = {"action_path": str(ROOT), "token": env["GITHUB_TOKEN"]}

    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            expr = match.group(1).strip()
            kind, _, rest = expr.partition(".")
            if kind == "inputs":
                return self.expand(self.inputs[rest])
            if kind == "github":
                return self.github[rest]
            if kind == "steps":
                step, _, name = rest.partition(".outputs.")
                return self.steps.get(step, {}).get(name, "")
            raise AssertionError(f"unsupported expression {expr}")

        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    def run(self) -> None:
        for n, step in enumerate(self.action["runs"]["steps"]):
            if "uses" in step:
                continue  # setup-python: the runner's python is this interpreter
            output = self.temp / f"output-{n}"
            env = {
                **self.env,
                **{f"INPUT_{k.upper().replace(' ', '_')}": v for k, v in self.inputs.items()},
                **{k: self.expand(str(v)) for k, v in (step.get("env") or {}).items()},
                "GITHUB_OUTPUT": str(output),
                "GITHUB_ACTION_PATH": str(ROOT),
            }
            proc = subprocess.run(
                ["bash", "-e", "-c", self.expand(step["run"])],
                env=env,
                capture_output=True,
                text=True,
            )
            self.log = getattr(self, "log", "") + proc.stdout + proc.stderr
            assert proc.returncode == 0, (
                f"step {step.get('name')} failed:\n{proc.stdout}\n{proc.stderr}"
            )
            if "id" in step:
                self.steps[step["id"]] = self.read_outputs(output)


@pytest.mark.slow
def test_the_action_publishes_like_a_runner_would(tmp_path, fake, github_env, keys, read_outputs):
    project = tmp_path / "weather-tools"
    for rel, text in {"plugin.toml": MANIFEST, **FILES}.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    summary = tmp_path / "summary.md"
    secret_text = keys.secret.read_text()
    env = {
        "PATH": f"{BIN}:{os.environ['PATH']}",  # setup-python's job: `python` is ours
        "HOME": str(tmp_path / "home"),
        # The runner's python already holds the dependencies; pip only builds and installs the
        # action's own package (its build backend comes from PyPI, a registry we may use).
        "PYTHONPATH": str(next((BIN.parent / "lib").glob("python3*/site-packages"))),
        "RUNNER_TEMP": str(temp),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_REF_NAME": "v0.3.1",
        "GITHUB_STEP_SUMMARY": str(summary),
        **github_env,
    }
    runner = Runner(
        yaml.safe_load(ACTION.read_text()),
        {"path": str(project), "signing-key": secret_text},
        env,
        temp,
        read_outputs,
    )
    runner.run()
    outputs = {k: runner.expand(v["value"]) for k, v in runner.action["outputs"].items()}
    assert outputs["tag"] == "v0.3.1"
    assert outputs["release_url"].endswith("/acme/weather-tools/releases/tag/v0.3.1")
    names = sorted(a["name"] for a in json.loads(outputs["assets"]))
    assert names == sorted(["weather-tools-0.3.1.insomnia-plugin", "weather-tools-0.3.1.insomnia-plugin.minisig",
                            "SHA256SUMS", "SHA256SUMS.minisig"])  # fmt: skip
    state = fake.snapshot()["repos"]["acme/weather-tools"]
    assert [r["draft"] for r in state["releases"]] == [False]
    assert outputs["catalog_commit"] == state["commits"][-1]["sha"]
    text = summary.read_text()
    assert "| `SHA256SUMS` |" in text and f"minisign -Vm SHA256SUMS -P {keys.public_base64}" in text
    secret_line = secret_text.strip().splitlines()[-1]
    assert secret_line not in runner.log and github_env["GITHUB_TOKEN"] not in runner.log + text
