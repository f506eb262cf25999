"""The pre-flight as `plugin validate` and `plugin pack` call it: content.project.component_warnings
on the files that would be packed."""

from __future__ import annotations

from helpers.components import TOOL_WAT, component, manifest
from helpers.plugins import MANIFEST

from plugin_kit.content.collect import SourceFile
from plugin_kit.content.project import component_warnings
from plugin_kit.validators.manifest import parse_manifest

PLACE = "plugin.component.wasm"


def _files(tmp_path, data: bytes, name: str = PLACE) -> list[SourceFile]:
    (tmp_path / name).write_bytes(data)
    return [SourceFile(name, tmp_path / name, 0o644, len(data))]


def test_a_clean_component_gives_no_warning(tmp_path):
    assert component_warnings(manifest(), _files(tmp_path, component(TOOL_WAT))) == []


def test_a_placeholder_is_warned_about_with_its_path(tmp_path):
    (warning,) = component_warnings(manifest(), _files(tmp_path, b"# Build with: cargo\n"))
    assert (warning.rule, warning.file, warning.severity) == (
        "component-placeholder", PLACE, "warning",
    )  # fmt: skip


def test_nothing_when_the_component_is_not_packed(tmp_path):
    # A missing runtime.component is the semantic check's problem, not a second warning.
    assert component_warnings(manifest(), _files(tmp_path, b"x", name="other.wasm")) == []


def test_nothing_for_a_file_larger_than_yoi_loads(tmp_path):
    big = b"\0asm" + bytes(8 * 1024 * 1024)
    assert component_warnings(manifest(), _files(tmp_path, big)) == []


def test_nothing_for_a_manifest_without_a_component(tmp_path):
    insomnia = parse_manifest(MANIFEST.encode())
    assert component_warnings(insomnia, _files(tmp_path, b"placeholder")) == []
