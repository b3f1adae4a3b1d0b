"""What a schema tree may declare besides its messages, and what `spine-ws gen` refuses:
an envelope (`envelope.json`), dotted names, long-running commands and per-command frame
limits. Each refusal is one `ContractError` that says what is wrong."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spine_ws.codegen.contract import ContractError, load_contract

ROUTESIM = Path(__file__).resolve().parents[1] / "e2e/envelopes/routesim/schema"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the routesim test tree: an envelope and dotted messages of its own."""
    shutil.copytree(ROUTESIM, tmp_path / "schema")
    return tmp_path / "schema"


def edit(tree: Path, path: str, change: Callable[[dict[str, Any]], object]) -> None:
    file = tree / path
    doc = json.loads(file.read_text())
    change(doc)
    file.write_text(json.dumps(doc))


def test_the_tree_as_it_is_loads_with_its_declarations(tree: Path) -> None:
    contract = load_contract().extend(tree)
    assert contract.envelope is not None
    assert contract.envelope["name"] == "routesim"
    assert contract.long_running == {
        "map.create": {"others": "busy", "ticks": "refuse"},
        "world.survey": {"others": "queue", "ticks": "continue"},
    }
    assert contract.max_bytes == {"map.import": 4194304}
    assert contract.commands["map.create"] == "MapCreateCommand"  # named for its type


@pytest.mark.parametrize(
    ("path", "change", "says"),
    [
        (
            "envelope.json",
            lambda d: d["names"].update({"agent.create": "add_agnet"}),
            "names/agent.create maps onto 'add_agnet'",
        ),
        (
            "envelope.json",
            lambda d: d["names"].update({"map.create": "add_agent"}),
            "'map.create' is a message of its own",
        ),
        (
            "envelope.json",
            lambda d: d["replies"].update({"map.craete": "map.made"}),
            "replies/map.craete: no command is named",
        ),
        ("envelope.json", lambda d: d["event"].update(seq="signal"), "seq needs a member"),
        (
            "commands/map.create.json",
            lambda d: d.update({"x-spine-long-running": {"others": "wait"}}),
            "x-spine-long-running is an object with others",
        ),
        (
            "commands/map.import.json",
            lambda d: d.update({"x-spine-max-bytes": 100}),
            "x-spine-max-bytes is a number of bytes, at least 1024",
        ),
        (
            "commands/map.create.json",
            lambda d: d["properties"]["type"].update(const="Map.Create"),
            "properties.type.const is 'Map.Create'",
        ),
    ],
)
def test_a_bad_declaration_is_refused_with_what_is_wrong(
    tree: Path, path: str, change: Callable[[dict[str, Any]], object], says: str
) -> None:
    edit(tree, path, change)
    with pytest.raises(ContractError) as refused:
        load_contract().extend(tree)
    assert says in str(refused.value)


def test_a_name_that_is_not_lowercase_words_is_refused(tree: Path) -> None:
    (tree / "commands/map.create.json").rename(tree / "commands/map..create.json")
    edit(
        tree,
        "commands/map..create.json",
        lambda d: d["properties"]["type"].update(const="map..create"),
    )
    (tree / "results/map.create.json").unlink()
    with pytest.raises(ContractError, match=r"'map\.\.create' is not a message name"):
        load_contract().extend(tree)


def test_a_command_the_server_answers_may_not_run_long(tree: Path) -> None:
    edit(tree, "commands/map.create.json", lambda d: d.update({"x-spine-scope": "connection"}))
    with pytest.raises(ContractError, match="neither runs long nor is large"):
        load_contract().extend(tree)
