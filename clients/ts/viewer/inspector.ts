/**
 * The agent inspector: the selected agent's id, kind and live data.
 *
 * The data table is rebuilt only when the agent's `data` object changed: the client's
 * world replaces it on every `agent_update`, so an identity check is enough.
 */

import type { AgentState } from "../src/index.js";

/** Members shown at most: a simulation may put anything in an agent's data. */
const MAX_MEMBERS = 60;

export interface InspectorElements {
  empty: HTMLElement;
  body: HTMLElement;
  id: HTMLElement;
  kind: HTMLElement;
  swatch: HTMLElement;
  state: HTMLElement;
  data: HTMLTableSectionElement;
}

function show(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(3);
  return typeof value === "string" ? value : JSON.stringify(value);
}

export class Inspector {
  readonly #ui: InspectorElements;
  #selected: string | undefined;
  #shownData: object | undefined;
  #shownId: string | undefined;

  constructor(ui: InspectorElements) {
    this.#ui = ui;
  }

  get selected(): string | undefined {
    return this.#selected;
  }

  select(agentId: string | undefined): void {
    this.#selected = agentId;
  }

  /** Show the selected agent as the world has it now (`undefined`: it is gone). */
  render(agent: AgentState | undefined, colour: (kind: string) => string): void {
    const ui = this.#ui;
    ui.empty.hidden = this.#selected !== undefined;
    ui.body.hidden = this.#selected === undefined;
    if (this.#selected === undefined) return;
    ui.id.textContent = this.#selected;
    ui.body.dataset["present"] = String(agent !== undefined);
    if (!agent) {
      ui.state.textContent = "not in the world (removed, or not there yet)";
      if (this.#shownData !== undefined) ui.data.replaceChildren();
      this.#shownData = undefined;
      return;
    }
    ui.state.textContent = "";
    ui.kind.textContent = agent.agent_kind;
    ui.swatch.style.background = colour(agent.agent_kind);
    if (agent.data === this.#shownData && agent.agent_id === this.#shownId) return;
    this.#shownData = agent.data;
    this.#shownId = agent.agent_id;
    const members = Object.entries(agent.data);
    ui.data.replaceChildren(
      ...members.slice(0, MAX_MEMBERS).map(([key, value]) => {
        const row = document.createElement("tr");
        const name = document.createElement("th");
        name.textContent = key;
        const cell = document.createElement("td");
        cell.textContent = show(value);
        cell.dataset["key"] = key;
        row.append(name, cell);
        return row;
      }),
    );
    if (members.length > MAX_MEMBERS) {
      const more = document.createElement("tr");
      more.textContent = `… ${members.length - MAX_MEMBERS} more`;
      ui.data.append(more);
    }
  }
}
