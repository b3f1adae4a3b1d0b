/**
 * The canvas: every placed agent as a dot with a heading and a trail, the selected one
 * ringed; with `follow`, the view zooms in and keeps the selected agent in the middle.
 *
 * Drawing is batched by kind (one path per colour for the trails, the headings and the
 * dots) because a canvas state change per agent is what made 1,000 agents slow.
 */

import type { AgentState } from "../src/index.js";
import { View } from "./view.js";

/** Positions kept per agent for its trail, so a still screenshot shows motion too. */
const TRAIL_LENGTH = 24;

export interface Placed {
  readonly agent: AgentState;
  readonly x: number;
  readonly y: number;
}

export interface DrawOptions {
  colour: (kind: string) => string;
  /** Changes whenever agents come or go (or kinds are hidden): what the colours follow. */
  version: number;
  hidden: ReadonlySet<string>;
  selected: string | undefined;
  follow: boolean;
}

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** What the page draws on: the WebGL stage (gl-stage.ts), or this one without WebGL. */
export interface Drawing {
  readonly canvas: HTMLCanvasElement;
  readonly view: View;
  reset(): void;
  agentAt(clientX: number, clientY: number): string | undefined;
  draw(agents: Iterable<AgentState>, options: DrawOptions): number;
}

/** The canvas drawn with its 2D context: for a page without WebGL. */
export class Stage implements Drawing {
  readonly canvas: HTMLCanvasElement;
  readonly view = new View();
  readonly #trails = new Map<string, Array<[number, number]>>();
  /** What the last frame drew: for `agentAt`. */
  #placed: Placed[] = [];

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
  }

  /** A new snapshot: the old trails no longer apply (the view stays where the user put it). */
  reset(): void {
    this.#trails.clear();
  }

  /** The agent drawn nearest to a point of the canvas (CSS pixels), if one is close. */
  agentAt(clientX: number, clientY: number): string | undefined {
    const ratio = this.canvas.width / Math.max(1, this.canvas.clientWidth);
    const px = clientX * ratio;
    const py = clientY * ratio;
    const reach = Math.max(10 * ratio, this.#radius() * 2.5);
    let best: string | undefined;
    let bestDistance = reach;
    for (const { agent, x, y } of this.#placed) {
      const [sx, sy] = this.#toScreen(x, y);
      const distance = Math.hypot(sx - px, sy - py);
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = agent.agent_id;
      }
    }
    return best;
  }

  /** Draw one frame; returns how many agents were drawn. */
  draw(agents: Iterable<AgentState>, options: DrawOptions): number {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const side = Math.max(1, Math.round(canvas.clientWidth * ratio));
    if (canvas.width !== side || canvas.height !== side) {
      canvas.width = side;
      canvas.height = side;
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return 0;

    // Read the data defensively: a simulation may send any members, or none.
    const placed: Placed[] = [];
    const present = new Set<string>();
    for (const agent of agents) {
      const x = finite(agent.data["x"]);
      const y = finite(agent.data["y"]);
      if (x === undefined || y === undefined) continue;
      present.add(agent.agent_id);
      this.view.worldSize = Math.max(this.view.worldSize, Math.abs(x), Math.abs(y));
      this.#track(agent.agent_id, x, y);
      if (!options.hidden.has(agent.agent_kind)) placed.push({ agent, x, y });
    }
    for (const id of this.#trails.keys()) if (!present.has(id)) this.#trails.delete(id);
    this.#placed = placed;

    const followed = options.follow ? placed.find((p) => p.agent.agent_id === options.selected) : undefined;
    this.view.place(side, followed ? [followed.x, followed.y] : undefined);

    ctx.clearRect(0, 0, side, side);
    this.#grid(ctx);

    const byKind = new Map<string, Placed[]>();
    for (const p of placed) {
      let group = byKind.get(p.agent.agent_kind);
      if (!group) byKind.set(p.agent.agent_kind, (group = []));
      group.push(p);
    }
    const radius = this.#radius();
    // Trails under everything, then headings, then the dots on top.
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = radius * 0.6;
    for (const [kind, group] of byKind) {
      ctx.strokeStyle = options.colour(kind);
      ctx.beginPath();
      for (const { agent } of group) this.#tracePath(ctx, this.#trails.get(agent.agent_id) ?? []);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = Math.max(1, radius / 4);
    for (const [kind, group] of byKind) {
      ctx.strokeStyle = options.colour(kind);
      ctx.beginPath();
      for (const { agent, x, y } of group) {
        const vx = finite(agent.data["vx"]) ?? 0;
        const vy = finite(agent.data["vy"]) ?? 0;
        const speed = Math.hypot(vx, vy);
        if (speed === 0) continue;
        const [px, py] = this.#toScreen(x, y);
        ctx.moveTo(px, py);
        ctx.lineTo(px + (vx / speed) * radius * 2.5, py + (vy / speed) * radius * 2.5);
      }
      ctx.stroke();
    }
    for (const [kind, group] of byKind) {
      ctx.fillStyle = options.colour(kind);
      ctx.beginPath();
      for (const { x, y } of group) {
        const [px, py] = this.#toScreen(x, y);
        ctx.moveTo(px + radius, py);
        ctx.arc(px, py, radius, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    const chosen = placed.find((p) => p.agent.agent_id === options.selected);
    if (chosen) {
      const [px, py] = this.#toScreen(chosen.x, chosen.y);
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = Math.max(1.5, radius / 3);
      ctx.beginPath();
      ctx.arc(px, py, radius * 2, 0, 2 * Math.PI);
      ctx.stroke();
    }
    return placed.length;
  }

  #radius(): number {
    return Math.max(3, this.canvas.width / 120);
  }

  #toScreen(x: number, y: number): [number, number] {
    return this.view.toScreen(x, y);
  }

  #track(id: string, x: number, y: number): void {
    let trail = this.#trails.get(id);
    if (!trail) this.#trails.set(id, (trail = []));
    const last = trail.at(-1);
    if (!last || last[0] !== x || last[1] !== y) trail.push([x, y]);
    if (trail.length > TRAIL_LENGTH) trail.shift();
  }

  #tracePath(ctx: CanvasRenderingContext2D, trail: ReadonlyArray<[number, number]>): void {
    let previous: [number, number] | undefined;
    for (const point of trail) {
      const [sx, sy] = this.#toScreen(point[0], point[1]);
      // A bounce mirrors the path at the wall; a jump longer than a tenth of the world is
      // a teleport (or a reset), not motion, so the line breaks there.
      const jump = previous && Math.hypot(point[0] - previous[0], point[1] - previous[1]) > this.view.worldSize / 10;
      if (!previous || jump) ctx.moveTo(sx, sy);
      else ctx.lineTo(sx, sy);
      previous = point;
    }
  }

  #grid(ctx: CanvasRenderingContext2D): void {
    ctx.strokeStyle = "#ffffff14";
    ctx.lineWidth = 1;
    ctx.beginPath();
    const step = this.view.worldSize / 10;
    for (let i = 0; i <= 10; i++) {
      const [ax, ay] = this.#toScreen(i * step, 0);
      const [bx, by] = this.#toScreen(i * step, this.view.worldSize);
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
      const [cx, cy] = this.#toScreen(0, i * step);
      const [dx, dy] = this.#toScreen(this.view.worldSize, i * step);
      ctx.moveTo(cx, cy);
      ctx.lineTo(dx, dy);
    }
    ctx.stroke();
  }
}
