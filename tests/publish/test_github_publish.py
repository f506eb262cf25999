"""`plugin publish` to the loopback GitHub: end to end, re-runs, faults, limits, immutability."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import github
import pytest
from fakes.github import FakeGitHub

from plugin_kit.errors import PublishError, UsageError
from plugin_kit.publisher.publish import publish
from plugin_kit.publisher.retry import RetryPolicy

TOKEN = "ghp_PLANTEDtoken0123456789secret"  # the same as conftest.TOKEN
REPO = "acme/weather-tools"
PLANNED = [
    "weather-tools-0.3.1.insomnia-plugin",
    "weather-tools-0.3.1.insomnia-plugin.minisig",
    "SHA256SUMS",
    "SHA256SUMS.minisig",
]


def assert_published_once(fake: FakeGitHub, archive: Path, repo: str = REPO) -> None:
    """Exactly one release, published, holding exactly the planned assets; one catalog commit."""
    state = fake.snapshot()["repos"][repo]
    (release,) = state["releases"]
    assert release["draft"] is False and release["tag_name"] == "v0.3.1"
    assert sorted(a["name"] for a in release["assets"]) == sorted(PLANNED)
    assert all(a["state"] == "uploaded" for a in release["assets"])
    by_name = {a["name"]: a for a in release["assets"]}
    assert (
        by_name[archive.name]["digest"]
        == "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
    )
    # The catalog and its signature land together: no reader ever sees one without the other.
    assert [c["paths"] for c in state["commits"]] == [
        ["catalog/extensions.json", "catalog/extensions.json.minisig"]
    ]


def client(fake: FakeGitHub) -> github.Github:
    return github.Github(
        auth=github.Auth.Token(TOKEN), base_url=fake.api_url, retry=None,
        seconds_between_requests=0, seconds_between_writes=0,
    )  # fmt: skip


def catalog_doc(fake: FakeGitHub, repo: str = REPO) -> dict:
    return json.loads(fake.repo(repo).files["main"]["catalog/extensions.json"])


def test_end_to_end_then_a_rerun_writes_nothing(fake, options, archive):
    first = publish(options())
    assert_published_once(fake, archive)
    assert first.releases[0].action == "create"
    assert [a.action for a in first.releases[0].assets] == ["upload"] * 4
    assert first.catalog.changed and first.catalog.commit
    # The catalog points at the URLs the API returned after publishing (not the draft's).
    rel = fake.repo(REPO).releases[0]
    url = fake.asset_json(fake.repo(REPO), rel, rel.assets[0])["browser_download_url"]
    assert "/releases/download/v0.3.1/" in url and url in json.dumps(catalog_doc(fake))

    writes = len(fake.writes())
    second = publish(options())
    assert len(fake.writes()) == writes
    assert second.releases[0].action == "existing"
    assert [a.action for a in second.releases[0].assets] == ["skip"] * 4
    assert not second.catalog.changed and second.catalog.commit is None


def _fresh(tmp_path: Path) -> FakeGitHub:
    fake = FakeGitHub(token=TOKEN)
    fake.create_repo(REPO)
    return fake


def test_a_fault_before_or_after_any_call_then_a_rerun_converges(tmp_path, options, archive):
    with _fresh(tmp_path) as probe:
        publish(
            options(
                env={
                    "GITHUB_TOKEN": TOKEN,
                    "GITHUB_REPOSITORY": REPO,
                    "GITHUB_API_URL": probe.api_url,
                }
            )
        )
        calls = len(probe.requests)
    assert calls > 10
    for index in range(calls):
        for when in ("before", "after"):
            for outage in (True, False):
                with _fresh(tmp_path) as fake:
                    env = {
                        "GITHUB_TOKEN": TOKEN,
                        "GITHUB_REPOSITORY": REPO,
                        "GITHUB_API_URL": fake.api_url,
                    }
                    if outage:  # the network dies at this call: the run fails, a re-run finishes it
                        fake.outage(index, when=when)
                        with pytest.raises(PublishError):
                            publish(options(env=env))
                        fake.clear_faults()
                    else:  # one transient failure: retried within the run
                        fake.inject(502, start=index, when=when)
                    publish(options(env=env))
                    try:
                        assert_published_once(fake, archive)
                    except AssertionError as exc:
                        raise AssertionError(f"call {index} {when} outage={outage}: {exc}") from exc


def test_partial_upload_leaves_a_starter_that_is_replaced(fake, options, archive):
    fake.partial_upload("SHA256SUMS")
    result = publish(options())
    assert_published_once(fake, archive)
    assert {a.name: a.action for a in result.releases[0].assets}["SHA256SUMS"] == "replace"


def test_rate_limits_are_waited_out_with_their_retry_after(fake, options, archive):
    waits: list[float] = []
    policy = RetryPolicy(
        attempts=6, base_delay=0.5, max_delay=1, max_wait=30, secondary_wait=11, sleep=waits.append
    )
    fake.secondary_rate_limit("GET", r"/releases/tags/", retry_after=7)
    fake.secondary_rate_limit("POST", r"/releases$")  # no Retry-After: the policy's secondary wait
    fake.too_many_requests("POST", r"^/api/uploads/")  # 429 without Retry-After: backoff
    fake.inject(502, "PATCH")  # PyGithub never retries PATCH; we do
    publish(options(policy=policy))
    assert_published_once(fake, archive)
    assert 7 in waits and 11 in waits  # Retry-After, then the secondary-limit wait
    assert any(0 < w <= 1 for w in waits)  # 429 and PATCH 502: exponential backoff, capped


def test_catalog_conflict_is_merged_again(fake, options, archive):
    # Another commit lands on the branch between our read and our ref update.
    fake.inject(422, "PATCH", r"/git/refs/heads/main$", message="Update is not a fast forward")
    publish(options())
    assert_published_once(fake, archive)


def test_a_commit_landing_meanwhile_is_kept_and_the_catalog_merged_on_top(
    fake, options, archive, monkeypatch
):
    from plugin_kit.publisher import github_target

    real = github_target.GitHubTarget._read_at
    raced: list[str] = []

    def racing(self, path, commit):  # noqa: ANN001, ANN202 - a test double
        if not raced:  # a push from elsewhere, after our first read of the branch
            raced.append(fake.commit_file(REPO, "NEWS.md", b"news\n"))
        return real(self, path, commit)

    monkeypatch.setattr(github_target.GitHubTarget, "_read_at", racing)
    result = publish(options())
    state = fake.snapshot()["repos"][REPO]
    assert [c["paths"] for c in state["commits"]] == [
        ["NEWS.md"],
        ["catalog/extensions.json", "catalog/extensions.json.minisig"],
    ]
    assert fake.repo(REPO).files["main"]["NEWS.md"] == b"news\n"
    assert result.catalog.commit == state["commits"][-1]["sha"]


def test_catalog_keeps_the_entries_of_other_plugins(fake, options, make_archive, archive):
    publish(options(tag="{id}-v{version}"))
    other = make_archive(plugin_id="sky-tools")
    publish(options(archives=[other], tag="{id}-v{version}"))
    ids = json.dumps(catalog_doc(fake))
    assert "weather-tools" in ids and "sky-tools" in ids


def test_duplicate_drafts_of_ours_are_removed(fake, options, archive, keys):
    gh = client(fake)
    repo = gh.get_repo(REPO)
    marker = "<!-- plugin-publish:v0.3.1 -->"
    first = repo.create_git_release("v0.3.1", "x", marker, draft=True)
    repo.create_git_release("v0.3.1", "x", marker, draft=True)
    result = publish(options())
    assert result.releases[0].action == "adopt" and result.releases[0].release_id == first.id
    assert_published_once(fake, archive)


def test_a_foreign_asset_in_the_draft_is_removed_before_publishing(fake, options, archive):
    gh = client(fake)
    draft = gh.get_repo(REPO).create_git_release("v0.3.1", "x", "", draft=True)
    draft.upload_asset_from_memory(io.BytesIO(b"junk"), 4, name="junk.txt")
    result = publish(options())
    assert result.releases[0].removed == ["junk.txt"]
    assert_published_once(fake, archive)


def test_immutable_release_same_assets_ok_other_assets_refused(
    fake, options, make_archive, github_env
):
    fake.create_repo("acme/frozen", immutable_releases=True)
    env = {**github_env, "GITHUB_REPOSITORY": "acme/frozen"}
    archive = make_archive()
    publish(options(env=env))
    assert fake.repo("acme/frozen").releases[0].immutable
    writes = len(fake.writes())
    publish(options(env=env))  # same assets: success, nothing written
    assert len(fake.writes()) == writes
    changed = make_archive(readme="# changed\n")  # same version, other bytes
    assert changed == archive
    with pytest.raises(PublishError) as err:  # a catalog that does not list it yet
        publish(options(env=env, archives=[changed], catalog_path="next/extensions.json"))
    assert err.value.rule == "publish.immutable-release" and "bump the version" in err.value.hint
    assert len(fake.writes()) == writes


def test_published_mutable_release_is_only_replaced_with_force(fake, options, archive):
    # Published by hand, with a broken archive, and never added to the catalog.
    gh = client(fake)
    release = gh.get_repo(REPO).create_git_release("v0.3.1", "by hand", "", draft=False)
    release.upload_asset_from_memory(io.BytesIO(b"broken"), 6, name=archive.name)
    with pytest.raises(PublishError) as err:
        publish(options())
    assert err.value.rule == "publish.published-differs" and "--force-replace" in err.value.hint
    result = publish(options(force_replace=True))
    actions = {a.name: a.action for a in result.releases[0].assets}
    assert actions[archive.name] == "replace" and actions["SHA256SUMS"] == "upload"
    assert_published_once(fake, archive)


def test_a_version_in_the_catalog_is_never_replaced_even_with_force(fake, options, make_archive):
    publish(options())
    writes = len(fake.writes())
    changed = make_archive(readme="# changed again\n")
    with pytest.raises(PublishError) as err:
        publish(options(archives=[changed], force_replace=True))
    assert err.value.rule == "catalog.version-changed"
    assert len(fake.writes()) == writes  # refused before the release was touched


def test_upload_deadline_turns_a_stall_into_a_retry_then_an_error(fake, options):
    policy = RetryPolicy(
        attempts=2, base_delay=0, max_delay=0, max_wait=0, upload_deadline=0, sleep=lambda _s: None
    )
    with pytest.raises(PublishError) as err:
        publish(options(policy=policy))
    assert err.value.rule == "publish.retries-exhausted" and "deadline" in err.value.message
    assert all(r["draft"] for r in fake.snapshot()["repos"][REPO]["releases"])


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"tag": "v9.9.9"}, "publish.tag-mismatch"),
        ({"env": {"GITHUB_REPOSITORY": REPO}}, "publish.no-token"),
        ({"key_path": Path("/nonexistent/release.key")}, "signing.key-unreadable"),
    ],
)
def test_preflight_refuses_before_any_request(fake, options, change, rule):
    with pytest.raises((PublishError, UsageError, Exception)) as err:
        publish(options(**change))
    assert getattr(err.value, "rule", None) == rule
    assert fake.requests == []


def test_misnamed_archive_is_refused_before_any_request(fake, options, archive, tmp_path):
    renamed = tmp_path / "weather-tools-9.9.9.insomnia-plugin"
    renamed.write_bytes(archive.read_bytes())
    with pytest.raises(PublishError) as err:
        publish(options(archives=[renamed]))
    assert err.value.rule == "publish.name-mismatch"
    assert fake.requests == []


def test_monorepo_tag_and_pushed_tag(fake, options, github_env):
    result = publish(options(tag="{id}-v{version}"))
    assert result.releases[0].tag == "weather-tools-v0.3.1"
    with pytest.raises(PublishError) as err:
        publish(options(env={**github_env, "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v0.4.0"}))
    assert err.value.rule == "publish.tag-mismatch"


def test_dry_run_reads_but_writes_nothing(fake, options):
    result = publish(options(dry_run=True))
    assert fake.writes() == []
    assert result.releases[0].action == "create"
    assert [a.action for a in result.releases[0].assets] == ["upload"] * 4
    assert (
        result.catalog.changed
        and "+" in result.catalog.diff
        and "weather-tools" in result.catalog.diff
    )
    assert fake.requests  # it did look


def test_catalog_commit_output_is_the_one_catalog_commit(fake, options, archive):
    from plugin_kit.publisher.actions import step_outputs

    # The run dies at the ref update (a refused token, say): nothing lands; a re-run commits once.
    fake.inject(401, "PATCH", r"/git/refs/heads/main$")
    with pytest.raises(PublishError):
        publish(options())
    assert fake.snapshot()["repos"][REPO]["commits"] == []
    fake.clear_faults()
    rerun = publish(options())
    assert_published_once(fake, archive)
    commits = fake.snapshot()["repos"][REPO]["commits"]
    assert step_outputs(rerun)["catalog_commit"] == commits[-1]["sha"]
    assert step_outputs(publish(options()))["catalog_commit"] == ""  # already up to date


def test_a_catalog_whose_signature_does_not_verify_gets_only_a_new_signature(
    fake, options, archive
):
    publish(options())
    fake.commit_file(REPO, "catalog/extensions.json.minisig", b"not a signature\n")
    catalog = fake.repo(REPO).files["main"]["catalog/extensions.json"]
    result = publish(options())
    last = fake.snapshot()["repos"][REPO]["commits"][-1]
    assert last["paths"] == ["catalog/extensions.json.minisig"]
    assert result.catalog.commit == last["sha"] and not result.catalog.changed
    assert fake.repo(REPO).files["main"]["catalog/extensions.json"] == catalog


def test_a_catalog_over_one_mib_is_read_through_the_blobs_api(fake, options, make_archive):
    # The contents API sends no bytes for files over 1 MiB (encoding "none").
    publish(options(archives=[make_archive()], tag="{id}-v{version}"))
    doc = catalog_doc(fake)
    doc["maintainer_notes"] = "x" * (1 << 20)  # an extra top-level field the schema allows
    fake.commit_file(REPO, "catalog/extensions.json", json.dumps(doc).encode())
    publish(options(archives=[make_archive(plugin_id="sky-tools")], tag="{id}-v{version}"))
    merged = catalog_doc(fake)
    assert {e["name"] for e in merged["entries"]} == {"weather-tools", "sky-tools"}
    assert merged["maintainer_notes"] == doc["maintainer_notes"]


def test_a_backport_does_not_become_latest(fake, options, make_archive):
    repo = client(fake).get_repo(REPO)
    publish(options(archives=[make_archive("0.3.0")]))
    assert repo.get_latest_release().tag_name == "v0.3.0"
    publish(options(archives=[make_archive("0.2.5")]))  # a fix for the old line, after 0.3.0
    assert repo.get_latest_release().tag_name == "v0.3.0"
    by_tag = {r["tag_name"]: r for r in fake.snapshot()["repos"][REPO]["releases"]}
    assert by_tag["v0.2.5"]["make_latest"] == "false"
    publish(options(archives=[make_archive("0.4.0-rc.1")]))  # a prerelease never is
    assert repo.get_latest_release().tag_name == "v0.3.0"
    publish(options(archives=[make_archive("0.4.0")]))
    assert repo.get_latest_release().tag_name == "v0.4.0"
