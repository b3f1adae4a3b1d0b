/**
 * The canvas drawn with WebGL (through regl), for big worlds: every agent is one vertex
 * of one draw call, its position and colour written into typed arrays each frame and
 * handed to the GPU whole, so 100,000 agents cost a loop over the world and a buffer
 * upload, not a canvas path per agent. Headings and trails (line segments) are drawn
 * while the world is small enough for them to be seen.
 *
 * The page falls back to the 2D stage (stage.ts) where WebGL is not available.
 */

import createREGL from "regl";
import type { AgentState } from "../src/index.js";
import type { DrawOptions } from "./stage.js";
import { View } from "./view.js";

/** Up to this many agents, each drawn with its trail; up to `HEADINGS`, with its heading. */
const TRAILS = 2_000;
const HEADINGS = 20_000;
const TRAIL_LENGTH = 24;

const DOT_VERTEX = `
precision highp float;
attribute vec2 position;
attribute vec3 colour;
uniform vec3 frame; // centre x, centre y, scale
uniform float halfSide;
uniform float size;
varying vec3 tint;
void main() {
  vec2 p = (position - frame.xy) * frame.z / halfSide;
  gl_Position = vec4(p.x, -p.y, 0.0, 1.0);
  gl_PointSize = size;
  tint = colour;
}`;

const DOT_FRAGMENT = `
precision mediump float;
varying vec3 tint;
uniform float ring; // 0: a filled dot; else the inner radius of a ring (0..0.5)
void main() {
  vec2 d = gl_PointCoord - 0.5;
  float r = length(d);
  if (r > 0.5 || r < ring) discard;
  gl_FragColor = vec4(tint, 1.0);
}`;

const LINE_VERTEX = `
precision highp float;
attribute vec2 position;
attribute vec4 colour;
uniform vec3 frame;
uniform float halfSide;
varying vec4 tint;
void main() {
  vec2 p = (position - frame.xy) * frame.z / halfSide;
  gl_Position = vec4(p.x, -p.y, 0.0, 1.0);
  tint = colour;
}`;

const LINE_FRAGMENT = `
precision mediump float;
varying vec4 tint;
void main() { gl_FragColor = tint; }`;

interface Uniforms {
  frame: [number, number, number];
  halfSide: number;
  size: number;
  ring: number;
}

/** A GPU buffer written with `subdata` while what is written fits (no reallocation per
 * frame), grown to twice what is needed when it does not. */
class Upload {
  readonly #buffer: createREGL.Buffer;
  #capacity = 0;

  constructor(buffer: createREGL.Buffer) {
    this.#buffer = buffer;
  }

  get buffer(): createREGL.Buffer {
    return this.#buffer;
  }

  write(data: Float32Array | Uint8Array): void {
    if (data.byteLength > this.#capacity) {
      this.#capacity = data.byteLength * 2;
      const Type = data instanceof Float32Array ? Float32Array : Uint8Array;
      const room = new Type(this.#capacity / data.BYTES_PER_ELEMENT);
      room.set(data);
      this.#buffer({ data: room, usage: "dynamic" });
      return;
    }
    this.#buffer.subdata(data);
  }
}

/** Growable typed arrays, refilled every frame. */
class Floats {
  data = new Float32Array(1024);
  length = 0;
  push2(a: number, b: number): void {
    if (this.length + 2 > this.data.length) this.#grow();
    this.data[this.length++] = a;
    this.data[this.length++] = b;
  }
  #grow(): void {
    const bigger = new Float32Array(this.data.length * 2);
    bigger.set(this.data);
    this.data = bigger;
  }
}

class Bytes {
  data = new Uint8Array(2048);
  length = 0;
  push(r: number, g: number, b: number, a?: number): void {
    if (this.length + 4 > this.data.length) {
      const bigger = new Uint8Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = r;
    this.data[this.length++] = g;
    this.data[this.length++] = b;
    if (a !== undefined) this.data[this.length++] = a;
  }
}

export class GlStage {
  readonly canvas: HTMLCanvasElement;
  readonly view = new View();
  readonly #regl: createREGL.Regl;
  readonly #dots: createREGL.DrawCommand;
  readonly #lines: createREGL.DrawCommand;
  readonly #buffers: Record<"dots" | "dotColours" | "lines" | "lineColours", Upload>;
  readonly #rgb = new Map<string, [number, number, number]>();
  readonly #trails = new Map<string, Array<[number, number]>>();
  // This frame's agents: positions and colours (for the GPU), ids (for `agentAt`).
  readonly #positions = new Floats();
  readonly #colours = new Bytes();
  readonly #segments = new Floats();
  readonly #segmentColours = new Bytes();
  #ids: string[] = [];
  #colourKey = "";
  #probe: CanvasRenderingContext2D | null = null;

  /** A stage on `canvas`, or undefined if it has no WebGL. */
  static create(canvas: HTMLCanvasElement): GlStage | undefined {
    try {
      // preserveDrawingBuffer: what was drawn can be read back (a screenshot, a test).
      const regl = createREGL({ canvas, attributes: { antialias: false, preserveDrawingBuffer: true } });
      const stage = new GlStage(canvas, regl);
      stage.#compile();
      return stage;
    } catch {
      return undefined;
    }
  }

  private constructor(canvas: HTMLCanvasElement, regl: createREGL.Regl) {
    this.canvas = canvas;
    this.#regl = regl;
    this.#buffers = {
      dots: new Upload(regl.buffer({ usage: "dynamic", type: "float", length: 0 })),
      dotColours: new Upload(regl.buffer({ usage: "dynamic", type: "uint8", length: 0 })),
      lines: new Upload(regl.buffer({ usage: "dynamic", type: "float", length: 0 })),
      lineColours: new Upload(regl.buffer({ usage: "dynamic", type: "uint8", length: 0 })),
    };
    const uniforms = {
      frame: regl.prop<Uniforms, "frame">("frame"),
      halfSide: regl.prop<Uniforms, "halfSide">("halfSide"),
    };
    this.#dots = regl({
      vert: DOT_VERTEX,
      frag: DOT_FRAGMENT,
      attributes: {
        position: { buffer: this.#buffers.dots.buffer, size: 2 },
        colour: { buffer: this.#buffers.dotColours.buffer, size: 3, normalized: true },
      },
      uniforms: { ...uniforms, size: regl.prop<Uniforms, "size">("size"), ring: regl.prop<Uniforms, "ring">("ring") },
      primitive: "points",
      count: regl.prop<{ count: number }, "count">("count"),
      offset: regl.prop<{ offset: number }, "offset">("offset"),
      depth: { enable: false },
    });
    this.#lines = regl({
      vert: LINE_VERTEX,
      frag: LINE_FRAGMENT,
      attributes: {
        position: { buffer: this.#buffers.lines.buffer, size: 2 },
        colour: { buffer: this.#buffers.lineColours.buffer, size: 4, normalized: true },
      },
      uniforms,
      primitive: "lines",
      count: regl.prop<{ count: number }, "count">("count"),
      blend: { enable: true, func: { src: "src alpha", dst: "one minus src alpha" } },
      depth: { enable: false },
    });
  }

  /** Build both programs now (regl builds on first use): a driver that refuses one is
   * found before the page relies on the stage. */
  #compile(): void {
    const frame: [number, number, number] = [0, 0, 1];
    this.#buffers.dots.write(new Float32Array([0, 0]));
    this.#buffers.dotColours.write(new Uint8Array([0, 0, 0]));
    this.#dots({ frame, halfSide: 1, size: 1, ring: 0, count: 1, offset: 0 });
    this.#buffers.lines.write(new Float32Array([0, 0, 0, 0]));
    this.#buffers.lineColours.write(new Uint8Array(8));
    this.#lines({ frame, halfSide: 1, count: 2 });
  }

  /** A new snapshot: the old trails no longer apply (the view stays where the user put it). */
  reset(): void {
    this.#trails.clear();
  }

  /** The agent drawn nearest to a point of the canvas (CSS pixels), if one is close. */
  agentAt(clientX: number, clientY: number): string | undefined {
    const ratio = this.canvas.width / Math.max(1, this.canvas.clientWidth);
    const [px, py] = [clientX * ratio, clientY * ratio];
    const reach = Math.max(10 * ratio, this.#radius() * 2.5);
    const positions = this.#positions.data;
    let best: string | undefined;
    let bestDistance = reach;
    for (let i = 0; i < this.#ids.length; i++) {
      const [sx, sy] = this.view.toScreen(positions[2 * i]!, positions[2 * i + 1]!);
      const distance = Math.hypot(sx - px, sy - py);
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = this.#ids[i];
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
    const positions = this.#positions;
    const colours = this.#colours;
    positions.length = colours.length = 0;
    const ids: string[] = [];
    let extent = this.view.worldSize;
    let followed: [number, number] | undefined;
    for (const agent of agents) {
      const data = agent.data as Record<string, unknown>;
      const x = data["x"];
      const y = data["y"];
      if (typeof x !== "number" || typeof y !== "number" || !Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x > extent || -x > extent) extent = Math.abs(x);
      if (y > extent || -y > extent) extent = Math.abs(y);
      if (options.hidden.has(agent.agent_kind)) continue;
      const [r, g, b] = this.#colourOf(agent.agent_kind, options.colour);
      positions.push2(x, y);
      colours.push(r, g, b);
      ids.push(agent.agent_id);
      if (agent.agent_id === options.selected) followed = [x, y];
    }
    this.view.worldSize = extent;
    this.#ids = ids;
    this.view.place(side, options.follow ? followed : undefined);

    const segments = this.#segments;
    const segmentColours = this.#segmentColours;
    segments.length = segmentColours.length = 0;
    this.#grid();
    const small = ids.length <= TRAILS;
    if (small) this.#trace();
    else this.#trails.clear();
    if (ids.length <= HEADINGS) this.#headings(agents, options);

    const regl = this.#regl;
    regl.poll();
    regl.clear({ color: [0, 0, 0, 0], depth: 1 });
    const { cx, cy, scale, half } = this.view.frame;
    const frame: [number, number, number] = [cx, cy, scale];
    if (segments.length > 0) {
      this.#buffers.lines.write(segments.data.subarray(0, segments.length));
      this.#buffers.lineColours.write(segmentColours.data.subarray(0, segmentColours.length));
      this.#lines({ frame, halfSide: half, count: segments.length / 2 });
    }
    if (ids.length > 0) {
      // The selected agent goes last, again: a white ring drawn over it.
      const chosen = options.selected === undefined ? -1 : ids.indexOf(options.selected);
      if (chosen >= 0) {
        positions.push2(positions.data[2 * chosen]!, positions.data[2 * chosen + 1]!);
        colours.push(255, 255, 255);
      }
      this.#buffers.dots.write(positions.data.subarray(0, positions.length));
      // The colours change only when agents come, go or are hidden.
      const colourKey = `${options.version}\u0000${ids.length}\u0000${chosen}\u0000${[...options.hidden].join("\u0001")}`;
      if (colourKey !== this.#colourKey) {
        this.#colourKey = colourKey;
        this.#buffers.dotColours.write(colours.data.subarray(0, colours.length));
      }
      const size = 2 * this.#radius();
      this.#dots({ frame, halfSide: half, size, ring: 0, count: ids.length, offset: 0 });
      if (chosen >= 0) this.#dots({ frame, halfSide: half, size: size * 2.2, ring: 0.38, count: 1, offset: ids.length });
    }
    return ids.length;
  }

  /** The dot's radius in pixels: smaller as the world in view gets crowded, never under 1.5. */
  #radius(): number {
    const width = this.canvas.width;
    const base = Math.max(3, width / 120);
    const zoom = (this.view.scale * this.view.worldSize) / Math.max(1, width);
    const crowded = (width / Math.sqrt(Math.max(1, this.#ids.length)) / 3) * Math.sqrt(zoom);
    return Math.max(1.5, Math.min(base, crowded));
  }

  #colourOf(kind: string, colour: (kind: string) => string): [number, number, number] {
    let rgb = this.#rgb.get(kind);
    if (rgb === undefined) {
      rgb = this.#parse(colour(kind));
      this.#rgb.set(kind, rgb);
    }
    return rgb;
  }

  /** Any CSS colour as bytes (the palette's hsl() ones too), through a 2D context. */
  #parse(css: string): [number, number, number] {
    this.#probe ??= document.createElement("canvas").getContext("2d");
    const probe = this.#probe;
    if (!probe) return [200, 200, 200];
    probe.fillStyle = "#000";
    probe.fillStyle = css;
    const hex = String(probe.fillStyle);
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    if (m) return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
    const rgba = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(hex);
    return rgba ? [Number(rgba[1]), Number(rgba[2]), Number(rgba[3])] : [200, 200, 200];
  }

  #segment(x0: number, y0: number, x1: number, y1: number, rgba: readonly [number, number, number, number]): void {
    this.#segments.push2(x0, y0);
    this.#segments.push2(x1, y1);
    const [r, g, b, a] = rgba;
    this.#segmentColours.push(r, g, b, a);
    this.#segmentColours.push(r, g, b, a);
  }

  #grid(): void {
    const size = this.view.worldSize;
    const step = size / 10;
    const faint = [255, 255, 255, 20] as const;
    for (let i = 0; i <= 10; i++) {
      this.#segment(i * step, 0, i * step, size, faint);
      this.#segment(0, i * step, size, i * step, faint);
    }
  }

  /** Each agent's last positions as a faded line (a bounce or a teleport breaks it). */
  #trace(): void {
    const positions = this.#positions.data;
    const present = new Set<string>();
    const jump = this.view.worldSize / 10;
    for (let i = 0; i < this.#ids.length; i++) {
      const id = this.#ids[i]!;
      present.add(id);
      const x = positions[2 * i]!;
      const y = positions[2 * i + 1]!;
      let trail = this.#trails.get(id);
      if (!trail) this.#trails.set(id, (trail = []));
      const last = trail.at(-1);
      if (!last || last[0] !== x || last[1] !== y) trail.push([x, y]);
      if (trail.length > TRAIL_LENGTH) trail.shift();
      const [r, g, b] = [this.#colours.data[3 * i]!, this.#colours.data[3 * i + 1]!, this.#colours.data[3 * i + 2]!];
      for (let k = 1; k < trail.length; k++) {
        const [ax, ay] = trail[k - 1]!;
        const [bx, by] = trail[k]!;
        if (Math.hypot(bx - ax, by - ay) > jump) continue;
        this.#segment(ax, ay, bx, by, [r, g, b, 90]);
      }
    }
    for (const id of this.#trails.keys()) if (!present.has(id)) this.#trails.delete(id);
  }

  /** A short line from each agent along its velocity. */
  #headings(agents: Iterable<AgentState>, options: DrawOptions): void {
    const length = (this.#radius() * 2.5) / this.view.scale;
    for (const agent of agents) {
      if (options.hidden.has(agent.agent_kind)) continue;
      const data = agent.data as Record<string, unknown>;
      const { x, y, vx, vy } = data;
      if (typeof x !== "number" || typeof y !== "number" || typeof vx !== "number" || typeof vy !== "number") continue;
      const speed = Math.hypot(vx, vy);
      if (!Number.isFinite(speed) || speed === 0) continue;
      const [r, g, b] = this.#colourOf(agent.agent_kind, options.colour);
      this.#segment(x, y, x + (vx / speed) * length, y + (vy / speed) * length, [r, g, b, 255]);
    }
  }
}
