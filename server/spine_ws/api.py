"""The HTTP side: `/health`, `/metrics` and the contract (`/schemas`, `/asyncapi`)."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from spine_ws import resources
from spine_ws.core.catalog import Catalog
from spine_ws.core.history import HistoryStats
from spine_ws.generated import SimulationInfo
from spine_ws.metrics import CONTENT_TYPE

__all__ = ["ClusterInfo", "Health", "HistoryInfo", "NotFound", "SchemaIndex", "router"]

router = APIRouter()


class Health(BaseModel):
    """The server is up; how its simulation is, what it runs, how many clients it serves.

    `status` is `ok`, `busy` (the simulation is at work on a long-running command: `detail`
    names it, its age and progress; HTTP 200), `stalled` (the simulation has taken no
    command and started no tick for a while although there is work; its commands stay
    queued), `failed` (the
    simulation is gone: every command gets an error; HTTP 503) or `catching_up` (a
    cluster gateway still relaying the stream up to where it was when the gateway
    started: `/ws` refuses clients (1013) until it is current; HTTP 503).
    """

    status: Literal["ok", "busy", "stalled", "failed", "catching_up"]
    detail: str | None = Field(None, description="Why the status is not ok.")
    oldest_command_age: float | None = Field(
        None, description="Seconds the oldest queued command has waited, if any waits."
    )
    connections: int = Field(ge=0, description="Open WebSocket connections.")
    simulation: SimulationInfo
    protocol_version: str
    schema_hash: str
    seq: int = Field(ge=0, description="Last broadcast event sequence number.")
    commands: list[str] = Field(description="The command types the simulation handles.")
    epoch: str = Field(description="Identifies this server run.")
    history: HistoryInfo
    cluster: ClusterInfo | None = None


class HistoryInfo(BaseModel):
    """The broadcast events held for resumes (`/ws?resume=<epoch>:<seq>`)."""

    first_seq: int = Field(ge=0, description="Oldest event held (0: none held).")
    last_seq: int = Field(ge=0, description="Newest event held (0: none held).")
    events: int = Field(ge=0, description="Events held.")
    bytes: int = Field(ge=0, description="Bytes of their frames.")


class ClusterInfo(BaseModel):
    """This process's place in a cluster over NATS (absent: a single process)."""

    role: Literal["host", "gateway"]
    name: str = Field(description="The cluster's name (--cluster-name).")
    nats: str = Field(description="The NATS connection: connected, reconnecting, ...")
    last_seq: int = Field(ge=0, description="The last broadcast event delivered here.")
    lag: int = Field(
        ge=0,
        description="Host: events not yet stored in the stream. Gateway: events in the "
        "stream not yet relayed here.",
    )


class SchemaIndex(BaseModel):
    """Every schema file, with the path to fetch it at."""

    protocol_version: str
    schema_hash: str
    schemas: list[str] = Field(description="Paths relative to /schemas/.")


class NotFound(BaseModel):
    """Nothing at that path; `detail` says where to look instead."""

    detail: str = Field(description="What was not found, for humans.")


# HEAD too, for load balancers; left out of the OpenAPI document, where it would only
# repeat the GET operation.
@router.head("/health", include_in_schema=False)
@router.get(
    "/health",
    response_model=Health,
    responses={
        503: {
            "model": Health,
            "description": "The simulation has failed, or a gateway is still catching up.",
        }
    },
)
async def health(request: Request, response: Response) -> Health:
    # async: on the loop, where the hub lives (the watchdog may act on what it finds).
    runtime = request.app.state.spine
    hub = runtime.hub
    verdict = runtime.watchdog.check()
    status, detail = verdict.status, verdict.detail
    link = runtime.cluster
    if status == "ok" and link is not None and not link.ready:
        status, detail = "catching_up", f"relaying the cluster's stream: {link.lag()} events behind"
    if status in ("failed", "catching_up"):
        response.status_code = 503
    return Health(
        status=status,
        detail=detail,
        oldest_command_age=verdict.oldest_command_age,
        connections=len(hub.connections),
        simulation=hub.mirror.simulation,
        protocol_version=hub.catalog.protocol_version,
        schema_hash=hub.catalog.schema_hash,
        seq=hub.seq,
        epoch=hub.epoch,
        commands=hub.supported,
        history=_history(hub.history.stats(time.monotonic())),
        cluster=_cluster(runtime),
    )


def _cluster(runtime: Any) -> ClusterInfo | None:
    link = runtime.cluster
    if link is None:
        return None
    return ClusterInfo(
        role=link.role,
        name=runtime.settings.cluster_name,
        nats=link.state,
        last_seq=runtime.hub.seq,
        lag=link.lag(),
    )


def _history(stats: HistoryStats) -> HistoryInfo:
    return HistoryInfo(
        first_seq=stats.first, last_seq=stats.last, events=stats.events, bytes=stats.bytes
    )


def _catalog(request: Request) -> Catalog:
    """The contract the running simulation speaks (the core's, or its own)."""
    catalog: Catalog = request.app.state.spine.hub.catalog
    return catalog


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."},
        401: {"description": "The server has tokens and none (or a wrong one) was sent."},
    },
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics. A server with tokens wants one (any role) as
    `Authorization: Bearer <token>`; one without tokens listens on loopback only."""
    # `async`, so FastAPI runs it on the event loop: the collector walks the hub's
    # connections and trims the history, which the loop changes (a plain `def` would
    # run in a worker thread, racing it).
    runtime = request.app.state.spine
    tokens = runtime.access.tokens
    if tokens:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or tokens.role_of(presented.strip()) is None:
            return PlainTextResponse(
                "a token is required: Authorization: Bearer <token>\n",
                401,
                {"www-authenticate": 'Bearer realm="spine-ws"'},
            )
    return Response(runtime.metrics.page(), media_type=CONTENT_TYPE)


@router.get("/schemas", response_model=SchemaIndex)
def schema_index(request: Request) -> SchemaIndex:
    catalog = _catalog(request)
    return SchemaIndex(
        protocol_version=catalog.protocol_version,
        schema_hash=catalog.schema_hash,
        schemas=sorted(resources.schema_files(catalog)),
    )


@router.get(
    "/schemas/{path:path}",
    responses={404: {"model": NotFound, "description": "No schema file at that path."}},
)
def schema_file(path: str, request: Request) -> dict[str, Any]:
    """One raw JSON Schema file, e.g. `commands/start.json`."""
    files = resources.schema_files(_catalog(request))
    if path not in files:
        raise HTTPException(404, f"no schema {path!r}; see /schemas for the list")
    return files[path]


@router.get("/asyncapi")
def asyncapi(request: Request) -> dict[str, Any]:
    """The generated AsyncAPI 3.0 document of the `/ws` channel."""
    return resources.asyncapi(_catalog(request))
