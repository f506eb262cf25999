"""action.yml, run as GitHub would, for a generated project against the loopback GitHub.

One clean venv per module (the action's own `python -m venv` + `pip install --require-hashes`
from its lock, with no package index: a wheelhouse downloaded once per session); the runs
after the first find it installed, as a warm runner cache would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fakes.github import FakeGitHub
from helpers.actions_runner import ACTION, ROOT, Composite, Job, run_workflow_job
from helpers.plugins import FILES, MANIFEST

from plugin_kit.cli._output import run
from plugin_kit.cli.create import create
from plugin_kit.hosts import host_for_project
from plugin_kit.scaffold.pins import THIRD_PARTY
from plugin_kit.signing.keys import generate_keypair

TOKEN = "ghp_PLANTEDactionToken0123456789"
VERSION = "0.1.0"
# Insomnia wasm plugin, Yoi tool component: both builds need the author extra.
KINDS = {"wasm": ["--runtime", "wasm"], "yoi-tool": ["--host", "yoi", "--runtime", "tool"]}


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """Every wheel both locks name, downloaded once (from pip's cache after the first time)."""
    out = tmp_path_factory.mktemp("wheelhouse")
    for lock in sorted((ROOT / "action").glob("requirements-*.txt")):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--require-hashes", "--only-binary", ":all:", "-r", str(lock), "-d", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runner-temp")


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    """Projects exactly as create-plugin writes them; each is released to its own repository."""
    home = tmp_path_factory.mktemp("home")
    out = {}
    mp = pytest.MonkeyPatch()
    mp.setenv("HOME", str(home))
    try:
        for kind, args in KINDS.items():
            dest = tmp_path_factory.mktemp("work") / f"echo-{kind}"
            assert run(create, ["--no-input", "--no-git", "--id", dest.name, *args, str(dest)]) == 0
            out[kind] = dest
    finally:
        mp.undo()
    return out


@pytest.fixture(params=list(KINDS))
def project(request, projects) -> Path:
    return projects[request.param]


@pytest.fixture
def job(tmp_path, runner_temp, wheelhouse) -> Job:
    """A job's environment: the runner's Python (not the test venv) first on PATH, no index."""
    setup_python = tmp_path / "hostedtoolcache"
    setup_python.mkdir()
    (setup_python / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    (setup_python / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {
        "PATH": f"{setup_python}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "LC_ALL": "C.UTF-8",
    }
    return Job(env, runner_temp)


@pytest.fixture(scope="module")
def fake():
    with FakeGitHub(token=TOKEN) as server:
        for kind in KINDS:
            server.create_repo(f"acme/echo-{kind}")
        server.create_repo("acme/weather-tools")
        yield server


@pytest.fixture(scope="module")
def secret_key(tmp_path_factory) -> tuple[str, str]:
    pair = generate_keypair(tmp_path_factory.mktemp("keys") / "release", None)
    return pair.secret_key.read_text(), pair.public_key_base64


def _github(job: Job, fake: FakeGitHub, project: Path) -> dict[str, str]:
    job.env.update(GITHUB_REPOSITORY=_repo(project), GITHUB_API_URL=fake.api_url, GITHUB_REF_TYPE="tag",
                   GITHUB_REF_NAME=f"v{VERSION}", GITHUB_WORKSPACE=str(project))  # fmt: skip
    return {"action_path": str(ROOT), "token": TOKEN, "workspace": str(project)}


def _repo(project: Path) -> str:
    return f"acme/{project.name}"


def _release(job: Job, fake: FakeGitHub, project: Path, key: str) -> dict[str, dict[str, str]]:
    github = _github(job, fake, project)
    workflow = project / ".github" / "workflows" / "release.yml"
    return run_workflow_job(job, workflow, "release", project, github,
                            {"MINISIGN_SECRET_KEY": key, "MINISIGN_PASSWORD": ""})  # fmt: skip


def test_action_passes_the_github_actions_schema():
    run_ = subprocess.run(
        [Path(sys.executable).parent / "check-jsonschema", "--builtin-schema",
         "vendor.github-actions", ACTION], capture_output=True, text=True,
    )  # fmt: skip
    assert run_.returncode == 0, run_.stdout + run_.stderr


def test_action_pins_the_commits_the_templates_use():
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    pinned = {f"{name}@{sha}" for name, (sha, _version) in THIRD_PARTY.items()}
    assert uses and set(uses) <= pinned, uses


@pytest.mark.slow
def test_generated_ci_installs_the_toolchain_without_an_index_and_passes(job, fake, project):
    github = _github(job, fake, project)
    run_workflow_job(job, project / ".github" / "workflows" / "ci.yml", "check", project, github,
                     {})  # fmt: skip
    assert not job.failed, job.log[-4000:]
    bin_dir = Path(job.path_dirs[-1])
    assert bin_dir.parent == job.temp / "plugin-kit" and (bin_dir / "plugin").exists()
    archive = host_for_project(project).archive_name(project.name, VERSION)
    assert (project / "dist" / archive).is_file()
    assert " passed" in job.log and f"ok: {project.name}" in job.log
    # The clean venv holds the locked versions only, the toolchain installed without deps.
    freeze = subprocess.run([bin_dir / "python", "-m", "pip", "freeze"], capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    assert "wasmtime==" in freeze and "insomnia-plugin-kit @ file://" in freeze


@pytest.mark.slow
def test_generated_release_publishes_then_a_rerun_changes_nothing(job, fake, project, secret_key):
    key, public = secret_key
    steps = _release(job, fake, project, key)
    assert not job.failed, job.log[-4000:]
    out = steps["publish"]
    assert out["tag"] == f"v{VERSION}" and out["release_url"].endswith(
        f"/{_repo(project)}/releases/tag/v{VERSION}"
    )
    names = sorted(a["name"] for a in json.loads(out["assets"]))
    archive = host_for_project(project).archive_name(project.name, VERSION)
    assert names == sorted([archive, f"{archive}.minisig", "SHA256SUMS", "SHA256SUMS.minisig"])
    state = fake.snapshot()["repos"][_repo(project)]
    assert [r["draft"] for r in state["releases"]] == [False]
    assert out["catalog_commit"] == state["commits"][-1]["sha"]
    summary = Path(job.env["GITHUB_STEP_SUMMARY"]).read_text()
    assert f"minisign -Vm SHA256SUMS -P {public}" in summary and "failed" not in summary
    assert key.strip().splitlines()[-1] not in job.log and TOKEN not in job.log + summary

    commits = len(state["commits"])
    again = _release(job, fake, project, key)["publish"]
    assert not job.failed, job.log[-4000:]
    state = fake.snapshot()["repos"][_repo(project)]
    assert len(state["commits"]) == commits and len(state["releases"]) == 1
    assert again["catalog_commit"] == "" and again["tag"] == out["tag"]


@pytest.mark.slow
def test_a_broken_manifest_fails_with_an_annotation_at_its_line(job, fake, project, secret_key,
                                                                tmp_path):  # fmt: skip
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-a", str(project), str(broken)], check=True)
    manifest = broken / "plugin.toml"
    lines = manifest.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("version = ")) + 1
    lines.insert(at, 'colour = "blue"')  # a key neither host knows
    manifest.write_text("\n".join(lines) + "\n")
    _release(job, fake, broken, secret_key[0])
    assert job.failed
    errors = [line for line in job.log.splitlines() if line.startswith("::error ")]
    assert any(
        e.startswith(f"::error file=plugin.toml,line={at + 1},title=plugin pack") for e in errors
    ), errors
    summary = Path(job.env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "### `plugin pack` failed" in summary and "colour" in summary
    assert "### insomnia-plugin-kit action failed" in summary


@pytest.mark.slow
def test_the_publishing_lock_alone_publishes_and_lists_attestation_subjects(job, tmp_path, fake):
    """Default extras (no wasmtime, mcp, cookiecutter, watchfiles) pack, sign and publish; the
    subjects the attest step hands to attest-build-provenance are the release's SHA256SUMS."""
    job.temp = tmp_path / "fresh-runner-temp"  # a venv of its own, not the author one
    job.temp.mkdir()
    job.env["RUNNER_TEMP"] = str(job.temp)
    project = tmp_path / "weather-tools"
    for rel, text in {"plugin.toml": MANIFEST, **FILES}.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    action = Composite(job, {"install-only": "true"}, _github(job, fake, project))
    action.run(project)
    assert not job.failed, job.log[-4000:]
    job.env["GITHUB_REF_NAME"] = "v0.3.1"  # the pushed tag is checked in Actions
    job.bash(
        "plugin keygen -o key --no-password\n"
        "plugin pack . -o dist\n"
        "plugin publish dist/*.insomnia-plugin --target dir:site --key key.key --json > pub.json\n"
        "python -c 'import importlib.util as u, sys; "
        "sys.exit(any(u.find_spec(m) for m in (\"wasmtime\", \"mcp\", \"cookiecutter\", \"watchfiles\")))'\n",
        {}, project,
    )  # fmt: skip
    assert not job.failed, job.log[-4000:]
    release = json.loads((project / "pub.json").read_text())["releases"][0]
    assets = [{"name": a["name"], "sha256": a["sha256"]} for a in release["assets"]]
    step = next(s for s in action.action["runs"]["steps"] if s.get("id") == "subjects")
    env = {"ASSETS": json.dumps(assets), "BIN": action.steps["install"]["bin"]}
    got = job.bash(step["run"], env, project)
    sums = project / "site" / "releases" / "download" / "v0.3.1" / "SHA256SUMS"
    assert Path(got["checksums"]).read_bytes() == sums.read_bytes()
