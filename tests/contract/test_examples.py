"""The example messages in `messages/` get the same verdict from every validator.

Each file `messages/{commands,events}/<type>.json` holds `valid` messages and `invalid`
cases (`{"why", "message"}`, or `{"why", "raw"}` for text that is not valid JSON). Every
case is checked, as its own test, by:

- `jsonschema`: Draft 2020-12 against the bundle's `$defs/<Title>`, after strict parsing
  (NaN, Infinity and numbers that overflow to infinity are not JSON and are refused);
- `model`: the generated model for the type, `model_validate_json` on the text;
- `union`: `TypeAdapter(Command | ServerEvent).validate_json`, which must also pick the
  model of the type (the discriminator works);
- `wire` (commands only): `server.parse.parse_command`, the server's own path from a text
  frame to a command, with the registry of the default simulation. It is the verdict a
  client actually gets, so it must match the schema's on every case.

A validator that disagrees with the recorded verdict is a contract bug. The known ones are
described in `KNOWN_DISAGREEMENTS` as rules about a kind of case (never a list of message
names) and run as strict xfails: each stays visible in the run, and the test fails once
the disagreement is fixed so the rule can be removed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pydantic
import pytest
from jsonschema import Draft202012Validator

from spine_ws import generated
from spine_ws.codegen.contract import load_contract
from spine_ws.core.parse import ParseFailure, parse_command

MESSAGES = Path(__file__).parent / "messages"
BUNDLE = Path(__file__).resolve().parents[2] / "generated/spine_ws/generated/protocol.schema.json"
CONTRACT = load_contract()
TABLES = {"commands": CONTRACT.commands, "events": CONTRACT.events}
MODELS = {"commands": generated.COMMAND_MODELS, "events": generated.EVENT_MODELS}
UNIONS: dict[str, Any] = {"commands": generated.Command, "events": generated.ServerEvent}


@dataclass(frozen=True)
class Case:
    """One example message and the verdict the contract gives it."""

    folder: str
    wire: str
    valid: bool
    label: str
    message: Any = None
    raw: str | None = None

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.wire}/{self.label}"

    @property
    def text(self) -> str:
        return self.raw if self.raw is not None else json.dumps(self.message)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def strict_loads(text: str) -> Any:
    """Parse JSON as the wire does: NaN, Infinity and overflow to infinity are refused.

    Python's `json` accepts all three (`1e400` becomes `inf`), and JSON Schema's range
    keywords would then let a non-finite number through inside free-form data.
    """

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    doc = json.loads(text, parse_constant=refuse)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            raise ValueError("number overflows to infinity")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return doc


# Stands for the contract's protocol_version in example files, so that a version bump
# (every new message is one) touches no example.
VERSION_TOKEN = '"<protocol_version>"'


def read_examples(path: Path) -> Any:
    """An example file, its version token replaced by the contract's protocol_version."""
    text = path.read_text(encoding="utf-8")
    return strict_loads(text.replace(VERSION_TOKEN, json.dumps(generated.PROTOCOL_VERSION)))


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(MESSAGES.glob("*/*.json")):
        folder, wire = path.parent.name, path.stem
        doc = read_examples(path)
        for n, message in enumerate(doc.get("valid", [])):
            cases.append(Case(folder, wire, True, f"valid-{n}", message=message))
        for entry in doc.get("invalid", []):
            label = "invalid-" + _slug(entry["why"])
            cases.append(Case(folder, wire, False, label, entry.get("message"), entry.get("raw")))
    return cases


CASES = load_cases()


def _integral_float(value: Any) -> bool:
    """Whether a JSON value holds a number written with a fraction that is whole (1.0)."""
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_integral_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_integral_float(v) for v in value)
    return False


@dataclass(frozen=True)
class Divergence:
    """A kind of case one validator gets wrong, and why: a rule, never a list of names,
    so a new message's examples are judged by the same rules with no edit here."""

    validators: frozenset[str]
    applies: Callable[[Case], bool]
    reason: str


# Each is a strict xfail: it stays visible, and fails once the divergence is fixed.
KNOWN_DISAGREEMENTS: dict[str, Divergence] = {
    "trailing-newline pattern": Divergence(
        frozenset({"jsonschema"}),
        lambda case: not case.valid and case.label.endswith("-pattern-trailing-newline"),
        "jsonschema runs `pattern` with Python's re.search, where `$` also matches before a "
        "final newline; ECMA-262 (ajv) and pydantic's Rust regex do not",
    ),
    "type left out": Divergence(
        frozenset({"model"}),
        lambda case: not case.valid and case.label == "invalid-missing-required-type",
        "the generated model gives `type` a Literal default (--use-one-literal-as-default), "
        "so the per-type model accepts a message without `type`; the union does not",
    ),
    "non-finite free-form data": Divergence(
        frozenset({"model", "union"}),
        lambda case: (
            not case.valid
            and re.fullmatch(
                r"invalid-(nan|infinity|1e400-overflows-to-infinity)-inside-[\w-]+", case.label
            )
            is not None
        ),
        "pydantic's JSON parser accepts NaN/Infinity/1e400 and free-form `Data` "
        "(dict[str, Any]) keeps them; only the wire parser (core/parse.py, orjson) refuses",
    ),
    "integer written 1.0": Divergence(
        frozenset({"model", "union"}),
        lambda case: case.valid and _integral_float(case.message),
        "JSON Schema counts 1.0 as an integer (and JS cannot tell 1.0 from 1), but the "
        "generated StrictInt refuses a JSON number written with a fraction",
    ),
}


def known_disagreement(validator: str, case: Case) -> str | None:
    """Why `validator` is known to get `case` wrong, if it is."""
    for rule in KNOWN_DISAGREEMENTS.values():
        if validator in rule.validators and rule.applies(case):
            return rule.reason
    return None


@cache
def _schema_validator(title: str) -> Draft202012Validator:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    return Draft202012Validator({"$defs": bundle["$defs"], "$ref": f"#/$defs/{title}"})


@cache
def _union_adapter(folder: str) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(UNIONS[folder])


def accepted_by_jsonschema(case: Case) -> bool:
    try:
        doc = strict_loads(case.text)
    except ValueError:
        return False
    return _schema_validator(TABLES[case.folder][case.wire]).is_valid(doc)


def accepted_by_model(case: Case) -> bool:
    try:
        MODELS[case.folder][case.wire].model_validate_json(case.text)
    except pydantic.ValidationError:
        return False
    return True


def accepted_by_union(case: Case) -> bool:
    try:
        parsed = _union_adapter(case.folder).validate_json(case.text)
    except pydantic.ValidationError:
        return False
    return type(parsed) is MODELS[case.folder][case.wire]


def accepted_by_wire(case: Case) -> bool:
    try:
        parsed = parse_command(case.text)
    except ParseFailure:
        return False
    return type(parsed) is MODELS[case.folder][case.wire]


VALIDATORS: dict[str, Callable[[Case], bool]] = {
    "jsonschema": accepted_by_jsonschema,
    "model": accepted_by_model,
    "union": accepted_by_union,
    "wire": accepted_by_wire,
}


def _params() -> Iterator[Any]:
    for case in CASES:
        for name in VALIDATORS:
            if name == "wire" and case.folder != "commands":
                continue  # the server parses commands only; events it builds from models
            reason = known_disagreement(name, case)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(name, case, id=f"{name}:{case.id}", marks=marks)


@pytest.mark.parametrize(("validator", "case"), list(_params()))
def test_verdict(validator: str, case: Case) -> None:
    """Each validator accepts exactly the examples recorded as valid."""
    verdict = VALIDATORS[validator](case)
    expected = "accept" if case.valid else "reject"
    assert verdict == case.valid, f"{validator} does not {expected} {case.text}"


@pytest.mark.parametrize("folder", ["commands", "events"])
def test_every_message_type_has_examples(folder: str) -> None:
    """Every schema'd type has examples: commands >= 3 valid and 3 invalid, events >= 2 valid."""
    need_valid, need_invalid = (3, 3) if folder == "commands" else (2, 1)
    problems = []
    for wire in TABLES[folder]:
        valid = sum(1 for c in CASES if (c.folder, c.wire, c.valid) == (folder, wire, True))
        invalid = sum(1 for c in CASES if (c.folder, c.wire, c.valid) == (folder, wire, False))
        if valid < need_valid or invalid < need_invalid:
            problems.append(
                f"{wire}: {valid} valid / {invalid} invalid examples, need "
                f"{need_valid} / {need_invalid} in tests/contract/messages/{folder}/{wire}.json"
            )
    assert not problems, "\n".join(problems)


def test_no_examples_for_unknown_types() -> None:
    """Every example file is named for a type that has a schema."""
    orphans = sorted(
        f"{c.folder}/{c.wire}.json" for c in CASES if c.wire not in TABLES.get(c.folder, {})
    )
    assert not orphans, f"example files without a schema: {sorted(set(orphans))}"


def test_case_ids_are_unique() -> None:
    """No two invalid cases of one type share a `why`, so every test id names one case."""
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_every_known_disagreement_applies_to_a_case() -> None:
    """Each rule still matches a case, so none outlives what it explains."""
    dead = [name for name, rule in KNOWN_DISAGREEMENTS.items() if not any(map(rule.applies, CASES))]
    assert not dead, dead


def test_strict_loads_refuses_non_finite_numbers() -> None:
    """The jsonschema side's parser refuses NaN, Infinity and 1e400 but keeps 1e308."""
    for text in ("NaN", "[Infinity]", '{"x": -Infinity}', "1e400", '{"a": [-1e400]}'):
        with pytest.raises(ValueError, match=r"not JSON|infinity"):
            strict_loads(text)
    assert strict_loads('{"x": 1e308}') == {"x": 1e308}
