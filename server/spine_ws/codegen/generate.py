"""Every file generated from a schema tree: the core's (`make gen`) or a simulation's own
(`spine-ws gen`).

Outputs (and nothing else lives in these folders):
  <python>/   a Python package: models.py (datamodel-code-generator), catalog.py (type ->
              model tables, version, hash, the typed `Registrar`), __init__.py,
              protocol.schema.json (the bundle), asyncapi.json (AsyncAPI 3.0); an
              extension's package also holds a copy of its own schema/ (served at /schemas)
  <ts>/       protocol.ts (json-schema-to-typescript), contract.ts

In this repository they are generated/spine_ws/generated and clients/ts/src/gen. An
extension's schemas are laid over the core's (`Contract.extend`): its models import the
core's instead of declaring them again, so a core handler and an extension see one class.

`--check` renders everything in memory and compares it with the tree: a changed,
missing or stale file fails and names the fix.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_ws.codegen.contract import BYTES, ENVELOPE_FILE, Contract, load_contract

__all__ = ["GenerationError", "Layout", "main", "render", "write"]

HEADER = "GENERATED from schema/ by `{command}` ({tool}) - do not edit."
TOOL = "spine_ws.codegen"
# Names an extension's models declare again: the unions grow by its own messages.
_EXTENDED = frozenset({"Command", "ServerEvent", "SpineProtocol"})
_GEN_TYPES = Path(__file__).with_name("gen-types.mjs")

DATAMODEL_FLAGS = [
    "--input-file-type=jsonschema",
    "--output-model-type=pydantic_v2.BaseModel",
    "--target-python-version=3.11",
    "--target-pydantic-version=2.14",
    "--use-annotated",
    "--field-constraints",
    "--use-title-as-name",
    "--use-type-alias",
    "--enum-field-as-literal=all",
    "--use-one-literal-as-default",
    "--strict-types",
    "str",
    "int",
    "float",
    "bool",
    # Absent and null stay distinct: an omitted optional field is MISSING, null is refused.
    "--use-missing-sentinel",
    "--use-schema-description",
    "--use-field-description",
    "--disable-timestamp",
    "--formatters",
    "ruff-format",
    "ruff-check",
]


class GenerationError(Exception):
    """A generator could not run; the message says what to install or fix."""


@dataclass(frozen=True)
class Layout:
    """Where one generation writes: a Python package folder and a TypeScript folder.

    `ts_project` is where `json-schema-to-typescript` is resolved from (Node's module
    lookup walks up from it); `command` is what the headers tell a reader to run.
    """

    python: Path
    ts: Path | None
    ts_project: Path
    command: str = "make gen"

    @classmethod
    def repository(cls, root: Path) -> Layout:
        return cls(
            python=root / "generated/spine_ws/generated",
            ts=root / "clients/ts/src/gen",
            ts_project=root / "clients/ts",
        )


def render(contract: Contract, layout: Layout) -> dict[Path, bytes]:
    """Every generated file, by its path. An extended contract (`Contract.extend`)
    renders its own package: models that import the core's, and a copy of its schemas."""
    bundle = contract.bundle()
    py, header = layout.python, layout.command
    models = _python_models(bundle, header)
    if contract.core is not None:
        models = _import_core_models(models)
    catalog = _ruff(_python_catalog(contract, header))
    out: dict[Path, bytes] = {
        py / "protocol.schema.json": _json(bundle),
        py / "models.py": models,
        py / "catalog.py": catalog,
        py / "__init__.py": _ruff(
            _python_init(
                _public_names(catalog), _public_names(models), header, contract.core is not None
            )
        ),
        py / "asyncapi.json": _json(_asyncapi(contract, bundle)),
    }
    for path in contract.own:
        out[py / "schema" / path] = _json(contract.files[path])
    if contract.envelope is not None:
        out[py / "schema" / ENVELOPE_FILE] = _json(contract.envelope)
    if layout.ts is not None:
        out[layout.ts / "protocol.ts"] = _ts_types(layout.ts_project, bundle, contract, header)
        out[layout.ts / "contract.ts"] = _ts_contract(contract, header).encode()
    return out


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def _python_models(bundle: dict[str, Any], command: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "protocol.schema.json", Path(tmp) / "models.py"
        src.write_bytes(_json(bundle))
        header = "# " + HEADER.format(command=command, tool="datamodel-code-generator")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datamodel_code_generator",
                "--input",
                str(src),
                "--output",
                str(dst),
                "--custom-file-header",
                header,
                *DATAMODEL_FLAGS,
            ],
            check=True,
            cwd=tmp,
        )
        return dst.read_bytes()


def _import_core_models(models: bytes) -> bytes:
    """An extension's models with every core definition replaced by an import of it.

    One class per core message, whoever generated it: the registry and the server's
    own handlers compare models by identity. Every core name is imported, so the
    extension's package exports the whole protocol.
    """
    from spine_ws.generated import models as core

    names = set(_public_names(Path(core.__file__).read_bytes())) - _EXTENDED
    lines = models.decode().splitlines(keepends=True)
    body = ast.parse(models).body
    drop: set[int] = set()
    for index, node in enumerate(body):
        defined = _defined_names(node)
        if not defined or not defined <= names:
            continue
        drop.update(range(node.lineno - 1, _end(node)))
        docstring = body[index + 1] if index + 1 < len(body) else None
        if isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant):
            drop.update(range(docstring.lineno - 1, _end(docstring)))
    last_import = max(_end(n) for n in body if isinstance(n, ast.Import | ast.ImportFrom))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    at = last_import - sum(1 for i in drop if i < last_import)
    imports = "".join(f"    {n},\n" for n in sorted(names))
    statement = f"from spine_ws.generated.models import (  # the core's, re-exported\n{imports})\n"
    # The header stays first; the noqa covers the re-exports and the now unused imports.
    source = kept[0] + "# ruff: noqa: F401\n" + "".join(kept[1:at]) + statement + "".join(kept[at:])
    exported = sorted(names | set(_public_names(source.encode())))
    source += "\n__all__ = [\n" + "".join(f'    "{n}",\n' for n in exported) + "]\n"
    return _ruff(source)


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {t.id for t in targets if isinstance(t, ast.Name)}
    return set()


def _end(node: ast.stmt) -> int:
    return node.end_lineno if node.end_lineno is not None else node.lineno


def _ruff(source: str) -> bytes:
    """Imports sorted and the module formatted, as datamodel-codegen's own output."""
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or "ruff"
    fixed = subprocess.run(
        [ruff, "check", "--fix", "--quiet", "--select", "I", "--stdin-filename", "m.py", "-"],
        input=source.encode(),
        capture_output=True,
        check=False,
    ).stdout
    return subprocess.run(
        [ruff, "format", "--quiet", "--stdin-filename", "m.py", "-"],
        input=fixed,
        capture_output=True,
        check=True,
    ).stdout


def _python_catalog(contract: Contract, command: str) -> str:
    header = "# " + HEADER.format(command=command, tool=TOOL)
    lines = [
        header,
        '"""Lookup tables and constants of the protocol, generated with the models."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Callable",
        "from typing import "
        + ("TYPE_CHECKING, " if contract.long_running else "")
        + "Any, Final, Protocol, overload",
        "",
        "from pydantic import BaseModel",
        "",
        "from . import models",
        "",
        *(
            ["if TYPE_CHECKING:", "    from spine_ws.sim import Job", ""]
            if contract.long_running
            else []
        ),
        "__all__ = [",
        '    "BROADCAST_EVENT_TYPES",',
        '    "COMMAND_ID_PATTERN",',
        '    "COMMAND_MODELS",',
        '    "CONNECTION_COMMAND_TYPES",',
        '    "ENVELOPE",',
        '    "EVENT_MODELS",',
        '    "LONG_RUNNING",',
        '    "MAX_BYTES",',
        '    "PROTOCOL_VERSION",',
        '    "RESULT_MODELS",',
        '    "SCHEMA_HASH",',
        '    "SUBPROTOCOL",',
        '    "Registrar",',
        "]",
        "",
        f'PROTOCOL_VERSION: Final = "{contract.protocol_version}"',
        f'SCHEMA_HASH: Final = "{contract.schema_hash}"',
        "# The WebSocket subprotocol of this major version (offered by clients, selected by",
        "# the server).",
        f'SUBPROTOCOL: Final = "{contract.subprotocol}"',
        "# A command `id` (schema/defs/command_id.json), as a regular expression.",
        f"COMMAND_ID_PATTERN: Final = {contract.command_id_pattern!r}",
        "",
        "# Wire type -> model of every command (schema/commands/<type>.json).",
        "COMMAND_MODELS: Final[dict[str, type[BaseModel]]] = {",
        *(f'    "{w}": models.{t},' for w, t in contract.commands.items()),
        "}",
        "",
        "# Commands about the connection itself (`x-spine-scope: connection`): the server",
        "# answers them, never the simulation, and a viewer may send them.",
        "CONNECTION_COMMAND_TYPES: Final = frozenset(",
        "    {",
        *(f'        "{w}",' for w in contract.connection_commands),
        "    }",
        ")",
        "",
        "# Command type -> model of its result, for the commands that return one",
        "# (schema/results/<type>.json): the command_ack's `result` is validated against it.",
        "RESULT_MODELS: Final[dict[str, Any]] = {  # a model, or an alias ($ref, oneOf)",
        *(f'    "{w}": models.{t},' for w, t in contract.results.items()),
        "}",
        "",
        "# Commands that run long (x-spine-long-running): what the server does with the",
        "# others meanwhile (queue them, or answer busy) and whether ticks go on.",
        f"LONG_RUNNING: Final[dict[str, dict[str, str]]] = {contract.long_running!r}",
        "",
        "# Commands that may come in a frame larger than the server's limit (x-spine-max-bytes).",
        f"MAX_BYTES: Final[dict[str, int]] = {contract.max_bytes!r}",
        "",
        "# The envelope the schema tree declares (its envelope.json), as written: the",
        "# server speaks it to clients that name no subprotocol. None: spine's own.",
        f"ENVELOPE: Final[dict[str, Any] | None] = {contract.envelope!r}",
        "",
        "# Wire type -> model of every event (schema/events/<type>.json).",
        "EVENT_MODELS: Final[dict[str, type[BaseModel]]] = {",
        *(f'    "{w}": models.{t},' for w, t in contract.events.items()),
        "}",
        "",
        "# Events that may be broadcast to every client: they carry `seq` when they are.",
        "BROADCAST_EVENT_TYPES: Final = frozenset(",
        "    {",
        *(f'        "{w}",' for w in contract.broadcast_events),
        "    }",
        ")",
        "",
        *_registrar(contract),
    ]
    return "\n".join(lines)


def _registrar(contract: Contract) -> list[str]:
    """A Protocol that types each handler's return: its command's result, or None.

    `Registry` matches it structurally, so `handlers: Registrar = sim.handlers` makes a
    type checker hold every `register(Model, handler)` call to its schema.
    """
    lines = [
        "",
        "class Registrar(Protocol):",
        '    """A command registry as a type checker sees it: the handler of a command returns',
        '    its result (schema/results/<type>.json), or None if it declares none."""',
        "",
    ]
    long_running = contract.long_running
    for wire in contract.simulation_commands:
        title = contract.commands[wire]
        result = contract.results.get(wire)
        returns = f"models.{result}" if result else "None"
        # A long-running command's handler also gets its Job: progress and cancellation.
        takes = f"models.{title}, Job" if wire in long_running else f"models.{title}"
        lines += [
            "    @overload",
            "    def register(",
            f"        self, model: type[models.{title}],",
            f"        handler: Callable[[{takes}], {returns}], /",
            "    ) -> None: ...",
        ]
    lines += ["    def register(self, model: Any, handler: Any, /) -> None: ...", ""]
    return lines


def _public_names(module: bytes) -> list[str]:
    """The names a generated module defines at its top level (classes and aliases), and
    the core models an extension's models import."""
    names: set[str] = set()
    for node in ast.parse(module).body:
        if isinstance(node, ast.ImportFrom) and node.module == "spine_ws.generated.models":
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return sorted(n for n in names if not n.startswith("_"))


def _python_init(catalog: list[str], models: list[str], command: str, extension: bool) -> str:
    def imports(module: str, names: list[str]) -> list[str]:
        return [f"from .{module} import (", *(f"    {n}," for n in names), ")"]

    # An extension names its catalog for the server: `TickingSimulation(..., catalog=CATALOG)`.
    own = ["CATALOG"] if extension else []
    lines = [
        "# " + HEADER.format(command=command, tool=TOOL),
        '"""The spine-ws protocol: generated models, lookup tables and constants."""',
        "",
        *(["import sys", ""] if extension else []),
        *(["from spine_ws.sim import Catalog", ""] if extension else []),
        *imports("catalog", catalog),
        *imports("models", models),
        "",
        "__all__ = [",
        *(f'    "{n}",' for n in sorted({*catalog, *models, *own})),
        "]",
        "",
        *(["CATALOG = Catalog.of(sys.modules[__name__])", ""] if extension else []),
    ]
    return "\n".join(lines)


# JSON Schema constraints, as the TSDoc of a type or member says them.
_CONSTRAINTS = {
    "minimum": "at least {}",
    "exclusiveMinimum": "more than {}",
    "maximum": "at most {}",
    "exclusiveMaximum": "less than {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "pattern": "matches `{}`",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minProperties": "at least {} members",
    "maxProperties": "at most {} members",
}


def _ts_bundle(bundle: dict[str, Any], commands: list[str]) -> dict[str, Any]:
    """The bundle as json-schema-to-typescript reads it best.

    A `$ref` with a sibling `description` makes that tool emit a fresh alias per use
    (`CommandId1`, `CommandId2`…); naming the referenced type with `tsType` keeps one
    type per definition and the property's own doc comment. Constraints TypeScript
    cannot express are appended to the doc comment. `CommandType` becomes the union of
    the command types (a server only names commands it knows). A member of bytes
    (`x-spine-bytes`: JSON has no such type, MessagePack has) is a `Uint8Array`.
    """

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node and len(node) > 1:
                rest = {k: walk(v) for k, v in node.items() if k != "$ref"}
                return {"tsType": node["$ref"].rsplit("/", 1)[1], **rest}
            if BYTES in node:  # a MessagePack binary string, as @msgpack/msgpack reads it
                return {"tsType": "Uint8Array", **{k: walk(v) for k, v in node.items()}}
            out = {k: walk(v) for k, v in node.items()}
            said = [_CONSTRAINTS[k].format(v) for k, v in node.items() if k in _CONSTRAINTS]
            if said and isinstance(out.get("description"), str):
                out["description"] = f"{out['description']} Constraints: {'; '.join(said)}."
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    ts: dict[str, Any] = walk(bundle)
    ts["$defs"]["CommandType"]["tsType"] = " | ".join(f'"{w}"' for w in commands)
    return ts


def _ts_types(project: Path, bundle: dict[str, Any], contract: Contract, command: str) -> bytes:
    header = "// " + HEADER.format(command=command, tool="json-schema-to-typescript")
    node = shutil.which("node")
    if node is None:
        raise GenerationError("TypeScript types need Node.js (`node` on PATH), 20 or later")
    # The output folder may not exist yet; Node's lookup starts at its nearest ancestor.
    while not project.is_dir():
        project = project.parent
    result = subprocess.run(
        [node, str(_GEN_TYPES), header],
        input=_json(_ts_bundle(bundle, list(contract.commands))),
        capture_output=True,
        check=False,
        cwd=project,
    )
    if result.returncode != 0:
        raise GenerationError(result.stderr.decode(errors="replace").strip())
    return result.stdout


def _ts_contract(contract: Contract, command: str) -> str:
    def tuple_of(items: list[str]) -> str:
        return "[\n" + "".join(f'  "{i}",\n' for i in items) + "] as const"

    results = sorted(contract.results.items())
    envelope = _ts_envelope(contract)
    imported = sorted(
        {"Command", "ServerEvent", *(t for _, t in results), *(envelope[1] if envelope else ())}
    )
    result_types = [
        f'import type {{ {", ".join(imported)} }} from "./protocol.js";',
        "",
        "/** The result type of each command that returns one (schema/results/<type>.json). */",
        "export type CommandResults = {",
        *(f"  {_ts_key(w)}: {t};" for w, t in results),
        "};",
        "/** What `command_ack.result` holds for a command of type T (undefined: no result). */",
        "export type ResultOf<T extends string> = T extends keyof CommandResults",
        "  ? CommandResults[T]",
        "  : undefined;",
    ]
    return "\n".join(
        [
            "// " + HEADER.format(command=command, tool=TOOL),
            "",
            *result_types,
            "/** Protocol version these types were generated for. */",
            f'export const PROTOCOL_VERSION = "{contract.protocol_version}" as const;',
            "/** SHA-256 of schema/ these types come from; compare with the snapshot's. */",
            f'export const SCHEMA_HASH = "{contract.schema_hash}";',
            "/** The WebSocket subprotocol of this major version. */",
            f'export const SUBPROTOCOL = "{contract.subprotocol}";',
            "/** A command `id` (schema/defs/command_id.json). */",
            f"export const COMMAND_ID_PATTERN = /{contract.command_id_pattern}/;",
            "/** Wire type of every command. */",
            f"export const COMMAND_TYPES = {tuple_of(list(contract.commands))};",
            "/** Commands about the connection itself, answered by the server (a viewer may",
            " * send them): `x-spine-scope: connection` in their schema. */",
            f"export const CONNECTION_COMMAND_TYPES = {tuple_of(contract.connection_commands)};",
            "/** Wire type of every event. */",
            f"export const EVENT_TYPES = {tuple_of(list(contract.events))};",
            "/** Events that may be broadcast to every client (they carry `seq` when they are). */",
            f"export const BROADCAST_EVENT_TYPES = {tuple_of(contract.broadcast_events)};",
            "/** The message types of this contract: `new SpineClient<Protocol>(url, …)`. */",
            "export interface Protocol {",
            "  command: Command;",
            "  event: ServerEvent;",
            "  results: CommandResults;",
            "}",
            "/**",
            " * This contract's identity, for `SpineClient`'s `contract` option: the version it",
            " * checks a server's against, and the event types it dispatches (others it ignores).",
            " */",
            "export const CONTRACT = {",
            "  protocolVersion: PROTOCOL_VERSION,",
            "  schemaHash: SCHEMA_HASH,",
            "  eventTypes: EVENT_TYPES,",
            "} as const;",
            *(envelope[0] if envelope else []),
            "",
        ]
    )


def _ts_key(name: str) -> str:
    """A message name as a TypeScript property key: quoted if dotted."""
    return name if name.isidentifier() else json.dumps(name)


def _ts_envelope(contract: Contract) -> tuple[list[str], set[str]] | None:
    """The messages as the tree's envelope carries them: `WireProtocol` types each one by
    the name it has on the wire, for `EnvelopeClient<WireProtocol>`; its lines and the
    protocol types they name."""
    spec = contract.envelope_spec
    if spec is None:
        return None
    wire = spec.wire_names()
    commands = {wire.get(c, c): t for c, t in contract.commands.items()}
    events = {wire.get(e, e): t for e, t in contract.events.items()}
    members = {n: f'Omit<{t}, "type" | "id">' for n, t in commands.items()}
    # With the seq beside the members (event.seq), the members are the message's own.
    dropped = '"type" | "seq"' if spec.event.seq else '"type"'
    received = {n: f"Omit<{t}, {dropped}>" for n, t in events.items()}
    # The replies, under their names: both carry the request's id, not a command_id
    # (and an ack is never sent as the core's command_ack).
    received.pop(wire.get("command_ack", "command_ack"), None)
    received[spec.reply.ack] = 'Omit<CommandAckEvent, "type" | "command_id">'
    received[spec.reply.error] = 'Omit<ErrorEvent, "type" | "command_id">'
    results = {wire.get(c, c): t for c, t in contract.results.items()}
    # A command answered by name: that message's members are its result.
    for asked, answer in spec.replies.items():
        result = results.get(asked, "Record<string, never>")
        received[answer] = f"{received[answer]} | {result}" if answer in received else result
    shape = spec.model_dump(mode="json")
    command, event = spec.command, spec.event

    def wrapped(
        name: str, table: str, key: str, members_key: str | None, id_: str, seq: str | None = None
    ) -> str:
        around = f"{id_}?: string | number" + (f"; {seq}?: number" if seq else "")
        if members_key is None:
            return f"{{ {name}: {key}; {around} }} & {table}[{key}]"
        return f"{{ {name}: {key}; {members_key}: {table}[{key}]; {around} }}"

    def table(rows: dict[str, str]) -> list[str]:
        return [f"  {_ts_key(n)}: {t};" for n, t in sorted(rows.items())]

    lines = [
        f"/** The envelope schema/{ENVELOPE_FILE} declares: where a message's name, members",
        " * and correlation id go, and the team's names for the core's messages. */",
        f"export const ENVELOPE = {json.dumps(shape, indent=2)} as const;",
        "/** Each command under the name it has on the wire: its members. */",
        "export type WireCommands = {",
        *table(members),
        "};",
        "/** Each event (and the two replies) under its wire name: its members. */",
        "export type WireEvents = {",
        *table(received),
        "};",
        "/** The result a command's reply carries, for the commands that return one. */",
        "export type WireResults = {",
        *table(results),
        "};",
        "/** A command as a client sends it in this envelope. */",
        "export type WireCommand = {",
        f"  [K in keyof WireCommands]: "
        f"{wrapped(command.name, 'WireCommands', 'K', command.members, command.id)};",
        "}[keyof WireCommands];",
        "/** An event (or a reply) as a client receives it in this envelope. */",
        "export type WireEvent = {",
        f"  [K in keyof WireEvents]: "
        f"{wrapped(event.name, 'WireEvents', 'K', event.members, command.id, event.seq)};",
        "}[keyof WireEvents];",
        "/** This contract in its envelope: `new EnvelopeClient<WireProtocol>(url, ENVELOPE)`. */",
        "export interface WireProtocol {",
        "  commands: WireCommands;",
        "  events: WireEvents;",
        "  results: WireResults;",
        "}",
    ]
    return lines, {*commands.values(), *events.values(), "CommandAckEvent", "ErrorEvent"}


def _asyncapi(contract: Contract, bundle: dict[str, Any]) -> dict[str, Any]:
    """AsyncAPI 3.0 for the `/ws` channel, from the server's point of view."""

    def rebase(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: rebase(v) for k, v in node.items() if k != "discriminator"}
            if isinstance(node.get("$ref"), str):
                out["$ref"] = node["$ref"].replace("#/$defs/", "#/components/schemas/")
            return out
        if isinstance(node, list):
            return [rebase(v) for v in node]
        return node

    schemas = {name: rebase(body) for name, body in bundle["$defs"].items()}
    for union in ("Command", "ServerEvent"):
        schemas[union]["discriminator"] = "type"
    messages: dict[str, Any] = {}
    if contract.envelope_spec is not None:
        spec = contract.envelope_spec
        return _asyncapi_document(
            contract, schemas, *_enveloped(contract, schemas), answered=spec.replies
        )
    for folder, table in (("commands", contract.commands), ("events", contract.events)):
        for wire, title in table.items():
            message: dict[str, Any] = {
                "name": wire,
                "title": title,
                "summary": contract.files[f"{folder}/{wire}.json"]["description"],
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{title}"},
            }
            if folder == "commands":
                message["correlationId"] = {"location": "$message.payload#/id"}
            elif wire in ("command_ack", "error"):
                message["correlationId"] = {"location": "$message.payload#/command_id"}
            messages[wire] = message

    return _asyncapi_document(
        contract, schemas, messages, list(contract.commands), list(contract.events)
    )


def _asyncapi_document(
    contract: Contract,
    schemas: dict[str, Any],
    messages: dict[str, Any],
    commands: list[str],
    events: list[str],
    replies: tuple[str, str] = ("command_ack", "error"),
    answered: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The document around its messages: `commands` are received and answered with one
    of `replies`, `events` (and the replies) are sent."""

    def ref(wire: str) -> dict[str, str]:
        return {"$ref": f"#/channels/ws/messages/{wire}"}

    channel_messages = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    channel = {"$ref": "#/channels/ws"}
    operations: dict[str, Any] = {}
    for wire in commands:
        operations[f"receive_{wire}"] = {
            "action": "receive",
            "channel": channel,
            "summary": f"A client sends `{wire}`; exactly one reply follows.",
            "messages": [ref(wire)],
            "reply": {
                "channel": channel,
                "messages": [ref((answered or {}).get(wire, replies[0])), ref(replies[1])],
            },
        }
    for wire in events:
        operations[f"send_{wire}"] = {
            "action": "send",
            "channel": channel,
            "messages": [ref(wire)],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "spine-ws",
            "version": contract.protocol_version,
            "description": (
                "Real-time link between a running simulation and its frontends. "
                f"Generated from schema/ (schema hash {contract.schema_hash})."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:8000", "protocol": "ws", "description": "`make run`"}
        },
        "channels": {
            "ws": {
                "address": "/ws",
                "description": "The one WebSocket endpoint: commands in, events out.",
                "messages": channel_messages,
                "bindings": {"ws": {"bindingVersion": "0.1.0", "query": _QUERY}},
            }
        },
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _enveloped(
    contract: Contract, schemas: dict[str, Any]
) -> tuple[dict[str, Any], list[str], list[str], tuple[str, str]]:
    """Every message as the tree's envelope carries it, by its name on the wire: the
    name member, the members (under their key, or flat) and the correlation id."""
    spec = contract.envelope_spec
    assert spec is not None
    wire = spec.wire_names()
    shape_in, shape_out, id_ = spec.command, spec.event, spec.command.id
    correlation = {"location": f"$message.payload#/{id_}"}
    id_schema = {"description": "The request's id, as it was sent: the reply echoes it."}

    def members(title: str, drop: set[str]) -> dict[str, Any]:
        body = schemas[title]
        out: dict[str, Any] = {
            "type": "object",
            "properties": {k: v for k, v in body["properties"].items() if k not in drop},
            "additionalProperties": body.get("additionalProperties", True),
        }
        required = [r for r in body.get("required", []) if r not in drop]
        return {**out, "required": required} if required else out

    def payload(name_key: str, name: str, key: str | None, body: dict[str, Any]) -> Any:
        properties: dict[str, Any] = {name_key: {"const": name}}
        required = [name_key]
        if key is None:
            properties.update(body["properties"])
            required += body.get("required", [])
        else:
            properties[key] = body
            required.append(key)
        return {"type": "object", "properties": properties, "required": required}

    messages: dict[str, Any] = {}
    commands, events = [], []
    for core, title in contract.commands.items():
        name = wire.get(core, core)
        body = payload(shape_in.name, name, shape_in.members, members(title, {"type", "id"}))
        body["properties"][id_] = id_schema
        messages[name] = {
            "name": name,
            "title": title,
            "summary": contract.files[f"commands/{core}.json"]["description"],
            "contentType": "application/json",
            "payload": body,
            "correlationId": correlation,
        }
        commands.append(name)
    replies = {"command_ack": spec.reply.ack, "error": spec.reply.error}
    seq = shape_out.seq
    for core, title in contract.events.items():
        name = replies.get(core, wire.get(core, core))
        reply = core in replies
        own = members(title, {"type", "command_id"} if reply else {"type"})
        moved = own["properties"].pop("seq", None) if seq else None
        if moved is not None and "required" in own:
            own["required"] = [r for r in own["required"] if r != "seq"]
        body = payload(shape_out.name, name, shape_out.members, own)
        if moved is not None:
            body["properties"][seq] = moved
        message = {
            "name": name,
            "title": title,
            "summary": contract.files[f"events/{core}.json"]["description"],
            "contentType": "application/json",
            "payload": body,
        }
        if reply:
            body["properties"][id_] = id_schema
            message["correlationId"] = correlation
        messages[name] = message
        events.append(name)
    for asked, answer in spec.replies.items():  # answered by name: the result
        core = spec.core_name(asked)
        result = contract.results.get(core)
        result_body = schemas[result] if result else {"type": "object", "maxProperties": 0}
        body = payload(shape_out.name, answer, shape_out.members, result_body)
        body["properties"][id_] = id_schema
        message = {
            "name": answer,
            "title": f"the reply to {asked}",
            "summary": f"Answers {asked}: its result, with the request's id.",
            "contentType": "application/json",
            "payload": body,
            "correlationId": correlation,
        }
        if answer in messages:  # also an event of that name
            message["payload"] = {"oneOf": [messages[answer]["payload"], body]}
        messages[answer] = message
        if answer not in events:
            events.append(answer)
    return messages, commands, events, (spec.reply.ack, spec.reply.error)


# The query of /ws: what a browser can set on a WebSocket URL.
_QUERY = {
    "type": "object",
    "properties": {
        "resume": {
            "type": "string",
            "pattern": "^[^:]{1,64}:[0-9]{1,16}$",
            "description": (
                "<epoch>:<seq>, the last broadcast event the client processed: the server "
                "answers `resumed` and exactly the events after seq if its history holds "
                "them all (and they are fewer bytes than a snapshot), else the `snapshot` "
                "with `resume.reason`. A bad value is never an error."
            ),
        },
        "token": {
            "type": "string",
            "description": (
                "Access token, where a subprotocol `token.<token>` cannot be offered "
                "(servers redact it from logs; prefer the subprotocol)."
            ),
        },
    },
}


def _generated_files(layout: Layout) -> set[Path]:
    found: set[Path] = set()
    for folder in (layout.python, layout.ts):
        if folder is not None and folder.is_dir():
            found.update(
                p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
    return found


def write(files: dict[Path, bytes], layout: Layout, *, check: bool, shown: Path) -> int:
    """Write the rendered files (removing stale ones), or with `check` compare them with
    what is on disk: 0 if current, 1 naming every changed and stale file."""
    stale = sorted(_generated_files(layout) - set(files))

    def name(path: Path) -> str:
        return os.path.relpath(path, shown)

    if check:
        changed = sorted(
            p for p, body in files.items() if not p.is_file() or p.read_bytes() != body
        )
        for path in changed:
            print(f"out of date: {name(path)}", file=sys.stderr)
        for path in stale:
            print(f"stale (no schema generates it): {name(path)}", file=sys.stderr)
        if changed or stale:
            print(
                f"generated code differs from schema/: run `{layout.command}` and commit "
                "the result",
                file=sys.stderr,
            )
            return 1
        print(f"generated code is current ({len(files)} files)")
        return 0
    for path in stale:
        path.unlink()
    for path, body in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    print(f"generated {len(files)} files from schema/ (removed {len(stale)} stale)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`make gen` / `make check-gen`: the repository's own generated files."""
    parser = argparse.ArgumentParser(prog="python -m spine_ws.codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the tree is not current")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    layout = Layout.repository(root)
    try:
        files = render(load_contract(root / "schema"), layout)
    except GenerationError as exc:
        print(f"spine-ws gen: {exc}", file=sys.stderr)
        return 2
    return write(files, layout, check=args.check, shown=root)


if __name__ == "__main__":
    sys.exit(main())
