"""The dev loop's build step: the templates' `plugin wat2wasm`/`plugin wat2component` run in-process,
producing what the command would; any other spelling runs as a process."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from dev.yoi_components import core_wat, write_wit, yoi_project

from plugin_kit.dev.build import _in_process, run_dev_build

WAT = '(module (func (export "f") (result i32) i32.const 7))'


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            ["plugin", "wat2wasm", "a.wat", "-o", "m.wasm"],
            ("wat2wasm", {"src": "a.wat", "out": "m.wasm"}),
        ),
        (
            ["plugin", "wat2wasm", "a.wat", "--output", "m.wasm"],
            ("wat2wasm", {"src": "a.wat", "out": "m.wasm"}),
        ),
        (
            ["plugin", "wat2component", "a.wat", "--world", "tool", "--wit", "wit", "-o", "c.wasm"],
            ("wat2component", {"src": "a.wat", "out": "c.wasm", "wit_dir": "wit", "world": "tool"}),
        ),
        (["plugin", "wat2wasm", "a.wat", "-o", "m.wasm", "--json"], None),
        (["plugin", "wat2wasm", "a.wat", "-o", "m.wasm", "-o", "n.wasm"], None),
        (["plugin", "wat2component", "a.wat", "--wit", "wit", "-o", "c.wasm"], None),
        (["plugin", "wat2wasm", "-o", "m.wasm"], None),
        (["plugin", "pack"], None),
        (["make", "wat2wasm", "a.wat", "-o", "m.wasm"], None),
    ],
)
def test_only_the_templates_spelling_runs_in_process(command, expected) -> None:
    assert _in_process(command) == expected


def test_in_process_wat2wasm_writes_what_the_command_writes(tmp_path: Path) -> None:
    (tmp_path / "a.wat").write_text(WAT)
    run_dev_build(tmp_path, ["plugin", "wat2wasm", "a.wat", "-o", "dev.wasm"])
    subprocess.run([sys.executable, "-m", "plugin_kit", "wat2wasm", "a.wat", "-o", "cli.wasm"],
                   cwd=tmp_path, check=True, capture_output=True)  # fmt: skip
    assert (tmp_path / "dev.wasm").read_bytes() == (tmp_path / "cli.wasm").read_bytes()


def test_in_process_wat2component_writes_what_the_command_writes(tmp_path: Path) -> None:
    write_wit(tmp_path / "wit")
    (tmp_path / "a.wat").write_text(core_wat("tool"))
    args = ["a.wat", "--wit", "wit", "--world", "tool"]
    subprocess.run([sys.executable, "-m", "plugin_kit", "wat2component", *args, "-o", "cli.wasm"],
                   cwd=tmp_path, check=True, capture_output=True)  # fmt: skip
    run_dev_build(tmp_path, ["plugin", "wat2component", *args, "-o", "dev.wasm"])
    digest = [
        hashlib.sha256((tmp_path / n).read_bytes()).digest() for n in ("dev.wasm", "cli.wasm")
    ]
    assert digest[0] == digest[1]


def test_dev_and_pack_read_one_build_command_with_one_rule(tmp_path: Path) -> None:
    """plugin-kit.toml [build] command is one command for `plugin dev` as for `plugin pack`
    (content/settings.py reads it for both): a list of commands is refused by both alike."""
    from plugin_kit.dev.session import DevSession
    from plugin_kit.errors import ValidationError
    from plugin_kit.packer.writer import pack

    root = yoi_project(tmp_path / "plugin", core_wat("tool"))
    (root / "plugin-kit.toml").write_text(
        '[build]\ncommand = [["plugin", "wat2component", "src/component.wat"], ["true"]]\n'
    )
    session = DevSession(root)
    events = []
    try:
        session.cycle(events.append)
    finally:
        session.close()
    with pytest.raises(ValidationError) as refused:
        pack(root, tmp_path / "out")
    assert events[-1].event == "error"
    assert events[-1].error["rule"] == refused.value.rule == "sidecar-schema"
    assert events[-1].error["place"] == refused.value.place
