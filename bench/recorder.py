"""What the recorder costs per frame on the event loop: `Recorder.recorded()` after
bursts of 700 `agent_update` frames (a K=10 fan-out step's burst at 40,000 ev/s), timed
in this process against a real MCAP file."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from spine_ws.core.catalog import CORE
from spine_ws.core.stream import Stream
from spine_ws.recording import Recorder

__all__ = ["per_frame"]

BURST = 700


def per_frame(bursts: int = 300) -> float:
    """Seconds `recorded()` takes per frame, over `bursts` bursts."""
    with tempfile.TemporaryDirectory() as folder:
        stream = Stream(CORE, supported=["start", "stop"], clock=time.monotonic)
        recorder = Recorder(
            Path(folder), stream, CORE, max_bytes=1 << 40, max_seconds=1e9, checkpoint_seconds=1e9
        )
        recorder.start()
        spent = 0.0
        for _ in range(bursts):
            for n in range(BURST):
                body = b'{"type":"agent_update","tick":12,"agent_id":"a%d","data":' % (n % 100)
                seq, frame = stream.next_frame(
                    body + b'{"r":1,"t":%d,"n":%d}}' % (time.time_ns(), n)
                )
                stream.append(seq, frame, None, time.monotonic())
            started = time.perf_counter()
            recorder.recorded()
            spent += time.perf_counter() - started
        recorder.close()
    return spent / (bursts * BURST)
