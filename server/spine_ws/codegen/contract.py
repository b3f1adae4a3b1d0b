"""The contract on disk: load `schema/`, hash it, and bundle it into one document.

Every generator (Python, TypeScript, AsyncAPI) and every validator in the tests reads the
bundle, not the separate files: some tools cannot follow cross-file `$ref`s, and one root
keeps shared definitions from being emitted twice.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_ws.resources import schema_dir

__all__ = [
    "SCHEMA_DIR",
    "Contract",
    "ContractError",
    "load_contract",
]

SCHEMA_DIR = schema_dir()
DRAFT = "https://json-schema.org/draft/2020-12/schema"


# The annotation of a command about the connection itself, not the simulation.
SCOPE = "x-spine-scope"


class ContractError(Exception):
    """The schema tree is malformed: a dangling `$ref`, a clash of titles, a bad name."""


@dataclass(frozen=True)
class Contract:
    """The parsed schema tree.

    `files` maps each path relative to `schema/` (POSIX form) to its parsed JSON;
    `commands` and `events` map each wire type to its title, in file-name order.
    """

    files: dict[str, dict[str, Any]]
    commands: dict[str, str]
    events: dict[str, str]
    # Command type -> title of its result schema (schema/results/<type>.json), if any.
    results: dict[str, str] = field(default_factory=dict)
    # An extension's: the core contract it extends, and the paths of its own files.
    core: Contract | None = None
    own: tuple[str, ...] = ()

    def extend(self, root: Path) -> Contract:
        """This contract with a simulation's own schema tree laid over it.

        Its files sit at the same relative paths as the core's, so `../defs/tick.json`
        in its `commands/` means the core's tick; a file may add, never replace.
        """
        own = _read(root)
        replaced = sorted(set(own) & set(self.files))
        if replaced:
            raise ContractError(
                f"{root}: {', '.join(replaced)} would replace the core's; give yours new names"
            )
        merged = _checked({**self.files, **own})
        return Contract(
            files=merged.files,
            commands=merged.commands,
            events=merged.events,
            results=merged.results,
            core=self,
            own=tuple(sorted(own)),
        )

    @property
    def protocol_version(self) -> str:
        version = self.files["defs/protocol_version.json"]["const"]
        assert isinstance(version, str)
        return version

    @property
    def subprotocol(self) -> str:
        """`spine.v<major>`: clients of one major version speak the same protocol."""
        return f"spine.v{self.protocol_version.split('.')[0]}"

    @property
    def command_id_pattern(self) -> str:
        pattern = self.files["defs/command_id.json"]["pattern"]
        assert isinstance(pattern, str)
        return pattern

    @property
    def schema_hash(self) -> str:
        """SHA-256 over every file's path and canonical JSON (key order and spacing ignored)."""
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0")
            digest.update(_canonical(self.files[path]) + b"\0")
        return digest.hexdigest()

    @property
    def broadcast_events(self) -> list[str]:
        """Event types that may be broadcast: their `seq` property is `defs/seq.json`."""
        return [
            wire
            for wire in self.events
            if self.files[f"events/{wire}.json"]["properties"].get("seq", {}).get("$ref")
            == "../defs/seq.json"
        ]

    @property
    def connection_commands(self) -> list[str]:
        """Command types about the connection itself (`"x-spine-scope": "connection"`):
        the server answers them, never the simulation, and a viewer may send them."""
        return [
            wire
            for wire in self.commands
            if self.files[f"commands/{wire}.json"].get(SCOPE) == "connection"
        ]

    @property
    def simulation_commands(self) -> list[str]:
        """The command types a simulation may handle (every other one)."""
        connection = set(self.connection_commands)
        return [wire for wire in self.commands if wire not in connection]

    def title_of(self, path: str) -> str:
        title = self.files[path].get("title")
        if not isinstance(title, str):
            raise ContractError(f"schema/{path} has no title")
        return title

    def bundle(self) -> dict[str, Any]:
        """One self-contained schema: every file under `$defs` by title, refs made local.

        Adds the discriminated unions `Command` and `ServerEvent` (the `discriminator`
        keyword is OpenAPI's: validators ignore it, code generators need it).
        """
        defs: dict[str, Any] = {}
        for path in sorted(self.files):
            body = {k: v for k, v in self.files[path].items() if k != "$schema"}
            defs[self.title_of(path)] = self._localise(body, path)
        defs["Command"] = self._union("Any command a client may send.", self.commands)
        defs["ServerEvent"] = self._union("Any event the server may send.", self.events)
        return {
            "$schema": DRAFT,
            "title": "SpineProtocol",
            "description": f"spine-ws protocol {self.protocol_version}, bundled from schema/.",
            "$defs": defs,
        }

    def _union(self, description: str, members: dict[str, str]) -> dict[str, Any]:
        refs = {wire: f"#/$defs/{title}" for wire, title in members.items()}
        return {
            "description": description,
            "oneOf": [{"$ref": ref} for ref in refs.values()],
            "discriminator": {"propertyName": "type", "mapping": refs},
        }

    def _localise(self, node: Any, path: str) -> Any:
        if isinstance(node, dict):
            out = {k: self._localise(v, path) for k, v in node.items()}
            ref = node.get("$ref")
            if isinstance(ref, str):
                out["$ref"] = f"#/$defs/{self.title_of(self._resolve(ref, path))}"
            return out
        if isinstance(node, list):
            return [self._localise(v, path) for v in node]
        return node

    def _resolve(self, ref: str, path: str) -> str:
        if ref.startswith("#") or "://" in ref:
            raise ContractError(
                f"schema/{path}: only relative file $refs are supported, got {ref!r}"
            )
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), ref))
        if target not in self.files:
            raise ContractError(f"schema/{path}: $ref {ref!r} points at a missing file")
        return target

    def refs(self) -> Iterator[tuple[str, str]]:
        """Every (file, $ref) pair in the tree."""
        for path, doc in self.files.items():
            for ref in _walk_refs(doc):
                yield path, ref


def load_contract(root: Path = SCHEMA_DIR) -> Contract:
    """Read every `*.json` under `root`; check that each message file is named for its type."""
    return _checked(_read(root))


def _read(root: Path) -> dict[str, dict[str, Any]]:
    if not root.is_dir():
        raise ContractError(f"{root} is not a folder of schemas")
    return {
        p.relative_to(root).as_posix(): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.json"))
    }


def _checked(files: dict[str, dict[str, Any]]) -> Contract:
    contract = Contract(files=files, commands={}, events={})
    for folder, table in (("commands", contract.commands), ("events", contract.events)):
        for path in sorted(p for p in files if p.startswith(folder + "/")):
            wire = posixpath.splitext(posixpath.basename(path))[0]
            const = files[path].get("properties", {}).get("type", {}).get("const")
            if const != wire:
                raise ContractError(
                    f"schema/{path}: properties.type.const is {const!r}; "
                    f"it must equal the file name {wire!r}"
                )
            table[wire] = contract.title_of(path)
            scope = files[path].get(SCOPE)
            if scope is not None and (folder != "commands" or scope != "connection"):
                raise ContractError(
                    f"schema/{path}: {SCOPE} is {scope!r}; only a command may have it, and "
                    'only as "connection" (the server answers it, not the simulation)'
                )
    for path in sorted(p for p in files if p.startswith("results/")):
        wire = posixpath.splitext(posixpath.basename(path))[0]
        if wire not in contract.commands:
            raise ContractError(
                f"schema/{path}: a result schema is named for its command, and there is no "
                f"schema/commands/{wire}.json"
            )
        contract.results[wire] = contract.title_of(path)
    titles = [contract.title_of(p) for p in files]
    clashes = sorted({t for t in titles if titles.count(t) > 1})
    if clashes:
        raise ContractError(f"titles used by more than one schema file: {', '.join(clashes)}")
    for path, ref in contract.refs():
        contract._resolve(ref, path)
    return contract


def _walk_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_refs(value)


def _canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
