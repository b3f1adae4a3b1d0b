/**
 * The agent list and the legend, both redrawn only when the set of agents changed (the
 * page counts `agent_added`, `agent_removed` and snapshots), not on every update.
 *
 * The list is newest first, so an agent just added is at the top, not below a scrolled
 * list; it shows `MAX_ROWS` at most, and the search narrows it down by id or kind.
 */

import type { AgentState } from "../src/index.js";

const MAX_ROWS = 100;

export interface ListElements {
  list: HTMLUListElement;
  search: HTMLInputElement;
  count: HTMLElement;
}

export interface ListOptions {
  colour: (kind: string) => string;
  selected: string | undefined;
  /** Whether rows get a delete button: a controller, and the simulation handles delete_agent. */
  deletable: boolean;
}

export class AgentList {
  readonly #ui: ListElements;
  #key = "";

  /** The search needs no listener: it is part of the key `render` checks every frame. */
  constructor(ui: ListElements) {
    this.#ui = ui;
  }

  /** `version` changes whenever agents come or go; the list is rebuilt only then (or on a new search). */
  render(agents: ReadonlyMap<string, AgentState>, version: number, options: ListOptions): void {
    const query = this.#ui.search.value.trim().toLowerCase();
    const key = `${version}\u0000${query}\u0000${options.selected ?? ""}\u0000${options.deletable}`;
    if (key === this.#key) return;
    this.#key = key;
    const all = [...agents.values()];
    const matching: AgentState[] = [];
    for (let i = all.length - 1; i >= 0 && matching.length < MAX_ROWS; i--) {
      const agent = all[i] as AgentState;
      if (!query || agent.agent_id.toLowerCase().includes(query) || agent.agent_kind.toLowerCase().includes(query)) {
        matching.push(agent);
      }
    }
    this.#ui.count.textContent =
      matching.length < MAX_ROWS && !query
        ? `${all.length}, newest first`
        : `${matching.length}${matching.length === MAX_ROWS ? "+" : ""} shown of ${all.length}, newest first`;
    this.#ui.list.replaceChildren(...matching.map((agent) => row(agent, options)));
  }
}

function row(agent: AgentState, options: ListOptions): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset["agent"] = agent.agent_id;
  if (agent.agent_id === options.selected) item.setAttribute("aria-current", "true");
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = options.colour(agent.agent_kind);
  const label = document.createElement("button");
  label.type = "button";
  label.className = "select";
  label.dataset["select"] = agent.agent_id;
  label.textContent = `${agent.agent_id} (${agent.agent_kind})`;
  item.append(swatch, label);
  if (options.deletable) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.title = `delete ${agent.agent_id}`;
    remove.dataset["delete"] = agent.agent_id;
    remove.dataset["testid"] = `delete-${agent.agent_id}`;
    item.append(remove);
  }
  return item;
}

/**
 * The legend: each kind's colour, how many agents it has, and a toggle that hides it.
 */
export class Legend {
  readonly #list: HTMLUListElement;
  #key = "";

  constructor(list: HTMLUListElement, onToggle: (kind: string, visible: boolean) => void) {
    this.#list = list;
    list.addEventListener("change", (event) => {
      const box = event.target as HTMLInputElement;
      const kind = box.dataset["kind"];
      if (kind !== undefined) onToggle(kind, box.checked);
    });
  }

  render(
    agents: ReadonlyMap<string, AgentState>,
    version: number,
    colour: (kind: string) => string,
    hidden: ReadonlySet<string>,
  ): void {
    const key = `${version}\u0000${[...hidden].join("\u0001")}`;
    if (key === this.#key) return;
    this.#key = key;
    const counts = new Map<string, number>();
    for (const agent of agents.values()) counts.set(agent.agent_kind, (counts.get(agent.agent_kind) ?? 0) + 1);
    // A hidden kind stays listed so that it can be shown again: with no count ("–") when
    // none of its agents is in the world (left, or not sent: the page subscribed without it).
    for (const kind of hidden) if (!counts.has(kind)) counts.set(kind, -1);
    this.#list.replaceChildren(
      ...[...counts].map(([kind, count]) => {
        const item = document.createElement("li");
        item.dataset["kind"] = kind;
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = !hidden.has(kind);
        box.dataset["kind"] = kind;
        box.title = `show ${kind} agents`;
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = colour(kind);
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = kind;
        const number = document.createElement("span");
        number.className = "count";
        number.textContent = count < 0 ? "–" : String(count);
        label.append(box, swatch, name, number);
        item.append(label);
        return item;
      }),
    );
  }
}
