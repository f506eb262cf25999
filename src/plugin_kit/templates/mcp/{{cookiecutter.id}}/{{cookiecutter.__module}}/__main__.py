"""`python -m {{ cookiecutter.__module }}` serves MCP over stdio (how the host starts it)."""

from {{ cookiecutter.__module }}.server import main

main()
