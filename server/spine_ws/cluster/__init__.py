"""Beyond one process: a simulation host and gateways, over NATS JetStream (`--nats`).

    simulation host ──publish──▶ JetStream stream SPINE_<cluster>  ──ordered consumer──▶ gateway
        (hub, seq)   ◀─request/reply── spine.<cluster>.commands ◀──── validated commands ─┘
              ├──put──▶ key-value spine_<cluster>: `host` (the epoch, where its log starts)
              ├──hold─▶ key-value spine_<cluster>_lease: `host` (one live host, a TTL)
              └──put──▶ object store spine_<cluster>_checkpoints: the world every few s

The host stamps `seq` as a single process does and appends every broadcast frame to the
stream; each gateway relays the stream's frames to its own clients unchanged (same
bytes, same seq, same epoch) and forwards their commands. Names derive from
`--cluster-name`, so several clusters can share one NATS server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Cluster", "ClusterError", "shown"]

_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


class ClusterError(ValueError):
    """This process cannot take its place in the cluster (the message says why): NATS
    is unreachable, or the cluster already has a simulation host."""


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
        """Key-value: `host`, the announcement of the current epoch."""
        return f"spine_{self.name}"

    @property
    def lease(self) -> str:
        """Key-value with a TTL: `host`, held (and refreshed) by the one live host."""
        return f"spine_{self.name}_lease"

    @property
    def checkpoints(self) -> str:
        """Object store: `checkpoint`, the world at a seq (a snapshot without its id)."""
        return f"spine_{self.name}_checkpoints"


def shown(url: str) -> str:
    """A NATS URL as logs show it: without the user and password it may carry."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    return parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host).geturl()
