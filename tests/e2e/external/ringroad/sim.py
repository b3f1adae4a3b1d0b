"""Cars on a ring road: the core lifecycle, plus `set_speed_limit` and `jam` of its own.

`ringroad.protocol` is what `spine-ws gen --python-out ringroad/protocol` wrote from
../schema; this module imports only it and `spine_ws.sim`.
"""

from __future__ import annotations

from ringroad.protocol import (
    CATALOG,
    JamEvent,
    Registrar,
    SetSpeedLimitCommand,
    SetSpeedLimitResult,
)
from spine_ws.sim import AgentAddedEvent, AgentUpdateEvent, Boundary, TickingSimulation

CARS = 4


class RingRoad(TickingSimulation):
    def __init__(self, boundary: Boundary) -> None:
        super().__init__(boundary, tick_rate=50.0, catalog=CATALOG)
        self.limit = 100.0
        self.speeds = {f"car-{i}": 80.0 + 10 * i for i in range(CARS)}
        # The generated Registrar types each handler's return: the command's result.
        handlers: Registrar = self.handlers
        handlers.register(SetSpeedLimitCommand, self.set_speed_limit)

    def start(self) -> None:
        for car, speed in self.speeds.items():
            self.events.broadcast(
                AgentAddedEvent, tick=0, agent_id=car, agent_kind="car", data={"speed": speed}
            )
        super().start()

    def set_speed_limit(self, command: SetSpeedLimitCommand) -> SetSpeedLimitResult:
        previous, self.limit = self.limit, command.limit
        slowed = [car for car, speed in self.speeds.items() if speed > self.limit]
        for car in slowed:
            self.speeds[car] = self.limit
            self.events.broadcast(
                AgentUpdateEvent, tick=self.tick, agent_id=car, data={"speed": self.limit}
            )
        if len(slowed) > 1:
            self.events.broadcast(JamEvent, tick=self.tick, cars=slowed)
        return SetSpeedLimitResult(previous=previous, limit=self.limit, slowed=len(slowed))

    def on_tick(self) -> None:
        pass


def create(boundary: Boundary) -> RingRoad:
    return RingRoad(boundary)
