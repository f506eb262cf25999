"""`plugin completion SHELL`: print the script that makes Tab complete commands, options,
installed refs and catalog names (click's shell completion)."""

from __future__ import annotations

import click

from plugin_kit.cli._output import echo_block

_SHELLS = ("bash", "fish", "zsh")


@click.command()
@click.argument("shell", type=click.Choice(_SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    Tab then completes commands and options, installed refs (enable, disable, upgrade,
    uninstall, verify), catalog names and the plugins they list (install, show).

    \b
    Examples (install it once):
      eval "$(plugin completion bash)"      # in ~/.bashrc
      eval "$(plugin completion zsh)"       # in ~/.zshrc
      plugin completion fish | source       # in ~/.config/fish/config.fish
    """
    from click.shell_completion import get_completion_class

    from plugin_kit.cli.main import cli

    cls = get_completion_class(shell)
    assert cls is not None  # click.Choice admitted only shells click knows
    echo_block(cls(cli, {}, "plugin", "_PLUGIN_COMPLETE").source())
