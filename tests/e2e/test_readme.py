"""The plug-in example in docs/plugins.md runs as written, behind the real server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.server import ROOT, close_reading, connect, run_server

pytestmark = pytest.mark.anyio

MARKER = "<!-- docs example: orbit.py"
EXAMPLE = ROOT / "docs" / "plugins.md"


def docs_example() -> str:
    """The ```python block right after the marker comment in docs/plugins.md."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index(MARKER)
    block = re.search(r"```python\n(.*?)```", text[start:], re.DOTALL)
    assert block is not None, "docs/plugins.md: no python block after the example marker"
    return block.group(1)


async def test_the_docs_simulation_plugs_in_and_moves_its_agents(tmp_path: Path) -> None:
    """orbit.py from docs/plugins.md serves commands, replies and moving agents."""
    (tmp_path / "orbit.py").write_text(docs_example(), encoding="utf-8")
    # Run from the folder that holds orbit.py, as docs/plugins.md says: no PYTHONPATH.
    with run_server("--simulation", "orbit:create", cwd=tmp_path) as server:
        client = await connect(server)
        assert client.snapshot["simulation"]["tick_rate"] == 30

        added = await client.command({"type": "add_agent", "agent_id": "moon", "agent_kind": "k"})
        assert added["type"] == "command_ack"
        again = await client.command({"type": "add_agent", "agent_id": "moon", "agent_kind": "k"})
        assert again["code"] == "agent_exists"

        assert (await client.command({"type": "start"}))["type"] == "command_ack"
        positions: set[tuple[float, float]] = set()
        while len(positions) < 5:
            update = await client.next("agent_update")
            positions.add((update["data"]["x"], update["data"]["y"]))

        modified = await client.command(
            {"type": "modify_agent", "agent_id": "moon", "agent_data": {"speed": 0.2}}
        )
        assert modified["type"] == "command_ack"
        updates = [e for e in client.seen if e["type"] == "agent_update"]
        assert updates[-1]["data"]["speed"] == 0.2, "modify_agent is broadcast before its ack"

        assert (await client.command({"type": "delete_agent", "agent_id": "moon"}))[
            "type"
        ] == "command_ack"
        gone = await client.command({"type": "delete_agent", "agent_id": "moon"})
        assert gone["code"] == "agent_not_found"
        assert server.health()["simulation"]["status"] == "running"
        await close_reading(client)
