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
/** On a data object `applyColumns` made: its members' names (it then writes them in place). */
const SHAPE = Symbol("spine-ws columns shape");

export class WorldState<D extends object = Data> {
  /** Lifecycle state, tick and speed; `undefined` until the first snapshot. */
  simulation: SimulationInfo | undefined;
  /** Every agent by id, in creation order (a `Map` keeps insertion order). */
  readonly agents = new Map<string, WorldAgent<D>>();
  /** Bumped whenever an agent is added or removed (the cache below is then stale). */
  #version = 0;
  /** `applyColumns`' agents by table index, for `#slotsTable` at `#slotsVersion`. */
  #slots: (WorldAgent<D> | undefined)[] = [];
  #slotsTable: AgentTable | undefined;
  #slotsVersion = -1;

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
    this.#version++;
    this.agents.clear();
    for (const agent of agents) {
      this.agents.set(agent.agent_id, { ...agent, data: { ...agent.data } as D });
    }
  }

  /**
   * Fold in a tick's `agent_update`s sent as columns: each row's data, whole (its
   * `unchanged` members as they were, its `patches` members too but in the rows
   * patched), written into the agent's data object in place: no object per agent once a
   * frame made one of its members' names. Rows of agents this world does not hold are
   * ignored, as updates are. Agents are found by table index through a cache that adding
   * or removing an agent through this class invalidates: change `agents` only so.
   */
  applyColumns(event: AgentColumnsEvent, table: AgentTable): void {
    const { index, numeric, values, patches } = readColumns(event);
    const numericNames = Object.keys(numeric);
    const valueNames = Object.keys(values);
    const kept = [...event.unchanged, ...Object.keys(patches)];
    // Whole data: the members are exactly these, however each one travelled.
    const shape = [...numericNames, ...valueNames, ...kept].sort().join("\u0000");
    const arrays = numericNames.map((name) => numeric[name]!);
    const lists = valueNames.map((name) => values[name]!);
    const slots = this.#slotsFor(table);
    for (let row = 0; row < event.count; row++) {
      const agent = this.#slot(slots, table, index[row]!);
      if (agent === undefined) continue;
      let data = agent.data as Record<string | symbol, unknown>;
      if (data[SHAPE] !== shape) {
        // A new object, once per agent and set of names: the kept members carried over.
        const fresh: Record<string | symbol, unknown> = {};
        for (const name of kept) fresh[name] = data[name];
        Object.defineProperty(fresh, SHAPE, { value: shape });
        data = fresh;
        agent.data = data as D;
      }
      for (let k = 0; k < arrays.length; k++) data[numericNames[k]!] = arrays[k]![row];
      for (let k = 0; k < lists.length; k++) data[valueNames[k]!] = lists[k]![row];
    }
    for (const [name, { rows, data }] of Object.entries(patches)) {
      for (let k = 0; k < rows.length; k++) {
        const agent = this.#slot(slots, table, index[rows[k]!]!);
        if (agent !== undefined) (agent.data as Record<string, unknown>)[name] = data[k];
      }
    }
  }

  #slotsFor(table: AgentTable): (WorldAgent<D> | undefined)[] {
    if (this.#slotsTable !== table || this.#slotsVersion !== this.#version) {
      this.#slots = [];
      this.#slotsTable = table;
      this.#slotsVersion = this.#version;
    }
    return this.#slots;
  }

  #slot(slots: (WorldAgent<D> | undefined)[], table: AgentTable, at: number): WorldAgent<D> | undefined {
    const found = slots[at];
    if (found !== undefined) return found;
    const id = table.ids[at];
    const agent = id === undefined ? undefined : this.agents.get(id);
    if (agent !== undefined) slots[at] = agent;
    return agent;
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
      case "agent_entered": // into this client's region: its whole state
        this.#version++;
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
      case "agent_left": // out of this client's region: it still exists, elsewhere
        this.#version++;
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
