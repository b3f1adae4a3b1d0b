"""`spine-ws serve`: the server under uvicorn, configured by flags and SPINE_WS_* variables."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from spine_ws import logs
from spine_ws.access import Policy, Redactor, check_bind
from spine_ws.app import create_app
from spine_ws.settings import ConfigFileError, Settings, Source
from spine_ws.sim.registry import RegistryError
from spine_ws.transport import server

__all__ = ["effective", "main", "parsers", "version"]

log = logging.getLogger("spine_ws")


def parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The command line: `spine-ws` itself, and its `serve` (one flag per setting)."""
    parser = argparse.ArgumentParser(prog="spine-ws", description=__doc__)
    parser.add_argument("--version", action="version", version=version())
    commands = parser.add_subparsers(dest="command", required=True)
    settings = argparse.ArgumentParser(add_help=False)
    settings.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("SPINE_WS_CONFIG"),
        help="a TOML file of settings, spelled as the flags (max-connections = 100) "
        "(default: none; env SPINE_WS_CONFIG)",
    )
    for name, field in Settings.model_fields.items():
        if name in _ENVIRONMENT_ONLY:
            continue
        _add_flag(settings, name, field.annotation, _help(name, field.description, field.default))
    serve = commands.add_parser(
        "serve",
        parents=[settings],
        help="run the server",
        description="Run the server. Every flag is also an environment variable "
        "SPINE_WS_<NAME> and a key of the --config file: a flag wins over the variable, "
        "the variable over the file, the file over the default.",
    )
    commands.add_parser(
        "config",
        parents=[settings],
        help="print the effective configuration (tokens masked) and where each value is from",
        description="Print the configuration `spine-ws serve` would run with these flags, "
        "this environment and this --config file, as TOML a --config file can hold.",
    )
    replay = commands.add_parser(
        "replay",
        parents=[settings],
        help="play a recording back over /ws (every client a viewer, each on its own)",
        description="Serve a recording (`serve --record DIR` wrote it) over /ws with the "
        "same contract: every client joins at its start as a viewer and is played its "
        "frames at the recorded pace; the playback commands (playback.play, pause, seek, "
        "speed) act on that client only. The serve flags apply (--port, --catalog, ...).",
    )
    replay.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="one epoch's MCAP files, in order"
    )
    _add_gen(commands)
    return parser, serve


def main(argv: list[str] | None = None) -> int:
    parser, _ = parsers()
    args = parser.parse_args(argv)
    if args.command == "gen":
        return _gen(args)
    flags = {k: v for k, v in vars(args).items() if k not in ("command", "config", "files")}
    if args.command == "replay":
        flags["replay"] = args.files
    try:
        settings, sources = Settings.load(flags, args.config)
    except ConfigFileError as exc:
        print(f"spine-ws: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"spine-ws: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    if args.command == "config":
        print(effective(settings, sources))
        return 0
    return run(settings)


def effective(settings: Settings, sources: dict[str, Source]) -> str:
    """`spine-ws config`: every setting as TOML, with where its value came from."""
    lines = ["# spine-ws config: flag > environment > file > default"]
    for name, value in settings.model_dump().items():
        key = name.replace("_", "-")
        where = sources[name]
        if isinstance(value, SecretStr):
            lines.append(f"# {key} = (set, masked)  # {where}; SPINE_WS_TOKENS only")
        elif value is None:
            lines.append(f"# {key} = (none)  # {where}")
        elif name == "nats":
            from spine_ws.cluster import shown  # credentials in the URL stay out

            lines.append(f"{key} = {_toml(shown(value))}  # {where}; credentials masked")
        else:
            lines.append(f"{key} = {_toml(value)}  # {where}")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(str(value))  # a TOML basic string


def run(settings: Settings) -> int:
    # `--simulation module:factory` imports from the working directory, as uvicorn's
    # `--app-dir .` does: a simulation author runs it from their own folder.
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if settings.transport == "auto":  # this is uvicorn with the fast path's protocol
        settings = settings.model_copy(update={"transport": "fast"})
    try:
        # The log first (what creating the app says goes through it too); the token
        # redactor joins it once the tokens are read.
        handler = logs.configure(settings.log_level, settings.log_format)
        app = create_app(settings)
    except ValueError as exc:  # tokens, origins or --simulation (no token in the message)
        print(f"spine-ws: invalid configuration: {exc}", file=sys.stderr)
        return 2
    policy: Policy = app.state.access
    bind = check_bind(settings.host, policy.tokens, settings.insecure)
    print(f"spine-ws: {bind.message}", file=sys.stdout if bind.allowed else sys.stderr, flush=True)
    if not bind.allowed:
        return 2
    # Every record, ours and uvicorn's, through one handler that scrubs tokens.
    handler.addFilter(Redactor(policy.tokens.secrets()))
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


# Not flags: the tokens come from the environment only; `replay` is `spine-ws replay FILE`.
_ENVIRONMENT_ONLY = frozenset({"tokens", "replay"})


def _add_gen(commands: Any) -> None:
    gen = commands.add_parser(
        "gen",
        help="generate a simulation's own models and types from its schemas",
        description=(
            "Lay a simulation's own schema tree (commands/, events/, results/, defs/; "
            "`$ref`s like ../defs/tick.json name the core's) over the core protocol and "
            "generate a Python package (models importing the core's, and the CATALOG "
            "to pass to TickingSimulation) and, with --ts-out, TypeScript types for "
            "SpineClient<Protocol>."
        ),
    )
    gen.add_argument("--schema", type=Path, default=Path("schema"), help="default: ./schema")
    gen.add_argument("--python-out", type=Path, required=True, help="the package folder to write")
    gen.add_argument("--ts-out", type=Path, help="the folder for protocol.ts and contract.ts")
    gen.add_argument(
        "--ts-project",
        type=Path,
        help="where json-schema-to-typescript is installed (default: --ts-out)",
    )
    gen.add_argument("--check", action="store_true", help="fail if the files are not current")


def _gen(args: argparse.Namespace) -> int:
    try:  # the `gen` extra: the generator is not needed to serve
        from spine_ws.codegen import generate
        from spine_ws.codegen.contract import ContractError, load_contract
    except ImportError as exc:
        print(
            f"spine-ws gen: {exc}; install it with `pip install 'spine-ws[gen]'`", file=sys.stderr
        )
        return 2
    ts_out: Path | None = args.ts_out.resolve() if args.ts_out else None
    layout = generate.Layout(
        python=args.python_out.resolve(),
        ts=ts_out,
        ts_project=(args.ts_project or ts_out or Path.cwd()).resolve(),
        command="spine-ws gen",
    )
    try:
        contract = load_contract().extend(args.schema.resolve())
        files = generate.render(contract, layout)
    except (ContractError, generate.GenerationError) as exc:
        print(f"spine-ws gen: {exc}", file=sys.stderr)
        return 2
    return generate.write(files, layout, check=args.check, shown=Path.cwd())


def version() -> str:
    """`spine-ws --version`: the package, the protocol it speaks and its schema hash."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from spine_ws.generated import PROTOCOL_VERSION, SCHEMA_HASH

    try:
        package = installed("spine-ws")
    except PackageNotFoundError:  # run from a checkout without an install
        package = "unknown"
    return f"spine-ws {package} (protocol {PROTOCOL_VERSION}, schema hash {SCHEMA_HASH[:12]})"


def _help(name: str, description: str | None, default: Any) -> str:
    """A flag's help: what it does, its default and its environment variable."""
    shown = "none" if default is None else ("off" if default is False else default)
    return f"{description} (default: {shown}; env SPINE_WS_{name.upper()})"


def _add_flag(parser: argparse.ArgumentParser, name: str, annotation: Any, help: str) -> None:
    flag = "--" + name.replace("_", "-")
    if annotation is bool:
        parser.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=help)
        return
    parser.add_argument(
        flag,
        default=argparse.SUPPRESS,
        help=help,
        type=_scalar(annotation),
        choices=_choices(annotation),
    )


def _choices(annotation: Any) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


def _scalar(annotation: Any) -> Any:
    """The argparse type for a settings annotation (Optional and Literal unwrapped)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Literal:
        return str
    return annotation if annotation in (int, float, str) else str


if __name__ == "__main__":
    sys.exit(main())
