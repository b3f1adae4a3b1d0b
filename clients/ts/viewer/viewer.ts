/**
 * The live viewer: a worked example of `SpineClient` in a browser.
 *
 * The page is served by the spine-ws server, so the WebSocket is on the same origin at
 * `/ws` (override with `?ws=<url>`). A token comes from `?token=` or the token field.
 * Everything drawn comes from `client.world`, the mirror the client keeps from the latest
 * snapshot plus every event since; the page adds what a person watching needs: an event
 * log, an inspector, a legend, what the connection is really doing, and only the controls
 * this connection may use on this simulation.
 *
 * Modules: `stage` (the canvas), `log` (the event log), `inspector`, `agents` (the list
 * and the legend), `palette` (colours per kind), `meters` (rates, latency, frame time).
 */

import {
  type Command,
  CommandError,
  type CommandType,
  type ConnectionStart,
  type ConnectionState,
  type ErrorEvent,
  type Role,
  type SimulationStatus,
  SpineClient,
  type SpineClientOptions,
  type SubscribeResult,
  type Subscription,
} from "../src/index.js";
import { AgentList, Legend } from "./agents.js";
import { Inspector } from "./inspector.js";
import { EventLog, type LogEntry } from "./log.js";
import { FrameMeter, StreamMeter } from "./meters.js";
import { Palette } from "./palette.js";
import { GlStage } from "./gl-stage.js";
import { type Drawing, Stage } from "./stage.js";
import { regionFor } from "./view.js";
import { Timeline } from "./timeline.js";

const MIN_RATE = 0.1;
const MAX_RATE = 100;
const SLIDER_MAX = 1000;
const MAX_ERRORS = 6;
/** How long a running simulation may send nothing before the page says so. */
const QUIET_MS = 2_000;
/** How far apart the two reports of one handler fault may arrive and still be one. */
const FAULT_PAIR_MS = 2_000;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`viewer: #${id} is missing from index.html`);
  return element as T;
}

const ui = {
  connection: byId<HTMLSpanElement>("connection"),
  connectionStart: byId<HTMLSpanElement>("connection-start"),
  role: byId<HTMLSpanElement>("role"),
  simStatus: byId<HTMLElement>("sim-status"),
  tick: byId<HTMLElement>("tick"),
  rate: byId<HTMLElement>("rate"),
  tickSpeed: byId<HTMLElement>("tick-speed"),
  eventRate: byId<HTMLElement>("event-rate"),
  latency: byId<HTMLElement>("latency"),
  thinned: byId<HTMLElement>("thinned"),
  thinnedRate: byId<HTMLElement>("thinned-rate"),
  frameMs: byId<HTMLElement>("frame-ms"),
  agentTotal: byId<HTMLElement>("agent-total"),
  link: byId<HTMLElement>("link"),
  notice: byId<HTMLElement>("notice"),
  canvas: byId<HTMLCanvasElement>("world"),
  overlay: byId<HTMLElement>("overlay"),
  controls: byId<HTMLFieldSetElement>("controls"),
  readOnly: byId<HTMLElement>("read-only"),
  start: byId<HTMLButtonElement>("start"),
  pause: byId<HTMLButtonElement>("pause"),
  resume: byId<HTMLButtonElement>("resume"),
  stop: byId<HTMLButtonElement>("stop"),
  tickRate: byId<HTMLInputElement>("tick-rate"),
  tickRateValue: byId<HTMLOutputElement>("tick-rate-value"),
  addForm: byId<HTMLFormElement>("add-form"),
  agentId: byId<HTMLInputElement>("agent-id"),
  agentKind: byId<HTMLInputElement>("agent-kind"),
  addAgent: byId<HTMLButtonElement>("add-agent"),
  deleteForm: byId<HTMLFormElement>("delete-form"),
  deleteId: byId<HTMLInputElement>("delete-id"),
  deleteAgent: byId<HTMLButtonElement>("delete-agent"),
  follow: byId<HTMLInputElement>("follow"),
  inspectorDelete: byId<HTMLButtonElement>("inspector-delete"),
  inspectorClose: byId<HTMLButtonElement>("inspector-close"),
  modifyForm: byId<HTMLFormElement>("modify-form"),
  modifyData: byId<HTMLInputElement>("modify-data"),
  modifyAgent: byId<HTMLButtonElement>("modify-agent"),
  agents: byId<HTMLUListElement>("agents"),
  tokenForm: byId<HTMLFormElement>("token-form"),
  token: byId<HTMLInputElement>("token"),
  meta: byId<HTMLElement>("meta"),
  batch: byId<HTMLInputElement>("batch"),
  columns: byId<HTMLInputElement>("columns"),
  subscription: byId<HTMLElement>("subscription"),
  errors: byId<HTMLUListElement>("errors"),
};

const params = new URLSearchParams(location.search);
const wsUrl = params.get("ws") ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
ui.token.value = params.get("token") ?? "";
// ?columns=1: a big world's link, opened straight in columns (no JSON snapshot first).
if (params.get("columns") === "1") ui.columns.checked = true;

const palette = new Palette();
const colour = (kind: string): string => palette.colour(kind);
// WebGL where the page has it (big worlds), else the 2D canvas: a fresh element, since
// one that gave a WebGL context (which then failed) gives no other.
const stage: Drawing = GlStage.create(ui.canvas) ?? new Stage(freshCanvas());
ui.canvas.dataset["renderer"] = stage instanceof GlStage ? "webgl" : "2d";
const stream = new StreamMeter();
const frames = new FrameMeter();
const log = new EventLog({
  list: byId("log"),
  type: byId("log-type"),
  kind: byId("log-kind"),
  kinds: byId("log-kinds"),
  pause: byId("log-pause"),
  clear: byId("log-clear"),
  count: byId("log-count"),
});
const inspector = new Inspector({
  empty: byId("inspector-empty"),
  body: byId("inspector-body"),
  id: byId("inspector-id"),
  kind: byId("inspector-kind"),
  swatch: byId("inspector-swatch"),
  state: byId("inspector-state"),
  data: byId("inspector-data"),
});
const timeline = new Timeline(
  {
    root: byId("timeline"),
    play: byId("timeline-play"),
    scrub: byId("timeline-scrub"),
    position: byId("timeline-position"),
    speed: byId("timeline-speed"),
    live: byId("timeline-live"),
  },
  {
    play: () => playback({ type: "playback.play" }),
    pause: () => playback({ type: "playback.pause" }),
    seek: (time) => playback({ type: "playback.seek", time }),
    speed: (speed) => playback({ type: "playback.speed", speed }),
    live: () => playback({ type: "playback.live" }),
  },
);
const agentList = new AgentList({ list: ui.agents, search: byId("agent-search"), count: byId("agent-count") });
const legend = new Legend(byId("legend"), setKindVisible);

function freshCanvas(): HTMLCanvasElement {
  const fresh = ui.canvas.cloneNode() as HTMLCanvasElement;
  ui.canvas.replaceWith(fresh);
  ui.canvas = fresh;
  return fresh;
}

let client: SpineClient | undefined;
/** Whether the connection is MessagePack (the columns box, as it was at connect). */
let packed = false;
let gaps = 0;
let draggingRate = false;
/** Bumped whenever agents come or go: the list and the legend are rebuilt only then. */
let agentsVersion = 0;
const hiddenKinds = new Set<string>();
/** From the connection's first frame (snapshot or resumed). */
let role: Role | undefined;
let capabilities: readonly string[] = [];
/** What the running simulation handles; `undefined` before the first snapshot. */
let commands: ReadonlySet<CommandType> | undefined;
/** The server run the page last saw: a snapshot of another one means it restarted. */
let knownEpoch: string | undefined;
let wasOpen = false;
/** Connections that started (snapshot or resumed) since the page loaded. */
let starts = 0;

// --- tick rate slider (logarithmic) -----------------------------------------------------

function sliderToRate(value: number): number {
  const rate = MIN_RATE * (MAX_RATE / MIN_RATE) ** (value / SLIDER_MAX);
  const rounded = rate < 10 ? Math.round(rate * 10) / 10 : Math.round(rate);
  return Math.min(MAX_RATE, Math.max(MIN_RATE, rounded));
}

function rateToSlider(rate: number): number {
  return Math.round((SLIDER_MAX * Math.log(rate / MIN_RATE)) / Math.log(MAX_RATE / MIN_RATE));
}

// --- errors, once each ------------------------------------------------------------------

interface Shown {
  entry: LogEntry;
  item: HTMLLIElement;
}

function showError(text: string, code = "error"): Shown {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  ui.errors.prepend(item);
  while (ui.errors.children.length > MAX_ERRORS) ui.errors.lastElementChild?.remove();
  return { entry: log.add("error", code, text), item };
}

/**
 * A simulation fault in a command's handler reaches that command's sender twice: broadcast
 * to every client (with `seq`: "handler for X failed: …") and as the reply to the command
 * (`command_type` X, no `seq`). The page shows such a pair once, the reply noted on the
 * broadcast (whichever comes first).
 */
const faults: Array<{ event: ErrorEvent; shown: Shown; at: number }> = [];

function errorText(event: ErrorEvent): string {
  const where = event.command_type ? `${event.command_type}: ` : "";
  const details = (event.details ?? []).map((d) => `${d.path || "/"} ${d.message}`).join("; ");
  return `${where}${event.code}: ${event.message}${details ? ` (${details})` : ""}`;
}

function onError(event: ErrorEvent): void {
  if (event.code !== "simulation_error") {
    showError(errorText(event), event.code);
    return;
  }
  const now = performance.now();
  while (faults.length > 0 && (faults[0]?.at ?? now) < now - FAULT_PAIR_MS) faults.shift();
  const broadcast = event.seq !== undefined;
  const pair = faults.findIndex(({ event: other }) => {
    const [b, r] = broadcast ? [event, other] : [other, event];
    return (b.seq !== undefined) !== (r.seq !== undefined) && r.command_type !== undefined && b.message.includes(r.command_type);
  });
  const earlier = faults[pair];
  if (earlier) {
    faults.splice(pair, 1);
    const reply = broadcast ? earlier.event : event;
    const text = `${errorText(broadcast ? event : earlier.event)} (the reply to this page's ${reply.command_type ?? "command"})`;
    earlier.shown.entry.text = text;
    earlier.shown.item.textContent = `${earlier.shown.entry.at.toLocaleTimeString()} ${text}`;
    log.amend(earlier.shown.entry);
    return;
  }
  faults.push({ event, shown: showError(errorText(event), event.code), at: now });
}

/** Send a command; failures the server reports arrive as `error` events (shown there). */
function send(command: Command): void {
  if (!client) return;
  client.send(command).catch((error: unknown) => {
    if (!(error instanceof CommandError)) showError(error instanceof Error ? error.message : String(error));
  });
}

// --- connection ------------------------------------------------------------------------

type PlaybackCommand = Extract<Command, { type: `playback.${string}` }>;

/** A playback command; its reply is the playback's state, for the timeline. */
function playback(command: PlaybackCommand): void {
  client
    ?.send(command)
    .then((ack) => timeline.update(ack.result, performance.now()))
    .catch((error: unknown) => {
      // A refusal also arrives as an `error` event (shown there).
      if (!(error instanceof CommandError)) showError(error instanceof Error ? error.message : String(error));
    });
}

function setNotice(text: string): void {
  ui.notice.hidden = false;
  ui.notice.textContent = `${new Date().toLocaleTimeString()} ${text}`;
}

function connect(): void {
  client?.close();
  const options: SpineClientOptions = {
    retryInitialConnect: true,
    onStateChange: showConnection,
    onResume: showStart,
    onGap: (gap) => {
      gaps++;
      showError(`missed events: expected seq ${gap.expected}, got ${gap.received}`, "gap");
    },
    onSchemaMismatch: (m) =>
      showError(`server schema ${m.serverSchemaHash.slice(0, 12)} differs from this page's ${m.clientSchemaHash.slice(0, 12)}`),
  };
  const token = ui.token.value.trim();
  if (token) options.token = token;
  // Columns travel in MessagePack: the box picks the connection's encoding, and asks
  // for them from the start (a big world's ticks never come one by one meanwhile).
  if (ui.columns.checked) {
    options.encoding = "msgpack";
    options.subscribe = { ...(ui.batch.checked ? { batch: true } : {}), columns: true };
  }
  packed = ui.columns.checked;
  try {
    client = new SpineClient(wsUrl, options);
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    return;
  }
  wasOpen = false;
  client.onAny((event) => {
    stream.event(performance.now(), event.type === "agent_columns" ? event.count : 1);
    if (!TIME_ONLY.has(event.type)) worldChanges++;
  });
  client.on("skipped", (notice) => stream.skipped(notice.count, performance.now()));
  client.on("error", onError);
  client.on("snapshot", (snapshot) => {
    stage.reset();
    stream.interrupt();
    agentsVersion++;
    role = snapshot.role;
    capabilities = snapshot.capabilities;
    commands = new Set(snapshot.commands);
    timeline.show(capabilities.includes("playback"));
    // Colours go to kinds in the order the world has them, whatever draws first.
    for (const agent of snapshot.agents) palette.colour(agent.agent_kind);
    if (knownEpoch !== undefined && snapshot.epoch !== knownEpoch) {
      setNotice(`server restarted: fresh snapshot (epoch ${snapshot.epoch})`);
      log.add("connection", "restart", `server restarted: fresh snapshot (epoch ${snapshot.epoch}, was ${knownEpoch})`);
    }
    knownEpoch = snapshot.epoch;
  });
  client.on("command_ack", (ack) => {
    // A subscription took effect: world's agents started over from its ack's.
    if (ack.command_type !== "subscribe") return;
    agentsVersion++;
    for (const agent of (ack.result as SubscribeResult | undefined)?.agents ?? []) palette.colour(agent.agent_kind);
  });
  client.on("resumed", (resumed) => {
    role = resumed.role;
    capabilities = resumed.capabilities;
  });
  client.on("playback", (notice) => timeline.update(notice.state, performance.now()));
  client.on("tick_start", (event) => stream.tick(event.tick, performance.now()));
  client.on("simulation_state", (event) => {
    if (event.status !== "running") stream.interrupt();
    log.add("state", event.status, `${event.status} at tick ${event.tick}, ${event.tick_rate} ticks/s`, event.tick);
  });
  client.on("world_event", (event) => log.add("world", event.kind, JSON.stringify(event.data), event.tick));
  client.on("agent_added", (event) => {
    agentsVersion++;
    palette.colour(event.agent_kind);
    log.add("agent", "added", `${event.agent_id} (${event.agent_kind})`, event.tick);
  });
  client.on("agent_removed", (event) => {
    agentsVersion++;
    log.add("agent", "removed", event.agent_id, event.tick);
  });
  // Into or out of the region in view: the set of agents changed (nothing to log).
  client.on("agent_entered", () => agentsVersion++);
  client.on("agent_left", () => agentsVersion++);
  client.connect().catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)));
}

/** How the latest connection started: "resumed (N events)", or "snapshot (why)". */
function startText(start: ConnectionStart): string {
  if (start.resumed) return `resumed (${start.replayed} event${start.replayed === 1 ? "" : "s"})`;
  if (start.reason) return `snapshot (${start.reason})`;
  return start.requested ? "snapshot (the server does not resume)" : "snapshot";
}

function showStart(start: ConnectionStart): void {
  starts++;
  // What was toggled while disconnected (and the batch default on a first connection).
  applySubscription();
  ui.connectionStart.textContent = startText(start);
  ui.connectionStart.dataset["resumed"] = String(start.resumed);
  if (start.resumed) {
    const text = `reconnected: resumed, ${start.replayed} event${start.replayed === 1 ? "" : "s"} replayed`;
    setNotice(text);
    log.add("connection", "resumed", text);
  } else {
    log.add("connection", "snapshot", start.requested ? `reconnected: ${startText(start)}` : "connected: snapshot");
  }
}

function showConnection(state: ConnectionState): void {
  ui.connection.textContent = state;
  ui.connection.dataset["state"] = state;
  if (state === "open") wasOpen = true;
  if (wasOpen && (state === "reconnecting" || state === "closed")) {
    wasOpen = false;
    stream.interrupt();
    ui.notice.hidden = true; // the link line says what is going on now
    // Why, as the client saw it: the close code and reason the server gave, or a timeout.
    const why = client?.lastLoss ?? "unknown";
    log.add("connection", "lost", state === "closed" ? `connection closed: ${why}` : `connection lost: ${why}; reconnecting`);
  }
}

/**
 * Show or hide a kind's agents. A hidden kind is never drawn. On a server that has
 * `subscribe`, the page also asks for the visible kinds only (`subscribe {agent_kinds}`),
 * so that hidden ones cost neither bandwidth nor the page's time: their agents leave the
 * world, and come back from the ack's `agents` when shown again. Without it, hiding is
 * client-side only: the agents stay in the world, the list and the legend.
 */
function setKindVisible(kind: string, visible: boolean): void {
  if (visible) hiddenKinds.delete(kind);
  else hiddenKinds.add(kind);
  applySubscription();
}

/**
 * What the page wants from the server: the visible kinds (every kind it has seen but
 * the hidden ones; all of them visible: no filter), and batch frames if the box is
 * ticked and the server has them. While a kind is hidden, a kind that appears later is
 * not sent until all are shown again (subscriptions name the kinds they want).
 */
function wantedSubscription(): Subscription {
  const wanted: Subscription = {};
  if (ui.batch.checked && client?.has("batch")) wanted.batch = true;
  if (packed && ui.columns.checked && client?.has("columns")) wanted.columns = true;
  if (hiddenKinds.size > 0) wanted.agent_kinds = palette.kinds().filter((kind) => !hiddenKinds.has(kind));
  // Zoomed in (not following an agent, which moves the view every frame): only the
  // agents in and around the view, so a big world costs what is seen of it.
  if (client?.has("region") && !stage.view.fitted && !ui.follow.checked) {
    wanted.region = regionFor(stage.view.visible(), stage.view.worldSize);
  }
  return wanted;
}

let subscribing = false;

/** Ask for `wantedSubscription()` if it is not what is in force; one request at a time. */
function applySubscription(): void {
  const current = client;
  if (!current || current.state !== "open" || !current.has("subscribe") || subscribing) return;
  const wanted = wantedSubscription();
  if (JSON.stringify(wanted) === JSON.stringify(current.subscription)) return;
  subscribing = true;
  current
    .subscribe(wanted)
    .then(
      (result) => log.add("connection", "subscribed", `${subscriptionText(wanted)} (${result.agents.length} agents from seq ${result.seq})`),
      (error: unknown) => {
        if (!(error instanceof CommandError)) showError(error instanceof Error ? error.message : String(error));
      },
    )
    .finally(() => {
      subscribing = false;
      // Toggled again meanwhile: ask for that too.
      if (client === current && JSON.stringify(wantedSubscription()) !== JSON.stringify(current.subscription)) {
        applySubscription();
      }
    });
}

function subscriptionText(sub: Subscription): string {
  const kinds = sub.agent_kinds ? `kinds ${sub.agent_kinds.join(", ") || "(none)"}` : "every kind";
  const r = sub.region;
  const region = r ? `, in x ${r.x_min}..${r.x_max} y ${r.y_min}..${r.y_max}` : "";
  return `receiving ${kinds}${region}${sub.batch ? ", batched" : ""}${sub.columns ? ", as columns" : ""}`;
}

ui.batch.addEventListener("change", applySubscription);
// Another encoding is another connection: columns need MessagePack.
ui.columns.addEventListener("change", connect);

// --- controls --------------------------------------------------------------------------

ui.start.addEventListener("click", () => send({ type: "start" }));
ui.pause.addEventListener("click", () => send({ type: "pause" }));
ui.resume.addEventListener("click", () => send({ type: "resume" }));
ui.stop.addEventListener("click", () => send({ type: "stop" }));

ui.tickRate.addEventListener("input", () => {
  draggingRate = true;
  ui.tickRateValue.textContent = String(sliderToRate(Number(ui.tickRate.value)));
});
ui.tickRate.addEventListener("change", () => {
  draggingRate = false;
  send({ type: "set_tick_rate", tick_rate: sliderToRate(Number(ui.tickRate.value)) });
});

ui.addForm.addEventListener("submit", (event) => {
  event.preventDefault();
  // No agent_data: the simulation chooses a position and a velocity (the default one
  // picks them at random), so the page need not know any simulation's data layout.
  send({ type: "add_agent", agent_id: ui.agentId.value.trim(), agent_kind: ui.agentKind.value.trim() });
  ui.agentId.value = "";
});

ui.deleteForm.addEventListener("submit", (event) => {
  event.preventDefault();
  send({ type: "delete_agent", agent_id: ui.deleteId.value.trim() });
  ui.deleteId.value = "";
});

ui.agents.addEventListener("click", (event) => {
  const target = event.target as HTMLElement;
  const remove = target.closest<HTMLElement>("[data-delete]")?.dataset["delete"];
  if (remove) send({ type: "delete_agent", agent_id: remove });
  const chosen = target.closest<HTMLElement>("[data-select]")?.dataset["select"];
  if (chosen) inspector.select(chosen);
});

// Drag to pan, wheel to zoom, double-click for the whole world; a click (no drag) picks.
let drag: { x: number; y: number; moved: boolean } | undefined;
ui.canvas.addEventListener("pointerdown", (event) => {
  drag = { x: event.offsetX, y: event.offsetY, moved: false };
});
ui.canvas.addEventListener("pointermove", (event) => {
  if (!drag || event.buttons === 0) return;
  const dx = event.offsetX - drag.x;
  const dy = event.offsetY - drag.y;
  if (!drag.moved && Math.hypot(dx, dy) < 4) return;
  const ratio = ui.canvas.width / Math.max(1, ui.canvas.clientWidth);
  stage.view.panBy(dx * ratio, dy * ratio);
  drag = { x: event.offsetX, y: event.offsetY, moved: true };
});
ui.canvas.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const ratio = ui.canvas.width / Math.max(1, ui.canvas.clientWidth);
    stage.view.zoomAt(Math.exp(-event.deltaY / 1000), event.offsetX * ratio, event.offsetY * ratio);
  },
  { passive: false },
);
ui.canvas.addEventListener("dblclick", () => stage.view.fit());
ui.canvas.addEventListener("click", (event) => {
  const dragged = drag?.moved === true;
  drag = undefined;
  if (dragged) return;
  const chosen = stage.agentAt(event.offsetX, event.offsetY);
  if (chosen) inspector.select(chosen);
});

ui.inspectorClose.addEventListener("click", () => {
  inspector.select(undefined);
  ui.follow.checked = false;
});
ui.inspectorDelete.addEventListener("click", () => {
  if (inspector.selected) send({ type: "delete_agent", agent_id: inspector.selected });
});
ui.modifyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const agentId = inspector.selected;
  if (!agentId) return;
  let data: unknown;
  try {
    data = JSON.parse(ui.modifyData.value);
  } catch {
    data = undefined;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    showError('agent data must be a JSON object, e.g. {"vx": 0}');
    return;
  }
  send({ type: "modify_agent", agent_id: agentId, agent_data: data as Record<string, unknown> });
});

ui.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  connect();
});

// --- rendering -------------------------------------------------------------------------

/** Set an element's text only when it changed: most of it stays the same most frames. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function ago(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * Controls follow what this connection may do: none while disconnected; none for a viewer
 * (read-only, and said so); never one for a command the simulation does not handle.
 */
function updateControls(status: SimulationStatus | undefined, open: boolean): void {
  const readOnly = role === "viewer";
  const canCommand = open && !readOnly;
  ui.controls.disabled = readOnly;
  ui.readOnly.hidden = !readOnly;
  for (const element of document.querySelectorAll<HTMLElement>("[data-command]")) {
    const command = element.dataset["command"] as CommandType;
    element.hidden = commands !== undefined && !commands.has(command);
  }
  ui.start.disabled = !canCommand || status !== "stopped";
  ui.pause.disabled = !canCommand || status !== "running";
  ui.resume.disabled = !canCommand || status !== "paused";
  ui.stop.disabled = !canCommand || status === "stopped";
  ui.tickRate.disabled = !canCommand;
  ui.addAgent.disabled = !canCommand;
  ui.deleteAgent.disabled = !canCommand;
  ui.inspectorDelete.disabled = !canCommand;
  ui.modifyAgent.disabled = !canCommand;
  ui.modifyData.disabled = !canCommand;
}

/** Say what the page knows and how fresh it is; dim the world when it is not live. */
function showLink(open: boolean, status: SimulationStatus | undefined, now: number): boolean {
  const last = stream.lastEventAt;
  const since = last === undefined ? "no data yet" : `last data ${ago(now - last)} ago`;
  const stale = !open && client?.snapshot !== undefined;
  let text = "";
  if (stale) {
    text = `disconnected (${client?.state ?? "closed"}): ${since}; the world shown is as it was then`;
  } else if (!open) {
    // A browser is not told why a handshake failed; a missing token is the usual reason.
    const hint = ui.token.value.trim() ? "" : " (if the server requires a token, enter it below)";
    text = `cannot reach ${wsUrl}, retrying${hint}`;
  } else if (status === "running" && last !== undefined && now - last > QUIET_MS) {
    text = `connected, but nothing has come for ${ago(now - last)} while the simulation runs`;
  }
  setText(ui.link, text);
  ui.link.dataset["stale"] = String(stale);
  ui.canvas.dataset["stale"] = String(stale);
  ui.overlay.hidden = !stale;
  if (stale) setText(ui.overlay, `disconnected · ${since}`);
  return stale;
}

let frameCount = 0;
let lastDrawKey = "";
/** Events that may change what is drawn (all but the clock's and the log's). */
let worldChanges = 0;
const TIME_ONLY = new Set(["tick_start", "tick_end", "world_event", "skipped", "agent_index"]);
let draws = 0;
const LIST_EVERY_MS = 250;
let listedAt = 0;
let listedVersion = 0;
const REGION_EVERY_MS = 200;
let regionAt = 0;

function draw(): void {
  requestAnimationFrame(draw);
  const begin = performance.now();
  const world = client?.world;
  const simulation = world?.simulation;
  const open = client?.state === "open";
  const stale = showLink(open, simulation?.status, begin);
  setText(ui.simStatus, simulation ? `${simulation.status}${stale ? " (last known)" : ""}` : "–");
  ui.simStatus.classList.toggle("stale", stale);
  ui.tick.classList.toggle("stale", stale);
  setText(ui.tick, simulation ? String(simulation.tick) : "–");
  setText(ui.rate, simulation ? String(simulation.tick_rate) : "–");
  const speed = open ? stream.ticksPerSecond(begin) : undefined;
  setText(ui.tickSpeed, speed === undefined ? "–" : speed.toFixed(speed < 10 ? 1 : 0));
  setText(ui.eventRate, open ? Math.round(stream.eventsPerSecond(begin)).toLocaleString("en") : "–");
  const latency = open ? stream.latencyMs : undefined;
  setText(ui.latency, latency === undefined ? "–" : `${latency.toFixed(0)} ms`);
  // Thinned: the server coalesces what this page does not take in time (it is told).
  const thinned = open ? stream.skippedPerSecond(begin) : 0;
  ui.thinned.hidden = thinned === 0;
  setText(ui.thinnedRate, Math.round(thinned).toLocaleString("en"));
  ui.thinned.dataset["total"] = String(stream.skippedTotal);
  if (simulation && !draggingRate) {
    ui.tickRate.value = String(rateToSlider(simulation.tick_rate));
    setText(ui.tickRateValue, String(simulation.tick_rate));
  }
  setText(ui.role, role ? (role === "viewer" ? "viewer (read-only)" : role) : "");
  if (role) ui.role.dataset["role"] = role;
  updateControls(simulation?.status, open);

  const agents = world?.agents ?? new Map();
  setText(ui.agentTotal, world ? String(agents.size) : "–");
  timeline.draw(begin, simulation?.tick);
  const deletable = role !== "viewer" && (commands === undefined || commands.has("delete_agent"));
  // The list and legend follow the set of agents at most a few times a second (agents
  // cross a region's edge every tick of a big world).
  if (begin - listedAt > LIST_EVERY_MS) {
    listedAt = begin;
    listedVersion = agentsVersion;
  }
  agentList.render(agents, listedVersion, { colour, selected: inspector.selected, deletable });
  legend.render(agents, listedVersion, colour, hiddenKinds);
  if (begin - regionAt > REGION_EVERY_MS) {
    regionAt = begin;
    applySubscription(); // the view moved: its region (nothing sent if it is the same)
  }
  if (client) {
    const sub = client.subscription;
    const text = client.has("subscribe")
      ? `${subscriptionText(sub)} (server-side)`
      : client.snapshot
        ? "hiding is client-side: this server does not subscribe"
        : "";
    setText(ui.subscription, text);
    ui.subscription.dataset["kinds"] = sub.agent_kinds ? sub.agent_kinds.join(",") : "*";
    ui.subscription.dataset["batch"] = String(sub.batch === true);
    ui.subscription.dataset["columns"] = String(sub.columns === true);
    ui.subscription.dataset["region"] = sub.region ? JSON.stringify(sub.region) : "";
  }
  const selected = inspector.selected;
  inspector.render(selected === undefined ? undefined : agents.get(selected), colour);
  log.render();
  if (client?.snapshot) {
    setText(
      ui.meta,
      `${wsUrl} · connection ${client.connectionId ?? "?"} · epoch ${client.epoch ?? "?"} · ` +
        `seq ${client.lastSeq ?? "–"} · gaps ${gaps}` +
        (capabilities.length ? ` · server: ${capabilities.join(", ")}` : ""),
    );
    ui.meta.dataset["seq"] = String(client.lastSeq ?? 0);
    ui.meta.dataset["connections"] = String(starts);
    ui.meta.dataset["gaps"] = String(gaps);
    ui.meta.dataset["events"] = String(stream.total);
  }

  // Drawn when something it shows changed (an event came, the view or the selection
  // moved): a big world's frame is GPU work, and the world changes at the tick rate.
  const drawKey = [worldChanges, stage.view.changes, selected, ui.follow.checked, [...hiddenKinds].join(","), ui.canvas.clientWidth, listedVersion].join("\u0000");
  if (drawKey !== lastDrawKey) {
    lastDrawKey = drawKey;
    draws++;
    const drawn = stage.draw(agents.values(), {
      colour,
      version: agentsVersion,
      hidden: hiddenKinds,
      selected,
      follow: ui.follow.checked,
    });
    ui.canvas.dataset["agentCount"] = String(drawn);
    ui.canvas.dataset["draws"] = String(draws);
  }

  frames.frame(begin, performance.now());
  if (++frameCount % 15 === 0) {
    const summary = frames.summary();
    setText(ui.frameMs, `${summary.drawP50.toFixed(1)} ms`);
    // For the browser test's performance report.
    Object.assign(ui.frameMs.dataset, {
      drawP50: summary.drawP50.toFixed(2),
      drawP95: summary.drawP95.toFixed(2),
      intervalP50: summary.intervalP50.toFixed(2),
      intervalP95: summary.intervalP95.toFixed(2),
      frames: String(summary.frames),
      eventRate: stream.eventsPerSecond(begin).toFixed(0),
      tickSpeed: (speed ?? 0).toFixed(1),
      latency: (latency ?? -1).toFixed(1),
    });
  }
}

connect();
requestAnimationFrame(draw);
