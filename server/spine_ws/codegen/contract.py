"""The contract on disk: load `schema/`, hash it, and bundle it into one document.

A tree may declare its envelope in `envelope.json` at its root (`core/envelope.py`
says what it holds): the envelope is part of the contract, in its hash and its bundle
(`x-spine-envelope`), so the generators and the compatibility gate follow it.

Every generator (Python, TypeScript, AsyncAPI) and every validator in the tests reads the
bundle, not the separate files: some tools cannot follow cross-file `$ref`s, and one root
keeps shared definitions from being emitted twice.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spine_ws.core.envelope import EnvelopeSpec
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
# A command's annotations: it runs long (how the server treats the others meanwhile,
# and whether ticks go on), and the largest frame that may carry it.
LONG_RUNNING = "x-spine-long-running"
MAX_BYTES = "x-spine-max-bytes"
_LONG_RUNNING_CHOICES = {"others": ("queue", "busy"), "ticks": ("continue", "refuse")}
# Where a tree declares its envelope, and where the bundle carries it.
ENVELOPE_FILE = "envelope.json"
ENVELOPE_KEY = "x-spine-envelope"
# A member that is bytes (a MessagePack binary string; JSON has none): its layout.
BYTES = "x-spine-bytes"
# A message file's own title when it has none: its name's words, then its role.
_ROLES = {"commands": "Command", "events": "Event", "results": "Result"}


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
    # The envelope the tree declares (`envelope.json`), as written; None: spine's own.
    envelope: dict[str, Any] | None = None

    def extend(self, root: Path) -> Contract:
        """This contract with a simulation's own schema tree laid over it.

        Its files sit at the same relative paths as the core's, so `../defs/tick.json`
        in its `commands/` means the core's tick; a file may add, never replace.
        """
        own = _read(root)
        envelope = own.pop(ENVELOPE_FILE, None)
        replaced = sorted(set(own) & set(self.files))
        if replaced:
            raise ContractError(
                f"{root}: {', '.join(replaced)} would replace the core's; give yours new names"
            )
        merged = _checked({**self.files, **own}, envelope)
        return Contract(
            files=merged.files,
            commands=merged.commands,
            events=merged.events,
            results=merged.results,
            core=self,
            own=tuple(sorted(own)),
            envelope=envelope,
        )

    @property
    def envelope_spec(self) -> EnvelopeSpec | None:
        return None if self.envelope is None else _spec(self.envelope)

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
        if self.envelope is not None:  # a change of envelope is a change of contract
            digest.update(ENVELOPE_FILE.encode() + b"\0" + _canonical(self.envelope) + b"\0")
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
    def long_running(self) -> dict[str, dict[str, str]]:
        """Commands that run long (`x-spine-long-running`): type -> {others, ticks}."""
        out: dict[str, dict[str, str]] = {}
        for wire in self.commands:
            declared = self.files[f"commands/{wire}.json"].get(LONG_RUNNING)
            if declared is not None:
                out[wire] = {"others": "queue", "ticks": "refuse", **declared}
        return out

    @property
    def max_bytes(self) -> dict[str, int]:
        """Commands that may come in frames larger than the server's limit: type -> bytes."""
        out: dict[str, int] = {}
        for wire in self.commands:
            declared = self.files[f"commands/{wire}.json"].get(MAX_BYTES)
            if declared is not None:
                out[wire] = declared
        return out

    @property
    def simulation_commands(self) -> list[str]:
        """The command types a simulation may handle (every other one)."""
        connection = set(self.connection_commands)
        return [wire for wire in self.commands if wire not in connection]

    def title_of(self, path: str) -> str:
        """A file's `title`; a message file without one is named for its type and role
        (`commands/agent.create.json` -> `AgentCreateCommand`)."""
        title = self.files[path].get("title")
        if isinstance(title, str):
            return title
        folder, _, name = path.partition("/")
        if folder in _ROLES and name.endswith(".json"):
            words = name.removesuffix(".json").replace(".", "_").split("_")
            return "".join(w.capitalize() for w in words) + _ROLES[folder]
        raise ContractError(f"schema/{path} has no title")

    def bundle(self) -> dict[str, Any]:
        """One self-contained schema: every file under `$defs` by title, refs made local.

        Adds the discriminated unions `Command` and `ServerEvent` (the `discriminator`
        keyword is OpenAPI's: validators ignore it, code generators need it).
        """
        defs: dict[str, Any] = {}
        for path in sorted(self.files):
            body = {k: v for k, v in self.files[path].items() if k != "$schema"}
            body.setdefault("title", self.title_of(path))
            defs[self.title_of(path)] = self._localise(body, path)
        defs["Command"] = self._union("Any command a client may send.", self.commands)
        defs["ServerEvent"] = self._union("Any event the server may send.", self.events)
        bundle: dict[str, Any] = {
            "$schema": DRAFT,
            "title": "SpineProtocol",
            "description": f"spine-ws protocol {self.protocol_version}, bundled from schema/.",
        }
        if self.envelope is not None:
            bundle[ENVELOPE_KEY] = self.envelope
        bundle["$defs"] = defs
        return bundle

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
    files = _read(root)
    envelope = files.pop(ENVELOPE_FILE, None)
    checked = _checked(files, envelope)
    return Contract(
        files=checked.files,
        commands=checked.commands,
        events=checked.events,
        results=checked.results,
        envelope=envelope,
    )


def _read(root: Path) -> dict[str, dict[str, Any]]:
    if not root.is_dir():
        raise ContractError(f"{root} is not a folder of schemas")
    return {
        p.relative_to(root).as_posix(): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.json"))
    }


def _checked(files: dict[str, dict[str, Any]], envelope: dict[str, Any] | None = None) -> Contract:
    contract = Contract(files=files, commands={}, events={})
    for folder, table in (("commands", contract.commands), ("events", contract.events)):
        pattern = re.compile(files[f"defs/{folder[:-1]}_type.json"]["pattern"])
        for path in sorted(p for p in files if p.startswith(folder + "/")):
            wire = posixpath.splitext(posixpath.basename(path))[0]
            const = files[path].get("properties", {}).get("type", {}).get("const")
            if const != wire:
                raise ContractError(
                    f"schema/{path}: properties.type.const is {const!r}; "
                    f"it must equal the file name {wire!r}"
                )
            if not pattern.search(wire) or len(wire) > _NAME_LENGTH:
                raise ContractError(
                    f"schema/{path}: {wire!r} is not a message name: lowercase words "
                    f"(a-z, 0-9, _), dotted as <domain>.<action> if you like, at most "
                    f"{_NAME_LENGTH} characters"
                )
            table[wire] = contract.title_of(path)
            if folder == "commands":
                _check_annotations(path, files[path])
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
    if envelope is not None:
        _check_envelope(_spec(envelope), contract)
    return contract


_NAME_LENGTH = 64


def _check_annotations(path: str, schema: dict[str, Any]) -> None:
    """`x-spine-long-running` and `x-spine-max-bytes`, on a command the simulation runs."""
    long_running, max_bytes = schema.get(LONG_RUNNING), schema.get(MAX_BYTES)
    if (long_running is not None or max_bytes is not None) and schema.get(SCOPE) is not None:
        raise ContractError(
            f"schema/{path}: a command the server answers itself neither runs long nor is large"
        )
    if long_running is not None and (
        not isinstance(long_running, dict)
        or any(
            key not in _LONG_RUNNING_CHOICES or value not in _LONG_RUNNING_CHOICES[key]
            for key, value in long_running.items()
        )
    ):
        raise ContractError(
            f"schema/{path}: {LONG_RUNNING} is an object with others "
            '("queue" or "busy") and ticks ("continue" or "refuse"), each optional'
        )
    if max_bytes is not None and (
        not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1024
    ):
        raise ContractError(f"schema/{path}: {MAX_BYTES} is a number of bytes, at least 1024")


def _spec(envelope: dict[str, Any]) -> EnvelopeSpec:
    try:
        return EnvelopeSpec.model_validate({k: v for k, v in envelope.items() if k != "$schema"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(part) for part in first["loc"]) or "the file"
        raise ContractError(f"schema/{ENVELOPE_FILE}: {where}: {first['msg']}") from None


def _check_envelope(spec: EnvelopeSpec, contract: Contract) -> None:
    """Every name the envelope maps is one of the tree's messages, and no team name is
    another message's own: a name on the wire means one message."""
    messages = {*contract.commands, *contract.events}
    for wire, core in spec.names.items():
        if core not in messages:
            raise ContractError(
                f"schema/{ENVELOPE_FILE}: names/{wire} maps onto {core!r}, which is not a "
                "command or event of this contract"
            )
        if wire in messages and wire != core:
            raise ContractError(
                f"schema/{ENVELOPE_FILE}: names/{wire}: {wire!r} is a message of its own; "
                "a team name may not hide another message"
            )
    named = spec.wire_names()
    commands = {named.get(c, c) for c in contract.commands}
    for command, reply in spec.replies.items():
        if command not in commands:
            raise ContractError(
                f"schema/{ENVELOPE_FILE}: replies/{command}: no command is named {command!r}"
            )
        if reply in (spec.reply.ack, spec.reply.error):
            raise ContractError(
                f"schema/{ENVELOPE_FILE}: replies/{command}: {reply!r} is already a reply's name"
            )
    taken = {*spec.names, *(m for m in messages if m not in spec.names.values())}
    for reply in (spec.reply.ack, spec.reply.error):
        if reply in taken and reply not in ("command_ack", "error"):
            raise ContractError(
                f"schema/{ENVELOPE_FILE}: reply name {reply!r} is already a message's name"
            )


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
