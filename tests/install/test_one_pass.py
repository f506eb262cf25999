"""`plugin install` reads an archive once: the strict reader extracts into a hidden staged
tree of the cache while it checks, and that tree is renamed into the cache only when every
check has passed (the reader's rules, the verified sha256, the entry, the consent), or
removed. Nothing is visible in the cache or a store before; nothing is left after a refusal."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from helpers.archives import compress, member, tar, valid_members
from helpers.zips import Entry, yoi_entries, zip_bytes

from plugin_kit.errors import UsageError, VerificationError
from plugin_kit.hosts import YOI
from plugin_kit.installer.install import plan_install, run_install
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.paths import downloads_dir, plugin_cache_dir
from plugin_kit.installer.stores import Store, user_store
from plugin_kit.packer import reader


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the strict reader consumed each archive (its name): every read_archive and
    extract_archive, of every container, goes through one `_validate`."""
    seen: Counter[str] = Counter()
    real = reader._validate

    def counted(src, host, *args):  # type: ignore[no-untyped-def]
        seen[src.path.name] += 1
        return real(src, host, *args)

    monkeypatch.setattr(reader, "_validate", counted)
    return seen


def _cache_names() -> list[str]:
    root = plugin_cache_dir()
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def _left_behind() -> list[str]:
    """Whatever a refused install left in the cache, its downloads or the user store."""
    store = user_store()
    downloads = (
        sorted(p.name for p in downloads_dir().iterdir()) if downloads_dir().is_dir() else []
    )
    return _cache_names() + downloads + [p.name for p in store.archives()]


def test_a_catalog_install_reads_the_archive_once(site, passes) -> None:
    installed = run_install(plan_install("weather-tools", user_store()))
    assert sum(passes.values()) == 1, passes
    assert _cache_names() == [installed.content_digest.removeprefix("sha256:")]


def test_a_url_install_reads_the_archive_once(make_archive, passes) -> None:
    built = make_archive()
    plan = plan_install(built.path.as_uri(), user_store(), sha256=built.sha256)
    run_install(plan)
    assert sum(passes.values()) == 1, passes


def test_a_file_install_reads_the_file_for_the_plan_and_its_copy_once(make_archive, passes) -> None:
    built = make_archive()
    plan = plan_install(str(built.path), user_store(), sha256=built.sha256)
    assert passes == {built.path.name: 1}  # the plan shows the file's manifest
    run_install(plan)
    assert passes[built.path.name] == 1 and sum(passes.values()) == 2, passes


def test_placing_without_an_install_reads_once(make_archive, passes) -> None:
    from plugin_kit.installer.place import place_archive

    built = make_archive()
    place_archive(built.path, user_store(), source={"type": "file"})
    assert passes == {built.path.name: 1}


def test_until_every_check_passed_the_cache_holds_only_the_hidden_staged_tree(site) -> None:
    seen = []

    def confirm(plan) -> None:  # type: ignore[no-untyped-def]
        seen.extend(_cache_names())
        assert read_lock(user_store()) == {} and user_store().archives() == []
        raise UsageError("declined", rule="declined")

    with pytest.raises(UsageError):
        run_install(plan_install("weather-tools", user_store()), confirm=confirm)
    assert len(seen) == 1 and seen[0].startswith(".") and seen[0].endswith(".staged"), seen
    assert _left_behind() == []


def _url_install(archive: Path, store: Store) -> None:
    """A URL's plan does not read the archive: the install's one pass meets it first."""
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    run_install(plan_install(archive.as_uri(), store, sha256=sha))


HOSTILE_TAR = {
    "entry-symlink": [*valid_members(), member("z-link", b"", typeflag=b"2")],
    "path-dot-segment": [*valid_members(), member("../escape.txt", b"x")],
    "entry-order": [*valid_members({"b.txt": b"b"}), member("a.txt", b"a")],
    "manifest-not-first": valid_members()[1:] + valid_members()[:1],
}
HOSTILE_ZIP = {
    "path-dot-segment": [*yoi_entries(), Entry("../escape.txt", b"x")],
    "path-absolute": [*yoi_entries(), Entry("/etc/passwd", b"x")],
}


@pytest.mark.parametrize("rule", sorted(HOSTILE_TAR))
def test_a_hostile_tar_is_refused_by_its_rule_and_leaves_nothing(
    rule: str, tmp_path: Path, isolated_home: Path
) -> None:
    bad = tmp_path / "evil.insomnia-plugin"
    bad.write_bytes(compress(tar(*HOSTILE_TAR[rule])))
    with pytest.raises(Exception) as err:
        _url_install(bad, user_store())
    assert getattr(err.value, "rule", None) == f"archive:{rule}", err.value
    assert _left_behind() == []


@pytest.mark.parametrize("rule", sorted(HOSTILE_ZIP))
def test_a_hostile_yoi_package_is_refused_by_its_rule_and_leaves_nothing(
    rule: str, tmp_path: Path, isolated_home: Path
) -> None:
    bad = tmp_path / "evil.yoi-plugin"
    bad.write_bytes(zip_bytes(HOSTILE_ZIP[rule]))
    with pytest.raises(Exception) as err:
        _url_install(bad, user_store(YOI))
    assert getattr(err.value, "rule", None) == f"archive:{rule}", err.value
    assert _left_behind() == [] and read_lock(user_store(YOI)) == {}


def test_bytes_swapped_after_verification_are_refused_by_the_read(
    site, make_archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass that extracts hashes what it reads: the bytes must be the verified ones."""
    from plugin_kit.installer import install

    other = make_archive("weather-tools", "1.0.0", extra="other bytes, the same id and version")
    real = install.check_signature

    def then_swapped(path: Path, *args, **kw):  # type: ignore[no-untyped-def]
        verified = real(path, *args, **kw)
        path.write_bytes(other.path.read_bytes())  # a local attacker rewrites the download
        return verified

    monkeypatch.setattr(install, "check_signature", then_swapped)
    with pytest.raises(VerificationError) as err:
        run_install(plan_install("weather-tools", user_store()))
    assert err.value.rule == "archive-sha256" and "after it was verified" in err.value.message
    assert _left_behind() == []


def test_plugin_install_loads_and_verifies_each_catalog_once(
    site, plugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI resolves the name once (choosing the store's host), not again for the plan."""
    from plugin_kit.installer import catalogs

    verified = []
    real = catalogs._verify

    def counted(*args, **kw):  # type: ignore[no-untyped-def]
        verified.append(args[-1])
        return real(*args, **kw)

    monkeypatch.setattr(catalogs, "_verify", counted)
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert verified == ["acme"]
