/**
 * A client-side mirror of the simulation, rebuilt from every `snapshot` and kept current
 * by the broadcast events (a resumed connection's replayed ones too). Pure: no sockets,
 * so it unit-tests on plain objects.
 */

import { type AgentTable, readColumns } from "./columns.js";
import type {
  AgentColumnsEvent,
  AgentState,
  Data,
  ServerEvent,
  SimulationInfo,
  SnapshotEvent,
} from "./gen/protocol.js";

/** An `AgentState` whose `data` is typed `D`. */
export interface WorldAgent<D extends object = Data> extends Omit<AgentState, "data"> {
  data: D;
}

/**
 * The simulation as the last snapshot plus every later broadcast event describe it.
 *
 * `D` is what the frontend declares its agents' `data` to be. It is a declaration, not a
 * check: the server does not validate agent data against it, and neither does this class.
 */
export class WorldState<D extends object = Data> {
  /** Lifecycle state, tick and speed; `undefined` until the first snapshot. */
  simulation: SimulationInfo | undefined;
  /** Every agent by id, in creation order (a `Map` keeps insertion order). */
  readonly agents = new Map<string, WorldAgent<D>>();
  /** The member names of each data object `applyColumns` made (it then writes them in place). */
  #shapes = new WeakMap<object, string>();

  /** Replace everything with the snapshot: it is the truth, whatever came before. */
  reset(snapshot: SnapshotEvent): void {
    this.simulation = { ...snapshot.simulation };
    this.replaceAgents(snapshot.agents);
  }

  /**
   * Start the agents over from `agents` (a `subscribe` ack's: every agent the new
   * subscription covers), keeping the simulation's state.
   */
  replaceAgents(agents: readonly AgentState[]): void {
    this.agents.clear();
    for (const agent of agents) {
      this.agents.set(agent.agent_id, { ...agent, data: { ...agent.data } as D });
    }
  }

  /**
   * Fold in a tick's `agent_update`s sent as columns: each row's data, whole (its
   * `unchanged` members as they were, its `patches` members too but in the rows patched), written into the agent's data object in place (no object per agent once the first frame of
   * a shape made it). Rows of agents this world does not hold are ignored, as updates are.
   */
  applyColumns(event: AgentColumnsEvent, table: AgentTable): void {
    const { index, numeric, values, patches } = readColumns(event);
    const numericNames = Object.keys(numeric);
    const valueNames = Object.keys(values);
    const kept = [...event.unchanged, ...Object.keys(patches)];
    const shape = [...numericNames, "", ...valueNames, "", ...kept].join("\u0000");
    const arrays = numericNames.map((name) => numeric[name]!);
    const lists = valueNames.map((name) => values[name]!);
    const ids = table.ids;
    const agents = this.agents;
    const shapes = this.#shapes;
    for (let row = 0; row < event.count; row++) {
      const agent = agents.get(ids[index[row]!]!);
      if (agent === undefined) continue;
      let data = agent.data as Record<string, unknown>;
      if (shapes.get(data) !== shape) {
        // A new object, once per agent and shape: the unchanged members carried over.
        const fresh: Record<string, unknown> = {};
        for (const name of kept) fresh[name] = data[name];
        data = fresh;
        shapes.set(data, shape);
        agent.data = data as D;
      }
      for (let k = 0; k < arrays.length; k++) data[numericNames[k]!] = arrays[k]![row];
      for (let k = 0; k < lists.length; k++) data[valueNames[k]!] = lists[k]![row];
    }
    for (const [name, { rows, data }] of Object.entries(patches)) {
      for (let k = 0; k < rows.length; k++) {
        const agent = agents.get(ids[index[rows[k]!]!]!);
        if (agent !== undefined) (agent.data as Record<string, unknown>)[name] = data[k];
      }
    }
  }

  /** Fold one event in; events that do not change the world (or unknown to the core) are ignored. */
  apply(event: ServerEvent): void {
    switch (event.type) {
      case "snapshot":
        this.reset(event);
        return;
      case "simulation_state":
        this.simulation = { status: event.status, tick: event.tick, tick_rate: event.tick_rate };
        return;
      case "tick_start":
      case "tick_end":
        if (this.simulation) this.simulation.tick = event.tick;
        return;
      case "agent_added":
        this.agents.set(event.agent_id, {
          agent_id: event.agent_id,
          agent_kind: event.agent_kind,
          data: { ...event.data } as D,
        });
        return;
      case "agent_update": {
        const agent = this.agents.get(event.agent_id);
        if (agent) agent.data = { ...event.data } as D;
        return;
      }
      case "agent_removed":
        this.agents.delete(event.agent_id);
        return;
      case "agent_columns":
      case "agent_index":
        // A columns client: `SpineClient` applies them with its table (`applyColumns`).
        return;
      case "resumed":
        // A resumed connection keeps the world: the events it missed follow, in order.
        return;
      case "command_ack":
      case "error":
      case "world_event":
      case "skipped": // the later update of each agent left out follows it
      case "batch": // the client unpacks batches: their events come one by one
        return;
    }
  }
}
