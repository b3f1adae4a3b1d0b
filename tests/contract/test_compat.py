"""The breaking-change gate, seen to judge: each kind of change is planted in a copy of
`schema/` released as it is now, and the gate's verdict and message are checked."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spine_ws.codegen import compat
from spine_ws.codegen.contract import load_contract
from spine_ws.codegen.diff import compare

ROOT = Path(__file__).resolve().parents[2]
ROUTESIM = ROOT / "tests/e2e/envelopes/routesim/schema"
VERSION = load_contract(ROOT / "schema").protocol_version
MAJOR, MINOR, PATCH = (int(p) for p in VERSION.split("."))
NEXT_MINOR = f"{MAJOR}.{MINOR + 1}.0"
NEXT_PATCH = f"{MAJOR}.{MINOR}.{PATCH + 1}"
NEXT_MAJOR = f"{MAJOR + 1}.0.0"

Edit = Callable[[Path], None]


def edit(root: Path, path: str, change: Callable[[dict[str, Any]], object]) -> None:
    file = root / "schema" / path
    doc = json.loads(file.read_text(encoding="utf-8"))
    change(doc)
    file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def bump(root: Path, version: str) -> None:
    edit(root, "defs/protocol_version.json", lambda d: d.update(const=version))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of schema/, released at its protocol_version."""
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    assert compat.release(tmp_path, client=False) == 0
    return tmp_path


def gate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = compat.check(root)
    out = capsys.readouterr()
    return code, out.out + out.err


def remove_event_member(root: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        del d["properties"]["tick"]
        d["required"].remove("tick")

    edit(root, "events/tick_start.json", change)


def retype_event_member(root: Path) -> None:
    edit(
        root,
        "events/tick_start.json",
        lambda d: d["properties"].update(tick={"type": "string", "description": "Now a name."}),
    )


def tighten_command_pattern(root: Path) -> None:
    edit(root, "defs/command_id.json", lambda d: d.update(pattern="^[a-z0-9]{1,8}$"))


def add_required_command_member(root: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["properties"]["page"] = {"type": "integer", "description": "Page number."}
        d["required"].append("page")

    edit(root, "commands/list_agents.json", change)


def add_enum_value(root: Path) -> None:
    edit(root, "defs/simulation_status.json", lambda d: d["enum"].append("crashed"))


def rename_type(root: Path) -> None:
    edit(root, "defs/tick.json", lambda d: d.update(title="TickNumber"))


def remove_command(root: Path) -> None:
    (root / "schema/commands/pause.json").unlink()


def remove_event(root: Path) -> None:
    (root / "schema/events/world_event.json").unlink()


def tighten_command_bound(root: Path) -> None:
    edit(root, "defs/tick_rate.json", lambda d: d.update(maximum=50))


# Each breaking change, the JSON pointer the gate must name, and words of its message.
BREAKING: dict[str, tuple[Edit, str, str]] = {
    "event_member_removed": (remove_event_member, "/$defs/TickStartEvent", "member 'tick' removed"),
    "event_member_retyped": (
        retype_event_member,
        "/$defs/TickStartEvent/properties/tick",
        "may refuse event tick_start",
    ),
    "command_pattern_tightened": (
        tighten_command_pattern,
        "/$defs/CommandId/pattern",
        "was valid before, now it is not",
    ),
    "command_member_required": (
        add_required_command_member,
        "/$defs/ListAgentsCommand",
        'required gains "page"',
    ),
    "enum_value_added": (add_enum_value, "/$defs/SimulationStatus", 'enum gains "crashed"'),
    "type_renamed": (rename_type, "/$defs/Tick", "type Tick removed or renamed"),
    "command_removed": (remove_command, "/$defs/PauseCommand", "command pause removed"),
    "event_removed": (remove_event, "/$defs/WorldEventEvent", "event world_event removed"),
    "command_bound_tightened": (
        tighten_command_bound,
        "/$defs/TickRate",
        "maximum 100 -> 50: an old client's set_tick_rate, start may now be refused",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKING))
def test_a_breaking_change_fails_without_a_major_bump(
    tree: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A breaking change with a minor bump fails, naming its pointer and what breaks."""
    plant, pointer, said = BREAKING[name]
    plant(tree)
    bump(tree, NEXT_MINOR)
    code, out = gate(tree, capsys)
    assert code == 1, out
    assert f"bump it to {NEXT_MAJOR}" in out
    line = next((x for x in out.splitlines() if x.strip().startswith(pointer + ":")), None)
    assert line is not None, out
    assert said in line


@pytest.mark.parametrize("name", sorted(BREAKING))
def test_a_breaking_change_passes_with_a_major_bump(
    tree: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same change under a new major version passes, listed as major."""
    plant, pointer, _ = BREAKING[name]
    plant(tree)
    bump(tree, NEXT_MAJOR)
    code, out = gate(tree, capsys)
    assert code == 0, out
    assert any(x.strip().startswith(pointer + ":") and "(major)" in x for x in out.splitlines())


def add_optional_command_member(root: Path) -> None:
    edit(
        root,
        "commands/list_agents.json",
        lambda d: d["properties"].update(page={"type": "integer", "description": "Page."}),
    )


def add_optional_event_member(root: Path) -> None:
    edit(
        root,
        "events/tick_start.json",
        lambda d: d["properties"].update(phase={"type": "string", "description": "Phase."}),
    )


def add_event_type(root: Path) -> None:
    # A name no other test plants (the growth test adds a `jam` to its copy of the tree).
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "PlantedEvent",
        "description": "Something new happens.",
        "type": "object",
        "properties": {
            "type": {"const": "planted", "description": 'Always "planted".'},
            "seq": {"$ref": "../defs/seq.json", "description": "Broadcast sequence number."},
        },
        "required": ["type", "seq"],
        "additionalProperties": False,
    }
    (root / "schema/events/planted.json").write_text(json.dumps(doc), encoding="utf-8")


def loosen_command_bound(root: Path) -> None:
    # list_agents' own limit: TickRate is read by clients too (simulation_state).
    edit(root, "commands/list_agents.json", lambda d: d["properties"]["limit"].update(maximum=5000))


# Each compatible change and the pointer the gate lists it at.
COMPATIBLE: dict[str, tuple[Edit, str]] = {
    "command_optional_member": (add_optional_command_member, "/$defs/ListAgentsCommand"),
    "event_optional_member": (add_optional_event_member, "/$defs/TickStartEvent"),
    "event_type_added": (add_event_type, "/$defs/PlantedEvent"),
    "command_bound_loosened": (loosen_command_bound, "/$defs/ListAgentsCommand"),
}


@pytest.mark.parametrize("name", sorted(COMPATIBLE))
def test_a_compatible_change_passes_with_a_minor_bump(
    tree: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A compatible change under a new minor version passes, listed as minor."""
    plant, pointer = COMPATIBLE[name]
    plant(tree)
    bump(tree, NEXT_MINOR)
    code, out = gate(tree, capsys)
    assert code == 0, out
    assert any(x.strip().startswith(pointer + ":") and "(minor)" in x for x in out.splitlines())


@pytest.mark.parametrize("name", sorted(COMPATIBLE))
def test_a_compatible_change_needs_a_minor_bump(
    tree: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same change under a patch bump fails, saying which version it needs."""
    plant, pointer = COMPATIBLE[name]
    plant(tree)
    bump(tree, NEXT_PATCH)
    code, out = gate(tree, capsys)
    assert code == 1, out
    assert f"bump it to at least {NEXT_MINOR}" in out
    assert pointer in out


def patterned_cursor(pattern: str) -> Edit:
    def plant(root: Path) -> None:
        cursor = {"type": "string", "pattern": pattern, "description": "Opaque cursor."}
        edit(root, "commands/list_agents.json", lambda d: d["properties"].update(cursor=cursor))

    return plant


def test_a_looser_command_pattern_is_compatible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command-only pattern that now matches more passes with a minor bump; one that
    matches less fails."""
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    patterned_cursor("^[a-z]{1,8}$")(tmp_path)
    assert compat.release(tmp_path, client=False) == 0
    patterned_cursor("^[a-z0-9]{1,16}$")(tmp_path)
    bump(tmp_path, NEXT_MINOR)
    code, out = gate(tmp_path, capsys)
    assert code == 0, out
    assert "/$defs/ListAgentsCommand: ListAgentsCommand changed compatibly" in out
    patterned_cursor("^[a-z]{1,4}$")(tmp_path)
    code, out = gate(tmp_path, capsys)
    assert code == 1, out
    assert "/$defs/ListAgentsCommand/properties/cursor/pattern:" in out
    assert "was valid before, now it is not" in out


def test_a_looser_event_pattern_breaks_old_clients(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pattern read by clients that now matches more lets through what they refuse."""
    edit(tree, "defs/command_type.json", lambda d: d.update(pattern="^[a-z][a-z0-9_.]{0,63}$"))
    bump(tree, NEXT_MINOR)
    code, out = gate(tree, capsys)
    assert code == 1, out
    assert "/$defs/CommandType/pattern:" in out
    assert '("a." is sent now, old clients refuse it)' in out


def test_a_breaking_change_accepted_by_name_counts_as_minor(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """released/accepted.json accepts one change, by its pointer and exact text, and no
    other: the same pointer changed otherwise is judged again."""
    edit(tree, "defs/command_type.json", lambda d: d.update(pattern="^[a-z][a-z0-9_.]{0,63}$"))
    bump(tree, NEXT_MINOR)
    code, out = gate(tree, capsys)
    assert code == 1, out
    pointer, what = next(
        line.strip().split(": ", 1)
        for line in out.splitlines()
        if line.strip().startswith("/$defs/CommandType/pattern:")
    )
    accepted = [{"pointer": pointer, "what": what, "reason": "the core never sends one"}]
    (tree / "released/accepted.json").write_text(json.dumps(accepted), encoding="utf-8")
    code, out = gate(tree, capsys)
    assert code == 0, out
    assert "[accepted: the core never sends one] (minor)" in out

    edit(tree, "defs/command_type.json", lambda d: d.update(pattern="^[a-z][a-z0-9_.-]{0,63}$"))
    code, out = gate(tree, capsys)
    assert code == 1, out
    assert "/$defs/CommandType/pattern:" in out and "accepted:" not in out


def test_a_change_of_envelope_is_breaking() -> None:
    """A tree's envelope shapes every message: declaring, changing or dropping it is
    major, wherever it moves a name or a member."""
    bundle = load_contract(ROOT / "schema").bundle()
    routesim = json.loads((ROUTESIM / "envelope.json").read_text(encoding="utf-8"))
    moved = {**routesim, "command": {**routesim["command"], "id": "correlation"}}
    for old, new, said in [
        (None, routesim, "envelope declared"),
        (routesim, moved, "envelope changed"),
        (routesim, None, "envelope dropped"),
    ]:
        before = bundle if old is None else {**bundle, "x-spine-envelope": old}
        after = bundle if new is None else {**bundle, "x-spine-envelope": new}
        (change,) = compare(before, after)
        assert (change.pointer, change.level) == ("/x-spine-envelope", "major")
        assert change.what.startswith(said)
    assert (
        compare({**bundle, "x-spine-envelope": routesim}, {**bundle, "x-spine-envelope": routesim})
        == []
    )


def test_a_description_needs_a_patch_bump(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Annotations only: no bump fails, a patch passes."""
    edit(tree, "defs/tick.json", lambda d: d.update(description="The tick, counted from 0."))
    code, out = gate(tree, capsys)
    assert code == 1, out
    assert f"bump it to at least {NEXT_PATCH}" in out
    bump(tree, NEXT_PATCH)
    code, out = gate(tree, capsys)
    assert code == 0, out
    assert "/$defs/Tick: Tick: descriptions changed (patch)" in out


def test_an_unchanged_tree_passes(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The released tree itself is compatible with its release, with no change."""
    code, out = gate(tree, capsys)
    assert code == 0, out
    assert f"keeps the contract of the released {VERSION} (0 changes)" in out


def test_a_version_below_the_release_fails(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """protocol_version never goes below the latest release."""
    bump(tree, NEXT_MINOR)
    assert compat.release(tree, client=False) == 0
    bump(tree, VERSION)
    code, out = gate(tree, capsys)
    assert code == 1, out
    assert f"protocol_version {VERSION} is older than the released {NEXT_MINOR}" in out


def test_every_release_of_the_major_is_kept(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An optional event member removed in one minor and back with another type in the
    next is compatible with the latest release, and breaks clients of the first."""
    add_optional_event_member(tree)
    bump(tree, NEXT_MINOR)
    assert compat.release(tree, client=False) == 0
    edit(tree, "events/tick_start.json", lambda d: d["properties"].pop("phase"))
    bump(tree, f"{MAJOR}.{MINOR + 2}.0")
    assert compat.release(tree, client=False) == 0
    edit(
        tree,
        "events/tick_start.json",
        lambda d: d["properties"].update(phase={"type": "integer", "description": "Phase."}),
    )
    bump(tree, f"{MAJOR}.{MINOR + 3}.0")
    code, out = gate(tree, capsys)
    assert code == 1, out
    assert f"breaks clients of protocol {NEXT_MINOR}" in out
    assert f"breaks clients of protocol {MAJOR}.{MINOR + 2}.0" not in out
    assert "/$defs/TickStartEvent/properties/phase:" in out


def test_a_release_is_written_once(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Releasing again is a no-op; a changed tree at a released version is refused."""
    written = (tree / f"released/{VERSION}/protocol.schema.json").read_bytes()
    assert json.loads(written) == load_contract(tree / "schema").bundle()
    assert compat.release(tree, client=False) == 0
    assert "released already" in capsys.readouterr().out
    add_optional_event_member(tree)
    assert compat.release(tree, client=False) == 1
    assert f"bump it to at least {NEXT_MINOR}" in capsys.readouterr().err
    assert (tree / f"released/{VERSION}/protocol.schema.json").read_bytes() == written


def test_the_tree_keeps_its_released_contracts(capsys: pytest.CaptureFixture[str]) -> None:
    """This repository's schema/ passes the gate against its own released/ (`make check`)."""
    code, out = gate(ROOT, capsys)
    assert code == 0, out
