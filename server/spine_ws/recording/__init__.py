"""Recordings: every epoch written to MCAP files as it is broadcast (`writer`), and read
back (`reader`) to play to each connection on its own (`player`, `replay`)."""

from spine_ws.recording.writer import CHECKPOINT_TOPIC, Recorder

__all__ = ["CHECKPOINT_TOPIC", "Recorder"]
