"""map.create's parameters as the frontend's map creator sends them: its defaults (a
1 km map, seed 42) and a 10 km map of four cities (about 2,000 intersections, a ~1 MiB
map.created, as SPINE's own 10 km map)."""

from __future__ import annotations

from typing import Any

DEFAULT: dict[str, Any] = {
    "map_width": 1000.0,
    "map_height": 1000.0,
    "num_major_centers": 1,
    "minor_per_major": 2,
    "center_separation": 2500.0,
    "urban_sprawl": 400.0,
    "local_density": 60.0,
    "rural_density": 5.0,
    "intra_connectivity": 0.8,
    "inter_connectivity": 2,
    "arterial_ratio": 0.2,
    "gridness": 0.7,
    "ring_road_prob": 0.3,
    "highway_curviness": 0.2,
    "rural_settlement_prob": 0.1,
    "urban_sites_per_km2": 8.0,
    "rural_sites_per_km2": 1.0,
    "urban_parkings_per_km2": 3.0,
    "rural_parkings_per_km2": 0.5,
    "urban_gas_stations_per_km2": 2.0,
    "rural_gas_stations_per_km2": 0.3,
    "urban_activity_rate_range": [1.0, 5.0],
    "rural_activity_rate_range": [0.2, 1.0],
    "gas_station_capacity_range": [2, 6],
    "gas_station_cost_factor_range": [0.9, 1.3],
    "seed": 42,
}

TEN_KM: dict[str, Any] = {
    **DEFAULT,
    "map_width": 10000.0,
    "map_height": 10000.0,
    "num_major_centers": 4,
    "center_separation": 3500.0,
    "urban_sprawl": 1500.0,
    "local_density": 40.0,
}
