"""The world as the broadcast stream describes it, kept on the event loop for snapshots.

Built only from broadcast events, so a snapshot at `seq` is exactly what a client that
saw events 1..seq knows: snapshot + stream is gapless and duplicate-free by construction,
for any simulation, with no lock on the simulation's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

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


class Mirror:
    """Simulation status, tick, rate and agents (in creation order), as broadcast."""

    def __init__(self, now: float) -> None:
        self.simulation = SimulationInfo(status="stopped", tick=0, tick_rate=20.0)
        # Each agent as the snapshot lists it ({agent_id, agent_kind, data}): replaced,
        # never changed in place, so a snapshot serialises straight from here.
        self.agents: dict[str, dict[str, Any]] = {}
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

    def apply(self, event: BaseModel, now: float) -> None:
        """`event`, broadcast at `now` (the hub's clock)."""
        apply = self._apply.get(type(event))
        if apply is not None:
            apply(event)
        # The latest tick the stream has shown: a simulation may open its ticks with
        # events of its own (`TickingSimulation.tick_events`), which carry it too.
        tick = getattr(event, "tick", None)
        if type(tick) is int and tick > self.simulation.tick:
            self.simulation.tick = tick
        # Any broadcast is a sign of life: a simulation may open its ticks with events
        # of its own (`TickingSimulation.tick_events`).
        self.tick_at = now

    def update(self, agent_id: str, data: dict[str, Any], tick: int, now: float) -> None:
        """An `agent_update` published without a model (`AgentUpdates`): as `apply`."""
        self._update(agent_id, data)
        if tick > self.simulation.tick:
            self.simulation.tick = tick
        self.tick_at = now

    def agent_states(self) -> list[AgentState]:
        return [AgentState.model_validate(agent) for agent in self.agents.values()]

    def _state(self, event: SimulationStateEvent) -> None:
        self.simulation = SimulationInfo(
            status=event.status, tick=event.tick, tick_rate=event.tick_rate
        )

    def _tick(self, event: TickStartEvent) -> None:
        self.simulation.tick = event.tick

    def _added(self, event: AgentAddedEvent) -> None:
        self.agents[event.agent_id] = {
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
        current = self.agents.get(agent_id)
        if current is not None:
            self.agents[agent_id] = {**current, "data": data}

    def _removed(self, event: AgentRemovedEvent) -> None:
        self.agents.pop(event.agent_id, None)
