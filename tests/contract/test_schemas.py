"""The schema files themselves: valid 2020-12, every `$ref` resolves, house conventions hold."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from spine_ws.codegen.contract import SCHEMA_DIR, Contract, ContractError, load_contract

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FILES = sorted(p.relative_to(SCHEMA_DIR).as_posix() for p in SCHEMA_DIR.rglob("*.json"))
MESSAGE_FILES = [f for f in FILES if f.startswith(("commands/", "events/"))]
BUNDLE = SCHEMA_DIR.parent / "generated/spine_ws/generated/protocol.schema.json"
PASCAL = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*$")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*)?$")


def _load(path: str) -> dict[str, Any]:
    doc = json.loads((SCHEMA_DIR / path).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _subschemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in a file (the root, properties, items, …) with its JSON Pointer."""
    if not isinstance(node, dict):
        return
    yield pointer, node
    for key in ("properties", "$defs", "patternProperties"):
        for name, sub in node.get(key, {}).items():
            yield from _subschemas(sub, f"{pointer}/{key}/{name}")
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        yield from _subschemas(node.get(key), f"{pointer}/{key}")
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for n, sub in enumerate(node.get(key, [])):
            yield from _subschemas(sub, f"{pointer}/{key}/{n}")


def _is_object_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema


def test_schema_tree_is_not_empty() -> None:
    """schema/ holds commands, events, defs and results, so the parametrized tests run."""
    assert {f.split("/")[0] for f in FILES} == {"commands", "defs", "events", "results"}


@pytest.mark.parametrize("path", FILES)
def test_schema_is_valid_2020_12(path: str) -> None:
    """Each schema file declares draft 2020-12 and validates against its meta-schema."""
    doc = _load(path)
    assert doc.get("$schema") == DRAFT, f"schema/{path}: $schema must be {DRAFT}"
    Draft202012Validator.check_schema(doc)


def test_bundle_is_valid_2020_12() -> None:
    """The generated bundle every validator reads is itself a valid 2020-12 schema."""
    Draft202012Validator.check_schema(json.loads(BUNDLE.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", FILES)
def test_every_ref_resolves(path: str) -> None:
    """Each `$ref` is a relative path to an existing file under schema/."""
    refs = [(f, ref) for f, ref in load_contract().refs() if f == path]
    for _, ref in refs:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), ref))
        assert (SCHEMA_DIR / target).is_file(), f"schema/{path}: $ref {ref!r} is dangling"


def test_dangling_ref_fails_naming_the_file(tmp_path: Path) -> None:
    """load_contract refuses a `$ref` to a missing file and names the file that has it."""
    root = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, root)
    doc = json.loads((root / "commands/start.json").read_text(encoding="utf-8"))
    doc["properties"]["tick_rate"]["$ref"] = "../defs/no_such_def.json"
    (root / "commands/start.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ContractError, match=r"schema/commands/start\.json.*no_such_def\.json"):
        load_contract(root)


@pytest.mark.parametrize("path", MESSAGE_FILES)
def test_message_file_is_named_for_its_type(path: str) -> None:
    """A message's file name is its wire `type` const, in snake_case (`<domain>.<action>`
    allowed: the playback commands)."""
    wire = posixpath.splitext(posixpath.basename(path))[0]
    doc = _load(path)
    assert SNAKE.match(wire), f"schema/{path}: file name must be snake_case or <domain>.<action>"
    assert doc["properties"]["type"].get("const") == wire, (
        f"schema/{path}: properties.type.const must be {wire!r}"
    )
    assert "type" in doc.get("required", []), f"schema/{path}: `type` must be required"


@pytest.mark.parametrize("path", FILES)
def test_title_is_pascal_case_with_role(path: str) -> None:
    """Titles are PascalCase; commands end in Command, events in Event, defs in neither."""
    title = _load(path).get("title")
    assert isinstance(title, str), f"schema/{path} has no title"
    assert PASCAL.match(title), f"schema/{path}: title {title!r} is not PascalCase"
    folder = path.split("/")[0]
    if folder == "commands":
        assert title.endswith("Command"), f"schema/{path}: title must end in Command"
    elif folder == "events":
        assert title.endswith("Event"), f"schema/{path}: title must end in Event"
    else:
        assert not title.endswith(("Command", "Event")), (
            f"schema/{path}: a shared definition's title must not claim a message role"
        )


# Open on purpose: a batch carries events of every type, an extension's too; each one is
# described (and validated by a strict reader) by its own event schema.
OPEN = {"defs/batch_member.json": ""}


@pytest.mark.parametrize("path", FILES)
def test_object_schemas_are_closed_and_explicit(path: str) -> None:
    """Objects with properties forbid extra members and list `required`; free-form ones say so.

    A bare `{"type": "object"}` would generate an empty model that silently drops the
    payload, so a free-form object must spell out `additionalProperties: {}`.
    """
    problems = []
    for pointer, schema in _subschemas(_load(path)):
        if not _is_object_schema(schema):
            continue
        where = f"schema/{path}#{pointer}"
        if "properties" in schema:
            if schema.get("additionalProperties") is not False and OPEN.get(path) != pointer:
                problems.append(f"{where}: needs additionalProperties: false")
            required = schema.get("required")
            if not isinstance(required, list):
                problems.append(f"{where}: needs an explicit required list")
            elif unknown := sorted(set(required) - set(schema["properties"])):
                problems.append(f"{where}: required names unknown properties {unknown}")
        elif "additionalProperties" not in schema:
            problems.append(f"{where}: free-form object needs additionalProperties: {{}}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FILES)
def test_every_schema_and_property_is_described(path: str) -> None:
    """The file's schema and every property carry a non-empty `description` (docs, TSDoc)."""
    doc = _load(path)
    missing = [] if str(doc.get("description", "")).strip() else ["#"]
    for pointer, schema in _subschemas(doc):
        for name, prop in schema.get("properties", {}).items():
            if not str(prop.get("description", "")).strip():
                missing.append(f"#{pointer}/properties/{name}")
    assert not missing, f"schema/{path}: no description at {missing}"


def _rewrite(root: Path, transform: Any) -> None:
    for path in root.rglob("*.json"):
        path.write_text(transform(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")


def _reversed_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _reversed_keys(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reversed_keys(v) for v in node]
    return node


def test_schema_hash_ignores_key_order_and_whitespace(tmp_path: Path) -> None:
    """Reordering keys and reformatting every file leaves schema_hash unchanged."""
    root = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, root)
    before = load_contract(root).schema_hash
    _rewrite(root, lambda doc: json.dumps(_reversed_keys(doc), indent=7) + "\n\n")
    after = load_contract(root)
    assert next(iter(after.files["commands/start.json"])) != "$schema"  # really reordered
    assert after.schema_hash == before == load_contract().schema_hash


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(("commands/start.json", "description", "changed"), id="description"),
        pytest.param(("defs/tick_rate.json", "maximum", 1000), id="constraint"),
    ],
)
def test_schema_hash_changes_with_content(tmp_path: Path, edit: tuple[str, str, Any]) -> None:
    """Any change of content, even a description, changes schema_hash."""
    path, key, value = edit
    root = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, root)
    before = load_contract(root).schema_hash
    doc = json.loads((root / path).read_text(encoding="utf-8"))
    doc[key] = value
    (root / path).write_text(json.dumps(doc), encoding="utf-8")
    assert load_contract(root).schema_hash != before


def test_schema_hash_covers_file_names() -> None:
    """The same content under another file name gives another schema_hash."""
    contract = load_contract()
    files = dict(contract.files)
    files["defs/sequence.json"] = files.pop("defs/seq.json")
    moved = Contract(files=files, commands=contract.commands, events=contract.events)
    assert moved.schema_hash != contract.schema_hash
