"""The MCP server: one tool over stdio. stdout carries the protocol, so never print to it."""

from __future__ import annotations

try:  # mcp 2.x
    from mcp.server.mcpserver import MCPServer
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as MCPServer

server = MCPServer({{ cookiecutter.id|quote }})


def count_words(text: str) -> dict[str, int]:
    """Count the words and characters in a text."""
    return {"words": len(text.split()), "characters": len(text)}


server.tool(description="Count the words and characters in a text")(count_words)


def main() -> None:
    server.run("stdio")
