"""The road network: generated from map.create's parameters, or read from a map file.

Cities (major centres and the towns around them) are jittered street grids, the
countryside is scattered intersections joined to their nearest neighbours, and
highways join each city to its nearest cities through intermediate intersections.
Buildings (delivery sites, parkings, gas stations) are placed per km². Everything is
drawn from one `random.Random(seed)`: the same parameters make the same map.

`generate` calls `report(fraction, message)` as it goes: map.create's job passes
`job.progress`, which sends the progress and raises if the request was cancelled.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Graph", "generate"]

Report = Callable[[float, str], None]

_CITY_SPEED = {"A": 50.0, "L": 50.0, "D": 30.0}
_HIGHWAY = ("G", 90.0, 2)


@dataclass
class Graph:
    """Intersections (id -> [x, y]), one-way roads, and the buildings at each node."""

    nodes: dict[str, tuple[float, float]] = field(default_factory=dict)
    edges: dict[str, dict[str, Any]] = field(default_factory=dict)
    buildings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Hours of driving between the delivery sites' intersections (generated maps only).
    site_hours: dict[tuple[str, str], float] = field(default_factory=dict)
    _out: dict[str, list[str]] = field(default_factory=dict)

    def add_node(self, x: float, y: float) -> str:
        node = str(len(self.nodes))
        self.nodes[node] = (round(x, 1), round(y, 1))
        self._out[node] = []
        return node

    def add_road(self, a: str, b: str, road_class: str, speed: float, lanes: int) -> None:
        """Both directions of a road between `a` and `b` (each its own edge)."""
        if a == b or any(self.edges[e]["to_node"] == b for e in self._out[a]):
            return
        (ax, ay), (bx, by) = self.nodes[a], self.nodes[b]
        length = round(math.hypot(bx - ax, by - ay), 1)
        for start, end in ((a, b), (b, a)):
            edge = str(len(self.edges))
            self.edges[edge] = {
                "id": edge,
                "from_node": start,
                "to_node": end,
                "length_m": length,
                "mode": 1,
                "road_class": road_class,
                "lanes": lanes,
                "max_speed_kph": speed,
                "weight_limit_kg": None if road_class in ("A", "S", "G") else 18000.0,
            }
            self._out[start].append(edge)

    def building(self, building_id: str) -> tuple[str, dict[str, Any]] | None:
        for node, here in self.buildings.items():
            for building in here:
                if building["id"] == building_id:
                    return node, building
        return None

    def all_buildings(self, kind: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        for node, here in self.buildings.items():
            for building in here:
                if kind is None or building["type"] == kind:
                    yield node, building

    def hours_from(self, start: str) -> dict[str, float]:
        """Hours of driving from `start` to every intersection it reaches (Dijkstra)."""
        best = {start: 0.0}
        frontier = [(0.0, start)]
        while frontier:
            cost, node = heapq.heappop(frontier)
            if cost > best[node]:
                continue
            for edge_id in self._out[node]:
                edge = self.edges[edge_id]
                step = cost + edge["length_m"] / 1000 / edge["max_speed_kph"]
                if step < best.get(edge["to_node"], math.inf):
                    best[edge["to_node"]] = step
                    heapq.heappush(frontier, (step, edge["to_node"]))
        return best

    def route(self, start: str, goal: str) -> list[str] | None:
        """The intersections after `start` on the quickest way to `goal` (Dijkstra)."""
        if start == goal:
            return []
        best = {start: 0.0}
        came: dict[str, str] = {}
        frontier = [(0.0, start)]
        while frontier:
            cost, node = heapq.heappop(frontier)
            if node == goal:
                path = [goal]
                while path[-1] in came and came[path[-1]] != start:
                    path.append(came[path[-1]])
                return path[::-1]
            if cost > best.get(node, math.inf):
                continue
            for edge_id in self._out[node]:
                edge = self.edges[edge_id]
                nxt = edge["to_node"]
                step = cost + edge["length_m"] / edge["max_speed_kph"]
                if step < best.get(nxt, math.inf):
                    best[nxt] = step
                    came[nxt] = node
                    heapq.heappush(frontier, (step, nxt))
        return None

    def edge_between(self, a: str, b: str) -> dict[str, Any]:
        return next(self.edges[e] for e in self._out[a] if self.edges[e]["to_node"] == b)

    def to_dict(self) -> dict[str, Any]:
        """As map.created's `graph` and the map file hold it."""
        return {
            "nodes": [
                {"id": n, "x": x, "y": y, "buildings": self.buildings.get(n, [])}
                for n, (x, y) in self.nodes.items()
            ],
            "edges": list(self.edges.values()),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Graph:
        graph = cls()
        for node in doc["nodes"]:
            graph.nodes[node["id"]] = (float(node["x"]), float(node["y"]))
            graph._out[node["id"]] = []
            if node["buildings"]:
                graph.buildings[node["id"]] = list(node["buildings"])
        for edge in doc["edges"]:
            graph.edges[edge["id"]] = dict(edge)
            graph._out[edge["from_node"]].append(edge["id"])
        return graph


def generate(params: dict[str, Any], report: Report) -> Graph:
    """A road network from map.create's 26 parameters."""
    rng = random.Random(params["seed"])
    width, height = params["map_width"], params["map_height"]
    graph = Graph()
    report(0.0, "placing cities")
    centres = _centres(rng, params)
    cities: list[list[str]] = []
    for number, (cx, cy, radius) in enumerate(centres):
        cities.append(_city(graph, rng, params, cx, cy, radius))
        report(0.6 * (number + 1) / len(centres), f"city {number + 1} of {len(centres)}")
    rural = _countryside(graph, rng, params, width, height, report)
    _highways(graph, rng, params, centres, cities)
    report(0.8, "joining the countryside")
    _join_nearest(graph, rural, [n for n in graph.nodes if n not in set(rural)], report)
    _buildings(graph, rng, params, cities, rural)
    _site_hours(graph, report)
    report(1.0, f"{len(graph.nodes)} intersections, {len(graph.edges)} roads")
    return graph


def _site_hours(graph: Graph, report: Report) -> None:
    """The driving time between every two delivery sites, for packages' deadlines: one
    Dijkstra a site, the longest stage of a large map (seconds at 10 km)."""
    sites = sorted({node for node, _ in graph.all_buildings("site")})
    for number, site in enumerate(sites):
        hours = graph.hours_from(site)
        for other in sites:
            if other in hours:
                graph.site_hours[(site, other)] = hours[other]
        report(
            0.95 + 0.05 * (number + 1) / len(sites),
            f"driving times: site {number + 1} of {len(sites)}",
        )


def _centres(rng: random.Random, params: dict[str, Any]) -> list[tuple[float, float, float]]:
    width, height = params["map_width"], params["map_height"]
    sprawl = min(params["urban_sprawl"], width / 2, height / 2)
    out: list[tuple[float, float, float]] = []
    for major in range(params["num_major_centers"]):
        for _ in range(200):  # spaced by center_separation when the map allows it
            x = rng.uniform(sprawl, width - sprawl)
            y = rng.uniform(sprawl, height - sprawl)
            if all(math.hypot(x - a, y - b) >= params["center_separation"] for a, b, _ in out):
                break
        out.append((x, y, sprawl))
        for _ in range(int(params["minor_per_major"])):
            angle = rng.uniform(0, 2 * math.pi)
            distance = sprawl * rng.uniform(1.5, 2.5)
            tx = min(max(x + distance * math.cos(angle), 0.0), width)
            ty = min(max(y + distance * math.sin(angle), 0.0), height)
            out.append((tx, ty, sprawl / 3))
        del major
    return out


def _city(
    graph: Graph, rng: random.Random, params: dict[str, Any], cx: float, cy: float, r: float
) -> list[str]:
    """A jittered street grid of `local_density` intersections per km² within `r`."""
    spacing = 1000.0 / math.sqrt(params["local_density"])
    jitter = spacing * (1 - params["gridness"]) * 0.4
    steps = max(1, int(r / spacing))
    at: dict[tuple[int, int], str] = {}
    for i in range(-steps, steps + 1):
        for j in range(-steps, steps + 1):
            if math.hypot(i, j) * spacing > r:
                continue
            x = cx + i * spacing + rng.uniform(-jitter, jitter)
            y = cy + j * spacing + rng.uniform(-jitter, jitter)
            at[(i, j)] = graph.add_node(max(0.0, x), max(0.0, y))
    for (i, j), node in at.items():
        for di, dj in ((1, 0), (0, 1)):
            other = at.get((i + di, j + dj))
            if other is None:
                continue
            arterial = i == 0 or j == 0 or rng.random() < params["arterial_ratio"] / 4
            if arterial or rng.random() < params["intra_connectivity"]:
                road = "A" if arterial else rng.choice(("L", "D"))
                graph.add_road(node, other, road, _CITY_SPEED[road], 2 if arterial else 1)
    if rng.random() < params["ring_road_prob"] and len(at) > 8:
        rim = sorted(
            (k for k in at if steps - 1 <= math.hypot(*k) <= steps),
            key=lambda k: math.atan2(k[1], k[0]),
        )
        for a, b in zip(rim, rim[1:] + rim[:1], strict=False):
            graph.add_road(at[a], at[b], "S", 70.0, 2)
    return list(at.values())


def _countryside(
    graph: Graph,
    rng: random.Random,
    params: dict[str, Any],
    width: float,
    height: float,
    report: Report,
) -> list[str]:
    count = int(params["rural_density"] * width * height / 1e6)
    nodes = [graph.add_node(rng.uniform(0, width), rng.uniform(0, height)) for _ in range(count)]
    report(0.65, f"{count} rural intersections")
    return nodes


def _highways(
    graph: Graph,
    rng: random.Random,
    params: dict[str, Any],
    centres: list[tuple[float, float, float]],
    cities: list[list[str]],
) -> None:
    """Each city to its `inter_connectivity` nearest, through an intersection a km."""
    hubs = [
        min(c, key=lambda n: math.dist(graph.nodes[n], (x, y)))
        for (x, y, _), c in zip(centres, cities, strict=True)
        if c
    ]
    done: set[tuple[str, str]] = set()
    road, speed, lanes = _HIGHWAY
    for hub in hubs:
        near = sorted(
            (h for h in hubs if h != hub), key=lambda h: math.dist(graph.nodes[h], graph.nodes[hub])
        )
        for other in near[: int(params["inter_connectivity"])]:
            if (other, hub) in done:
                continue
            done.add((hub, other))
            (ax, ay), (bx, by) = graph.nodes[hub], graph.nodes[other]
            pieces = max(1, int(math.hypot(bx - ax, by - ay) / 1000))
            bend = params["highway_curviness"] * 300
            last = hub
            for k in range(1, pieces):
                t = k / pieces
                node = graph.add_node(
                    ax + (bx - ax) * t + rng.uniform(-bend, bend),
                    ay + (by - ay) * t + rng.uniform(-bend, bend),
                )
                graph.add_road(last, node, road, speed, lanes)
                last = node
            graph.add_road(last, other, road, speed, lanes)


def _join_nearest(graph: Graph, rural: list[str], others: list[str], report: Report) -> None:
    """Each rural intersection to its two nearest intersections (a grid of cells keeps
    it near-linear), reporting as it goes: the longest stage of a large map."""
    cell = 1000.0
    buckets: dict[tuple[int, int], list[str]] = {}
    for node in [*others, *rural]:
        x, y = graph.nodes[node]
        buckets.setdefault((int(x // cell), int(y // cell)), []).append(node)
    for number, node in enumerate(rural):
        x, y = graph.nodes[node]
        near: list[tuple[float, str]] = []
        reach = 1
        while len(near) < 3 and reach < 64:
            near = [
                (math.dist((x, y), graph.nodes[n]), n)
                for i in range(int(x // cell) - reach, int(x // cell) + reach + 1)
                for j in range(int(y // cell) - reach, int(y // cell) + reach + 1)
                for n in buckets.get((i, j), [])
                if n != node
            ]
            reach *= 2
        for _, other in sorted(near)[:2]:
            graph.add_road(node, other, "Z", 60.0, 1)
        if number % 50 == 0:
            report(0.8 + 0.15 * number / max(1, len(rural)), f"rural road {number} of {len(rural)}")


def _buildings(
    graph: Graph,
    rng: random.Random,
    params: dict[str, Any],
    cities: list[list[str]],
    rural: list[str],
) -> None:
    urban = [n for c in cities for n in c]
    urban_km2 = len(urban) / params["local_density"]
    rural_km2 = max(0.0, params["map_width"] * params["map_height"] / 1e6 - urban_km2)
    made = 0

    def place(
        nodes: list[str], per_km2: float, area: float, make: Callable[[str], dict[str, Any]]
    ) -> None:
        nonlocal made
        if not nodes:
            return
        for _ in range(round(per_km2 * area)):
            made += 1
            graph.buildings.setdefault(rng.choice(nodes), []).append(make(f"b{made}"))

    def site(urban_site: bool) -> Callable[[str], dict[str, Any]]:
        low, high = params[
            "urban_activity_rate_range" if urban_site else "rural_activity_rate_range"
        ]
        return lambda b: {
            "id": b,
            "type": "site",
            "name": f"Site {b}",
            "activity_rate": round(rng.uniform(low, high), 3),
        }

    def parking(b: str) -> dict[str, Any]:
        return {"id": b, "type": "parking", "capacity": rng.randint(5, 20)}

    def station(b: str) -> dict[str, Any]:
        low, high = params["gas_station_capacity_range"]
        cheap, dear = params["gas_station_cost_factor_range"]
        return {
            "id": b,
            "type": "gas_station",
            "capacity": rng.randint(low, max(low, high)),
            "cost_factor": round(rng.uniform(cheap, dear), 3),
        }

    place(urban, params["urban_sites_per_km2"], urban_km2, site(True))
    place(rural, params["rural_sites_per_km2"], rural_km2, site(False))
    place(urban, params["urban_parkings_per_km2"], urban_km2, parking)
    place(rural, params["rural_parkings_per_km2"], rural_km2, parking)
    place(urban, params["urban_gas_stations_per_km2"], urban_km2, station)
    place(rural, params["rural_gas_stations_per_km2"], rural_km2, station)
