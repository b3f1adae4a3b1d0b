/**
 * Compile-time proof that the generated unions are usable discriminated unions, and that
 * `SpineClient` carries an extension's messages and a frontend's agent data through.
 *
 * Never run: `npm run typecheck` (tsc -p tsconfig.json, which includes test/) fails if
 * `switch (x.type)` stops narrowing a member (each case reads a field only that member
 * has), if a switch that leaves members out stops failing its `never` check, or if a
 * `@ts-expect-error` line below starts compiling (a bad tag or a missing field slipped
 * through).
 */

import {
  type AckOf,
  type Command,
  type CommandResults,
  COMMAND_TYPES,
  CONTRACT,
  type CoreEventOf,
  type Data,
  type DescribeAgentResult,
  type ListAgentsResult,
  EVENT_TYPES,
  type ServerEvent,
  type SetTickRateCommand,
  type SnapshotEvent,
  SpineClient,
  type TickStartEvent,
} from "../src/index.js";

/** True only when A and B are the same type (not merely assignable one way). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// A command's ack carries its result type; one without a result has none.
assertType<Equal<AckOf<"describe_agent">["result"], DescribeAgentResult>>();
assertType<Equal<AckOf<"list_agents">["result"], ListAgentsResult>>();
assertType<Equal<AckOf<"stop">["result"], undefined>>();

// The runtime lists of types (contract.ts) name exactly the members of the unions (protocol.ts).
assertType<Equal<(typeof EVENT_TYPES)[number], ServerEvent["type"]>>();
assertType<Equal<(typeof COMMAND_TYPES)[number], Command["type"]>>();

// Each case reads a field only its member has; the default is narrowed to the rest. No
// switch here lists every type: adding a message to schema/ must not touch this file.
export function describeEvent(ev: ServerEvent): string {
  switch (ev.type) {
    case "snapshot":
      return `${ev.epoch} ${ev.connection_id} ${ev.simulation.status} ${ev.agents.length}`;
    case "tick_start":
    case "tick_end":
      return `${ev.type} ${ev.seq} ${ev.tick}`;
    case "agent_added":
      return `${ev.agent_id} ${ev.agent_kind} ${Object.keys(ev.data).length}`;
    case "command_ack":
      return `${ev.command_type} ${ev.command_id ?? "-"}`;
    case "error":
      return `${ev.code} ${ev.message} ${ev.details?.length ?? 0} ${ev.seq ?? "-"}`;
    default:
      assertType<Equal<Extract<typeof ev, { type: "snapshot" | "error" }>, never>>();
      return ev.type;
  }
}

export function describeCommand(cmd: Command): string {
  switch (cmd.type) {
    case "start":
      return `start ${cmd.tick_rate ?? "current rate"}`;
    case "set_tick_rate":
      return `rate ${cmd.tick_rate.toFixed(1)}`;
    case "add_agent":
      return `${cmd.agent_id} ${cmd.agent_kind} ${Object.keys(cmd.agent_data ?? {}).length}`;
    case "modify_agent":
      return `${cmd.agent_id} ${Object.keys(cmd.agent_data).length}`;
    default:
      assertType<Equal<Extract<typeof cmd, { type: "start" | "add_agent" }>, never>>();
      return cmd.type;
  }
}

// Exhaustiveness checks bite: a switch that leaves members out cannot assign to `never`.
export function forgetfulEvent(ev: ServerEvent): string {
  switch (ev.type) {
    case "snapshot":
      return ev.epoch;
    default: {
      // @ts-expect-error -- the other event types are not handled
      const _x: never = ev;
      return String(_x);
    }
  }
}

export function forgetfulCommand(cmd: Command): string {
  switch (cmd.type) {
    case "stop":
      return cmd.type;
    default: {
      // @ts-expect-error -- the other command types are not handled
      const _x: never = cmd;
      return String(_x);
    }
  }
}

// Well-formed messages compile.
export const goodCommands: Command[] = [
  { type: "start" },
  { type: "set_tick_rate", id: "c-1", tick_rate: 20 },
  { type: "add_agent", agent_id: "a1", agent_kind: "ball", agent_data: { x: 1 } },
];
export const goodEvent: ServerEvent = { type: "tick_start", seq: 1, tick: 0 };

export const badCommands: Command[] = [
  // @ts-expect-error -- "begin" is not a command type (bad tag)
  { type: "begin" },
  // @ts-expect-error -- set_tick_rate requires tick_rate (missing field)
  { type: "set_tick_rate" },
  // @ts-expect-error -- add_agent requires agent_kind (missing field)
  { type: "add_agent", agent_id: "a1" },
  // @ts-expect-error -- members are closed (extra field)
  { type: "stop", force: true },
  // @ts-expect-error -- "30" is not a number
  { type: "set_tick_rate", tick_rate: "30" },
  // @ts-expect-error -- an optional field may be absent, not null
  { type: "start", tick_rate: null },
];

export const badEvents: ServerEvent[] = [
  // @ts-expect-error -- "tick" is not an event type (bad tag)
  { type: "tick", seq: 1, tick: 0 },
  // @ts-expect-error -- tick_start requires seq (missing field)
  { type: "tick_start", tick: 0 },
  // @ts-expect-error -- command_ack requires command_type (missing field)
  { type: "command_ack", tick: 0 },
];

// A tag narrows a member on its own: the wrong tag is refused for a specific member type.
// @ts-expect-error -- a TickStartEvent's type is "tick_start"
export const wrongMember: TickStartEvent = { type: "tick_end", seq: 1, tick: 0 };
// @ts-expect-error -- exactOptionalPropertyTypes: tick_rate is required here, not undefined
export const undefinedRate: SetTickRateCommand = { type: "set_tick_rate", tick_rate: undefined };

// An extension's Protocol, as its generated contract.ts would declare it: the core
// messages plus its own (a command with a result, a broadcast event). Named x_* so that
// no core message can ever take the names (tests/contract/test_growth.py adds some).
interface SetSpeedLimitCommand {
  type: "x_speed_limit";
  id?: string;
  road: string;
  limit: number;
}
interface JamEvent {
  type: "x_jam";
  seq: number;
  tick: number;
  road: string;
  length: number;
}
interface TrafficProtocol {
  command: Command | SetSpeedLimitCommand;
  event: ServerEvent | JamEvent;
  results: CommandResults & { x_speed_limit: { limit: number } };
}
/** What this frontend declares its agents' data to be. */
interface Car {
  speed: number;
}

assertType<Equal<AckOf<"x_speed_limit", TrafficProtocol>["result"], { limit: number }>>();
assertType<Equal<AckOf<"describe_agent", TrafficProtocol>["result"], DescribeAgentResult>>();
// @ts-expect-error -- the core protocol (the default) has no x_speed_limit
export type NoCoreSpeedLimit = AckOf<"x_speed_limit">;
// A protocol that lists no snapshot still gets the core's: every server sends one.
assertType<Equal<CoreEventOf<"snapshot", { command: Command; event: JamEvent; results: object }>, SnapshotEvent>>();

export async function trafficClient(url: string): Promise<number> {
  const client = new SpineClient<TrafficProtocol, Car>(url, { contract: CONTRACT });

  const ack = await client.send({ type: "x_speed_limit", road: "A1", limit: 30 });
  assertType<Equal<typeof ack.result.limit, number>>();
  const described = await client.send({ type: "describe_agent", agent_id: "a" });
  assertType<Equal<typeof described.result, DescribeAgentResult>>();
  const stopped = await client.send({ type: "stop" });
  assertType<Equal<typeof stopped.result, undefined>>();
  // @ts-expect-error -- "x_speed" is not a command of TrafficProtocol
  await client.send({ type: "x_speed", limit: 30 });
  // @ts-expect-error -- x_speed_limit requires road (missing field)
  await client.send({ type: "x_speed_limit", limit: 30 });
  // @ts-expect-error -- the result of x_speed_limit has no "max"
  void ack.result.max;

  client.on("x_jam", (e) => {
    assertType<Equal<typeof e, JamEvent>>();
    void e.length.toFixed();
    // @ts-expect-error -- narrowed to JamEvent: agent_id is another event's
    void e.agent_id;
  });
  client.on("tick_start", (e) => void e.tick);
  // @ts-expect-error -- "x_jammed" is not an event of TrafficProtocol
  client.on("x_jammed", () => undefined);
  client.onAny((e) => {
    assertType<Equal<typeof e, ServerEvent | JamEvent>>();
    if (e.type === "x_jam") void e.road;
  });

  const speed = client.world.agents.get("a")?.data.speed;
  assertType<Equal<typeof speed, number | undefined>>();
  // @ts-expect-error -- a Car has no "nope"
  void client.world.agents.get("a")?.data.nope;
  return speed ?? 0;
}

// The default client is the core's: an extension's messages do not type-check on it.
export async function coreClient(url: string): Promise<void> {
  const client = new SpineClient(url);
  // @ts-expect-error -- x_speed_limit is not a core command
  await client.send({ type: "x_speed_limit", road: "A1", limit: 30 });
  // @ts-expect-error -- x_jam is not a core event
  client.on("x_jam", () => undefined);
  // Undeclared data stays the core's free-form Data: any key, of unknown type.
  const data = client.world.agents.get("a")?.data;
  assertType<Equal<typeof data, Data | undefined>>();
}
