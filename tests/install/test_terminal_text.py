"""Text others control never reaches the terminal raw (issue 9, items 3 and 4).

Every command that prints catalog, manifest, store or lock text is walked with fields that
carry erase-line and cursor-up sequences, OSC 52 (clipboard write), a C1 CSI, bidi
overrides and isolates, newlines and a line separator. Each run's stdout and stderr must
hold no such character (only our own newlines and the tabs of row output), and the hostile
text must still be shown, as escapes (`\\x1b`, `\\u202e`)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from helpers import archives
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.installer import catalogs
from plugin_kit.installer.stores import workspace_store
from plugin_kit.signing.signatures import sign_bytes
from plugin_kit.textsafe import one_line, visible

HOSTILE = "\x1b[2K\x1b[1A\x1b]52;c;cHduZWQ=\x07\x9b31m\u202eevil\u2066\nforged: ok\u2028\x7f"
# What a terminal would act on; \n and \t are allowed because our own lines and rows use them.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def inert(r, *, shown: bool = True) -> None:
    """No raw control reached either stream; with `shown`, the hostile text is visible."""
    text = r.out + r.err
    assert RAW.search(text) is None, repr(text)
    if shown:  # our escapes on a terminal, JSON's own in --json output
        assert ("\\x1b" in text and "\\u202e" in text) or "\\u001b" in text, text


def test_visible_escapes_every_interpreted_character() -> None:
    assert visible(HOSTILE) == (
        "\\x1b[2K\\x1b[1A\\x1b]52;c;cHduZWQ=\\x07\\x9b31m\\u202eevil\\u2066\\x0aforged: ok\\u2028\\x7f"
    )
    assert visible("Wetter für Zürich \\ ok") == "Wetter für Zürich \\ ok"
    assert RAW.search(visible("".join(map(chr, range(0x3000))))) is None


@given(st.text(st.characters(blacklist_categories=())))
def test_visible_output_holds_nothing_a_terminal_acts_on(text: str) -> None:
    out = visible(text)
    assert RAW.search(out) is None and "\n" not in out and "\t" not in out
    assert visible(out) == out  # escaping is done once; printable text passes unchanged
    assert len(out) >= len(text)  # nothing is dropped


@given(st.text(st.characters(blacklist_categories=())))
def test_one_line_is_printable_and_keeps_what_visible_shows(text: str) -> None:
    out = one_line(text)
    assert out.isprintable() and visible(out) == out and one_line(out) == out
    assert len(out) >= len(text)
    if text.isprintable():
        assert out == text


# ---- a catalog: refused by the tightened schema, and inert even where it got through ----


def _hostile_doc(doc: dict, *, capabilities: bool = True) -> dict:
    """`capabilities=False` leaves the requests as the package has them, so that an install
    passes the consent check (the entry must describe the package) and gets as far as the lock."""
    doc = json.loads(json.dumps(doc))
    doc["serial"] += 1
    entry = doc["entries"][0]
    entry["display_name"] = entry["description"] = "Weather " + HOSTILE
    entry["source"]["tag"] = "v1.0.0" + HOSTILE
    entry["keywords"] = ["weather", HOSTILE]
    if capabilities:
        entry["capabilities"]["rate_limits"] = {"outbound_per_minute": "60" + HOSTILE}
        entry["capabilities"]["network"][0]["path_prefix"] = "/" + HOSTILE
    for asset in entry["source"]["assets"]:
        if asset["asset"].endswith(".insomnia-plugin"):
            asset["url"] += "#" + HOSTILE
    return doc


def test_a_hostile_catalog_is_refused_by_the_schema_and_the_refusal_is_inert(site, plugin) -> None:
    site.write_catalog(_hostile_doc(site.doc))
    r = plugin("catalog", "refresh", "acme")
    assert r.code == 3 and "catalog-schema" in r.err or "catalog-invalid" in r.err, r.err
    inert(r, shown=False)
    fresh = plugin(
        "catalog", "add", site.url, "--name", "other", "--pubkey", site.catalog_key.public
    )
    assert fresh.code == 3
    inert(fresh, shown=False)


def _plant(site, doc: dict):  # type: ignore[no-untyped-def]
    """A hostile, validly signed catalog in the verified cache, as if an older version had
    accepted it: the renderers must be safe on their own, not only behind the schema."""
    data = json.dumps(doc).encode()
    sig = sign_bytes(data, site.catalog_key.secret, trusted_comment="catalog")
    sources = catalogs.registry()
    catalogs._accept(sources, sources["acme"], data, sig, doc, hashlib.sha256(data).hexdigest())
    return site


@pytest.fixture
def planted(site):  # type: ignore[no-untyped-def]
    return _plant(site, _hostile_doc(site.doc))


@pytest.mark.parametrize(
    "args",
    [
        ("show", "weather-tools"),
        ("search", "weather"),
        ("install", "weather-tools", "--dry-run"),
        ("install", "weather-tools", "--yes"),
        ("catalog", "ls"),
    ],
)
def test_catalog_text_is_shown_inert(planted, plugin, args: tuple[str, ...]) -> None:
    r = plugin(*args)
    inert(r, shown=args[0] != "catalog")


def test_hostile_requests_in_an_entry_are_refused_before_placing(planted, plugin) -> None:
    # The entry's requests are not the package's: the consent check refuses it, shown inert.
    r = plugin("install", "weather-tools", "--yes")
    assert r.code == 3 and "consent-mismatch" in r.err
    inert(r)


def test_upgrade_and_list_after_a_hostile_catalog_install_are_inert(site, plugin) -> None:
    _plant(site, _hostile_doc(site.doc, capabilities=False))
    r = plugin("install", "weather-tools", "--yes")
    assert r.code == 0, r.err
    inert(r, shown=False)
    for args in (("list",), ("upgrade", "--all", "--dry-run"), ("verify", "--all")):
        inert(plugin(*args), shown=False)


# ---- a manifest inside an archive, a project, a signature's trusted comment ----


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string with \u escapes is a valid TOML basic string


HOSTILE_MANIFEST = archives.MANIFEST.replace(
    b'description = "A test plugin"', b"description = " + _toml_string(HOSTILE).encode()
) + (
    b'\n[capabilities]\nnetwork = [{ host = "api.example.org", path_prefix = '
    + _toml_string("/" + HOSTILE).encode()
    + b" }]\n"
)


def test_a_hostile_manifest_is_refused_inertly_by_validate_inspect_and_install(
    tmp_path: Path, plugin
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "plugin.toml").write_bytes(HOSTILE_MANIFEST)
    (project / "hooks.toml").write_bytes(archives.HOOKS)
    r = plugin("validate", project)
    assert r.code == 1 and "manifest-schema" in r.err
    inert(r, shown=False)
    archive = tmp_path / "demo-plugin-1.0.0.insomnia-plugin"
    members = [archives.member("plugin.toml", HOSTILE_MANIFEST)]
    members.append(archives.member("hooks.toml", archives.HOOKS))
    archive.write_bytes(archives.compress(archives.tar(*members)))
    for args in (("inspect", archive), ("install", archive, "--sha256", "ab" * 32, "--yes")):
        r = plugin(*args)
        assert r.code != 0
        inert(r, shown=False)


def test_a_hostile_yoi_manifest_is_refused_inertly_by_validate_and_inspect(
    tmp_path: Path, plugin
) -> None:
    from helpers.zips import YOI_MANIFEST, valid_zip, write_yoi_tree

    hostile = YOI_MANIFEST.replace(
        b'description = "A tool"', b"description = " + _toml_string(HOSTILE).encode()
    )
    project = write_yoi_tree(tmp_path / "proj", {"plugin.toml": hostile})
    r = plugin("validate", project)
    assert r.code == 1 and "text-control" in r.err
    assert "holds the character \\x1b" in r.err  # the first one it found, as an escape
    inert(r, shown=False)
    archive = tmp_path / "example.tool-0.1.0.yoi-plugin"
    archive.write_bytes(valid_zip({"plugin.toml": hostile}))
    r = plugin("inspect", archive)
    assert r.code == 1 and "text-control" in r.err
    inert(r, shown=False)


def test_a_hostile_trusted_comment_is_refused_inertly(tmp_path: Path, plugin, keys) -> None:
    target = tmp_path / "notes.txt"
    target.write_bytes(b"hello\n")
    sig = sign_bytes(target.read_bytes(), keys["release"].secret, trusted_comment="notes.txt")
    lines = sig.splitlines()
    lines[2] = "trusted comment: notes.txt " + HOSTILE.replace("\n", " ")
    Path(str(target) + ".minisig").write_text("\n".join(lines) + "\n")
    r = plugin("verify", target, "--pubkey", keys["release"].public)
    assert r.code == 3
    inert(r, shown=False)


# ---- a cloned repository's store and plugins.lock ----


@pytest.fixture
def hostile_repo(tmp_path: Path, install_in_project) -> Path:
    ws = tmp_path / "repo"
    install_in_project(ws)
    store = workspace_store(ws)
    text = store.lock_path.read_text()
    entry = text[text.index("[[plugin]]") :]
    evil = entry.replace('id = "weather-tools"', f"id = {_toml_string('evil' + HOSTILE)}")
    evil = evil.replace('version = "1.0.0"', f"version = {_toml_string('1.0.0' + HOSTILE)}")
    store.lock_path.write_text(text + "\n" + evil)
    (store.root / ("dropped" + HOSTILE.replace("/", "") + ".insomnia-plugin")).write_bytes(b"x")
    return ws


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("list", "--json"),
        ("verify", "--all"),
        ("uninstall", "project:evil"),
        ("enable", "project:evil", "--grant-requested"),
        ("disable", "project:evil"),
        ("upgrade", "--all", "--dry-run"),
        ("uninstall", "project:weather-tools"),
        ("cache", "gc", "--dry-run"),
    ],
)
def test_store_and_lock_text_is_shown_inert(hostile_repo: Path, plugin, args) -> None:
    r = plugin(*args, "--workspace", hostile_repo)
    inert(r, shown=args[0] in ("list", "verify"))


def test_every_cli_line_goes_through_the_sanitiser() -> None:
    """The class, not the cases: commands print only through cli/_output's helpers."""
    import plugin_kit.cli

    folder = Path(plugin_kit.cli.__file__).parent
    raw = re.compile(r"click\.(echo|secho)\(|\bprint\(|sys\.std(out|err)\.write")
    offenders = [
        p.name
        for p in sorted(folder.glob("*.py"))
        if p.name != "_output.py" and raw.search(p.read_text())
    ]
    assert offenders == []


def test_a_template_prompt_shows_its_variable_inert_and_returns_the_real_default() -> None:
    import click
    from click.testing import CliRunner

    from plugin_kit.cli._output import prompt

    answers: list[str] = []

    @click.command()
    def ask() -> None:
        answers.append(prompt("name" + HOSTILE, "default" + HOSTILE))

    result = CliRunner().invoke(ask, input="\n")
    assert result.exit_code == 0 and answers == ["default" + HOSTILE]  # Enter keeps the real one
    assert RAW.search(result.output) is None and "\\x1b" in result.output


def test_click_usage_errors_quoting_a_file_name_are_inert(tmp_path: Path, plugin) -> None:
    r = plugin("inspect", str(tmp_path / ("missing" + HOSTILE.replace("/", ""))))
    assert r.code == 2 and "does not exist" in r.err
    inert(r)
