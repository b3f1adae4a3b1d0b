"""Which transport a connection gets, and that `fast` never falls back in silence."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from spine_ws.transport import TransportUnavailable, describe, open_transport
from spine_ws.transport.asgi import AsgiTransport
from spine_ws.transport.fast import FRAGMENT, binary_frame, text_frame


async def _receive() -> dict[str, Any]:
    return {"type": "websocket.connect"}


async def _send(message: Any) -> None:
    """An ASGI send of some other server: not uvicorn's websockets-sansio protocol."""


def _websocket() -> WebSocket:
    return WebSocket({"type": "websocket", "path": "/ws", "headers": []}, _receive, _send)


def test_fast_refuses_a_connection_uvicorns_sansio_protocol_does_not_serve() -> None:
    """Asked for the fast path, another server's connection is an error that says why."""
    with pytest.raises(TransportUnavailable, match="--transport asgi"):
        open_transport("fast", _websocket(), _send)


@pytest.mark.parametrize("mode", ["auto", "asgi"])
def test_auto_and_asgi_take_the_asgi_path_elsewhere(mode: Any) -> None:
    """Outside uvicorn's sansio protocol, auto means asgi."""
    assert isinstance(open_transport(mode, _websocket(), _send), AsgiTransport)


@pytest.mark.parametrize("mode", ["auto", "fast", "asgi"])
def test_the_start_up_line_names_the_transport(mode: Any) -> None:
    """One line for the log, naming the mode."""
    assert describe(mode).startswith(f"/ws transport: {mode} (")


@pytest.mark.parametrize("size", [0, 125, 126, FRAGMENT, FRAGMENT + 1, 3 * FRAGMENT + 7])
def test_a_message_over_a_fragment_goes_as_fragments_of_one_message(size: int) -> None:
    """What the fast path writes for one message, read back with websockets' own frame
    parser: one text frame up to FRAGMENT bytes, else a text frame and continuations of
    at most FRAGMENT each, the last one final, carrying the message byte for byte."""
    payload = bytes(range(97, 123)) * (size // 26) + b"x" * (size % 26)
    reader = StreamReader()
    reader.feed_data(text_frame(payload))
    frames: list[Frame] = []
    while not frames or not frames[-1].fin:
        parser = Frame.parse(reader.read_exact, mask=False)
        with pytest.raises(StopIteration) as parsed:  # every byte is there: no waiting
            next(parser)
        frames.append(parsed.value.value)
    assert b"".join(f.data for f in frames) == payload
    assert [f.opcode for f in frames] == [Opcode.TEXT] + [Opcode.CONT] * (len(frames) - 1)
    assert [f.fin for f in frames] == [False] * (len(frames) - 1) + [True]
    assert all(len(f.data) <= FRAGMENT for f in frames)
    assert len(frames) == max(1, -(-size // FRAGMENT))


def test_a_binary_message_is_binary_frames() -> None:
    """An encoding's binary message: a binary frame, or binary fragments of one message."""
    for size in (10, 3 * FRAGMENT):
        reader = StreamReader()
        reader.feed_data(binary_frame(b"\x81" * size))
        frames: list[Frame] = []
        while not frames or not frames[-1].fin:
            parser = Frame.parse(reader.read_exact, mask=False)
            with pytest.raises(StopIteration) as parsed:
                next(parser)
            frames.append(parsed.value.value)
        assert b"".join(f.data for f in frames) == b"\x81" * size
        assert [f.opcode for f in frames] == [Opcode.BINARY] + [Opcode.CONT] * (len(frames) - 1)
