"""Configuration: CLI flags, `SPINE_WS_*` environment variables and a TOML file, one
model for all three. A flag wins over the variable, the variable over the file, the file
over the default (`Settings.load`)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from spine_ws.access import DEFAULT_ORIGINS, Origins, trusted_proxies

__all__ = ["ConfigFileError", "Settings", "Source"]

Source = Literal["flag", "environment", "file", "default"]


class ConfigFileError(ValueError):
    """The config file cannot be read, or names something that is not a setting."""


class Settings(BaseSettings):
    """Every knob of the server, with defaults a real deployment can keep.

    Each field is also the environment variable `SPINE_WS_<NAME>` and the CLI flag
    `--<name-with-dashes>`, except `tokens`: environment only, since a command line is
    visible to every user of the machine.
    """

    model_config = SettingsConfigDict(env_prefix="SPINE_WS_", extra="forbid")

    host: str = Field(
        "127.0.0.1",
        description="address to listen on (beyond loopback only with tokens or --insecure)",
    )
    port: int = Field(8000, ge=0, le=65535, description="port to listen on (0: any free one)")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="least severe log level written"
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="the log on stderr: text lines, or JSON lines (time, level, logger, "
        "message, connection_id, role, address, close_code, ... where they apply)",
    )
    simulation: str | None = Field(
        None, description="module:factory of a simulation to run instead of the default one"
    )
    envelope: Path | None = Field(
        None,
        description="a JSON file declaring a team's own envelope (docs/profiles.md): "
        "served to clients that name no subprotocol, and to those offering "
        "spine.v1.<its name>",
    )
    profile: Literal["spine", "jsonrpc", "msgpack"] = Field(
        "spine",
        description="the envelope of a connection that names no subprotocol: spine (the "
        "protocol's own), jsonrpc (JSON-RPC 2.0) or msgpack (spine in MessagePack, binary "
        "frames); a client offering spine.v1, spine.v1.jsonrpc or spine.v1.msgpack gets "
        "that one whatever this says",
    )
    transport: Literal["auto", "fast", "asgi"] = Field(
        "auto",
        description="how /ws writes frames: fast (uvicorn's TCP transport, what spine-ws serve "
        "uses for auto), asgi (ASGI send, any server), auto (fast when available)",
    )

    # A cluster over NATS JetStream (the `cluster` extra).
    nats: str | None = Field(
        None,
        description="NATS URL (nats://host:4222): run as a cluster's simulation host, or "
        "with --gateway as one of its gateways; none: one process, no NATS",
    )
    gateway: bool = Field(
        False,
        description="run no simulation: relay the cluster's stream to this process's "
        "clients and forward their commands to the host (needs --nats)",
    )
    cluster_name: str = Field(
        "spine", description="names the cluster's stream, subjects and bucket in NATS"
    )
    catalog: str | None = Field(
        None,
        description="a gateway's contract: the package `spine-ws gen` generated for the "
        "host's simulation (e.g. ringroad.protocol); default: the core protocol",
    )
    command_timeout: float = Field(
        5.0,
        gt=0,
        description="seconds a gateway waits for the host's reply to a command before "
        "answering it unavailable",
    )

    # Access.
    tokens: SecretStr | None = Field(
        None, description="role:token,... (viewer or controller); SPINE_WS_TOKENS only"
    )
    tokens_file: Path | None = Field(None, description="file with one role:token a line")
    allowed_origins: str = Field(
        DEFAULT_ORIGINS,
        description="comma-separated Origin allowlist: self, scheme://host[:port], "
        "scheme://host:* or * (any)",
    )
    token_guesses: int = Field(
        10,
        ge=1,
        description="wrong tokens an address may present in a minute before its handshakes "
        "are refused (HTTP 429) for the rest of it; from the 4th, answers are slowed",
    )
    insecure: bool = Field(
        False, description="allow listening on a non-loopback address without tokens"
    )

    trusted_proxies: str | None = Field(
        None,
        description="comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For (the client's address) and X-Forwarded-Proto (https: wss) are "
        "believed; none: every peer is the client, its forwarded headers ignored",
    )

    # The default simulation.
    autostart: bool = Field(False, description="default world: start running at once")
    tick_rate: float = Field(20.0, ge=0.1, le=100, description="default world: ticks per second")
    seed_agents: int = Field(8, ge=0, description="default world: agents it starts with")
    max_agents: int = Field(
        10_000, ge=1, description="default world: agents it holds at most (limit_exceeded)"
    )

    # Connections.
    max_connections: int = Field(
        1000, ge=1, description="open WebSocket connections at most (more: close 1013)"
    )
    max_connections_per_address: int = Field(
        100, ge=1, description="open connections per client address at most (more: close 1013)"
    )
    max_message_bytes: int = Field(
        64 * 1024, ge=1024, description="largest frame a client may send (larger: close 1009)"
    )
    send_queue_messages: int = Field(
        4096,
        ge=1,
        description="messages held for one client and not yet taken by its socket, beyond "
        "which it is closed 1008 (slow consumer)",
    )
    send_queue_bytes: int = Field(
        1024 * 1024, ge=1024, description="the same limit, in bytes held for one client"
    )
    slow_consumer_grace: float = Field(
        2.0,
        gt=0,
        description="seconds a client may stay over the send-queue limits (or take none of "
        "its snapshot) before it is closed as a slow consumer; 4x the byte limit closes it "
        "at once",
    )
    # The history a reconnecting client resumes from (/ws?resume=<epoch>:<seq>).
    history_events: int = Field(
        100_000,
        ge=0,
        description="broadcast events kept for resumes (0: no history, every reconnect "
        "gets a snapshot)",
    )
    history_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="bytes of broadcast frames kept for resumes"
    )
    history_seconds: float = Field(
        300.0, ge=0, description="seconds a broadcast event is kept for resumes"
    )
    max_snapshot_bytes: int = Field(
        128 * 1024 * 1024,
        ge=1024,
        description="largest snapshot a joining client is sent; a larger world closes the "
        "join with 1009 'snapshot too large'",
    )
    slow_close_timeout: float = Field(
        1.0, gt=0, description="seconds a shed slow consumer's close may take before a reset"
    )
    close_timeout: float = Field(
        5.0,
        gt=0,
        description="seconds a closing connection (keepalive timeout, close handshake, "
        "server close) may take before it is reset",
    )
    ping_interval: float = Field(20.0, gt=0, description="seconds between keepalive pings")
    ping_timeout: float = Field(
        20.0, gt=0, description="seconds a ping may go unanswered before the close (1011)"
    )
    handshake_timeout: float = Field(
        10.0, gt=0, description="seconds a client has to complete the WebSocket handshake"
    )

    # Commands.
    record: Path | None = Field(
        None,
        description="a folder to record every epoch's broadcast frames into, as MCAP files "
        "(docs/recording.md); none: no recording",
    )
    replay: list[Path] = Field(
        default_factory=list,
        description="play these MCAP files (one epoch's, in order) back to every client, "
        "each on its own, instead of running a simulation: `spine-ws replay FILE...` "
        "(docs/recording.md)",
    )
    record_max_bytes: int = Field(
        1024 * 1024 * 1024, ge=64 * 1024, description="a recording file is rotated past this size"
    )
    record_max_seconds: float = Field(
        3600.0, gt=0, description="a recording file is rotated after this many seconds"
    )
    checkpoint_seconds: float = Field(
        10.0, gt=0, description="seconds between the snapshots a recording keeps for seeking"
    )
    switch_interval: float = Field(
        0.0005,
        gt=0,
        le=0.1,
        description="seconds a thread may hold Python's GIL while another waits for it "
        "(sys.setswitchinterval): the simulation's thread and the event loop share it, and "
        "Python's 5 ms default lets a busy simulation hold every client's events that long",
    )
    stall_timeout: float = Field(
        10.0,
        gt=0,
        description="seconds without a command taken or a tick started, while there is "
        "work, after which /health reports the simulation stalled",
    )
    command_queue_size: int = Field(
        1024, ge=1, description="commands waiting for the simulation at most (more: queue_full)"
    )
    command_rate: float = Field(200.0, gt=0, description="commands per second per connection")
    command_burst: int = Field(
        400, ge=1, description="commands a connection may send at once above its rate"
    )
    max_json_depth: int = Field(
        32, ge=2, description="nesting depth of a command's JSON at most (invalid_message)"
    )
    max_json_members: int = Field(
        10_000, ge=1, description="members and items in a command's JSON at most"
    )
    max_agent_data_bytes: int = Field(
        8 * 1024, ge=2, description="size of an agent's data as JSON at most (limit_exceeded)"
    )

    @classmethod
    def load(
        cls, flags: dict[str, Any], file: Path | None = None
    ) -> tuple[Settings, dict[str, Source]]:
        """The settings from `flags` (by field name), the environment and `file` (TOML,
        keys spelled as the flags: `max-connections = 100`), and where each one came
        from. ConfigFileError if the file is wrong; ValidationError if a value is."""
        values = _read(file) if file is not None else {}

        class FromFile(cls):  # type: ignore[valid-type,misc]
            @classmethod
            def settings_customise_sources(
                cls,
                settings_cls: type[BaseSettings],
                init_settings: PydanticBaseSettingsSource,
                env_settings: PydanticBaseSettingsSource,
                dotenv_settings: PydanticBaseSettingsSource,
                file_secret_settings: PydanticBaseSettingsSource,
            ) -> tuple[PydanticBaseSettingsSource, ...]:
                return init_settings, env_settings, _File(settings_cls, values)

        loaded = FromFile(**flags)
        sources: dict[str, Source] = {}
        for name in cls.model_fields:
            if name in flags:
                sources[name] = "flag"
            elif f"SPINE_WS_{name.upper()}" in {key.upper() for key in os.environ}:
                sources[name] = "environment"
            elif name in values:
                sources[name] = "file"
            else:
                sources[name] = "default"
        # Validated above; a plain Settings, knowing which fields were set (not defaults).
        explicit = {name for name, source in sources.items() if source != "default"}
        settings = cls.model_construct(_fields_set=explicit, **dict(loaded))
        return settings, sources

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        Origins(value)  # raises ValueError with what is wrong
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str | None) -> str | None:
        trusted_proxies(value or "")  # raises ValueError with what is wrong
        return value


class _File(PydanticBaseSettingsSource):
    """The config file's values, already read and checked (`_read`)."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._values = values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def _read(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as opened:
            table = tomllib.load(opened)
    except OSError as exc:
        raise ConfigFileError(f"cannot read {file}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{file} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in Settings.model_fields or "_" in key:
            hint = " (spell it as the flag, with dashes)" if name in Settings.model_fields else ""
            raise ConfigFileError(f"{file}: {key!r} is not a setting{hint}; see spine-ws serve -h")
        if name == "tokens":
            raise ConfigFileError(
                f"{file}: tokens do not go in the config file; use tokens-file (a file "
                "only its owner can read) or SPINE_WS_TOKENS"
            )
        values[name] = value
    return values
