"""The loopback GitHub behaves like the real API where PyGithub and the publisher can tell."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import github
import pytest
from github import Auth, GithubRetry

from fakes.github import FakeGitHub

TOKEN = "ghp_fake_token_for_tests"


@pytest.fixture
def fake():
    with FakeGitHub(token=TOKEN) as server:
        server.create_repo("acme/tools")
        yield server


def client(fake: FakeGitHub, **kw) -> github.Github:
    kw.setdefault("retry", None)
    return github.Github(
        auth=Auth.Token(TOKEN),
        base_url=fake.api_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
        **kw,
    )


def test_wrong_token_is_refused(fake):
    bad = github.Github(auth=Auth.Token("nope"), base_url=fake.api_url, retry=None)
    with pytest.raises(github.BadCredentialsException):
        bad.get_repo("acme/tools")


def test_drafts_are_invisible_by_tag_but_listed_with_pagination(fake):
    repo = client(fake, per_page=2).get_repo("acme/tools")
    for n in range(4):
        repo.create_git_release(f"v0.{n}.0", f"v0.{n}.0", "", draft=True)
    with pytest.raises(github.UnknownObjectException):
        repo.get_release("v0.1.0")
    listed = [r.tag_name for r in repo.get_releases()]
    assert listed == ["v0.3.0", "v0.2.0", "v0.1.0", "v0.0.0"]  # newest first, over two pages
    assert (
        sum(1 for r in fake.requests if "/releases?" in r.path or r.path.endswith("/releases")) >= 2
    )


def test_publish_makes_the_release_visible_and_moves_download_urls(fake):
    repo = client(fake).get_repo("acme/tools")
    rel = repo.create_git_release("v1.0.0", "v1.0.0", "notes", draft=True)
    asset = rel.upload_asset_from_memory(io.BytesIO(b"hello"), 5, name="a.bin")
    assert asset.state == "uploaded" and asset.digest.startswith("sha256:")
    assert "untagged-" in asset.browser_download_url
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(asset.browser_download_url)  # drafts are not downloadable
    rel = rel.update_release("v1.0.0", "notes", draft=False, prerelease=False, make_latest="true")
    assert repo.get_release("v1.0.0").id == rel.id
    url = rel.assets[0].browser_download_url
    assert "/releases/download/v1.0.0/a.bin" in url
    assert urllib.request.urlopen(url).read() == b"hello"


def test_a_second_published_release_for_the_tag_is_refused(fake):
    repo = client(fake).get_repo("acme/tools")
    repo.create_git_release("v1", "v1", "")
    repo.create_git_release("v1", "v1", "", draft=True)  # several drafts per tag are allowed
    with pytest.raises(github.GithubException) as err:
        repo.create_git_release("v1", "v1", "")
    assert err.value.status == 422
    assert err.value.data["errors"][0]["code"] == "already_exists"


def test_partial_upload_leaves_a_starter_and_the_retry_gets_422(fake):
    repo = client(fake).get_repo("acme/tools")
    rel = repo.create_git_release("v1", "v1", "", draft=True)
    fake.partial_upload("big.bin")
    with pytest.raises(github.GithubException) as err:
        rel.upload_asset_from_memory(io.BytesIO(b"x" * 5000), 5000, name="big.bin")
    assert err.value.status == 502
    (asset,) = repo.get_release(rel.id).get_assets()
    assert (asset.name, asset.state, asset.size, asset.digest) == ("big.bin", "starter", 0, None)
    with pytest.raises(github.GithubException) as err:
        rel.upload_asset_from_memory(io.BytesIO(b"x" * 5000), 5000, name="big.bin")
    assert err.value.status == 422
    asset.delete_asset()
    rel.upload_asset_from_memory(io.BytesIO(b"x" * 5000), 5000, name="big.bin")
    assert [a.state for a in repo.get_release(rel.id).get_assets()] == ["uploaded"]


def test_secondary_limit_with_retry_after_is_retried_by_pygithub(fake):
    fake.secondary_rate_limit("GET", r"/repos/acme/tools$", retry_after=0)
    gh = client(fake, retry=GithubRetry(total=2, backoff_factor=0))
    assert gh.get_repo("acme/tools").full_name == "acme/tools"
    assert [r.status for r in fake.requests] == [403, 200]


def test_secondary_limit_without_retry_after_and_429_surface(fake):
    gh = client(fake)
    fake.secondary_rate_limit("GET")
    with pytest.raises(github.GithubException) as err:
        gh.get_repo("acme/tools")
    assert err.value.status == 403 and "secondary rate limit" in err.value.data["message"]
    fake.too_many_requests("GET")
    with pytest.raises(github.GithubException) as err:
        gh.get_repo("acme/tools")
    assert err.value.status == 429


def test_patch_5xx_is_not_retried_by_pygithub(fake):
    repo = client(fake, retry=GithubRetry(total=3, backoff_factor=0)).get_repo("acme/tools")
    rel = repo.create_git_release("v1", "v1", "", draft=True)
    fake.inject(502, "PATCH")
    with pytest.raises(github.GithubException) as err:
        rel.update_release("v1", "", draft=False, prerelease=False)
    assert err.value.status == 502
    assert repo.get_release(rel.id).draft is True


def test_fault_after_does_the_work_then_fails(fake):
    repo = client(fake).get_repo("acme/tools")
    fake.inject(504, "POST", r"/releases$", when="after")
    with pytest.raises(github.GithubException):
        repo.create_git_release("v1", "v1", "", draft=True)
    assert [r.draft for r in repo.get_releases()] == [True]


def test_contents_put_with_sha_and_conflicts(fake):
    repo = client(fake).get_repo("acme/tools")
    created = repo.create_file("catalog/extensions.json", "add", b"{}\n", branch="main")
    sha = created["content"].sha
    got = repo.get_contents("catalog/extensions.json", ref="main")
    assert got.decoded_content == b"{}\n" and got.sha == sha
    with pytest.raises(github.GithubException) as err:
        repo.update_file("catalog/extensions.json", "stale", b"[]\n", "0" * 40, branch="main")
    assert err.value.status == 409
    updated = repo.update_file("catalog/extensions.json", "upd", b"[]\n", sha, branch="main")
    assert updated["commit"].sha
    fake.inject(409, "PUT")
    with pytest.raises(github.GithubException):
        repo.update_file(
            "catalog/extensions.json", "x", b"1\n", updated["content"].sha, branch="main"
        )
    assert len(fake.repo("acme/tools").commits) == 2


def test_immutable_release_freezes_assets_and_burns_the_tag(fake):
    fake.create_repo("acme/frozen", immutable_releases=True)
    repo = client(fake).get_repo("acme/frozen")
    rel = repo.create_git_release("v1", "v1", "", draft=True)
    rel.upload_asset_from_memory(io.BytesIO(b"a"), 1, name="a")
    rel = rel.update_release("v1", "", draft=False, prerelease=False)
    assert rel.immutable is True
    with pytest.raises(github.GithubException) as err:
        rel.upload_asset_from_memory(io.BytesIO(b"b"), 1, name="b")
    assert err.value.status == 422 and "immutable" in err.value.data["message"]
    with pytest.raises(github.GithubException):
        rel.assets[0].delete_asset()
    rel.delete_release()
    with pytest.raises(github.GithubException) as err:
        repo.create_git_release("v1", "v1", "")
    assert "immutable" in err.value.data["errors"][0]["message"]


def test_rate_limit_headers_are_parsed(fake):
    gh = client(fake)
    gh.get_repo("acme/tools")
    remaining, limit = gh.rate_limiting
    assert limit == 5000 and remaining < 5000


def test_standalone_process_prints_its_url_and_serves(tmp_path: Path):
    tests_dir = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakes.github", "--port", "0", "--repo", "acme/demo"],
        cwd=tests_dir,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/api/v3/repos/acme/demo") as resp:
            assert json.load(resp)["full_name"] == "acme/demo"
        with urllib.request.urlopen(url + "/_fake/state") as resp:
            assert "acme/demo" in json.load(resp)["repos"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_git_data_api_commits_two_files_at_once_and_refuses_a_non_fast_forward(fake):
    from github import InputGitTreeElement

    repo = client(fake).get_repo("acme/tools")
    repo.create_file("README.md", "readme", b"hi\n", branch="main")
    ref = repo.get_git_ref("heads/main")
    base = repo.get_git_commit(ref.object.sha)
    blob = repo.create_git_blob(base64.b64encode(b"\x00{}\n").decode(), "base64")
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("catalog/a.json", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("catalog/a.json.minisig", "100644", "blob", content="sig\n"),
        ],
        base_tree=base.tree,
    )
    commit = repo.create_git_commit("both", tree, [base])
    # Someone else's commit lands first: ours no longer fast-forwards.
    other = fake.commit_file("acme/tools", "other.txt", b"x")
    with pytest.raises(github.GithubException) as err:
        ref.edit(commit.sha, force=False)
    assert err.value.status == 422 and "fast forward" in err.value.data["message"]
    assert repo.get_git_ref("heads/main").object.sha == other

    ref = repo.get_git_ref("heads/main")
    base = repo.get_git_commit(ref.object.sha)
    tree = repo.create_git_tree(
        [InputGitTreeElement("catalog/a.json", "100644", "blob", sha=blob.sha),
         InputGitTreeElement("catalog/a.json.minisig", "100644", "blob", content="sig\n")],
        base_tree=base.tree,
    )  # fmt: skip
    commit = repo.create_git_commit("both", tree, [base])
    ref.edit(commit.sha, force=False)
    log = fake.snapshot()["repos"]["acme/tools"]["commits"]
    assert log[-1]["paths"] == ["catalog/a.json", "catalog/a.json.minisig"]
    assert log[-1]["sha"] == commit.sha
    # The contents API sees the new head, by branch and by commit, and the files before it.
    got = repo.get_contents("catalog/a.json", ref="main")
    assert got.decoded_content == b"\x00{}\n" and got.sha == blob.sha
    assert repo.get_contents("other.txt", ref=commit.sha).decoded_content == b"x"
    with pytest.raises(github.UnknownObjectException):
        repo.get_contents("catalog/a.json", ref=other)
    assert (
        repo.get_git_blob(blob.sha).content.replace("\n", "")
        == base64.b64encode(b"\x00{}\n").decode()
    )
    # A contents PUT builds on the same history.
    repo.update_file("README.md", "upd", b"ho\n", repo.get_contents("README.md").sha, branch="main")
    assert (
        repo.get_git_commit(repo.get_git_ref("heads/main").object.sha).parents[0].sha == commit.sha
    )
