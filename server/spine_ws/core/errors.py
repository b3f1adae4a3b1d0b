"""The protocol's errors: each one is a reply the client gets, never a closed connection.

ProtocolError                 (abstract: carries `code`, becomes an `error` event)
├── InvalidJson               invalid_json      not JSON, or a non-finite number
├── InvalidMessage            invalid_message   breaks a schema or a structural limit
├── UnknownCommand            unknown_command   no schema for that `type`
├── UnsupportedCommand        unsupported_command   the running simulation does not handle it
├── QueueFull                 queue_full        the simulation is not keeping up
├── InvalidState              invalid_state     not allowed in the current state
├── AgentNotFound             agent_not_found
├── AgentExists               agent_exists
├── Forbidden                 forbidden         this connection's role may not command
├── RateLimited               rate_limited      too many commands from this connection
├── LimitExceeded             limit_exceeded    a configured size or count limit
├── InternalError             internal_error
└── SimulationError           simulation_error  the simulation raised
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from spine_ws.generated import ErrorCode, ErrorDetail, ErrorEvent

__all__ = [
    "AgentExists",
    "AgentNotFound",
    "Busy",
    "Cancelled",
    "Forbidden",
    "InternalError",
    "InvalidJson",
    "InvalidMessage",
    "InvalidState",
    "LimitExceeded",
    "ProtocolError",
    "QueueFull",
    "RateLimited",
    "SimulationError",
    "Unavailable",
    "UnknownCommand",
    "UnsupportedCommand",
]


class ProtocolError(Exception):
    """A failed message or command; `to_event` is the one reply the client gets."""

    code: ClassVar[ErrorCode]

    def __init__(self, message: str, details: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = [ErrorDetail(path=path, message=text) for path, text in details]

    def to_event(
        self, command_id: str | None = None, command_type: str | None = None
    ) -> ErrorEvent:
        # Built in one call so that pydantic validates every member (assignment would not).
        optional: dict[str, Any] = {
            "command_id": command_id,
            "command_type": command_type,
            "details": self.details or None,
        }
        return ErrorEvent(
            code=self.code,
            message=self.message,
            **{k: v for k, v in optional.items() if v is not None},
        )


class InvalidJson(ProtocolError):
    code = "invalid_json"


class InvalidMessage(ProtocolError):
    code = "invalid_message"


class UnknownCommand(ProtocolError):
    code = "unknown_command"


class UnsupportedCommand(ProtocolError):
    code = "unsupported_command"


class QueueFull(ProtocolError):
    code = "queue_full"


class Unavailable(ProtocolError):
    """A cluster gateway could not reach the simulation host in time."""

    code = "unavailable"


class InvalidState(ProtocolError):
    code = "invalid_state"


class AgentNotFound(ProtocolError):
    code = "agent_not_found"


class AgentExists(ProtocolError):
    code = "agent_exists"


class Forbidden(ProtocolError):
    code = "forbidden"


class RateLimited(ProtocolError):
    code = "rate_limited"


class LimitExceeded(ProtocolError):
    code = "limit_exceeded"


class InternalError(ProtocolError):
    code = "internal_error"


class SimulationError(ProtocolError):
    code = "simulation_error"


class Busy(ProtocolError):
    code = "busy"


class Cancelled(ProtocolError):
    code = "cancelled"
