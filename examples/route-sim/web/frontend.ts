// Call sites as the Route-Sim frontend writes them (its map creator, fleet creator and
// net adapter), on the generated types instead of hand-written zod schemas: every
// action, signal and member below is checked against this example's schema tree.
import { EnvelopeClient, EnvelopeCommandError, type WireProgress } from "@spine-ws/client";
import { ENVELOPE, type WireEvent, type WireProtocol } from "./protocol/contract.js";

export type Net = EnvelopeClient<WireProtocol>;

export function connect(url: string): Net {
  return new EnvelopeClient<WireProtocol>(url, ENVELOPE, { timeoutMs: 10_000 });
}

// map-creator.tsx: generate, with a progress bar and a cancel button.
export async function createMap(net: Net, onProgress: (p: WireProgress) => void): Promise<number> {
  const making = net.send("map.create", {
    map_width: 1000,
    map_height: 1000,
    num_major_centers: 1,
    minor_per_major: 2,
    center_separation: 2500,
    urban_sprawl: 400,
    local_density: 60,
    rural_density: 5,
    intra_connectivity: 0.8,
    inter_connectivity: 2,
    arterial_ratio: 0.2,
    gridness: 0.7,
    ring_road_prob: 0.3,
    highway_curviness: 0.2,
    rural_settlement_prob: 0.1,
    urban_sites_per_km2: 8,
    rural_sites_per_km2: 1,
    urban_parkings_per_km2: 3,
    rural_parkings_per_km2: 0.5,
    urban_gas_stations_per_km2: 2,
    rural_gas_stations_per_km2: 0.3,
    urban_activity_rate_range: [1, 5],
    rural_activity_rate_range: [0.2, 1],
    gas_station_capacity_range: [2, 6],
    gas_station_cost_factor_range: [0.9, 1.3],
    seed: 42,
  });
  making.onProgress(onProgress);
  const map = await making; // the map.created signal's data
  return map.generated_gas_stations + map.graph.nodes.length;
}

// fleet-creator.tsx: a truck; the reply is agent.created, its error has a code.
export async function addTruck(net: Net, id: string): Promise<string | null> {
  try {
    const agent = await net.send("agent.create", {
      agent_id: id,
      agent_kind: "truck",
      agent_data: { max_speed_kph: 90, capacity: 20 },
    });
    return agent.kind === "truck" ? agent.current_node : null;
  } catch (error) {
    if (error instanceof EnvelopeCommandError && error.code === "agent_exists") return null;
    throw error;
  }
}

// net-adapter.ts: what a signal means for the scene, switched on its name.
export function apply(frame: WireEvent, scene: Map<string, number>): void {
  switch (frame.signal) {
    case "agent.updated":
      scene.set(frame.data.agent_id, frame.data.current_fuel_l);
      break;
    case "package.created":
      scene.set(frame.data.package_id, frame.data.created_at_tick);
      break;
    case "tick.end":
      scene.set("clock", frame.data.day * 24 + frame.data.time);
      break;
    default:
      break;
  }
}

// simulation-controls.tsx
export async function play(net: Net): Promise<number> {
  const started = await net.send("simulation.start", { tick_rate: 20, speed: 1 });
  await net.send("simulation.pause", {});
  return started.tick_rate;
}
