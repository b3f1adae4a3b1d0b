"""The one registry: wire `type` -> (generated command model, the simulation's handler).

The simulation dispatches with it, and `check` proves at start-up that every handler is
bound to a command schema's generated model and that the lifecycle is handled. A command
schema a simulation has no handler for is simply not supported by it: the server
answers it `unsupported_command`, and the snapshot lists what is supported.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from pydantic import BaseModel

from spine_ws.core.catalog import CORE, Catalog
from spine_ws.core.messages import NotAMessage, wire_type
from spine_ws.sim.jobs import Job

__all__ = ["LIFECYCLE", "Handler", "Registry", "RegistryError"]

# What every simulation handles: the state machine of `simulation_state`.
LIFECYCLE = ("start", "stop", "pause", "resume", "set_tick_rate")

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
# A command's handler: (command), or (command, job) for a long-running one; it returns
# None, or the command's result (schema/results/<type>.json).
Handler = Callable[..., object]


class RegistryError(Exception):
    """The handlers do not match the command schemas; the message names the types."""


@dataclass(frozen=True)
class _Entry:
    model: type[BaseModel]
    handler: Handler


class Registry:
    """Command type -> model and handler. Refuses duplicates and non-generated models.

    `catalog` is the contract the simulation speaks: the core's, or the one `spine-ws
    gen` generated from its own schemas (its package's `CATALOG`). For static types,
    `handlers: Registrar = registry` (the generated `Registrar` of that package) holds
    each handler's return to its command's result schema.
    """

    def __init__(self, catalog: Catalog = CORE) -> None:
        self.catalog = catalog
        self._entries: dict[str, _Entry] = {}

    def register(
        self, model: type[M], handler: Callable[[M], object] | Callable[[M, Job], object]
    ) -> None:
        try:
            wire = wire_type(model)
        except NotAMessage as exc:
            raise RegistryError(str(exc)) from None
        takes = 2 if wire in self.catalog.long_running else 1
        if _positional(handler) not in (None, takes):
            shape = "(command, job)" if takes == 2 else "(command)"
            raise RegistryError(
                f"the handler of {wire} takes {shape}"
                + (": it runs long (x-spine-long-running in its schema)" if takes == 2 else "")
            )
        if wire in self.catalog.connection_commands:
            raise RegistryError(
                f"{wire} is about the connection (x-spine-scope: connection in its schema): "
                "the server answers it; a simulation cannot handle it"
            )
        if self.catalog.commands.get(wire) is not model:
            raise RegistryError(
                f"{model.__name__} is not the generated model of a command schema of "
                f"{self.catalog.name}; register a model from it (schema/commands/{wire}.json)"
            )
        if wire in self._entries:
            raise RegistryError(
                f"command type {wire!r} is registered twice; keep one handler for it"
            )
        self._entries[wire] = _Entry(model, cast(Handler, handler))

    def on(self, model: type[M]) -> Callable[[Callable[[M], R]], Callable[[M], R]]:
        """Decorator form of `register`."""

        def decorate(handler: Callable[[M], R]) -> Callable[[M], R]:
            self.register(model, handler)
            return handler

        return decorate

    def model_for(self, wire_type: str) -> type[BaseModel] | None:
        entry = self._entries.get(wire_type)
        return entry.model if entry else None

    def handler_for(self, wire_type: str) -> Handler:
        return self._entries[wire_type].handler

    def types(self) -> list[str]:
        return sorted(self._entries)

    def check(self, expected: Mapping[str, type[BaseModel]] | None = None) -> None:
        """Raise `RegistryError` naming every orphan handler, wrong model and lifecycle
        command without a handler; `expected` is every command schema's model (default:
        the catalog's, less those the server answers itself)."""
        if expected is None:
            expected = self.catalog.simulation_commands
        missing = [wire for wire in LIFECYCLE if wire in expected and wire not in self._entries]
        orphans = sorted(set(self._entries) - set(expected))
        problems = []
        if missing:
            problems.append(
                f"no handler for lifecycle command(s) {', '.join(missing)}: every simulation "
                "handles them (TickingSimulation does); register one with "
                "Registry.register(<Model>, handler)"
            )
        if orphans:
            problems.append(
                f"handler(s) for {', '.join(orphans)} but no schema/commands/<type>.json: "
                "add the schema and run `make gen`, or drop the handler"
            )
        for wire in sorted(set(expected) & set(self._entries)):
            if self._entries[wire].model is not expected[wire]:
                problems.append(
                    f"{wire!r} is bound to a model that is not its schema's: register "
                    f"spine_ws.sim.{expected[wire].__name__}"
                )
        if problems:
            raise RegistryError("; ".join(problems))


def _positional(handler: Callable[..., object]) -> int | None:
    """How many positional arguments `handler` takes, if its signature says."""
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
