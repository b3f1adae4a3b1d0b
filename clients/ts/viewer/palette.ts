/**
 * One colour per agent kind, from a qualitative palette, handed out in the order kinds
 * first appear. A hash of the name cannot promise distinct colours (`car` and `truck`
 * hashed to nearly the same hue); handing out palette entries in turn can, for the first
 * ten kinds. A kind keeps its colour for the life of the page, across reconnects.
 */

/** Tableau 10: ten hues made to be told apart, bright enough on the dark canvas. */
export const PALETTE = [
  "#4e79a7", // blue
  "#f28e2b", // orange
  "#e15759", // red
  "#76b7b2", // teal
  "#59a14f", // green
  "#edc948", // yellow
  "#b07aa1", // purple
  "#ff9da7", // pink
  "#9c755f", // brown
  "#bab0ac", // grey
] as const;

export class Palette {
  readonly #colours = new Map<string, string>();

  /** The kind's colour; a kind not seen before takes the next one. */
  colour(kind: string): string {
    let colour = this.#colours.get(kind);
    if (colour === undefined) {
      const n = this.#colours.size;
      // Past the palette, golden-angle hues: still apart from their neighbours, though
      // no longer guaranteed apart from the palette's.
      colour = PALETTE[n] ?? `hsl(${Math.round((n * 137.508) % 360)} 70% 62%)`;
      this.#colours.set(kind, colour);
    }
    return colour;
  }

  /** Every kind seen so far, in the order it was first seen. */
  kinds(): string[] {
    return [...this.#colours.keys()];
  }
}
