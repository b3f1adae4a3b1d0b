"""WebSocket close codes the server sends (RFC 6455 §7.4.1), named once.

As starlette's `status.py`: a bare number in endpoint code hides why it closed.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "WS_1000_NORMAL_CLOSURE",
    "WS_1005_NO_STATUS_RECEIVED",
    "WS_1008_POLICY_VIOLATION",
    "WS_1009_MESSAGE_TOO_BIG",
    "WS_1011_INTERNAL_ERROR",
    "WS_1012_SERVICE_RESTART",
    "WS_1013_TRY_AGAIN_LATER",
]

WS_1000_NORMAL_CLOSURE: Final = 1000
# Never sent: what a close frame without a code reads as.
WS_1005_NO_STATUS_RECEIVED: Final = 1005
# A slow consumer: its send queue crossed a limit.
WS_1008_POLICY_VIOLATION: Final = 1008
WS_1009_MESSAGE_TOO_BIG: Final = 1009
WS_1011_INTERNAL_ERROR: Final = 1011
# The server or this address is at its connection limit.
# A cluster gateway's host restarted: reconnect (and get the new epoch's snapshot).
WS_1012_SERVICE_RESTART: Final = 1012
WS_1013_TRY_AGAIN_LATER: Final = 1013
