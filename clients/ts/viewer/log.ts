/**
 * The event log: world events, simulation state changes, agents coming and going,
 * errors and what happened to the connection, newest first.
 *
 * Bounded twice over: memory keeps the latest `MAX_ENTRIES`, the DOM the latest
 * `MAX_ROWS` that pass the filter. Entries are only collected as they arrive; the DOM is
 * touched once per animation frame (`render`), so a world reporting thousands of bounces a
 * second costs a few new rows per frame, not a row per event.
 */

export type LogType = "world" | "state" | "agent" | "error" | "connection";

export interface LogEntry {
  /** Increases by one per entry: how `render` knows what it has not drawn yet. */
  readonly id: number;
  readonly at: Date;
  readonly type: LogType;
  /** The world event's kind, the status, the error code, …: what the kind filter matches. */
  readonly kind: string;
  readonly tick: number | undefined;
  text: string;
}

const MAX_ENTRIES = 2_000;
const MAX_ROWS = 150;

export interface LogElements {
  list: HTMLOListElement;
  type: HTMLSelectElement;
  kind: HTMLInputElement;
  kinds: HTMLDataListElement;
  pause: HTMLButtonElement;
  clear: HTMLButtonElement;
  count: HTMLElement;
}

export class EventLog {
  readonly #ui: LogElements;
  #entries: LogEntry[] = [];
  #nextId = 1;
  /** The newest entry id on screen (0: the list must be rebuilt). */
  #shown = 0;
  #paused = false;
  readonly #kinds = new Set<string>();

  constructor(ui: LogElements) {
    this.#ui = ui;
    ui.type.addEventListener("change", () => this.#refilter());
    ui.kind.addEventListener("input", () => this.#refilter());
    ui.pause.addEventListener("click", () => {
      this.#paused = !this.#paused;
      ui.pause.setAttribute("aria-pressed", String(this.#paused));
      this.render();
    });
    ui.clear.addEventListener("click", () => {
      this.#entries = [];
      this.#refilter();
    });
  }

  /** Add an entry; returns it, so that a later reply may amend its text. */
  add(type: LogType, kind: string, text: string, tick?: number): LogEntry {
    const entry: LogEntry = { id: this.#nextId++, at: new Date(), type, kind, tick, text };
    this.#entries.push(entry);
    // Trim in batches: one splice per MAX_ENTRIES entries, not a shift per entry.
    if (this.#entries.length > 2 * MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    if (type === "world" && !this.#kinds.has(kind) && this.#kinds.size < 200) {
      this.#kinds.add(kind);
      const option = document.createElement("option");
      option.value = kind;
      this.#ui.kinds.append(option);
    }
    return entry;
  }

  /** Redraw an entry already on screen (its text changed). */
  amend(entry: LogEntry): void {
    const row = this.#ui.list.querySelector<HTMLElement>(`li[data-id="${entry.id}"] .text`);
    if (row) row.textContent = entry.text;
  }

  /** Bring the DOM up to date; called once per animation frame. */
  render(): void {
    const newest = this.#entries.at(-1)?.id ?? 0;
    const unseen = newest - this.#shown;
    this.#ui.pause.textContent = this.#paused ? `Resume log${unseen > 0 ? ` (${unseen} new)` : ""}` : "Pause log";
    this.#ui.count.textContent = `${this.#entries.length} kept`;
    if (this.#paused || unseen <= 0) return;
    const fresh: LogEntry[] = [];
    // Newest first, stopping at what is shown or once a screenful is found.
    for (let i = this.#entries.length - 1; i >= 0 && fresh.length < MAX_ROWS; i--) {
      const entry = this.#entries[i] as LogEntry;
      if (entry.id <= this.#shown) break;
      if (this.#passes(entry)) fresh.push(entry);
    }
    this.#shown = newest;
    if (fresh.length === 0) return;
    this.#ui.list.prepend(...fresh.map(row));
    const rows = this.#ui.list.children;
    while (rows.length > MAX_ROWS) rows[rows.length - 1]?.remove();
  }

  #passes(entry: LogEntry): boolean {
    const type = this.#ui.type.value;
    const kind = this.#ui.kind.value.trim().toLowerCase();
    return (type === "" || entry.type === type) && (kind === "" || entry.kind.toLowerCase().includes(kind));
  }

  #refilter(): void {
    this.#ui.list.replaceChildren();
    this.#shown = 0;
    const wasPaused = this.#paused;
    this.#paused = false; // a new filter shows its matches at once, even while paused
    this.render();
    this.#paused = wasPaused;
  }
}

function row(entry: LogEntry): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset["id"] = String(entry.id);
  item.dataset["type"] = entry.type;
  const time = document.createElement("time");
  time.textContent = entry.at.toLocaleTimeString(undefined, { hour12: false }) + `.${String(entry.at.getMilliseconds()).padStart(3, "0")}`;
  const tick = document.createElement("span");
  tick.className = "tick";
  tick.textContent = entry.tick === undefined ? "" : `t${entry.tick}`;
  const kind = document.createElement("b");
  kind.textContent = entry.kind;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = entry.text;
  item.append(time, tick, kind, text);
  return item;
}
