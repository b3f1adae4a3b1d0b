/**
 * What part of the world the canvas shows: the whole of it (fitted to the extent of the
 * agents seen), or what the user panned and zoomed to, or the followed agent close up.
 * Both stages (WebGL and 2D) draw through it, and the page subscribes to `visible()`.
 *
 * Screen coordinates are canvas pixels (device pixels), y down, as world y is drawn.
 */

/** The default simulation's world is 100 x 100; larger coordinates widen the view. */
export const DEFAULT_WORLD_SIZE = 100;
const FOLLOW_ZOOM = 3;
const MAX_ZOOM = 400;

export interface Rectangle {
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
}

export class View {
  /** The extent of the world: the largest coordinate seen (at least the default). */
  worldSize = DEFAULT_WORLD_SIZE;
  /** 1: the whole world fits the canvas. */
  #zoom = 1;
  /** The point of the world at the middle of the canvas, once the user panned or zoomed. */
  #centre: [number, number] | undefined;
  #frame = { cx: DEFAULT_WORLD_SIZE / 2, cy: DEFAULT_WORLD_SIZE / 2, scale: 1, half: 1 };
  /** Bumped by every pan, zoom and fit: the page redraws when it (or the world) changed. */
  changes = 0;

  /** Back to the whole world. */
  fit(): void {
    this.changes++;
    this.#zoom = 1;
    this.#centre = undefined;
  }

  /** Whether the whole world is in view (nothing to subscribe a region for). */
  get fitted(): boolean {
    return this.#centre === undefined && this.#zoom === 1;
  }

  /** Place this frame's view on a canvas `side` pixels square, centred on `follow` if given. */
  place(side: number, follow?: readonly [number, number]): void {
    const size = this.worldSize;
    const fitScale = side / size;
    if (follow) {
      this.#frame = { cx: follow[0], cy: follow[1], scale: fitScale * Math.max(FOLLOW_ZOOM, this.#zoom), half: side / 2 };
      return;
    }
    const [cx, cy] = this.#centre ?? [size / 2, size / 2];
    this.#frame = { cx, cy, scale: fitScale * this.#zoom, half: side / 2 };
  }

  /** Pixels per world unit in this frame. */
  get scale(): number {
    return this.#frame.scale;
  }

  /** The frame as a shader takes it: the centre, the scale, half the side in pixels. */
  get frame(): { readonly cx: number; readonly cy: number; readonly scale: number; readonly half: number } {
    return this.#frame;
  }

  toScreen(x: number, y: number): [number, number] {
    const { cx, cy, scale, half } = this.#frame;
    return [(x - cx) * scale + half, (y - cy) * scale + half];
  }

  toWorld(sx: number, sy: number): [number, number] {
    const { cx, cy, scale, half } = this.#frame;
    return [(sx - half) / scale + cx, (sy - half) / scale + cy];
  }

  /** Move the view by a drag of (dx, dy) canvas pixels. */
  panBy(dx: number, dy: number): void {
    const { cx, cy, scale } = this.#frame;
    this.changes++;
    this.#centre = [cx - dx / scale, cy - dy / scale];
  }

  /** Zoom by `factor` keeping the world point under (sx, sy) where it is. */
  zoomAt(factor: number, sx: number, sy: number): void {
    const [wx, wy] = this.toWorld(sx, sy);
    this.changes++;
    const zoom = Math.min(MAX_ZOOM, Math.max(1, this.#zoom * factor));
    if (zoom === 1) {
      this.fit();
      return;
    }
    const { half } = this.#frame;
    const scale = (this.#frame.scale / this.#zoom) * zoom;
    this.#zoom = zoom;
    this.#centre = [wx - (sx - half) / scale, wy - (sy - half) / scale];
  }

  /** The part of the world in view (the last frame placed). */
  visible(): Rectangle {
    const [x_min, y_min] = this.toWorld(0, 0);
    const [x_max, y_max] = this.toWorld(2 * this.#frame.half, 2 * this.#frame.half);
    return { x_min, y_min, x_max, y_max };
  }
}

/**
 * The region to subscribe to for a view: what is visible, grown by a margin and snapped
 * to a grid of a sixteenth of the world, so that small pans need no new subscription
 * and agents just outside are already there when they come into view.
 */
export function regionFor(visible: Rectangle, worldSize: number): Rectangle {
  const step = worldSize / 16;
  const marginX = (visible.x_max - visible.x_min) * 0.25;
  const marginY = (visible.y_max - visible.y_min) * 0.25;
  return {
    x_min: Math.floor((visible.x_min - marginX) / step) * step,
    y_min: Math.floor((visible.y_min - marginY) / step) * step,
    x_max: Math.ceil((visible.x_max + marginX) / step) * step,
    y_max: Math.ceil((visible.y_max + marginY) / step) * step,
  };
}
