"""Adding a message is its schema and its examples, then `make gen`: nothing else changes.

Proved on a copy of the tree: a `set_speed_limit` command and a `jam` event (schema +
example messages each) are added, the generator runs, and the whole contract suite and
the TypeScript type check pass in the copy, with no other file edited. The default world
does not handle the new command nor emit the new event, and needs no change for either.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["schema", "generated", "server", "tests", "pyproject.toml"]
TS_COPIED = ["src", "scripts", "test", "tsconfig.json", "package.json"]

COMMAND = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "SetSpeedLimitCommand",
    "description": "Cap the speed of every car on the ring road.",
    "type": "object",
    "properties": {
        "type": {"const": "set_speed_limit", "description": 'Always "set_speed_limit".'},
        "id": {"$ref": "../defs/command_id.json", "description": "Echoed in the reply."},
        "limit": {"type": "number", "minimum": 0, "description": "Metres per second."},
    },
    "required": ["type", "limit"],
    "additionalProperties": False,
}
EXAMPLES = {
    "valid": [
        {"type": "set_speed_limit", "limit": 13.9},
        {"type": "set_speed_limit", "id": "s-1", "limit": 0},
        {"type": "set_speed_limit", "limit": 30},
    ],
    "invalid": [
        {"why": "negative limit", "message": {"type": "set_speed_limit", "limit": -1}},
        {"why": "limit missing", "message": {"type": "set_speed_limit"}},
        {"why": "extra member", "message": {"type": "set_speed_limit", "limit": 1, "x": 2}},
    ],
}


EVENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "JamEvent",
    "description": "Cars queue behind each other somewhere on the ring.",
    "type": "object",
    "properties": {
        "type": {"const": "jam", "description": 'Always "jam".'},
        "seq": {"$ref": "../defs/seq.json", "description": "Broadcast sequence number."},
        "tick": {"$ref": "../defs/tick.json", "description": "Tick it was seen at."},
        "cars": {
            "type": "array",
            "items": {"$ref": "../defs/agent_id.json"},
            "description": "The queueing cars, front first.",
        },
    },
    "required": ["type", "seq", "tick", "cars"],
    "additionalProperties": False,
}
EVENT_EXAMPLES = {
    "valid": [
        {"type": "jam", "seq": 3, "tick": 1, "cars": ["a", "b"]},
        {"type": "jam", "seq": 9, "tick": 4, "cars": []},
    ],
    "invalid": [
        {"why": "cars missing", "message": {"type": "jam", "seq": 3, "tick": 1}},
        {"why": "seq zero", "message": {"type": "jam", "seq": 0, "tick": 1, "cars": []}},
    ],
}


def _copy_tree(dst: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis")
    for part in COPIED:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dst / part, ignore=ignore)
        else:
            shutil.copy2(source, dst / part)
    for part in TS_COPIED:
        source = ROOT / "clients/ts" / part
        target = dst / "clients/ts" / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for built in ("node_modules", "dist"):  # the viewer is served at / in the HTTP API test
        os.symlink(ROOT / "clients/ts" / built, dst / "clients/ts" / built)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The copy's source roots come first on sys.path (the checkout's .pth ones last).
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(cwd / p) for p in ("server", "generated", ".")),
        # The copy's pytest writes its summary lines whole (an error's message was cut
        # to "Syst..." in one run under load).
        "COLUMNS": "400",
    }
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.tooling
def test_a_message_is_added_by_its_schema_and_examples_alone(tmp_path: Path) -> None:
    """Schema + examples + the generator: the contract suite and tsc pass in the copy."""
    _copy_tree(tmp_path)
    (tmp_path / "schema/commands/set_speed_limit.json").write_text(json.dumps(COMMAND, indent=2))
    examples = tmp_path / "tests/contract/messages/commands/set_speed_limit.json"
    examples.write_text(json.dumps(EXAMPLES, indent=2))
    (tmp_path / "schema/events/jam.json").write_text(json.dumps(EVENT, indent=2))
    events = tmp_path / "tests/contract/messages/events/jam.json"
    events.write_text(json.dumps(EVENT_EXAMPLES, indent=2))

    generated = _run([sys.executable, "-m", "spine_ws.codegen", "--root", str(tmp_path)], tmp_path)
    assert generated.returncode == 0, generated.stderr
    models = (tmp_path / "generated/spine_ws/generated/models.py").read_text()
    assert "class SetSpeedLimitCommand(BaseModel)" in models
    assert "class JamEvent(BaseModel)" in models

    contract = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/contract",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ignore=tests/contract/test_growth.py",
            "--ignore=tests/contract/test_docs.py",  # the docs are not copied
        ],
        tmp_path,
    )
    assert contract.returncode == 0, contract.stdout[-4000:] + contract.stderr[-2000:]
    assert (
        "set_speed_limit"
        in _run(
            [sys.executable, "-m", "pytest", "tests/contract/test_examples.py", "--co", "-q"],
            tmp_path,
        ).stdout
    )

    tsc = _run(["npx", "tsc", "-p", "tsconfig.json"], tmp_path / "clients/ts")
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
