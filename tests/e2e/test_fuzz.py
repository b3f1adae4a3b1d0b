"""Property-based fuzzing of `/ws` against a real server, over the bundled schemas.

* Valid commands (hypothesis-jsonschema over `generated/protocol.schema.json`), in random
  order and from whatever state the previous example left: each gets exactly one reply,
  the one a model of the default simulation predicts (an ack, or an error code the
  protocol documents for that command); the state the server then reports is the model's.
* Invalid frames (each command schema mutated, random JSON, non-JSON text, binary frames,
  deep or huge JSON): each gets exactly one `error` whose code, command_id and
  command_type a reference classifier predicts; the connection stays usable and the
  world is unchanged.

Every frame the client receives is validated against schema/events by the harness.

The knobs: SPINE_FUZZ_EXAMPLES (default 60) examples per fuzz test (the valid one and each
kind of invalid frame), and SPINE_FUZZ_SHRINK=1 to shrink a failure to a minimal example.
A long local run: `SPINE_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/e2e/test_fuzz.py
-o timeout=0`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

import jsonschema_rs
import orjson
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.support.server import ROOT, Client, Server, close_reading, connect, run_server

EXAMPLES = int(os.environ.get("SPINE_FUZZ_EXAMPLES", "60"))
# Shrinking replays a failure thousands of times against the real server: minutes, past
# the suite's timeout. Off by default (every assertion names the frame and the reply);
# SPINE_FUZZ_SHRINK=1 turns it on to get a minimal example locally.
SHRINK = os.environ.get("SPINE_FUZZ_SHRINK") == "1"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, *([Phase.shrink] if SHRINK else [])],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BUNDLE: dict[str, Any] = json.loads(
    (ROOT / "generated/spine_ws/generated/protocol.schema.json").read_text("utf-8")
)
DEFS: dict[str, Any] = BUNDLE["$defs"]
COMMAND_REFS: dict[str, str] = DEFS["Command"]["discriminator"]["mapping"]
COMMANDS = sorted(COMMAND_REFS)

# The server under fuzz: small limits so that limit_exceeded is reachable, no rate limit.
SEED_AGENTS = 3
MAX_AGENTS = 8
MAX_AGENT_DATA_BYTES = 512
MAX_DEPTH = 32
MAX_MEMBERS = 10_000
MAX_FRAME = 60_000  # below --max-message-bytes (64 KiB), which closes the connection instead
SIZE = 100.0  # the default world's edge; x and y must lie in 0..SIZE
MOTION = ("x", "y", "vx", "vy")

# What each command may be refused with, by its schema's description and ErrorCode's.
DOCUMENTED_REFUSALS: dict[str, set[str]] = {
    "start": {"invalid_state"},
    "stop": set(),
    "pause": {"invalid_state"},
    "resume": {"invalid_state"},
    "set_tick_rate": set(),
    "add_agent": {"agent_exists", "limit_exceeded", "invalid_message"},
    "delete_agent": {"agent_not_found"},
    "modify_agent": {"agent_not_found", "limit_exceeded", "invalid_message"},
    "describe_agent": {"agent_not_found"},
    "list_agents": {"agent_not_found"},
    "cancel": {"invalid_state"},
    "subscribe": {"invalid_message"},
}
# orjson refuses deeper JSON outright, so nothing of such a frame can be echoed.
ORJSON_MAX_DEPTH = 1024
PARSE_ERRORS = {"invalid_json", "invalid_message", "unknown_command"}

_ids = itertools.count(1)


@cache
def _validator(ref: str) -> Any:
    return jsonschema_rs.Draft202012Validator({**BUNDLE, "$ref": ref})


def _valid(wire: str, message: Any) -> bool:
    """The schema's verdict (jsonschema-rs: ECMA-262 regexes, as the TS side uses)."""
    return bool(_validator(COMMAND_REFS[wire]).is_valid(message))


@cache
def _command_strategy(wire: str) -> st.SearchStrategy[dict[str, Any]]:
    # hypothesis-jsonschema resolves the bundle's local `#/$defs/...` refs itself.
    # A command's schema is an object's: every value drawn is a dict.
    return cast(
        st.SearchStrategy[dict[str, Any]], from_schema({**BUNDLE, "$ref": COMMAND_REFS[wire]})
    )


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One server for the module: few agents allowed, small agent_data, no rate limit."""
    with run_server(
        "--seed-agents",
        str(SEED_AGENTS),
        "--max-agents",
        str(MAX_AGENTS),
        "--max-agent-data-bytes",
        str(MAX_AGENT_DATA_BYTES),
        "--command-rate",
        "1000000",
        "--command-burst",
        "1000000",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for the module; each hypothesis example runs a coroutine on it."""
    with asyncio.Runner() as runner:
        yield runner


# --- the reference: what the server must answer, computed without the server's code ---


def _measure(message: Any) -> tuple[int, int, bool]:
    """Container depth, members and items in all, and whether every number is finite.

    Iterative: the deep frames of the fuzz would overflow Python's stack.
    """
    depth, members, finite = 0, 0, True
    stack = [(message, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            children = list(node.values()) if isinstance(node, dict) else node
            depth, members = max(depth, level), members + len(children)
            stack.extend((child, level + 1) for child in children)
        elif isinstance(node, float):
            finite = finite and math.isfinite(node)
        elif isinstance(node, int) and not isinstance(node, bool):
            # JSON numbers must be finite doubles: 10**400 is not.
            finite = finite and abs(node) < 2**1024
    return depth, members, finite


def _unsafe_integer(frame: str) -> bool:
    """Whether the frame holds an integer beyond ±(2^53-1): refused, never rounded."""
    found: list[int] = []

    def integer(literal: str) -> int:
        value = int(literal)
        if abs(value) > 2**53 - 1:
            found.append(value)
        return value

    json.loads(frame, parse_int=integer)
    return bool(found)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Refusal:
    """The one `error` a frame must get."""

    code: str
    command_id: str | None = None
    command_type: str | None = None


def classify(frame: str | bytes) -> Refusal | None:
    """The error the protocol documents for `frame`, or None if it is a valid command."""
    if isinstance(frame, bytes):
        return Refusal("invalid_message")
    try:
        message = json.loads(frame, parse_constant=_no_constants)
    except RecursionError:  # only valid-looking JSON nests this deep before it fails
        return Refusal("invalid_message")
    except ValueError:
        return Refusal("invalid_json")
    depth, members, finite = _measure(message)
    if not finite:
        return Refusal("invalid_json")
    # The top-level id is echoed whenever the frame is an object that holds a valid one.
    raw_id = message.get("id") if isinstance(message, dict) else None
    command_id = raw_id if _validator("#/$defs/CommandId").is_valid(raw_id) else None
    if depth > ORJSON_MAX_DEPTH:  # the server's parser gives up before it reads the id
        return Refusal("invalid_message")
    if depth > MAX_DEPTH or members > MAX_MEMBERS:
        return Refusal("invalid_message", command_id)
    if not isinstance(message, dict):
        return Refusal("invalid_message")
    wire = message.get("type")
    if not isinstance(wire, str):
        return Refusal("invalid_message", command_id)
    if wire not in COMMAND_REFS:
        return Refusal("unknown_command", command_id)
    if _valid(wire, message) and not _unsafe_integer(frame):
        return None
    return Refusal("invalid_message", command_id, wire)


@dataclass
class Model:
    """What the default simulation must do with valid commands, as a plain model.

    Agents map to their kind and data without the motion members (those move on ticks).
    """

    status: str
    tick_rate: float
    agents: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # What the simulation handles (the snapshot says); any other schema is unsupported.
    supported: frozenset[str] = frozenset()

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> Model:
        simulation = snapshot["simulation"]
        agents = {a["agent_id"]: (a["agent_kind"], _still(a["data"])) for a in snapshot["agents"]}
        supported = frozenset(snapshot["commands"])
        return cls(simulation["status"], simulation["tick_rate"], agents, supported)

    def apply(self, command: dict[str, Any]) -> str | None:
        """Apply one valid command; return the error code it must get (None: an ack)."""
        wire = command["type"]
        if wire not in self.supported:
            return "unsupported_command"
        data: Any = command.get("agent_data")
        # The server checks the size of agent_data as it will hold it (orjson, compact).
        if data is not None and len(orjson.dumps(data)) > MAX_AGENT_DATA_BYTES:
            return "limit_exceeded"
        agent_id: Any = command.get("agent_id")  # a str where the schema asks for one
        if wire == "start":
            if self.status != "stopped":
                return "invalid_state"
            self.status = "running"
            self.tick_rate = command.get("tick_rate", self.tick_rate)
        elif wire == "stop":
            self.status = "stopped"
        elif wire == "pause":
            if self.status != "running":
                return "invalid_state"
            self.status = "paused"
        elif wire == "resume":
            if self.status != "paused":
                return "invalid_state"
            self.status = "running"
        elif wire == "set_tick_rate":
            self.tick_rate = command["tick_rate"]
        elif wire == "add_agent":
            if agent_id in self.agents:
                return "agent_exists"
            if len(self.agents) >= MAX_AGENTS:
                return "limit_exceeded"
            if data is not None and not _motion_ok(data):
                return "invalid_message"
            self.agents[agent_id] = (command["agent_kind"], _still(data or {}))
        elif wire == "delete_agent":
            if self.agents.pop(agent_id, None) is None:
                return "agent_not_found"
        elif wire == "modify_agent":
            if agent_id not in self.agents:
                return "agent_not_found"
            if not _motion_ok(data):
                return "invalid_message"
            self.agents[agent_id][1].update(_still(data))
        elif wire == "describe_agent":
            if agent_id not in self.agents:
                return "agent_not_found"
        elif wire == "list_agents":
            if "after" in command and command["after"] not in self.agents:
                return "agent_not_found"
        elif wire == "subscribe":
            # About the connection (the world unchanged): acked, but columns are for
            # MessagePack connections, and this one is JSON; a region's edges in order.
            if command.get("columns") is True:
                return "invalid_message"
            region = command.get("region")
            if region and (region["x_max"] < region["x_min"] or region["y_max"] < region["y_min"]):
                return "invalid_message"
        elif wire == "cancel":
            # Each command is answered before the next is sent: none of this
            # connection's is queued or running when a cancel comes.
            return "invalid_state"
        else:
            raise AssertionError(f"the model has no rule for {wire!r}: add one")
        return None


def _still(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in MOTION}


def _motion_ok(data: dict[str, Any]) -> bool:
    """x, y, vx, vy (when present) are finite numbers, x and y inside the world."""
    for key in MOTION:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value) or (key in ("x", "y") and not 0 <= value <= SIZE):
            return False
    return True


# --- strategies ---

AGENT_POOL = [f"agent-{n}" for n in range(1, SEED_AGENTS + 1)] + ["fz-1", "fz-2", "fz-3"]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
motion_values = st.one_of(
    st.floats(0, SIZE),
    st.integers(0, int(SIZE)),
    st.floats(-20, 120, allow_nan=False) | st.sampled_from([True, None, "1", [1]]),
)


@st.composite
def valid_commands(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid command, often about an agent that exists, sometimes moving it."""
    wire = draw(st.sampled_from(COMMANDS))
    command = dict(draw(_command_strategy(wire)))
    if "agent_id" in command and draw(st.integers(0, 3)):
        command["agent_id"] = draw(st.sampled_from(AGENT_POOL))
    if "agent_data" in command and draw(st.booleans()):
        command["agent_data"] = {
            **command["agent_data"],
            **draw(st.dictionaries(st.sampled_from(MOTION), motion_values, min_size=1)),
        }
    # With or without an id; _run_valid makes each one unique (not here: generation must
    # not depend on state outside the draw).
    command.pop("id", None)
    if draw(st.booleans()):
        command["id"] = "v"
    assert _valid(wire, command), f"hypothesis-jsonschema made an invalid {wire}: {command}"
    return command


def _not_valid_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    validator = jsonschema_rs.Draft202012Validator({**BUNDLE, **schema})
    special = st.sampled_from(
        ["", "x" * 65, "has space", "new\nline", "trailing\n", "é", -1, 0, 0.0999, 100.0001, 1e300]
    )
    return (special | json_values).filter(lambda value: not validator.is_valid(value))


def _schema_of(wire: str) -> dict[str, Any]:
    schema: dict[str, Any] = DEFS[COMMAND_REFS[wire].rsplit("/", 1)[1]]
    return schema


def _bounded(wire: str) -> list[str]:
    """Members of a command whose schema sets a numeric range (e.g. tick_rate)."""
    properties = _schema_of(wire)["properties"]
    return [
        name
        for name, sub in properties.items()
        if "minimum" in DEFS.get(sub.get("$ref", "").rsplit("/", 1)[-1], {})
    ]


BOUNDED_COMMANDS = [wire for wire in COMMANDS if _bounded(wire)]
out_of_range = (
    st.floats(max_value=0.0999, allow_nan=False, allow_infinity=False)
    | st.floats(min_value=100.0001, allow_nan=False, allow_infinity=False)
    | st.integers(max_value=0)
    | st.integers(min_value=101, max_value=2**70)
)


@st.composite
def mutated_commands(draw: st.DrawFn, how: str) -> str:
    """A valid command broken one way: `how` is drop, retype, bad_id, extra, range or type."""
    wire = draw(st.sampled_from(BOUNDED_COMMANDS if how == "range" else COMMANDS))
    schema = _schema_of(wire)
    command = dict(draw(_command_strategy(wire)))
    if how == "drop":
        command.pop(draw(st.sampled_from(sorted(schema["required"]))))
    elif how == "retype":
        name = draw(st.sampled_from(sorted(schema["properties"])))
        command[name] = draw(_not_valid_for(schema["properties"][name]))
    elif how == "bad_id":
        command["id"] = draw(_not_valid_for(schema["properties"]["id"]) | st.text(max_size=70))
    elif how == "extra":
        name = draw(st.text(max_size=10).filter(lambda n: n not in schema["properties"]))
        command[name] = draw(json_values)
    elif how == "range":
        command[draw(st.sampled_from(_bounded(wire)))] = draw(out_of_range)
    elif how == "type":
        command["type"] = draw(
            st.sampled_from([wire.upper(), f"{wire} ", "warp", "", "tick_start", "command_ack"])
            | st.text(max_size=12).filter(lambda t: t not in COMMAND_REFS)
            | json_scalars.filter(lambda t: not isinstance(t, str))
        )
    else:
        raise AssertionError(f"no mutation {how!r}")
    return json.dumps(command)


non_json_text = st.one_of(
    st.sampled_from(
        [
            "",
            "   ",
            "NaN",
            "-Infinity",
            '{"type": "stop", "id": "n", "x": NaN}',
            '{"type": "set_tick_rate", "id": "n", "tick_rate": 1e400}',
            "{'type': 'stop'}",
            '{"type": "stop"} trailing',
            '{"type": "stop",}',
            "[" * 3000,
        ]
    ),
    st.text(max_size=40),
    valid_commands()
    .map(json.dumps)
    .flatmap(lambda text: st.integers(0, len(text) - 1).map(lambda cut: text[:cut])),
)


@st.composite
def deep_json(draw: st.DrawFn) -> str:
    """Nesting past the depth limit (also past orjson's 1024) or past the member limit."""
    depth = draw(st.integers(MAX_DEPTH + 1, 3000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    deep = opener * depth + "0" + closer * depth
    return draw(
        st.sampled_from(
            [
                deep,
                f'{{"type": "add_agent", "id": "d", "agent_id": "d", "agent_kind": "k", '
                f'"agent_data": {{"deep": {deep}}}}}',
                "[" + "0," * MAX_MEMBERS + "0]",
            ]
        )
    )


# Each kind of invalid frame is its own test, so every kind gets its share of examples.
INVALID_FRAMES: dict[str, st.SearchStrategy[str] | st.SearchStrategy[bytes]] = {
    "required_member_dropped": mutated_commands("drop"),
    "member_of_wrong_type_or_pattern": mutated_commands("retype"),
    "command_id_not_a_command_id": mutated_commands("bad_id"),
    "extra_member": mutated_commands("extra"),
    "number_out_of_range": mutated_commands("range"),
    "wrong_type": mutated_commands("type"),
    "random_json": json_values.map(json.dumps),
    "not_json": non_json_text,
    "binary": st.binary(max_size=40) | valid_commands().map(lambda c: json.dumps(c).encode()),
    "deep_or_huge_json": deep_json(),
}


# --- driving the server ---


async def _reply(client: Client) -> dict[str, Any]:
    """The next reply (ack or error) addressed to this client; a broadcast error fails."""
    reply = await client.next("command_ack", "error")
    assert "seq" not in reply, f"the simulation faulted: {reply}"
    return reply


def _replies(client: Client) -> list[dict[str, Any]]:
    return [e for e in client.seen if e["type"] in ("command_ack", "error") and "seq" not in e]


async def _snapshot(server: Server) -> dict[str, Any]:
    client = await connect(server)
    await close_reading(client)
    return client.snapshot


async def _run_valid(server: Server, commands: list[dict[str, Any]]) -> None:
    client = await connect(server)
    try:
        model = Model.from_snapshot(client.snapshot)
        sent = 0
        for command in commands:
            if "id" in command:
                command = {**command, "id": f"v{next(_ids)}"}
            frame = json.dumps(command)
            if len(frame) > MAX_FRAME:
                continue
            # The model sees the command as the server does: orjson turns integers beyond
            # 64 bits into floats, which changes the size of agent_data.
            unsafe = _unsafe_integer(frame)
            expected = "invalid_message" if unsafe else model.apply(orjson.loads(frame))
            await client.send_raw(frame)
            sent += 1
            reply = await _reply(client)
            wire = command["type"]
            event(f"{wire}: {expected or 'ack'}")
            assert reply["command_type"] == wire, (command, reply)
            assert reply.get("command_id") == command.get("id"), (command, reply)
            if reply["type"] == "error":
                documented = DOCUMENTED_REFUSALS.get(wire, set()) | {"unsupported_command"}
                if unsafe:  # any command's: the wire refuses such an integer (protocol.md)
                    documented.add("invalid_message")
                assert reply["code"] in documented, (command, reply)
            assert reply.get("code") == expected, (command, reply, model)
        # A no-op through the same queue: any late second reply would arrive before it.
        sentinel = {"type": "set_tick_rate", "id": f"v{next(_ids)}", "tick_rate": model.tick_rate}
        await client.send_raw(json.dumps(sentinel))
        last = await _reply(client)
        assert last.get("command_id") == sentinel["id"], f"a reply nothing asked for: {last}"
        assert len(_replies(client)) == sent + 1, _replies(client)
        snapshot = await _snapshot(server)
        assert Model.from_snapshot(snapshot) == model, (snapshot, model)
    finally:
        await close_reading(client)


def test_valid_commands_get_one_predicted_reply_and_the_state_follows(
    server: Server, runner: asyncio.Runner
) -> None:
    """Schema-valid commands in any order and state: one documented reply each, as modelled."""

    @FUZZ
    @given(commands=st.lists(valid_commands(), min_size=1, max_size=10))
    # Found by CI: a command with no integer refusal of its own, carrying one beyond 2^53.
    @example(commands=[{"type": "playback.seek", "id": "s", "tick": 2**60}])
    def fuzz(commands: list[dict[str, Any]]) -> None:
        runner.run(_run_valid(server, commands))

    fuzz()


FOLLOW_UP = {"type": "stop", "id": "follow-up"}


def _world_of(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: snapshot[k] for k in ("epoch", "seq", "simulation", "agents")}


async def _run_invalid(server: Server, frame: str | bytes, expected: Refusal) -> None:
    client = await connect(server)
    try:
        await client.send_raw(frame)
        await client.send_raw(json.dumps(FOLLOW_UP))
        await client.reply_to(FOLLOW_UP["id"])
        replies = _replies(client)
        assert [r["type"] for r in replies] == ["error", "command_ack"], (frame, replies)
        error = replies[0]
        assert error["code"] in PARSE_ERRORS
        assert Refusal(error["code"], error.get("command_id"), error.get("command_type")) == (
            expected
        ), (frame, error)
        # The simulation is stopped, so only a command can change the world, and every
        # change is broadcast (the snapshot is built from the broadcasts): none may come.
        changes = [e for e in client.seen[1:] if "seq" in e]
        assert not changes, f"an invalid frame changed the world: {changes}"
    finally:
        await close_reading(client)


@pytest.mark.parametrize("kind", INVALID_FRAMES)
def test_invalid_frames_get_one_documented_error_and_change_nothing(
    server: Server, runner: asyncio.Runner, kind: str
) -> None:
    """Broken frames get one error with the predicted code; the connection and world stay."""
    stopped = runner.run(_stop(server))
    before = _world_of(stopped)

    @FUZZ
    @given(frame=INVALID_FRAMES[kind])
    def fuzz(frame: str | bytes) -> None:
        expected = classify(frame)
        if expected is None or len(frame) > MAX_FRAME:
            return  # a mutation that is still valid, or too big to be a refusal
        runner.run(_run_invalid(server, frame, expected))

    fuzz()
    assert _world_of(runner.run(_snapshot(server))) == before


async def _stop(server: Server) -> dict[str, Any]:
    """Stop the simulation; return a snapshot taken after the stop."""
    client = await connect(server)
    try:
        assert (await client.command({"type": "stop"}))["type"] == "command_ack"
    finally:
        await close_reading(client)
    return await _snapshot(server)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1]", "invalid_message"),
        ('{"type": "warp"}', "unknown_command"),
        ('{"type": "stop", "extra": 1}', "invalid_message"),
        (b"\x00\x01", "invalid_message"),
        ("[" * 40 + "]" * 40, "invalid_message"),
    ],
)
def test_the_reference_classifier_agrees_with_the_error_codes(
    frame: str | bytes, code: str
) -> None:
    """classify() (the fuzz oracle) gives the codes ErrorCode's description assigns."""
    refusal = classify(frame)
    assert refusal is not None and refusal.code == code


def test_the_reference_classifier_accepts_valid_commands() -> None:
    """classify() returns None for a valid command, so the invalid fuzz never sends one."""
    assert classify('{"type": "add_agent", "agent_id": "a", "agent_kind": "k"}') is None
    assert classify('{"type": "add_agent", "agent_id": "a\\n", "agent_kind": "k"}') == Refusal(
        "invalid_message", None, "add_agent"
    )
