"""Fixtures for the consumer side: an isolated home, packed plugins, and a signed file:// catalog.

`Publisher` writes the release layout of design.md (archive, .minisig, SHA256SUMS and its
signature) and a signed catalog by hand, so installer tests can tamper with any piece.
The end-to-end tests use catalogs made by `plugin publish` instead.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from plugin_kit.packer.writer import PackResult, pack
from plugin_kit.signing.keys import generate_keypair, load_secret_key
from plugin_kit.signing.signatures import sign_bytes, sign_file, trusted_comment_for
from plugin_kit.signing.sums import format_sums

MANIFEST = """\
manifest_version = 1

[plugin]
id = "{id}"
version = "{version}"
api = "{api}"
runtime = "hooks"
description = "Test plugin {id}"
license = "MIT"
keywords = ["{keyword}"]

[runtime]
file = "hooks.toml"

[capabilities]
{capabilities}

[package]
include = ["hooks.toml", "README.md"]
"""


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))  # the Yoi user store
    for var in ("YOI_CONFIG_DIR", "YOI_HOME", "YOI_DATA_DIR"):  # Yoi's Profile registry
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PLUGIN_KIT_LOCK_TIMEOUT", "20")
    monkeypatch.delenv("PLUGIN_KIT_CRASH_AT", raising=False)
    monkeypatch.delenv("INSOMNIA_HOST_API", raising=False)
    return home


@pytest.fixture
def make_yoi_archive(tmp_path: Path) -> Callable[..., PackResult]:
    """Pack a Yoi tool package; `kind` names one of helpers.yoi_packages.MANIFESTS."""
    from helpers.yoi_packages import MANIFESTS
    from helpers.zips import write_yoi_tree

    counter = iter(range(10_000))

    def make(
        kind: str = "request+websocket", version: str = "1.0.0", plugin_id: str = "example.echo"
    ) -> PackResult:
        text = MANIFESTS[kind].replace('version = "1.0.0"', f'version = "{version}"', 1)
        text = text.replace('id = "example.echo"', f'id = "{plugin_id}"', 1)
        root = write_yoi_tree(tmp_path / f"ysrc-{next(counter)}", {"plugin.toml": text})
        return pack(root, tmp_path / "ydist" / f"{plugin_id}-{version}-{next(counter)}")

    return make


@pytest.fixture
def make_archive(tmp_path: Path) -> Callable[..., PackResult]:
    """Pack a tiny hooks plugin; `capabilities` is TOML for the [capabilities] table."""
    counter = iter(range(10_000))

    def make(
        plugin_id: str = "weather-tools",
        version: str = "1.0.0",
        *,
        api: str = ">=1.0.0, <2.0.0",
        capabilities: str = 'network = [{ host = "api.weather.gov", path_prefix = "/" }]',
        keyword: str = "weather",
        extra: str = "",
    ) -> PackResult:
        root = tmp_path / f"src-{plugin_id}-{version}-{next(counter)}"
        root.mkdir()
        (root / "plugin.toml").write_text(
            MANIFEST.format(
                id=plugin_id, version=version, api=api, capabilities=capabilities, keyword=keyword
            )
        )
        (root / "hooks.toml").write_text('[[hooks]]\nevent = "pre_tool_use"\naction = "deny"\n')
        (root / "README.md").write_text(f"# {plugin_id}\n{extra}\n")
        return pack(root, tmp_path / "dist" / f"{plugin_id}-{version}-{next(counter)}")

    return make


@dataclass
class Key:
    public: str
    key_id: str
    secret: Any


def new_key(base: Path) -> Key:
    paths = generate_keypair(base, None)
    secret = load_secret_key(paths.secret_key.read_text(), None)
    return Key(paths.public_key_base64, paths.key_id, secret)


def _forge_key_id(victim: Key) -> Key:
    from helpers.keys import forge_key_id

    forged = forge_key_id(victim.public)
    assert forged.key_id == victim.key_id
    return Key(forged.public_key.base64, forged.key_id, forged)


@dataclass
class Publisher:
    """A folder site: releases/<id>/<version>/... and catalog/extensions.json(.minisig).

    Entries and the catalog come from plugin_kit.publisher.catalog, as `plugin publish`
    makes them; tests then tamper with single pieces."""

    root: Path
    catalog_key: Key
    release_key: Key
    catalog_id: str = "acme"
    doc: dict[str, Any] | None = None

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog" / "extensions.json"

    @property
    def url(self) -> str:
        return self.catalog_path.as_uri()

    def release(
        self, result: PackResult, *, key: Key | None = None, publish: bool = True
    ) -> dict[str, Any]:
        """Write the release assets and merge the entry into the catalog; returns the entry."""
        from plugin_kit.packer.reader import read_archive
        from plugin_kit.publisher.catalog import entry_for_release, merge_entries

        key = key or self.release_key
        folder = self.root / "releases" / result.id / result.version
        folder.mkdir(parents=True, exist_ok=True)
        asset = result.path.name
        archive = folder / asset
        archive.write_bytes(result.path.read_bytes())
        comment = trusted_comment_for(asset, id=result.id, version=result.version)
        (folder / f"{asset}.minisig").write_text(
            sign_file(archive, key.secret, trusted_comment=comment)
        )
        sums = format_sums({asset: result.sha256})
        (folder / "SHA256SUMS").write_bytes(sums)
        (folder / "SHA256SUMS.minisig").write_text(
            sign_bytes(sums, key.secret, trusted_comment=trusted_comment_for("SHA256SUMS"))
        )
        urls = {p.name: p.as_uri() for p in folder.iterdir()}
        entry = entry_for_release(
            read_archive(archive), tag=f"v{result.version}", urls=urls, public_key=key.public
        )
        self.doc = merge_entries(
            self.doc, [entry], catalog_id=self.catalog_id, repository="acme/plugins"
        )
        if publish:
            self.write_catalog()
        return entry

    def write_catalog(self, doc: dict[str, Any] | None = None, *, key: Key | None = None) -> bytes:
        """Sign and write `doc` (default: the current one) as the publisher would."""
        from plugin_kit.publisher.catalog import catalog_signature_comment, dump_catalog

        doc = doc if doc is not None else self.doc
        assert doc is not None
        data = dump_catalog(doc)
        self.catalog_path.parent.mkdir(parents=True, exist_ok=True)
        self.catalog_path.write_bytes(data)
        sig = sign_bytes(
            data, (key or self.catalog_key).secret, trusted_comment=catalog_signature_comment(doc)
        )
        self.catalog_path.with_name("extensions.json.minisig").write_text(sig)
        return data

    def bumped(self, **changes: Any) -> dict[str, Any]:
        """A copy of the current document with a higher serial and `changes` applied."""
        assert self.doc is not None
        doc = json.loads(json.dumps(self.doc))
        doc["serial"] += 1
        doc.update(changes)
        return doc


@pytest.fixture
def site(publisher, make_archive, plugin):
    """A catalog with weather-tools 1.0.0, registered as `acme`."""
    publisher.release(make_archive("weather-tools", "1.0.0"))
    assert (
        plugin(
            "catalog",
            "add",
            publisher.url,
            "--name",
            "acme",
            "--pubkey",
            publisher.catalog_key.public,
        ).code
        == 0
    )
    return publisher


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Key]:
    (tmp_path / "keys").mkdir()
    return {n: new_key(tmp_path / "keys" / n) for n in ("catalog", "release", "other")}


@pytest.fixture
def forge_key_id() -> Callable[[Key], Key]:
    return _forge_key_id


@pytest.fixture
def publisher(tmp_path: Path, keys: dict[str, Key]) -> Publisher:
    return Publisher(tmp_path / "site", keys["catalog"], keys["release"])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dedent(text: str) -> str:
    return textwrap.dedent(text)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def plugin(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run the `plugin` CLI in-process; returns exit code, stdout and stderr."""
    from plugin_kit.cli._output import run
    from plugin_kit.cli.main import cli

    def call(*args: str) -> Result:
        capsys.readouterr()
        code = run(cli, [str(a) for a in args], prog_name="plugin")
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call


@pytest.fixture
def http_folder():
    """Serve folders over loopback http; `serve(root, token=T)` answers only `?token=T` (403
    otherwise) and returns the base URL. Every server stops when the test ends."""
    import http.server
    import threading
    import urllib.parse

    servers = []

    def serve(root: Path, *, token: str | None = None) -> str:
        class Files(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parts.query)
                path = root / urllib.parse.unquote(parts.path).lstrip("/")
                if token is not None and query.get("token") != [token]:
                    self.send_error(403)
                elif not path.is_file():
                    self.send_error(404)
                else:
                    data = path.read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def install_in_project(plugin, make_archive):
    """Install weather-tools 1.0.0 from a local file into the workspace store of `ws`."""

    def install(ws: Path) -> PackResult:
        built = make_archive("weather-tools", "1.0.0")
        r = plugin(
            "install", built.path, "--sha256", built.sha256, "--project", "--workspace", ws, "--yes"
        )
        assert r.code == 0, r.err
        return built

    return install


@pytest.fixture
def install_yoi_file(plugin, make_yoi_archive):
    """Pack example.echo of the given kind and version and install it from the file into the
    user store (`--sha256`, `--yes`)."""

    def install(kind: str, version: str = "1.0.0") -> PackResult:
        built = make_yoi_archive(kind, version)
        r = plugin("install", built.path, "--sha256", built.sha256, "--yes")
        assert r.code == 0, r.err
        return built

    return install
