"""Text frame -> validated command model, or the `ProtocolError` that explains why not.

Sans-I/O: no sockets here, so every rule unit-tests on plain strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from spine_ws.core.errors import InvalidJson, InvalidMessage, UnknownCommand
from spine_ws.generated import COMMAND_ID_PATTERN, COMMAND_MODELS

__all__ = ["Limits", "ParseFailure", "parse_command"]

# fullmatch, not match: `$` alone would also accept a trailing newline.
_COMMAND_ID = re.compile(COMMAND_ID_PATTERN)


@dataclass(frozen=True)
class Limits:
    """Structural limits checked before schema validation (costs stay linear)."""

    max_depth: int = 32
    max_members: int = 10_000


@dataclass
class ParseFailure(Exception):
    """A frame that is not a valid command, with what of it can be echoed back."""

    error: InvalidJson | InvalidMessage | UnknownCommand
    command_id: str | None = None
    command_type: str | None = None


def parse_command(
    text: str,
    limits: Limits = Limits(),
    models: Mapping[str, type[BaseModel]] = COMMAND_MODELS,
) -> BaseModel:
    """Parse and validate one command; raise `ParseFailure` with the error to reply.

    `models` maps each command type to its generated model (every command schema).

    orjson refuses NaN, Infinity and numbers that overflow to infinity, which Python's
    `json` would accept and JSON Schema range checks would let through.
    """
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if exc.msg == "depth limit exceeded":  # orjson stops at 1024 levels, before our limit
            raise ParseFailure(_too_deep(limits)) from None
        raise ParseFailure(InvalidJson(f"not valid JSON: {exc}")) from None
    # The id is read first: every later refusal can echo it (it is a top-level member).
    raw_id = message.get("id") if isinstance(message, dict) else None
    command_id = raw_id if isinstance(raw_id, str) and _COMMAND_ID.fullmatch(raw_id) else None
    if not _small_enough(text, limits):
        try:
            _check_structure(message, limits)
        except ParseFailure as failure:
            failure.command_id = command_id
            raise
    if not isinstance(message, dict):
        raise ParseFailure(
            InvalidMessage(
                f"a command is a JSON object, got {_json_type(message)}",
                [("", "expected an object")],
            )
        )
    wire_type = message.get("type")
    if not isinstance(wire_type, str):
        raise ParseFailure(
            InvalidMessage(
                "a command needs a string member `type`", [("/type", "required string")]
            ),
            command_id,
        )
    model = models.get(wire_type)
    if model is None:
        known = ", ".join(sorted(models))
        raise ParseFailure(
            UnknownCommand(f"unknown command type {wire_type[:64]!r}; known types: {known}"),
            command_id,
        )
    if _LONG_DIGITS.search(text):
        _refuse_unsafe_integers(text, command_id, wire_type)
    try:
        return model.model_validate(message)
    except ValidationError as exc:
        details = [(_pointer(err["loc"]), err["msg"]) for err in exc.errors()]
        raise ParseFailure(
            InvalidMessage(f"{wire_type} does not match its schema", details),
            command_id,
            wire_type,
        ) from None


# JavaScript's Number.MAX_SAFE_INTEGER: the largest integer every JSON client (browsers
# parse JSON numbers into doubles) reads back exactly.
MAX_SAFE_INTEGER = 2**53 - 1
# An integer beyond it has at least 16 digits; shorter texts skip the check.
_LONG_DIGITS = re.compile(r"\d{16,}")


class _Unsafe(int):
    """An integer literal beyond MAX_SAFE_INTEGER, marked while re-parsing."""


def _refuse_unsafe_integers(text: str, command_id: str | None, wire_type: str) -> None:
    """Refuse an integer a JavaScript client could not represent exactly.

    orjson turns integers beyond 64 bits into floats, and a browser turns those beyond
    2^53 into nearby doubles: either would change the value in silence. Python's `json`
    sees each integer literal as written (only texts with a 16-digit run get here).
    """

    def integer(literal: str) -> int:
        value = int(literal)
        return _Unsafe(value) if abs(value) > MAX_SAFE_INTEGER else value

    found = _find_unsafe(json.loads(text, parse_int=integer), "")
    if found is not None:
        path, value = found
        raise ParseFailure(
            InvalidMessage(
                f"the integer {str(value)[:40]} at {path or '/'} is beyond ±(2^53-1), what "
                "every JSON client reads exactly; send it as a string",
                [(path, "integer beyond ±(2^53-1)")],
            ),
            command_id,
            wire_type,
        )


def _find_unsafe(node: Any, path: str) -> tuple[str, int] | None:
    stack: list[tuple[Any, str]] = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _Unsafe):
            return where, int(value)
        if isinstance(value, dict):
            stack.extend((v, f"{where}/{_escape(str(k))}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(value))
    return None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _check_structure(message: Any, limits: Limits) -> None:
    """Refuse nesting deeper than `max_depth` or more than `max_members` values in all.

    Iterative, so a 10,000-level document costs a linear walk and no recursion.
    """
    stack: list[tuple[Any, int]] = [(message, 1)]
    members = 0
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limits.max_depth:
            raise ParseFailure(_too_deep(limits))
        members += len(children)
        if members > limits.max_members:
            raise ParseFailure(
                InvalidMessage(
                    f"JSON has more than {limits.max_members} members and items",
                    [("", "too many members")],
                )
            )
        stack.extend((child, depth + 1) for child in children)


def _too_deep(limits: Limits) -> InvalidMessage:
    return InvalidMessage(f"JSON nested deeper than {limits.max_depth} levels", [("", "too deep")])


def _small_enough(text: str, limits: Limits) -> bool:
    """True if `text` cannot break the structural limits, so the walk can be skipped.

    The walk costs half of parsing a typical command; counting characters is C-fast.
    Every value but the first takes at least two characters (`1,`), so a text of at most
    2 * max_members characters has at most max_members; nesting n deep takes n opening
    brackets (those inside strings only over-count).
    """
    return (
        len(text) <= 2 * limits.max_members
        and text.count("{") + text.count("[") <= limits.max_depth
    )


def _pointer(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a JSON Pointer (RFC 6901)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
