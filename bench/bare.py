"""The yardstick: a bare `websockets.broadcast` server emitting the benchmark's events.

No validation, no queues, no limits: what plain `websockets` on uvloop does. It speaks
just enough of the protocol for the benchmark: the same ticks and `agent_update` frames as
`bench.sim`, started by the same `modify_agent` control command (answered `command_ack`).
Run: `python -m bench.bare --port 0`; it prints `bare listening on http://HOST:PORT`.
"""

import argparse
import asyncio
import time
from typing import Any

import orjson
import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

clients: set[ServerConnection] = set()
seq = 0


def emit(event: dict[str, Any]) -> None:
    global seq
    seq += 1
    broadcast(clients, orjson.dumps({"type": event.pop("type"), "seq": seq, **event}).decode())


async def publish(rate: float, count: int, run: int) -> None:
    tick_rate = min(60.0, rate)
    period, per_tick, carry, n, tick = 1.0 / tick_rate, rate / tick_rate, 0.0, 0, 0
    loop = asyncio.get_running_loop()
    deadline = loop.time()
    while n < count:
        tick += 1
        emit({"type": "tick_start", "tick": tick})
        carry += per_tick
        while carry >= 1.0 and n < count:
            data = {"r": run, "t": time.time_ns(), "n": n}
            emit({"type": "agent_update", "tick": tick, "agent_id": f"a{n % 100}", "data": data})
            n, carry = n + 1, carry - 1.0
        emit({"type": "tick_end", "tick": tick})
        deadline += period
        now = loop.time()
        if deadline < now - period:  # fell behind: skip ticks, do not burst
            deadline = now
        await asyncio.sleep(deadline - now)


async def handler(websocket: ServerConnection) -> None:
    clients.add(websocket)
    try:
        async for message in websocket:
            command = orjson.loads(message)
            if command.get("agent_id") == "bench":
                asyncio.create_task(publish(**command["agent_data"]))  # noqa: RUF006
            ack = {"type": "command_ack", "command_id": command.get("id"), "tick": 0}
            await websocket.send(orjson.dumps(ack).decode())
    finally:
        clients.discard(websocket)


async def main(host: str, port: int) -> None:
    async with serve(handler, host, port, backlog=2048, compression=None) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"bare listening on http://{host}:{port}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    uvloop.run(main(args.host, args.port))
