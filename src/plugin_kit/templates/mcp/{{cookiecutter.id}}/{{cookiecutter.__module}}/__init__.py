"""{{ cookiecutter.name }}: an MCP server with one tool, count_words."""
