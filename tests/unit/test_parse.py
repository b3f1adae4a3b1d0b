"""parse_command: text frame -> validated model or the one error to reply, without sockets."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from pydantic import MISSING, BaseModel

from spine_ws.core.parse import Limits, ParseFailure, parse_command
from spine_ws.generated import COMMAND_MODELS, AddAgentCommand, StartCommand

DEFAULT = Limits()


Models = Mapping[str, type[BaseModel]]


@pytest.fixture(scope="module")
def models() -> Models:
    """Every command schema's model: the table the hub parses with."""
    return COMMAND_MODELS


def failure(text: str, models: Models, limits: Limits = DEFAULT) -> ParseFailure:
    with pytest.raises(ParseFailure) as caught:
        parse_command(text, limits, models)
    return caught.value


def test_a_valid_command_becomes_its_generated_model(models: Models) -> None:
    """The `type` picks the model; absent optional members stay absent."""
    command = parse_command('{"type": "start", "id": "a1"}', models=models)
    assert isinstance(command, StartCommand)
    assert command.model_dump(exclude_unset=True) == {"type": "start", "id": "a1"}


def test_an_absent_optional_member_is_missing_and_null_is_refused(models: Models) -> None:
    """Pinned for simulation authors (docs/plugins.md, the plug-in contract): absent is the
    `MISSING` sentinel, which is truthy (test `is MISSING`), and `null` is not a value."""
    command = parse_command('{"type": "start"}', models=models)
    assert isinstance(command, StartCommand)
    assert command.tick_rate is MISSING and bool(MISSING)
    refused = failure('{"type": "start", "tick_rate": null}', models)
    assert refused.error.code == "invalid_message"


@pytest.mark.parametrize(
    "text", ["{", "", "[1,]", '{"type": "start"} trailing', "NaN", '{"x": Infinity}', "1e400"]
)
def test_text_that_is_not_strict_json_is_invalid_json(text: str, models: Models) -> None:
    """Broken JSON, NaN, Infinity and numbers overflowing to infinity are invalid_json."""
    assert failure(text, models).error.code == "invalid_json"


@pytest.mark.parametrize("text", ["[]", '"start"', "3", "null", "true"])
def test_json_that_is_not_an_object_is_an_invalid_message(text: str, models: Models) -> None:
    """A command is an object; anything else points at the root."""
    error = failure(text, models).error
    assert error.code == "invalid_message"
    assert [d.path for d in error.details] == [""]


def test_a_missing_type_is_an_invalid_message_that_echoes_the_id(models: Models) -> None:
    """Without a string `type` nothing can be dispatched, but the id still comes back."""
    caught = failure('{"id": "x7", "type": 5}', models)
    assert caught.error.code == "invalid_message"
    assert caught.command_id == "x7"
    assert caught.command_type is None


def test_an_unknown_type_names_the_known_ones(models: Models) -> None:
    """unknown_command, without a command_type (the type is not a command's)."""
    caught = failure('{"type": "warp", "id": "w"}', models)
    assert caught.error.code == "unknown_command"
    assert "add_agent" in caught.error.message and "stop" in caught.error.message
    assert (caught.command_id, caught.command_type) == ("w", None)


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ({"type": "start", "tick_rate": "30"}, "/tick_rate"),
        ({"type": "start", "tick_rate": True}, "/tick_rate"),
        ({"type": "start", "tick_rate": None}, "/tick_rate"),
        ({"type": "start", "tick_rate": 100.5}, "/tick_rate"),
        ({"type": "stop", "extra": 1}, "/extra"),
        ({"type": "delete_agent"}, "/agent_id"),
        ({"type": "add_agent", "agent_id": "a b", "agent_kind": "k"}, "/agent_id"),
        ({"type": "modify_agent", "agent_id": "a", "agent_data": {}}, "/agent_data"),
    ],
)
def test_schema_violations_point_at_the_member(
    message: dict[str, object], path: str, models: Models
) -> None:
    """No coercion ("30", true), null is not absent, ranges hold; details use JSON Pointers."""
    caught = failure(json.dumps({"id": "c", **message}), models)
    assert caught.error.code == "invalid_message"
    assert path in [d.path for d in caught.error.details]
    assert (caught.command_id, caught.command_type) == ("c", message["type"])


def test_pointer_escapes_slash_and_tilde(models: Models) -> None:
    """A member named "a/b~" is reported as /a~1b~0 (RFC 6901)."""
    caught = failure('{"type": "stop", "a/b~": 1}', models)
    assert [d.path for d in caught.error.details] == ["/a~1b~0"]


@pytest.mark.parametrize("bad_id", ["x\n", "", "a" * 65, "spa ce", 7])
def test_an_id_that_breaks_its_pattern_is_not_echoed(bad_id: object, models: Models) -> None:
    """Only a valid command_id is echoed: the reply itself must validate."""
    caught = failure(json.dumps({"type": "start", "id": bad_id}), models)
    assert caught.error.code == "invalid_message"
    assert caught.command_id is None


def test_free_form_data_keeps_any_json(models: Models) -> None:
    """agent_data is any object: nested values survive untouched."""
    data = {"x": 1.5, "tags": ["a", {"b": None}], "ok": True}
    command = parse_command(
        json.dumps({"type": "add_agent", "agent_id": "a", "agent_kind": "k", "agent_data": data}),
        models=models,
    )
    assert isinstance(command, AddAgentCommand)
    assert command.agent_data == data


def test_nesting_deeper_than_the_limit_is_refused(models: Models) -> None:
    """Depth is checked before validation."""
    nested = '{"type": "stop", "x": ' + "[" * 40 + "]" * 40 + "}"
    error = failure(nested, models, Limits(max_depth=32)).error
    assert error.code == "invalid_message"
    assert "deeper than 32" in error.message


def test_too_many_members_are_refused(models: Models) -> None:
    """The member count bounds the work validation may do."""
    text = json.dumps({"type": "stop", "x": list(range(100))})
    error = failure(text, models, Limits(max_members=50)).error
    assert "more than 50" in error.message


def test_ten_thousand_levels_are_too_deep_not_a_crash(models: Models) -> None:
    """Past orjson's own depth limit too, the reply is invalid_message, not a RecursionError."""
    for depth in (33, 1_000, 10_000):
        error = failure("[" * depth + "]" * depth, models).error
        assert error.code == "invalid_message", depth
        assert "deeper than 32" in error.message


def test_a_structural_refusal_keeps_the_command_id(models: Models) -> None:
    """Too deep or too many members: the top-level id is still echoed."""
    nested = '{"type": "stop", "id": "deep1", "x": ' + "[" * 40 + "]" * 40 + "}"
    caught = failure(nested, models, Limits(max_depth=32))
    assert caught.error.code == "invalid_message" and caught.command_id == "deep1"
    wide = json.dumps({"type": "stop", "id": "wide1", "x": list(range(50))})
    caught = failure(wide, models, Limits(max_members=10))
    assert caught.command_id == "wide1"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (2**53, "/agent_data/n"),
        (-(2**53), "/agent_data/n"),
        (2**64, "/agent_data/n"),
        (10**40, "/agent_data/n"),
    ],
)
def test_an_integer_a_javascript_client_cannot_hold_is_refused(
    value: int, path: str, models: Models
) -> None:
    """Never turned into a float in silence: invalid_message naming where it is."""
    text = json.dumps(
        {"type": "modify_agent", "id": "m", "agent_id": "a", "agent_data": {"n": value}}
    )
    caught = failure(text, models)
    assert caught.error.code == "invalid_message" and caught.command_id == "m"
    assert [d.path for d in caught.error.details] == [path]


def test_safe_integers_and_long_digit_strings_pass(models: Models) -> None:
    """2^53-1 is exact everywhere; digits inside a string are a string."""
    data = {"n": 2**53 - 1, "m": -(2**53 - 1), "s": "12345678901234567890", "f": 1e300}
    text = json.dumps({"type": "modify_agent", "agent_id": "a", "agent_data": data})
    command = parse_command(text, models=models)
    assert isinstance(command, BaseModel) and command.agent_data == data  # type: ignore[attr-defined]
