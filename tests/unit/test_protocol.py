"""`server.protocol`'s Inbox and Flag behave like the asyncio.Queue and Event they replace."""

from __future__ import annotations

import asyncio

import pytest

from spine_ws.transport.protocol import Flag, Inbox

pytestmark = pytest.mark.anyio


async def test_inbox_is_fifo_and_wakes_a_waiting_getter() -> None:
    """Items come out in order; a getter waiting on an empty inbox gets the next put."""
    inbox = Inbox()
    assert inbox.empty()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert not inbox.empty()
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    assert inbox.empty()
    getter = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not getter.done()
    inbox.put_nowait(3)
    assert await asyncio.wait_for(getter, 1) == 3


async def test_inbox_getters_share_items_and_survive_cancellation() -> None:
    """Two getters each get one item; a cancelled getter takes nothing."""
    inbox = Inbox()
    cancelled = asyncio.ensure_future(inbox.get())
    first, second = asyncio.ensure_future(inbox.get()), asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    cancelled.cancel()
    inbox.put_nowait("a")
    inbox.put_nowait("b")
    assert sorted(await asyncio.wait_for(asyncio.gather(first, second), 1)) == ["a", "b"]
    assert cancelled.cancelled()
    assert inbox.empty()


async def test_flag_starts_set_and_wakes_waiters_when_set_again() -> None:
    """A set flag returns at once; a cleared one waits until `set`."""
    flag = Flag()
    assert flag.is_set()
    assert await flag.wait()
    flag.clear()
    assert not flag.is_set()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True]
