"""`make gen` and `make check-gen`: every generated file, produced from `schema/`.

Outputs (and nothing else lives in these folders):
  generated/spine_ws/generated/
                        the package `spine_ws.generated`: models.py
                        (datamodel-code-generator), catalog.py (type -> model tables,
                        version, hash, shared constants), __init__.py,
                        protocol.schema.json (the bundle), asyncapi.json (AsyncAPI 3.0)
  clients/ts/src/gen/   protocol.ts (json-schema-to-typescript), contract.ts

`--check` renders everything in memory and compares it with the tree: a changed,
missing or stale file fails and names the fix.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from codegen.contract import Contract, load_contract

__all__ = ["main", "render"]

HEADER = "GENERATED from schema/ by `make gen` ({tool}) - do not edit."
PY_ROOT = "generated"
PY_OUT = f"{PY_ROOT}/spine_ws/generated"
TOOL = "server/codegen"
TS_OUT = "clients/ts/src/gen"

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


def render(root: Path, contract: Contract) -> dict[str, bytes]:
    """Every generated file, keyed by its path relative to the repository root."""
    bundle = contract.bundle()
    out: dict[str, bytes] = {}
    out[f"{PY_OUT}/protocol.schema.json"] = _json(bundle)
    models = _python_models(bundle)
    catalog = _python_catalog(contract).encode()
    out[f"{PY_OUT}/models.py"] = models
    out[f"{PY_OUT}/catalog.py"] = catalog
    out[f"{PY_OUT}/__init__.py"] = _python_init(_public_names(catalog), _public_names(models))
    out[f"{PY_OUT}/asyncapi.json"] = _json(_asyncapi(contract, bundle))
    out[f"{TS_OUT}/protocol.ts"] = _ts_types(root, bundle, list(contract.commands))
    out[f"{TS_OUT}/contract.ts"] = _ts_contract(contract).encode()
    return out


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def _python_models(bundle: dict[str, Any]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "protocol.schema.json", Path(tmp) / "models.py"
        src.write_bytes(_json(bundle))
        header = "# " + HEADER.format(tool="datamodel-code-generator")
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


def _python_catalog(contract: Contract) -> str:
    header = "# " + HEADER.format(tool=TOOL)
    lines = [
        header,
        '"""Lookup tables and constants of the protocol, generated with the models."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "from pydantic import BaseModel",
        "",
        "from . import models",
        "",
        "__all__ = [",
        '    "BROADCAST_EVENT_TYPES",',
        '    "COMMAND_ID_PATTERN",',
        '    "COMMAND_MODELS",',
        '    "EVENT_MODELS",',
        '    "PROTOCOL_VERSION",',
        '    "RESULT_MODELS",',
        '    "SCHEMA_HASH",',
        '    "SUBPROTOCOL",',
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
        "# Command type -> model of its result, for the commands that return one",
        "# (schema/results/<type>.json): the command_ack's `result` is validated against it.",
        "RESULT_MODELS: Final[dict[str, type[BaseModel]]] = {",
        *(f'    "{w}": models.{t},' for w, t in contract.results.items()),
        "}",
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
    ]
    return "\n".join(lines)


def _public_names(module: bytes) -> list[str]:
    """The names a generated module defines at its top level (classes and aliases)."""
    names: set[str] = set()
    for node in ast.parse(module).body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return sorted(n for n in names if not n.startswith("_"))


def _python_init(catalog: list[str], models: list[str]) -> bytes:
    def imports(module: str, names: list[str]) -> list[str]:
        return [f"from .{module} import (", *(f"    {n}," for n in names), ")"]

    lines = [
        "# " + HEADER.format(tool=TOOL),
        '"""The spine-ws protocol: generated models, lookup tables and constants."""',
        "",
        *imports("catalog", catalog),
        *imports("models", models),
        "",
        "__all__ = [",
        *(f'    "{n}",' for n in sorted({*catalog, *models})),
        "]",
        "",
    ]
    return "\n".join(lines).encode()


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
    the command types (a server only names commands it knows).
    """

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node and len(node) > 1:
                rest = {k: walk(v) for k, v in node.items() if k != "$ref"}
                return {"tsType": node["$ref"].rsplit("/", 1)[1], **rest}
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


def _ts_types(root: Path, bundle: dict[str, Any], commands: list[str]) -> bytes:
    header = "// " + HEADER.format(tool="json-schema-to-typescript")
    result = subprocess.run(
        ["node", "scripts/gen-types.mjs", header],
        input=_json(_ts_bundle(bundle, commands)),
        capture_output=True,
        check=True,
        cwd=root / "clients/ts",
    )
    return result.stdout


def _ts_contract(contract: Contract) -> str:
    def tuple_of(items: list[str]) -> str:
        return "[\n" + "".join(f'  "{i}",\n' for i in items) + "] as const"

    results = sorted(contract.results.items())
    imported = sorted({"Command", "ServerEvent", *(t for _, t in results)})
    result_types = [
        f'import type {{ {", ".join(imported)} }} from "./protocol.js";',
        "",
        "/** The result type of each command that returns one (schema/results/<type>.json). */",
        "export type CommandResults = {",
        *(f"  {w}: {t};" for w, t in results),
        "};",
        "/** What `command_ack.result` holds for a command of type T (undefined: no result). */",
        "export type ResultOf<T extends string> = T extends keyof CommandResults",
        "  ? CommandResults[T]",
        "  : undefined;",
    ]
    return "\n".join(
        [
            "// " + HEADER.format(tool=TOOL),
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
            "/** This contract's identity: `SpineClient`'s `contract` option checks the server's. */",
            "export const CONTRACT = {",
            "  protocolVersion: PROTOCOL_VERSION,",
            "  schemaHash: SCHEMA_HASH,",
            "} as const;",
            "",
        ]
    )


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
    channel_messages: dict[str, Any] = {}
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
            channel_messages[wire] = {"$ref": f"#/components/messages/{wire}"}

    def ref(wire: str) -> dict[str, str]:
        return {"$ref": f"#/channels/ws/messages/{wire}"}

    channel = {"$ref": "#/channels/ws"}
    operations: dict[str, Any] = {}
    for wire in contract.commands:
        operations[f"receive_{wire}"] = {
            "action": "receive",
            "channel": channel,
            "summary": f"A client sends `{wire}`; exactly one reply follows.",
            "messages": [ref(wire)],
            "reply": {"channel": channel, "messages": [ref("command_ack"), ref("error")]},
        }
    for wire in contract.events:
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
            }
        },
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _generated_files(root: Path) -> set[str]:
    found: set[str] = set()
    for folder in (PY_ROOT, TS_OUT):
        for path in (root / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                found.add(path.relative_to(root).as_posix())
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the tree is not current")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    files = render(root, load_contract(root / "schema"))
    stale = sorted(_generated_files(root) - set(files))
    if args.check:
        changed = sorted(
            p
            for p, body in files.items()
            if not (root / p).is_file() or (root / p).read_bytes() != body
        )
        if changed or stale:
            for path in changed:
                print(f"out of date: {path}", file=sys.stderr)
            for path in stale:
                print(f"stale (no schema generates it): {path}", file=sys.stderr)
            print(
                "generated code differs from schema/: run `make gen` and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"generated code is current ({len(files)} files)")
        return 0
    for path in stale:
        (root / path).unlink()
    for path, body in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(body)
    print(f"generated {len(files)} files from schema/ (removed {len(stale)} stale)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
