"""Trucks, packages and buildings on the road network, one tick at a time.

Sites send packages at their activity rate; the broker (if there is one) or the trucks
themselves take the nearest waiting package; a truck drives to it along the quickest
route, picks it up, delivers it and is paid; it fills up at the nearest gas station
when its tank runs low. Every change is returned as the events to publish, so the
simulation (sim.py) is the only place that talks to the server.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from routesim.roads import Graph

__all__ = ["SECONDS_PER_TICK", "Package", "Truck", "World"]

SECONDS_PER_TICK = 60.0  # simulated seconds a tick, at speed 1
LITRES_PER_KM = 0.3
LOW_FUEL = 0.2  # of the tank: time to fill up
FUEL_PRICE = 1.5  # ducats a litre, times the station's cost factor

Event = tuple[str, dict[str, Any]]  # (the event's wire type, its members)


@dataclass
class Truck:
    id: str
    max_speed_kph: float = 100.0
    capacity: int = 24
    risk_factor: float = 0.5
    balance_ducats: float = 0.0
    fuel_tank_capacity_l: float = 500.0
    current_fuel_l: float = 500.0
    current_node: str | None = None
    current_edge: str | None = None
    edge_progress_m: float = 0.0
    route: list[str] = field(default_factory=list)
    destination: str | None = None
    current_building_id: str | None = None
    loaded_packages: list[str] = field(default_factory=list)
    current_speed_kph: float = 0.0
    co2_emitted_kg: float = 0.0
    is_resting: bool = False
    is_fueling: bool = False
    tags: dict[str, Any] = field(default_factory=dict)
    # What it is doing: ("pickup" | "deliver" | "fuel", package or station id).
    errand: tuple[str, str] | None = None

    def state(self) -> dict[str, Any]:
        """As agent.updated carries it (the truck's state, without the mailbox counts)."""
        return {
            "id": self.id,
            "kind": "truck",
            "max_speed_kph": self.max_speed_kph,
            "capacity": self.capacity,
            "risk_factor": self.risk_factor,
            "balance_ducats": round(self.balance_ducats, 2),
            "current_node": self.current_node,
            "current_edge": self.current_edge,
            "edge_progress_m": round(self.edge_progress_m, 1),
            "route": list(self.route),
            "destination": self.destination,
            "current_building_id": self.current_building_id,
            "loaded_packages": list(self.loaded_packages),
            "current_speed_kph": self.current_speed_kph,
            "fuel_tank_capacity_l": self.fuel_tank_capacity_l,
            "current_fuel_l": round(self.current_fuel_l, 2),
            "co2_emitted_kg": round(self.co2_emitted_kg, 3),
            "is_resting": self.is_resting,
            "is_fueling": self.is_fueling,
        }

    def full(self) -> dict[str, Any]:
        """As agent.described and agent.created carry it."""
        return {**self.state(), "inbox_count": 0, "outbox_count": 0, "tags": dict(self.tags)}


@dataclass
class Package:
    package_id: str
    origin_building_id: str
    destination_building_id: str
    created_at_tick: int
    size: int
    value_currency: float
    priority: str
    urgency: str
    pickup_deadline_tick: int
    delivery_deadline_tick: int
    carrier: str | None = None

    def created(self, tick: int) -> dict[str, Any]:
        members = {k: v for k, v in self.__dict__.items() if k != "carrier"}
        return {**members, "tick": tick}


@dataclass
class World:
    graph: Graph = field(default_factory=Graph)
    trucks: dict[str, Truck] = field(default_factory=dict)
    # Other agents (the broker, building agents), whole, as they are described.
    others: dict[str, dict[str, Any]] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict)
    speed: float = 1.0
    seconds: float = 8 * 3600.0  # the simulated clock: day 1, 08:00
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _made: int = 0

    # The clock.

    @property
    def time(self) -> float:
        return (self.seconds % 86400) / 3600

    @property
    def day(self) -> int:
        return int(self.seconds // 86400) + 1

    # Agents.

    def describe(self, agent_id: str) -> dict[str, Any] | None:
        truck = self.trucks.get(agent_id)
        return truck.full() if truck is not None else self.others.get(agent_id)

    def agents(self, kind: str | None = None) -> list[dict[str, Any]]:
        everyone = [t.full() for t in self.trucks.values()] + list(self.others.values())
        return [a for a in everyone if kind is None or a["kind"] == kind]

    # A tick.

    def step(self, tick: int) -> list[Event]:
        seconds = SECONDS_PER_TICK * self.speed
        self.seconds += seconds
        events: list[Event] = []
        events += self._spawn(tick, seconds)
        events += self._expire(tick)
        for truck in self.trucks.values():
            before = truck.state()
            events += self._drive(truck, tick, seconds)
            if truck.state() != before:
                events.append(
                    ("agent.updated", {"agent_id": truck.id, "tick": tick, **truck.state()})
                )
        return events

    def _spawn(self, tick: int, seconds: float) -> list[Event]:
        sites = list(self.graph.all_buildings("site"))
        events: list[Event] = []
        for _, site in sites:
            if self.rng.random() >= site.get("activity_rate", 0) * seconds / 3600:
                continue
            _, target = self.rng.choice(sites)
            if target["id"] == site["id"]:
                continue
            self._made += 1
            package = Package(
                package_id=f"p{self._made}",
                origin_building_id=site["id"],
                destination_building_id=target["id"],
                created_at_tick=tick,
                size=self.rng.randint(1, 4),
                value_currency=round(self.rng.uniform(50, 500), 2),
                priority=self.rng.choice(("LOW", "MEDIUM", "HIGH", "URGENT")),
                urgency=self.rng.choice(("STANDARD", "EXPRESS", "SAME_DAY")),
                pickup_deadline_tick=tick + 240,
                delivery_deadline_tick=tick + 240 + self._ticks(site["id"], target["id"]),
            )
            self.packages[package.package_id] = package
            events.append(("package.created", package.created(tick)))
        return events

    def _expire(self, tick: int) -> list[Event]:
        late = [
            p for p in self.packages.values() if p.carrier is None and p.pickup_deadline_tick < tick
        ]
        for package in late:
            del self.packages[package.package_id]
        return [
            (
                "package.expired",
                {
                    "package_id": p.package_id,
                    "site_id": p.origin_building_id,
                    "value_lost": p.value_currency,
                    "tick": tick,
                },
            )
            for p in late
        ]

    def _drive(self, truck: Truck, tick: int, seconds: float) -> list[Event]:
        if truck.is_fueling:
            return self._fuel(truck)
        if truck.errand is None and not self._plan(truck):
            truck.current_speed_kph = 0.0
            return []
        metres = truck.max_speed_kph / 3.6 * seconds
        events: list[Event] = []
        while metres > 0 and truck.route:
            here = truck.current_node or self.graph.edges[truck.current_edge or ""]["from_node"]
            edge = self.graph.edge_between(here, truck.route[0])
            truck.current_node, truck.current_edge = None, edge["id"]
            truck.current_building_id = None
            speed = min(truck.max_speed_kph, edge["max_speed_kph"])
            left = edge["length_m"] - truck.edge_progress_m
            go = min(left, metres * speed / truck.max_speed_kph)
            truck.edge_progress_m += go
            metres -= go * truck.max_speed_kph / speed
            burnt = go / 1000 * LITRES_PER_KM
            truck.current_fuel_l = max(0.0, truck.current_fuel_l - burnt)
            truck.co2_emitted_kg += burnt * 2.64
            truck.current_speed_kph = speed
            if truck.edge_progress_m >= edge["length_m"]:
                truck.current_node, truck.current_edge = truck.route.pop(0), None
                truck.edge_progress_m = 0.0
        if not truck.route:
            events += self._arrive(truck, tick)
        return events

    def _plan(self, truck: Truck) -> bool:
        """The next errand: fuel if low, else the nearest waiting package."""
        here = truck.current_node
        if here is None:
            return False
        if truck.current_fuel_l < LOW_FUEL * truck.fuel_tank_capacity_l:
            stations = list(self.graph.all_buildings("gas_station"))
            if stations:
                node, station = min(stations, key=lambda s: self._distance(here, s[0]))
                return self._go(truck, node, ("fuel", station["id"]))
        waiting = [p for p in self.packages.values() if p.carrier is None]
        if not waiting:
            return False
        package = min(
            waiting, key=lambda p: self._distance(here, self._node_of(p.origin_building_id))
        )
        package.carrier = truck.id
        return self._go(
            truck, self._node_of(package.origin_building_id), ("pickup", package.package_id)
        )

    def _go(self, truck: Truck, node: str, errand: tuple[str, str]) -> bool:
        route = self.graph.route(truck.current_node or "", node)
        if route is None:
            return False
        truck.route, truck.destination, truck.errand = route, node, errand
        return True

    def _arrive(self, truck: Truck, tick: int) -> list[Event]:
        errand, truck.errand, truck.destination = truck.errand, None, None
        truck.current_speed_kph = 0.0
        if errand is None:
            return []
        what, ident = errand
        if what == "fuel":
            truck.is_fueling, truck.current_building_id = True, ident
            return []
        package = self.packages.get(ident)
        if package is None:
            return []
        if what == "pickup":
            truck.loaded_packages.append(ident)
            truck.current_building_id = package.origin_building_id
            truck.errand = ("deliver", ident)
            self._go(truck, self._node_of(package.destination_building_id), truck.errand)
            return [
                ("package.picked_up", {"package_id": ident, "agent_id": truck.id, "tick": tick})
            ]
        truck.loaded_packages.remove(ident)
        truck.current_building_id = package.destination_building_id
        truck.balance_ducats += package.value_currency
        del self.packages[ident]
        return [
            (
                "package.delivered",
                {
                    "package_id": ident,
                    "site_id": package.destination_building_id,
                    "value": package.value_currency,
                    "tick": tick,
                },
            )
        ]

    def _fuel(self, truck: Truck) -> list[Event]:
        found = self.graph.building(truck.current_building_id or "")
        factor = found[1].get("cost_factor", 1.0) if found else 1.0
        litres = min(
            truck.fuel_tank_capacity_l - truck.current_fuel_l,
            truck.balance_ducats / (FUEL_PRICE * factor),
        )
        truck.current_fuel_l += litres
        truck.balance_ducats -= litres * FUEL_PRICE * factor  # never below 0
        truck.is_fueling = False
        return []

    def _ticks(self, origin: str, destination: str) -> int:
        """Three times the driving time between two sites, in ticks (8 hours if unknown)."""
        hours = self.graph.site_hours.get(
            (self._node_of(origin), self._node_of(destination)), 8 / 3
        )
        return max(1, int(3 * hours * 3600 / (SECONDS_PER_TICK * self.speed)))

    def _node_of(self, building_id: str) -> str:
        found = self.graph.building(building_id)
        return found[0] if found else ""

    def _distance(self, a: str, b: str) -> float:
        if a not in self.graph.nodes or b not in self.graph.nodes:
            return math.inf
        return math.dist(self.graph.nodes[a], self.graph.nodes[b])

    # Files.

    def state_file(self) -> dict[str, Any]:
        return {
            "graph": self.graph.to_dict(),
            "agents": [t.full() for t in self.trucks.values()] + list(self.others.values()),
            "packages": [p.__dict__ for p in self.packages.values()],
            "metadata": {"seconds": self.seconds, "speed": self.speed, "made": self._made},
        }

    @classmethod
    def from_state_file(cls, doc: dict[str, Any]) -> World:
        world = cls(graph=Graph.from_dict(doc["graph"]))
        fields = set(Truck.__dataclass_fields__)
        for agent in doc["agents"]:
            if agent["kind"] == "truck":
                world.trucks[agent["id"]] = Truck(**{k: v for k, v in agent.items() if k in fields})
            else:
                world.others[agent["id"]] = agent
        for package in doc["packages"]:
            world.packages[package["package_id"]] = Package(**package)
        meta = doc["metadata"]
        world.seconds, world.speed, world._made = meta["seconds"], meta["speed"], meta["made"]
        return world
