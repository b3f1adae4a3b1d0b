"""`spine-ws serve`: the server under uvicorn, configured by flags and SPINE_WS_* variables."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import types
import typing
from typing import Any

from pydantic import ValidationError

from spine_ws.access import Policy, Redactor, check_bind
from spine_ws.app import create_app
from spine_ws.settings import Settings
from spine_ws.sim.registry import RegistryError
from spine_ws.transport import server

__all__ = ["main"]

log = logging.getLogger("spine_ws")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spine-ws", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    for name, field in Settings.model_fields.items():
        if name in _ENVIRONMENT_ONLY:
            continue
        _add_flag(serve, name, field.annotation, field.description)
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if k != "command"}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"spine-ws: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    return run(settings)


def run(settings: Settings) -> int:
    # `--simulation module:factory` imports from the working directory, as uvicorn's
    # `--app-dir .` does: a simulation author runs it from their own folder.
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if settings.transport == "auto":  # this is uvicorn with the fast path's protocol
        settings = settings.model_copy(update={"transport": "fast"})
    try:
        app = create_app(settings)
    except ValueError as exc:  # tokens, origins or --simulation (no token in the message)
        print(f"spine-ws: invalid configuration: {exc}", file=sys.stderr)
        return 2
    policy: Policy = app.state.access
    bind = check_bind(settings.host, policy.tokens, settings.insecure)
    print(f"spine-ws: {bind.message}", file=sys.stdout if bind.allowed else sys.stderr, flush=True)
    if not bind.allowed:
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        print(
            f"spine-ws: cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    sock.listen(2048)
    host, port = sock.getsockname()[:2]
    config = server.config(app, settings)
    # uvicorn.Config has configured logging; now every handler scrubs tokens.
    redactor = Redactor(policy.tokens.secrets())
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", ()):
            handler.addFilter(redactor)
    url = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"

    def ready() -> None:
        print(f"spine-ws listening on http://{url} (WebSocket ws://{url}/ws)", flush=True)

    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal with the
    # handler that was installed before it; make that a no-op so a clean stop exits 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    try:
        server.run(app, config, sock, ready)
    except (RegistryError, ValueError) as exc:  # the simulation cannot start as configured
        print(f"spine-ws: cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


_ENVIRONMENT_ONLY = frozenset({"tokens"})


def _add_flag(
    parser: argparse.ArgumentParser, name: str, annotation: Any, help: str | None
) -> None:
    flag = "--" + name.replace("_", "-")
    if annotation is bool:
        parser.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=help)
        return
    parser.add_argument(flag, default=argparse.SUPPRESS, help=help, type=_scalar(annotation))


def _scalar(annotation: Any) -> Any:
    """The argparse type for a settings annotation (Optional and Literal unwrapped)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Literal:
        return str
    return annotation if annotation in (int, float, str) else str


if __name__ == "__main__":
    sys.exit(main())
