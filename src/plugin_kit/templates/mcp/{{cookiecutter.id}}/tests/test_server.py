"""The tool's logic, and the server as the host sees it: started over stdio, listed, called."""

from __future__ import annotations

import json
import sys

import anyio
from conftest import ROOT
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from {{ cookiecutter.__module }}.server import count_words

MODULE = {{ cookiecutter.__module|quote }}


def test_count_words():
    assert count_words("one two  three\n") == {"words": 3, "characters": 15}
    assert count_words("") == {"words": 0, "characters": 0}


async def _probe() -> tuple[dict, dict]:
    params = StdioServerParameters(command=sys.executable, args=["-m", MODULE], cwd=str(ROOT))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        result = await session.call_tool("count_words", {"text": "hello MCP world"})
        text = next(c.text for c in result.content if getattr(c, "text", None))
        return tools, json.loads(text)


def test_server_over_stdio(manifest):
    tools, answer = anyio.run(_probe)
    assert answer == {"words": 3, "characters": 15}
    # What the server lists is what plugin.toml declares, with the same input fields.
    assert set(tools) == {t["name"] for t in manifest["tools"]}
    for declared in manifest["tools"]:
        schema = json.loads((ROOT / declared["input_schema"]).read_text(encoding="utf-8"))
        tool = tools[declared["name"]]
        served = getattr(tool, "input_schema", None) or tool.inputSchema  # mcp 2.x / 1.x
        assert set(served["properties"]) == set(schema["properties"])
        assert set(served.get("required", [])) == set(schema.get("required", []))
