"""Fixtures for publish tests: a packed plugin, a throwaway key, the loopback GitHub, fast retries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakes.github import FakeGitHub
from helpers.actions_runner import parse_outputs
from helpers.plugins import FILES, MANIFEST

from plugin_kit.packer.writer import pack
from plugin_kit.publisher.publish import PublishOptions
from plugin_kit.publisher.retry import RetryPolicy
from plugin_kit.signing.keys import generate_keypair

TOKEN = "ghp_PLANTEDtoken0123456789secret"  # tests check it never appears in output
REPO = "acme/weather-tools"
# Zero waits keep the tests fast; the retry logic still runs.
FAST = RetryPolicy(
    attempts=4, base_delay=0, max_delay=0, max_wait=0, secondary_wait=0, sleep=lambda _s: None
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL", "GITHUB_ACTIONS",
                 "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_REF_TYPE", "GITHUB_REF_NAME",
                 "MINISIGN_SECRET_KEY", "MINISIGN_PASSWORD"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return home


@dataclass
class Keys:
    secret: Path
    public: Path
    public_base64: str
    key_id: str


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    (tmp_path / "keys").mkdir()
    pair = generate_keypair(tmp_path / "keys" / "release", None)
    return Keys(pair.secret_key, pair.public_key, pair.public_key_base64, pair.key_id)


@pytest.fixture
def make_archive(tmp_path: Path) -> Callable[..., Path]:
    """Pack the example plugin at `version` (optionally as `plugin_id`) and return the archive."""

    def make(
        version: str = "0.3.1", plugin_id: str = "weather-tools", readme: str = "# Weather tools\n"
    ) -> Path:
        root = tmp_path / f"src-{plugin_id}-{version}"
        root.mkdir(exist_ok=True)
        manifest = MANIFEST.replace('version = "0.3.1"', f'version = "{version}"').replace(
            'id = "weather-tools"', f'id = "{plugin_id}"'
        )
        files = {"plugin.toml": manifest, **FILES, "README.md": readme}
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return pack(root, tmp_path / "dist").path

    return make


@pytest.fixture
def archive(make_archive: Callable[..., Path]) -> Path:
    return make_archive()


@pytest.fixture
def fake():
    with FakeGitHub(token=TOKEN) as server:
        server.create_repo(REPO)
        yield server


@pytest.fixture
def github_env(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.api_url}


@pytest.fixture
def options(archive: Path, keys: Keys, github_env: dict[str, str]) -> Callable[..., PublishOptions]:
    """PublishOptions for the GitHub target against the fake; keyword arguments override."""

    def make(**kw: object) -> PublishOptions:
        base: dict[str, object] = {
            "archives": [archive],
            "key_path": keys.secret,
            "env": github_env,
            "policy": FAST,
            "write_pacing": 0,
        }
        base.update(kw)
        return PublishOptions(**base)  # type: ignore[arg-type]

    return make


@pytest.fixture
def fast_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its own options: make its GitHub session use FAST and no write pacing."""
    import plugin_kit.publisher.publish as module

    real = module.GitHubSession
    monkeypatch.setattr(
        module,
        "GitHubSession",
        lambda settings, _policy, **_kw: real(settings, FAST, write_pacing=0),
    )


@pytest.fixture
def read_outputs() -> Callable[[Path], dict[str, str]]:
    return parse_outputs
