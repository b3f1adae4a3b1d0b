/**
 * The timeline of a recording's playback: shown when the server offers `playback` (a
 * `spine-ws replay`, or a live server that records). Play/pause, a scrubber over the
 * recorded time (a seek on release; the time under the cursor while dragging), the speed,
 * a "live" button on a live server, and where this connection stands: its tick and time.
 *
 * Its state is the server's `PlaybackState` (the `playback` notices and every playback
 * command's reply); between two, a playing timeline moves on at its speed.
 */

import type { PlaybackState } from "../src/index.js";

export interface TimelineElements {
  root: HTMLElement;
  play: HTMLButtonElement;
  scrub: HTMLInputElement;
  position: HTMLOutputElement;
  speed: HTMLSelectElement;
  live: HTMLButtonElement;
}

/** What the timeline asks of the connection: the playback commands, typed by the caller. */
export interface TimelineCommands {
  play(): void;
  pause(): void;
  seek(time: number): void;
  speed(speed: number): void;
  live(): void;
}

function seconds(value: number): string {
  if (value < 60) return `${value.toFixed(1)} s`;
  const minutes = Math.floor(value / 60);
  return `${minutes}:${(value - minutes * 60).toFixed(1).padStart(4, "0")}`;
}

export class Timeline {
  #state: PlaybackState | undefined;
  /** When the state came (performance.now()): a playing timeline moves on from there. */
  #at = 0;
  #dragging = false;
  #liveServer = false;

  constructor(
    private readonly ui: TimelineElements,
    commands: TimelineCommands,
  ) {
    ui.play.addEventListener("click", () => {
      const state = this.#state;
      if (state?.live || state?.playing) commands.pause();
      else commands.play();
    });
    ui.scrub.addEventListener("input", () => {
      this.#dragging = true;
      ui.position.value = `→ ${seconds(Number(ui.scrub.value))}`;
    });
    ui.scrub.addEventListener("change", () => {
      this.#dragging = false;
      commands.seek(Number(ui.scrub.value));
    });
    // The time under the cursor, before any drag: where a click or a release would go.
    ui.scrub.addEventListener("pointermove", (event) => {
      const box = ui.scrub.getBoundingClientRect();
      const fraction = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
      const at = fraction * Number(ui.scrub.max);
      ui.scrub.title = seconds(at);
      ui.root.dataset["hover"] = at.toFixed(3);
    });
    ui.speed.addEventListener("change", () => commands.speed(Number(ui.speed.value)));
    ui.live.addEventListener("click", () => commands.live());
  }

  /** Shown only on a server that plays recordings back. */
  show(offered: boolean): void {
    this.ui.root.hidden = !offered;
    if (!offered) {
      this.#state = undefined;
      this.#liveServer = false;
    }
  }

  update(state: PlaybackState, now: number): void {
    this.#state = state;
    this.#at = now;
    const { root, play, scrub, speed, live } = this.ui;
    root.dataset["live"] = String(state.live);
    root.dataset["playing"] = String(state.playing);
    root.dataset["seq"] = String(state.seq);
    play.textContent = state.live || state.playing ? "Pause" : "Play";
    scrub.max = String(state.duration);
    if (!speed.matches(":focus")) speed.value = String(state.speed);
    // A live server's connections start live (a replay's never are): then "Live" returns.
    if (state.live) this.#liveServer = true;
    live.hidden = !this.#liveServer;
    live.disabled = state.live;
  }

  /** Once a frame: where this connection stands now, and the tick it shows. */
  draw(now: number, tick: number | undefined): void {
    const state = this.#state;
    if (!state || this.ui.root.hidden) return;
    const elapsed = ((now - this.#at) / 1000) * (state.live ? 1 : state.speed);
    const time = state.live || state.playing ? state.time + elapsed : state.time;
    const duration = state.live ? Math.max(state.duration + elapsed, time) : state.duration;
    const shown = Math.min(time, duration);
    if (!this.#dragging) {
      this.ui.scrub.max = String(duration);
      this.ui.scrub.value = String(shown);
      const where = state.live ? "live" : `${seconds(shown)} of ${seconds(duration)}`;
      this.ui.position.value = `tick ${tick ?? state.tick} · ${where}`;
    }
    this.ui.root.dataset["time"] = shown.toFixed(3);
  }
}
