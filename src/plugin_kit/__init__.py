"""insomnia-plugin-kit: build, sign, publish and install Insomnia agent-host plugins."""

__version__ = "0.1.0"
