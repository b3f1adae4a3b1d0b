"""The messages one server speaks: the core protocol, or the core plus a simulation's own.

A catalog is read from a generated package (`spine_ws.generated`, or the package
`spine-ws gen` writes for a simulation): its models by wire type, its results, its
hash. The simulation's registry names it, and the hub, the parser and the contract
endpoints follow it, so an extension gets every guarantee the core has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel

from spine_ws import generated
from spine_ws.core.envelope import EnvelopeSpec

__all__ = ["CORE", "Catalog", "LongRunning"]


@dataclass(frozen=True)
class LongRunning:
    """A long-running command's declaration (`x-spine-long-running` in its schema)."""

    # What the server does with other commands while it runs: let them wait in the
    # queue, or answer them `busy` at once.
    others: Literal["queue", "busy"] = "queue"
    # Whether a running simulation keeps ticking while it works (the handler's progress
    # reports are where the ticks run), or the command is refused while it runs.
    ticks: Literal["continue", "refuse"] = "refuse"


# The connection commands of a recording's playback (`playback.seek`, ...).
PLAYBACK = "playback."


@dataclass(frozen=True, eq=False)
class Catalog:
    """The contract of a running server, from one generated package (compared by
    identity: there is one per package)."""

    # The generated package's import name, e.g. `spine_ws.generated`.
    name: str
    protocol_version: str
    # SHA-256 over every schema file of the contract (the core's and an extension's).
    schema_hash: str
    commands: Mapping[str, type[BaseModel]]
    # Command type -> the type of its result: a model, or an alias (`$ref`, `oneOf`).
    results: Mapping[str, Any]
    events: Mapping[str, type[BaseModel]]
    # Commands about the connection (`x-spine-scope: connection`): the server answers
    # them itself, a viewer may send them, and no simulation registers them.
    connection_commands: frozenset[str]
    # Commands that run long (x-spine-long-running), and what that means for the others.
    long_running: Mapping[str, LongRunning]
    # Commands that may come in a frame larger than the server's limit: type -> bytes.
    max_bytes: Mapping[str, int]
    # The envelope the tree declares (its envelope.json), if it declares one: clients
    # that name no subprotocol speak it.
    envelope: EnvelopeSpec | None
    # The generated package's folder: its bundle, its AsyncAPI document and, for an
    # extension, a copy of its own schema files (`schema/`).
    home: Path

    @classmethod
    def of(cls, package: ModuleType) -> Catalog:
        """The catalog of a generated package (a module with its tables and constants)."""
        assert package.__file__ is not None
        return cls(
            name=package.__name__,
            protocol_version=package.PROTOCOL_VERSION,
            schema_hash=package.SCHEMA_HASH,
            commands=package.COMMAND_MODELS,
            results=package.RESULT_MODELS,
            events=package.EVENT_MODELS,
            # A package generated before protocol 1.6 has no such commands.
            connection_commands=getattr(package, "CONNECTION_COMMAND_TYPES", frozenset()),
            long_running={
                wire: LongRunning(**spec)
                for wire, spec in getattr(package, "LONG_RUNNING", {}).items()
            },
            max_bytes=getattr(package, "MAX_BYTES", {}),
            envelope=_envelope(getattr(package, "ENVELOPE", None)),
            home=Path(package.__file__).resolve().parent,
        )

    @property
    def own_commands(self) -> frozenset[str]:
        """The connection commands every server answers (`subscribe`, `cancel`); the
        playback ones only a server that plays a recording back (`Hub.answer`)."""
        return frozenset(w for w in self.connection_commands if not w.startswith(PLAYBACK))

    @property
    def simulation_commands(self) -> dict[str, type[BaseModel]]:
        """The commands a simulation may handle: every one not about the connection."""
        return {w: m for w, m in self.commands.items() if w not in self.connection_commands}

    @property
    def extended(self) -> bool:
        """Whether this is a simulation's own contract (more than the core's)."""
        return self.name != CORE.name


def _envelope(declared: dict[str, object] | None) -> EnvelopeSpec | None:
    if declared is None:
        return None
    return EnvelopeSpec.model_validate({k: v for k, v in declared.items() if k != "$schema"})


CORE = Catalog.of(generated)
