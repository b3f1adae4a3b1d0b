/**
 * Columnar tick frames (`agent_columns`, layout 1) and the agent index table they name
 * agents by (`agent_index`), as a `spine.v1.msgpack` client that subscribed with
 * `columns: true` receives them. Pure: typed arrays over the frame's bytes, no object
 * per agent until one asks for `updates`.
 */

import type { AgentColumnsEvent, AgentIndexEvent, AgentUpdateEvent, Data } from "./gen/protocol.js";

/** The byte layout this client reads. */
export const COLUMNS_LAYOUT = 1;

/** The connection's agent index table: `ids[i]` is the agent of index `i`. */
export class AgentTable {
  readonly ids: string[] = [];

  /** Take an `agent_index` frame: `start` 0 begins the table anew, else it grows in order. */
  apply(event: AgentIndexEvent): void {
    if (event.start === 0) this.ids.length = 0;
    if (event.start !== this.ids.length) {
      throw new Error(`agent_index from ${event.start}, but the table holds ${this.ids.length}`);
    }
    for (const id of event.agent_ids) this.ids.push(id);
  }
}

/** An `agent_columns` frame's bytes as typed arrays (rows `0 .. count - 1`). */
export interface Columns {
  /** Each row's agent, as its index in the `AgentTable`. */
  index: Uint32Array;
  /** Each numeric member: its value in each row. */
  numeric: Record<string, Float64Array>;
  /** Each other member: its value in each row. */
  values: Record<string, unknown[]>;
  /** Each numeric member of which some rows changed: those rows, and their values. */
  patches: Record<string, { rows: Uint32Array; data: Float64Array }>;
}

/** Read a frame's columns (views on its bytes where aligned, copies where not). */
export function readColumns(event: AgentColumnsEvent): Columns {
  if (event.layout !== COLUMNS_LAYOUT) {
    throw new Error(`agent_columns layout ${String(event.layout)}: this client reads ${COLUMNS_LAYOUT}`);
  }
  const count = event.count;
  const index = typed(event.index, Uint32Array, count, "index");
  const numeric: Record<string, Float64Array> = {};
  for (const [name, bytes] of Object.entries(event.columns)) {
    if (bytes !== undefined) numeric[name] = typed(bytes, Float64Array, count, name);
  }
  const values: Record<string, unknown[]> = {};
  for (const [name, list] of Object.entries(event.values)) {
    if (list === undefined) continue;
    if (list.length !== count) throw new Error(`agent_columns: ${name} has ${list.length} values for ${count} rows`);
    values[name] = list;
  }
  const patches: Record<string, { rows: Uint32Array; data: Float64Array }> = {};
  for (const [name, patch] of Object.entries(event.patches)) {
    if (patch === undefined) continue;
    const size = patch.rows.byteLength / Uint32Array.BYTES_PER_ELEMENT;
    patches[name] = { rows: typed(patch.rows, Uint32Array, size, name), data: typed(patch.data, Float64Array, size, name) };
  }
  return { index, numeric, values, patches };
}

/**
 * The `agent_update` events a frame stands for, in seq order (one object each: for tests
 * and tools). `held` gives an agent's data as the client holds it, for the members the
 * frame leaves `unchanged` (a `SpineClient`'s `world`, read before or after it applied the
 * frame: those members are the same).
 */
export function* updates(
  event: AgentColumnsEvent,
  table: AgentTable,
  held: (agentId: string) => Data | undefined = () => undefined,
): Generator<AgentUpdateEvent> {
  const { index, numeric, values, patches } = readColumns(event);
  const kept = [...event.unchanged, ...Object.keys(patches)];
  const patched = new Map<number, Data>(); // row -> its patched members
  for (const [name, { rows, data }] of Object.entries(patches)) {
    rows.forEach((row, k) => {
      const members = patched.get(row) ?? {};
      members[name] = data[k];
      patched.set(row, members);
    });
  }
  for (let row = 0; row < event.count; row++) {
    const agentId = table.ids[index[row]!];
    if (agentId === undefined) throw new Error(`agent_columns: index ${index[row]} is not in the table`);
    const data: Data = {};
    if (kept.length > 0) {
      const before = held(agentId);
      if (before === undefined) throw new Error(`agent_columns: ${agentId}'s unchanged members are not held`);
      for (const name of kept) data[name] = before[name];
      Object.assign(data, patched.get(row));
    }
    for (const name in numeric) data[name] = numeric[name]![row];
    for (const name in values) data[name] = values[name]![row];
    yield { type: "agent_update", seq: event.first_seq + row, tick: event.tick, agent_id: agentId, data };
  }
}

type TypedArrayOf<T> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** Little-endian `count` items of `bytes` (every platform a browser runs on is little-endian). */
function typed<T extends Uint32Array | Float64Array>(
  bytes: Uint8Array,
  kind: TypedArrayOf<T>,
  count: number,
  name: string,
): T {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== count * kind.BYTES_PER_ELEMENT) {
    throw new Error(`agent_columns: ${name} is not ${count} items of ${kind.BYTES_PER_ELEMENT} bytes`);
  }
  if (bytes.byteOffset % kind.BYTES_PER_ELEMENT === 0) return new kind(bytes.buffer, bytes.byteOffset, count);
  const copy = new Uint8Array(bytes); // unaligned in the frame: one copy of the column
  return new kind(copy.buffer, 0, count);
}
