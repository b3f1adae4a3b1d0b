"""The world as the broadcast stream describes it, kept on the event loop for snapshots.

Built only from broadcast events, so a snapshot at `seq` is exactly what a client that
saw events 1..seq knows: snapshot + stream is gapless and duplicate-free by construction,
for any simulation, with no lock on the simulation's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from spine_ws.core.items import AgentUpdates
from spine_ws.generated import (
    AgentAddedEvent,
    AgentRemovedEvent,
    AgentState,
    AgentUpdateEvent,
    SimulationInfo,
    SimulationStateEvent,
    TickStartEvent,
)

__all__ = ["Mirror"]


# Ticks published at once whose data is not yet in `agents`, at most (each a set of
# agents of its own: a later tick of the same agents replaces an earlier one).
PENDING = 16


class Mirror:
    """Simulation status, tick, rate and agents (in creation order), as broadcast.

    A tick published at once (`AgentUpdates`) is kept as it came and folded into the
    agents only when they are read (a snapshot, a subscribe's ack): a big world watched
    as columns never makes its agents' data, tick after tick, for no reader.
    """

    def __init__(self, now: float) -> None:
        self.simulation = SimulationInfo(status="stopped", tick=0, tick_rate=20.0)
        # Each agent as the snapshot lists it ({agent_id, agent_kind, data}): replaced,
        # never changed in place, so a snapshot serialises straight from here.
        self._agents: dict[str, dict[str, Any]] = {}
        # Ticks published at once not folded in yet, in order.
        self._pending: list[AgentUpdates] = []
        # When the last event was broadcast (the hub's clock; each tick opens with one):
        # the watchdog's sign of life.
        self.tick_at = now
        self._apply: dict[type[BaseModel], Callable[[Any], None]] = {
            SimulationStateEvent: self._state,
            TickStartEvent: self._tick,
            AgentAddedEvent: self._added,
            AgentUpdateEvent: self._updated,
            AgentRemovedEvent: self._removed,
        }

    @property
    def agents(self) -> dict[str, dict[str, Any]]:
        """Every agent as of the last broadcast, in creation order."""
        if self._pending:
            self._fold()
        return self._agents

    @agents.setter
    def agents(self, agents: dict[str, dict[str, Any]]) -> None:
        self._pending = []
        self._agents = agents

    @property
    def kinds(self) -> dict[str, dict[str, Any]]:
        """Every agent with its kind, its data maybe older than the last broadcast: for
        what reads only ids and kinds (which no update changes), at no cost."""
        return self._agents

    def apply(self, event: BaseModel, now: float) -> None:
        """`event`, broadcast at `now` (the hub's clock)."""
        apply = self._apply.get(type(event))
        if apply is not None:
            if self._pending and apply not in (self._state, self._tick):
                self._fold()  # in order: an agent removed after a pending tick stays so
            apply(event)
        # The latest tick the stream has shown: a simulation may open its ticks with
        # events of its own (`TickingSimulation.tick_events`), which carry it too.
        tick = getattr(event, "tick", None)
        if type(tick) is int and tick > self.simulation.tick:
            self.simulation.tick = tick
        # Any broadcast is a sign of life: a simulation may open its ticks with events
        # of its own (`TickingSimulation.tick_events`).
        self.tick_at = now

    def updates(self, updates: AgentUpdates, now: float) -> None:
        """A tick's `agent_update`s published at once: as `apply` each, when read."""
        pending = self._pending
        ids = updates.agent_ids
        # A later tick of the very same agents supersedes a pending one whole.
        pending[:] = [p for p in pending if p.agent_ids is not ids and p.agent_ids != ids]
        pending.append(updates)
        if len(pending) > PENDING:
            self._fold_one(pending.pop(0))
        if updates.tick > self.simulation.tick:
            self.simulation.tick = updates.tick
        self.tick_at = now

    def _fold(self) -> None:
        pending, self._pending = self._pending, []
        for updates in pending:
            self._fold_one(updates)

    def _fold_one(self, updates: AgentUpdates) -> None:
        agents = self._agents
        for agent_id, data in zip(updates.agent_ids, updates.rows(), strict=True):
            current = agents.get(agent_id)
            if current is not None:  # (as `_update`)
                agents[agent_id] = {**current, "data": data}

    def agent_states(self) -> list[AgentState]:
        return [AgentState.model_validate(agent) for agent in self.agents.values()]

    def _state(self, event: SimulationStateEvent) -> None:
        self.simulation = SimulationInfo(
            status=event.status, tick=event.tick, tick_rate=event.tick_rate
        )

    def _tick(self, event: TickStartEvent) -> None:
        self.simulation.tick = event.tick

    def _added(self, event: AgentAddedEvent) -> None:
        self._agents[event.agent_id] = {
            "agent_id": event.agent_id,
            "agent_kind": event.agent_kind,
            "data": event.data,
        }

    def _updated(self, event: AgentUpdateEvent) -> None:
        self._update(event.agent_id, event.data)

    def _update(self, agent_id: str, data: dict[str, Any]) -> None:
        # An update for an agent the stream never added is dropped, as clients do
        # (clients/ts/src/world.ts): its kind is unknown, and inventing one would put
        # an agent in the snapshot that no client following the stream has.
        current = self._agents.get(agent_id)
        if current is not None:
            self._agents[agent_id] = {**current, "data": data}

    def _removed(self, event: AgentRemovedEvent) -> None:
        self._agents.pop(event.agent_id, None)
