/**
 * The live viewer: a worked example of `SpineClient` in a browser.
 *
 * The page is served by the spine-ws server, so the WebSocket is on the same origin at
 * `/ws` (override with `?ws=<url>`). A token comes from `?token=` or the token field.
 * The canvas is redrawn every animation frame from `client.world`, the mirror the client
 * keeps from the latest snapshot plus every event since. After a lost connection the client
 * resumes (the server replays the missed events) or takes a new snapshot; the header says
 * which, next to the connection state.
 */

import {
  type AgentState,
  type Command,
  CommandError,
  type ConnectionStart,
  type ConnectionState,
  type SimulationStatus,
  SpineClient,
  type SpineClientOptions,
} from "../src/index.js";

const MIN_RATE = 0.1;
const MAX_RATE = 100;
const SLIDER_MAX = 1000;
/** The default simulation's world is 100 x 100; larger coordinates widen the view. */
const DEFAULT_WORLD_SIZE = 100;
const MAX_ERRORS = 6;
/** Positions kept per agent for its trail, so a still screenshot shows motion too. */
const TRAIL_LENGTH = 24;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`viewer: #${id} is missing from index.html`);
  return element as T;
}

const ui = {
  connection: byId<HTMLSpanElement>("connection"),
  connectionStart: byId<HTMLSpanElement>("connection-start"),
  simStatus: byId<HTMLElement>("sim-status"),
  tick: byId<HTMLElement>("tick"),
  rate: byId<HTMLElement>("rate"),
  agentTotal: byId<HTMLElement>("agent-total"),
  canvas: byId<HTMLCanvasElement>("world"),
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
  agents: byId<HTMLUListElement>("agents"),
  tokenForm: byId<HTMLFormElement>("token-form"),
  token: byId<HTMLInputElement>("token"),
  meta: byId<HTMLElement>("meta"),
  errors: byId<HTMLUListElement>("errors"),
};

const params = new URLSearchParams(location.search);
const wsUrl = params.get("ws") ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
ui.token.value = params.get("token") ?? "";

let client: SpineClient | undefined;
let gaps = 0;
let worldSize = DEFAULT_WORLD_SIZE;
let draggingRate = false;
let agentsKey = "";
const trails = new Map<string, Array<[number, number]>>();

// --- tick rate slider (logarithmic) -----------------------------------------------------

function sliderToRate(value: number): number {
  const rate = MIN_RATE * (MAX_RATE / MIN_RATE) ** (value / SLIDER_MAX);
  const rounded = rate < 10 ? Math.round(rate * 10) / 10 : Math.round(rate);
  return Math.min(MAX_RATE, Math.max(MIN_RATE, rounded));
}

function rateToSlider(rate: number): number {
  return Math.round((SLIDER_MAX * Math.log(rate / MIN_RATE)) / Math.log(MAX_RATE / MIN_RATE));
}

// --- errors ----------------------------------------------------------------------------

function showError(text: string): void {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  ui.errors.prepend(item);
  while (ui.errors.children.length > MAX_ERRORS) ui.errors.lastElementChild?.remove();
}

/** Send a command; failures the server reports arrive as `error` events (shown there). */
function send(command: Command): void {
  if (!client) return;
  client.send(command).catch((error: unknown) => {
    if (!(error instanceof CommandError)) showError(error instanceof Error ? error.message : String(error));
  });
}

// --- connection ------------------------------------------------------------------------

function connect(): void {
  client?.close();
  const options: SpineClientOptions = {
    retryInitialConnect: true,
    onStateChange: showConnection,
    onResume: showStart,
    onGap: (gap) => {
      gaps++;
      showError(`missed events: expected seq ${gap.expected}, got ${gap.received}`);
    },
    onSchemaMismatch: (m) =>
      showError(`server schema ${m.serverSchemaHash.slice(0, 12)} differs from this page's ${m.clientSchemaHash.slice(0, 12)}`),
  };
  const token = ui.token.value.trim();
  if (token) options.token = token;
  try {
    client = new SpineClient(wsUrl, options);
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    return;
  }
  client.on("error", (event) => {
    const where = event.command_type ? `${event.command_type}: ` : "";
    const details = (event.details ?? []).map((d) => `${d.path || "/"} ${d.message}`).join("; ");
    showError(`${where}${event.code}: ${event.message}${details ? ` (${details})` : ""}`);
  });
  client.on("snapshot", () => {
    worldSize = DEFAULT_WORLD_SIZE;
    trails.clear();
  });
  client.connect().catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)));
}

/** How the latest connection started: "resumed (N events)", or "snapshot (why)". */
function startText(start: ConnectionStart): string {
  if (start.resumed) return `resumed (${start.replayed} event${start.replayed === 1 ? "" : "s"})`;
  if (start.reason) return `snapshot (${start.reason})`;
  return start.requested ? "snapshot (the server does not resume)" : "snapshot";
}

function showStart(start: ConnectionStart): void {
  ui.connectionStart.textContent = startText(start);
  ui.connectionStart.dataset["resumed"] = String(start.resumed);
}

function showConnection(state: ConnectionState): void {
  ui.connection.textContent = state;
  ui.connection.dataset["state"] = state;
  if (state === "reconnecting") {
    // A browser is not told why a handshake failed; a missing token is the usual reason.
    const hint = ui.token.value.trim() ? "" : " (if the server requires a token, enter it above)";
    ui.meta.textContent = `cannot reach ${wsUrl}, retrying${hint}`;
  }
}

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
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button[data-agent]");
  const agentId = button?.dataset["agent"];
  if (agentId) send({ type: "delete_agent", agent_id: agentId });
});

ui.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  connect();
});

// --- rendering -------------------------------------------------------------------------

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A stable colour per agent kind. */
function kindColour(kind: string): string {
  let hash = 0;
  for (const char of kind) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 75% 60%)`;
}

function updateControls(status: SimulationStatus | undefined, open: boolean): void {
  ui.start.disabled = !open || status !== "stopped";
  ui.pause.disabled = !open || status !== "running";
  ui.resume.disabled = !open || status !== "paused";
  ui.stop.disabled = !open || status === "stopped";
  ui.tickRate.disabled = !open;
  ui.addAgent.disabled = !open;
  ui.deleteAgent.disabled = !open;
}

function renderAgentList(agents: AgentState[]): void {
  const key = agents.map((a) => `${a.agent_id}\u0000${a.agent_kind}`).join("\u0001");
  if (key === agentsKey) return;
  agentsKey = key;
  ui.agents.replaceChildren(
    ...agents.map((agent) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = kindColour(agent.agent_kind);
      const label = document.createElement("span");
      label.textContent = `${agent.agent_id} (${agent.agent_kind})`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.title = `delete ${agent.agent_id}`;
      remove.dataset["agent"] = agent.agent_id;
      remove.dataset["testid"] = `delete-${agent.agent_id}`;
      item.append(swatch, label, remove);
      return item;
    }),
  );
}

function draw(): void {
  requestAnimationFrame(draw);
  const world = client?.world;
  const simulation = world?.simulation;
  const open = client?.state === "open";
  ui.simStatus.textContent = simulation?.status ?? "–";
  ui.tick.textContent = simulation ? String(simulation.tick) : "–";
  ui.rate.textContent = simulation ? String(simulation.tick_rate) : "–";
  if (simulation && !draggingRate) {
    ui.tickRate.value = String(rateToSlider(simulation.tick_rate));
    ui.tickRateValue.textContent = String(simulation.tick_rate);
  }
  updateControls(simulation?.status, open);
  const agents = world ? [...world.agents.values()] : [];
  ui.agentTotal.textContent = world ? String(agents.length) : "–";
  renderAgentList(agents);
  if (client?.snapshot) {
    ui.meta.textContent =
      `${wsUrl} · connection ${client.connectionId ?? "?"} · epoch ${client.epoch ?? "?"} · ` +
      `seq ${client.lastSeq ?? "–"} · gaps ${gaps}`;
  }

  const canvas = ui.canvas;
  const ratio = window.devicePixelRatio || 1;
  const side = Math.max(1, Math.round(canvas.clientWidth * ratio));
  if (canvas.width !== side || canvas.height !== side) {
    canvas.width = side;
    canvas.height = side;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, side, side);
  ctx.strokeStyle = "#ffffff14";
  ctx.lineWidth = 1;
  for (let i = 1; i < 10; i++) {
    const at = (side * i) / 10;
    ctx.beginPath();
    ctx.moveTo(at, 0);
    ctx.lineTo(at, side);
    ctx.moveTo(0, at);
    ctx.lineTo(side, at);
    ctx.stroke();
  }

  // Read the data defensively: a simulation may send any members, or none.
  const placed = agents.flatMap((agent) => {
    const x = finite(agent.data["x"]);
    const y = finite(agent.data["y"]);
    return x === undefined || y === undefined ? [] : [{ agent, x, y }];
  });
  for (const { x, y } of placed) worldSize = Math.max(worldSize, Math.abs(x), Math.abs(y));
  const scale = side / worldSize;
  const radius = Math.max(3, side / 120);
  const present = new Set(placed.map((p) => p.agent.agent_id));
  for (const id of trails.keys()) if (!present.has(id)) trails.delete(id);
  for (const { agent, x, y } of placed) {
    const px = x * scale;
    const py = y * scale;
    const colour = kindColour(agent.agent_kind);
    let trail = trails.get(agent.agent_id);
    if (!trail) trails.set(agent.agent_id, (trail = []));
    const lastPoint = trail.at(-1);
    if (!lastPoint || lastPoint[0] !== x || lastPoint[1] !== y) trail.push([x, y]);
    if (trail.length > TRAIL_LENGTH) trail.shift();
    ctx.strokeStyle = colour;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = radius * 0.6;
    ctx.beginPath();
    trail.forEach(([tx, ty], i) => {
      // A bounce mirrors the path at the wall; a jump longer than a tenth of the world is
      // a teleport (or a reset), not motion, so the line breaks there.
      const previous = trail[i - 1];
      const jump = previous && Math.hypot(tx - previous[0], ty - previous[1]) > worldSize / 10;
      if (i === 0 || jump) ctx.moveTo(tx * scale, ty * scale);
      else ctx.lineTo(tx * scale, ty * scale);
    });
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1;
    const vx = finite(agent.data["vx"]) ?? 0;
    const vy = finite(agent.data["vy"]) ?? 0;
    const speed = Math.hypot(vx, vy);
    if (speed > 0) {
      ctx.strokeStyle = colour;
      ctx.beginPath();
      ctx.moveTo(px, py);
      ctx.lineTo(px + (vx / speed) * radius * 2.5, py + (vy / speed) * radius * 2.5);
      ctx.stroke();
    }
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
  canvas.dataset["agentCount"] = String(placed.length);
}

connect();
requestAnimationFrame(draw);
