"""The `jsonrpc` profile: the protocol as JSON-RPC 2.0 (jsonrpc.org/specification). Sans-I/O.

The core speaks `spine` inside; this module translates at the connection's edge:

* a request `{"jsonrpc": "2.0", "method": <command type>, "params": {...}, "id": ...}`
  becomes the command `{"id": <ours>, "type": <method>, ...params}`; its one reply
  becomes `{"jsonrpc": "2.0", "result": <the command's result or null>, "id": ...}` or
  `{"jsonrpc": "2.0", "error": {"code", "message", "data"}, "id": ...}`;
* a request without `id` is a notification: applied, never answered;
* a batch (an array) is applied member by member in array order, each as if sent
  alone, and answered with one array of the members' responses in that order (nothing
  for an all-notification batch);
* every event is a notification `{"jsonrpc": "2.0", "method": <event type>, "params":
  {..., "seq": N}}`, encoded once per burst for every client of this profile
  (`encode_event`); a `batch` frame (for a client that subscribed with `batch: true`)
  becomes an array of them.

Errors: -32700 for JSON that does not parse (with `id: null`), -32600 for a message
that is not a request (echoing its `id` when that is a string or a number), -32601 for
a method the server does not have (`unknown_command`) or the simulation does not
handle (`unsupported_command`), -32602 for params the schema refuses (`invalid_message`),
and -32000 for every other spine-ws error. `data` always holds the spine-ws `code` and,
where the spine error has them, its `details`, whose JSON pointers point into the
message as it was sent (`/params/agent_id`, `/2/params/agent_id` in a batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "SERVER_ERROR",
    "Decoded",
    "JsonRpcSession",
    "encode_event",
]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# The first of the implementation-defined server errors (-32000 to -32099).
SERVER_ERROR = -32000

_CODES = {
    "invalid_json": PARSE_ERROR,
    "unknown_command": METHOD_NOT_FOUND,
    "unsupported_command": METHOD_NOT_FOUND,
    "invalid_message": INVALID_PARAMS,
}
_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
}
# What the spine command has that params must not: the envelope's own members.
_RESERVED = ("type", "id")
# Replies this module made start so; spine frames never do (see `JsonRpcSession.frame`).
_ENCODED = (b'{"jsonrpc"', b"[")

Id = str | int | float | None


def encode_event(frame: bytes) -> bytes:
    """A spine event frame (or `batch` frame) as a notification (or an array of them)."""
    return orjson.dumps(_notification(orjson.loads(frame)))


def _notification(event: dict[str, Any]) -> Any:
    if event.get("type") == "batch":
        return [_notification(member) for member in event["events"]]
    method = event.pop("type")
    return {"jsonrpc": "2.0", "method": method, "params": event}


@dataclass
class Decoded:
    """What one text frame asks: spine commands to submit, in order, and a response to
    send at once (a parse error, a request refused before it reached the core, or a
    batch none of whose members reached it)."""

    commands: list[str] = field(default_factory=list)
    response: bytes | None = None


@dataclass
class _Batch:
    """One batch's responses, a slot per member (None: a notification's)."""

    responses: list[Any]
    waiting: int = 0


@dataclass
class _Request:
    id: Id
    notification: bool
    pointer: str  # where the request is in the frame as sent: "" or "/<index>"
    batch: _Batch | None = None
    slot: int = 0


class JsonRpcSession:
    """One connection's side of the profile: the requests it still owes a response."""

    encoding = "jsonrpc"
    binary = False

    def __init__(self) -> None:
        self._next = 0
        self._pending: dict[str, _Request] = {}

    def decode(self, text: str) -> Decoded:
        """A text frame as the spine commands it asks for."""
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            error = _error(PARSE_ERROR, None, {"code": "invalid_json", "message": str(exc)})
            return Decoded(response=orjson.dumps(error))
        if not isinstance(message, list):
            decoded = Decoded()
            response = self._request(message, "", None, 0, decoded)
            if response is not None:
                decoded.response = orjson.dumps(response)
            return decoded
        if not message:
            return Decoded(response=orjson.dumps(_invalid(None, "", "an empty batch")))
        batch = _Batch([None] * len(message))
        decoded = Decoded()
        for index, member in enumerate(message):
            batch.responses[index] = self._request(member, f"/{index}", batch, index, decoded)
        if batch.waiting == 0:
            decoded.response = _batch_response(batch)
        return decoded

    def _request(
        self, message: Any, pointer: str, batch: _Batch | None, slot: int, decoded: Decoded
    ) -> Any:
        """Queue one request's command (None), or the response that refuses it now."""
        if not isinstance(message, dict):
            return _invalid(None, pointer, "a request is a JSON object")
        request_id = message.get("id")
        if message.get("jsonrpc") != "2.0":
            return _invalid(request_id, pointer + "/jsonrpc", 'jsonrpc must be "2.0"')
        method = message.get("method")
        if not isinstance(method, str):
            return _invalid(request_id, pointer + "/method", "method must be a string")
        if "id" in message and not isinstance(request_id, str | int | float | None):
            return _invalid(None, pointer + "/id", "id must be a string, a number or null")
        if isinstance(request_id, bool):
            return _invalid(None, pointer + "/id", "id must be a string, a number or null")
        extra = sorted(set(message) - {"jsonrpc", "method", "params", "id"})
        if extra:
            return _invalid(request_id, f"{pointer}/{extra[0]}", "not a member of a request")
        params = message.get("params", {})
        refused = _refused_params(params, pointer)
        if refused is not None:
            # A well-formed notification is never answered, even when it fails.
            return None if "id" not in message else _error(INVALID_PARAMS, request_id, refused)
        if method == "cancel" and isinstance(params, dict) and "command_id" in params:
            params = {**params, "command_id": self._ours(params["command_id"])}
        self._next += 1
        ours = f"rpc-{self._next}"
        self._pending[ours] = _Request(request_id, "id" not in message, pointer, batch, slot)
        if batch is not None:
            batch.waiting += 1
        decoded.commands.append(orjson.dumps({"id": ours, "type": method, **params}).decode())
        return None

    def decode_binary(self, data: bytes) -> Decoded:
        """JSON-RPC travels in text frames: a binary one is an Invalid Request."""
        why = "a JSON-RPC request travels in a text frame, not a binary one"
        return Decoded(response=orjson.dumps(_invalid(None, "", why)))

    def command_type(self, message: dict[str, Any]) -> str | None:
        method = message.get("method")
        return method if isinstance(method, str) else None

    def _ours(self, theirs: Any) -> Any:
        """The spine id of the pending request the client knows as `theirs` (for cancel)."""
        for ours, request in self._pending.items():
            if not request.notification and request.id == theirs:
                return ours
        return theirs

    def reply(self, message: bytes) -> bytes | None:
        """The response a spine reply (`command_ack` or `error`) stands for, or None
        (a notification's, or a batch member's while others are outstanding); a
        `progress` is a `progress` notification carrying the request's id."""
        reply = orjson.loads(message)
        if reply["type"] == "progress":  # not the reply: a notification with the request's id
            waiting = self._pending.get(reply.get("command_id", ""))
            if waiting is None or waiting.notification:
                return None
            params = {k: v for k, v in reply.items() if k not in ("type", "command_id")}
            params["id"] = waiting.id
            return orjson.dumps({"jsonrpc": "2.0", "method": "progress", "params": params})
        request = self._pending.pop(reply.get("command_id", ""), None)
        if request is None:  # about a frame no request was read from (a binary one, ...)
            code = PARSE_ERROR if reply.get("code") == "invalid_json" else INVALID_REQUEST
            return orjson.dumps(_error(code, None, _data(reply, "")))
        if reply["type"] == "command_ack":
            response = {"jsonrpc": "2.0", "result": reply.get("result"), "id": request.id}
        else:
            code = _CODES.get(reply["code"], SERVER_ERROR)
            response = _error(code, request.id, _data(reply, request.pointer + "/params"))
            if code != SERVER_ERROR:
                response["error"]["message"] = reply["message"]
        if request.batch is not None:
            batch = request.batch
            batch.responses[request.slot] = None if request.notification else response
            batch.waiting -= 1
            return _batch_response(batch) if batch.waiting == 0 else None
        return None if request.notification else orjson.dumps(response)

    def frame(self, message: bytes) -> bytes:
        """Any other frame for this client (an event, `snapshot`, `resumed`, `skipped`,
        `batch`) as a notification; a response made here passes as it is."""
        if message.startswith(_ENCODED):
            return message
        return encode_event(message)

    def snapshot(self, parts: Sequence[bytes | memoryview]) -> bytes:
        """The snapshot (`parts` joined) as the first notification."""
        return encode_event(b"".join(parts))


def _refused_params(params: Any, pointer: str) -> dict[str, Any] | None:
    """Why params cannot become a command's members (by name only), or None."""
    if not isinstance(params, dict):
        path, why = f"{pointer}/params", "params must be an object (by name)"
    else:
        reserved = [name for name in _RESERVED if name in params]
        if not reserved:
            return None
        path, why = f"{pointer}/params/{reserved[0]}", "not a param of any method"
    return {"code": "invalid_message", "message": why, "details": [{"path": path, "message": why}]}


def _data(reply: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A spine error's `code`, `message` and `details` (pointers into the request's
    params as sent, or into the frame), for a JSON-RPC error's `data`."""
    data: dict[str, Any] = {"code": reply["code"], "message": reply["message"]}
    details = reply.get("details")
    if details:
        data["details"] = [{**detail, "path": _path(prefix, detail["path"])} for detail in details]
    return data


def _path(prefix: str, path: str) -> str:
    if path == "/type":  # the method, as sent
        return prefix.removesuffix("/params") + "/method"
    return prefix + path


def _error(code: int, request_id: Id, data: dict[str, Any]) -> dict[str, Any]:
    message = _MESSAGES.get(code) or str(data.get("message", "Server error"))
    return {
        "jsonrpc": "2.0",
        "error": {"code": code, "message": message, "data": data},
        "id": request_id,
    }


def _invalid(request_id: Any, path: str, why: str) -> dict[str, Any]:
    """-32600; the request's id is echoed when it is a string or a number."""
    echoed = (
        request_id
        if isinstance(request_id, str | int | float) and not isinstance(request_id, bool)
        else None
    )
    data = {"code": "invalid_message", "message": why, "details": [{"path": path, "message": why}]}
    return _error(INVALID_REQUEST, echoed, data)


def _batch_response(batch: _Batch) -> bytes | None:
    responses = [response for response in batch.responses if response is not None]
    return orjson.dumps(responses) if responses else None
