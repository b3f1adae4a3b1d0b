"""Beyond one process: a simulation host and gateways, over NATS JetStream (`--nats`).

    simulation host ──publish──▶ JetStream stream SPINE_<cluster>  ──ordered consumer──▶ gateway
        (hub, seq)   ◀─request/reply── spine.<cluster>.commands ◀──── validated commands ─┘
              └──put──▶ key-value bucket spine_<cluster>: `host` (epoch, where it starts)

The host stamps `seq` as a single process does and appends every broadcast frame to the
stream; each gateway relays the stream's frames to its own clients unchanged (same
bytes, same seq, same epoch) and forwards their commands. Names derive from
`--cluster-name`, so several clusters can share one NATS server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Cluster"]

_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class Cluster:
    """The NATS names of one cluster."""

    name: str

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(
                f"--cluster-name {self.name!r}: 1-32 letters, digits, '_' or '-' (it names "
                "a JetStream stream and NATS subjects)"
            )

    @property
    def stream(self) -> str:
        return f"SPINE_{self.name}"

    @property
    def events(self) -> str:
        return f"spine.{self.name}.events"

    @property
    def commands(self) -> str:
        return f"spine.{self.name}.commands"

    @property
    def bucket(self) -> str:
        return f"spine_{self.name}"
