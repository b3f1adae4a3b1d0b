"""Who may open `/ws`, and as what: origin allowlist, tokens with roles, log redaction.

Sans-I/O: a `Handshake` (the few request headers that matter) goes in, a `Grant` (role
and subprotocol) or a `Denial` (HTTP status and reason) comes out; the endpoint only
sends the answer. Tokens never appear in a reason, an error message or a `repr`, and
`Redactor` scrubs them (and anything shaped like one) from log records.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qs, unquote, urlsplit

from spine_ws.core.codec import Profile
from spine_ws.core.outbox import Role
from spine_ws.generated import SUBPROTOCOL

__all__ = [
    "DEFAULT_ORIGINS",
    "BindCheck",
    "Denial",
    "Grant",
    "Guesses",
    "Handshake",
    "Origins",
    "PerAddress",
    "Policy",
    "Redactor",
    "Tokens",
    "check_bind",
    "is_loopback",
    "load_tokens",
    "parse_tokens",
    "trusted_proxies",
]

TOKEN_SUBPROTOCOL = "token."
# The subprotocols that name a profile (spine_ws.core.codec), in the order preferred.
JSONRPC_SUBPROTOCOL = f"{SUBPROTOCOL}.jsonrpc"
MSGPACK_SUBPROTOCOL = f"{SUBPROTOCOL}.msgpack"
PROFILE_SUBPROTOCOLS: dict[str, Profile] = {
    JSONRPC_SUBPROTOCOL: "jsonrpc",
    MSGPACK_SUBPROTOCOL: "msgpack",
    SUBPROTOCOL: "spine",
}
# Foxglove's own protocol (spine_ws.foxglove): selected, but not a profile of ours.
FOXGLOVE_SUBPROTOCOL = "foxglove.websocket.v1"
_SELECTABLE = (*PROFILE_SUBPROTOCOLS, FOXGLOVE_SUBPROTOCOL)
MIN_TOKEN_LENGTH = 16
DEFAULT_ORIGINS = "self,http://localhost:*,http://127.0.0.1:*,http://[::1]:*"
ROLES: tuple[Role, ...] = get_args(Role)
_ROLE_NAMES: dict[str, Role] = {role: role for role in ROLES}

# Characters of an HTTP token (RFC 9110 tchar): what a subprotocol name may hold, so a
# token made of them travels by all three transports.
_TCHARS = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDACTED = "[redacted]"
# Whatever looks like a presented token, even a wrong one (it may be a near-miss).
_TOKEN_SHAPES = re.compile(
    r"(?i)(\btoken=)[^&\s\"']+|(\bbearer\s+)[^\s\"',]+|(\btoken\.)[^\s\"',]+"
)


@dataclass(frozen=True)
class Handshake:
    """What of a WebSocket upgrade request access control looks at."""

    origin: str | None = None
    host: str | None = None
    authorization: str | None = None
    subprotocols: Sequence[str] = ()
    query: str = ""
    secure: bool = False

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> Handshake:
        """Read an ASGI `websocket` scope (headers are lower-case latin-1 bytes)."""
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", ()):
            # The first of a repeated header counts; only Origin/Host/Authorization matter.
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        return cls(
            origin=headers.get("origin"),
            host=headers.get("host"),
            authorization=headers.get("authorization"),
            subprotocols=tuple(scope.get("subprotocols", ())),
            query=scope.get("query_string", b"").decode("latin-1"),
            secure=scope.get("scheme") == "wss",
        )


@dataclass(frozen=True)
class Grant:
    """Accept, as `role`, selecting `subprotocol` (None: select none)."""

    role: Role
    subprotocol: str | None = None


@dataclass(frozen=True)
class Denial:
    """Refuse the handshake with this HTTP status; `reason` is safe to show and log."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    # A token was presented and it was wrong: a guess, counted by `Guesses`.
    guess: bool = False


class Tokens:
    """Configured tokens and their roles; lookups compare in constant time."""

    def __init__(self, entries: Iterable[tuple[Role, str]] = ()) -> None:
        self._entries: list[tuple[bytes, Role]] = []
        seen: set[str] = set()
        for number, (role, token) in enumerate(entries, 1):
            if token in seen:
                raise ValueError(f"token #{number} is configured twice")
            seen.add(token)
            self._entries.append((token.encode(), role))

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __repr__(self) -> str:
        return f"<Tokens: {self.describe()}>"

    def describe(self) -> str:
        """How many tokens of each role, e.g. "1 viewer, 2 controller" (no values)."""
        counts = Counter(role for _, role in self._entries)
        return ", ".join(f"{counts[role]} {role}" for role in ROLES) or "none"

    def secrets(self) -> list[str]:
        """The token values, for `Redactor` only."""
        return [token.decode() for token, _ in self._entries]

    def role_of(self, presented: str) -> Role | None:
        """The role of `presented`, or None; every entry is compared, no early exit."""
        candidate = presented.encode("utf-8", "surrogateescape")
        found: Role | None = None
        for token, role in self._entries:
            if hmac.compare_digest(token, candidate):
                found = role
        return found


def parse_tokens(text: str, source: str) -> list[tuple[Role, str]]:
    """`role:token` entries separated by commas or newlines; `#` starts a comment line.

    Errors name `source` and the entry's number, never the token.
    """
    entries: list[tuple[Role, str]] = []
    lines = (line.strip() for line in text.splitlines())
    items = [i.strip() for line in lines if not line.startswith("#") for i in line.split(",")]
    for number, item in enumerate((i for i in items if i), 1):
        role, colon, token = item.partition(":")
        where = f"{source}, entry {number}"
        if not colon:
            raise ValueError(f"{where}: expected role:token")
        if role not in ROLES:
            raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}")
        if not _TCHARS.fullmatch(token):
            raise ValueError(
                f"{where}: a token may only hold letters, digits and !#$%&'*+-.^_`|~ "
                "(so it can travel as a subprotocol)"
            )
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"{where}: the token is shorter than {MIN_TOKEN_LENGTH} characters; "
                'make one with `python -c "import secrets; print(secrets.token_urlsafe(24))"`'
            )
        entries.append((_ROLE_NAMES[role], token))
    return entries


def load_tokens(env_text: str | None, file: Path | None) -> Tokens:
    """Tokens from SPINE_WS_TOKENS and `--tokens-file` together."""
    entries = parse_tokens(env_text, "SPINE_WS_TOKENS") if env_text else []
    if file is not None:
        try:
            mode = file.stat().st_mode
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"--tokens-file {file}: {exc.strerror}") from None
        if mode & 0o077:  # as ssh treats a private key: secrets only its owner may read
            raise ValueError(
                f"--tokens-file {file} may be read by others (mode {mode & 0o777:o}): "
                f"chmod 600 {file}"
            )
        entries += parse_tokens(text, f"--tokens-file {file}")
    return Tokens(entries)


@dataclass(frozen=True)
class _Pattern:
    scheme: str
    host: str
    port: int | None  # None: any port


class Origins:
    """An `Origin` allowlist: `self`, `*`, exact origins and `scheme://host:*` patterns."""

    def __init__(self, spec: str) -> None:
        self.any = False
        self.self_ = False
        self._patterns: list[_Pattern] = []
        for item in (i.strip() for i in spec.split(",")):
            if item == "*":
                self.any = True
            elif item.lower() == "self":
                self.self_ = True
            elif item:
                self._patterns.append(_parse_pattern(item))

    def allows(self, origin: str, host: str | None, secure: bool) -> bool:
        """Whether a browser at `origin` may connect (to `host`, over TLS if `secure`)."""
        if self.any:
            return True
        parsed = _parse_origin(origin)
        if parsed is None:
            return False
        scheme, hostname, port = parsed
        if self.self_ and host is not None:
            own = _parse_origin(f"{'https' if secure else 'http'}://{host}")
            if own == parsed:
                return True
        return any(
            p.scheme == scheme and p.host == hostname and p.port in (None, port)
            for p in self._patterns
        )


def _parse_pattern(item: str) -> _Pattern:
    any_port = item.endswith(":*")
    parsed = _parse_origin(item[:-2] if any_port else item)
    if parsed is None:
        raise ValueError(
            f"{item!r} is not an origin pattern: want 'self', '*', 'scheme://host[:port]' "
            "or 'scheme://host:*'"
        )
    scheme, host, port = parsed
    return _Pattern(scheme, host, None if any_port else port)


def _parse_origin(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin with no path; None if it is not one."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path or parts.query:
        return None
    if parts.username is not None or parts.fragment:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


class Policy:
    """The access rules of `/ws`: origin, then (with tokens configured) the token."""

    def __init__(self, tokens: Tokens, origins: Origins, *, loopback_names_only: bool) -> None:
        self.tokens = tokens
        self.origins = origins
        # A loopback server without tokens trusts every local client; a browser tricked
        # by DNS rebinding also looks local, but sends the attacker's name as Host.
        self._loopback_names_only = loopback_names_only and not tokens

    def admit(self, handshake: Handshake) -> Grant | Denial:
        """Decide one handshake."""
        if self._loopback_names_only and not _loopback_host(handshake.host):
            return Denial(
                403,
                "this server has no tokens and answers to loopback names only "
                "(configure tokens to serve it under another name)",
            )
        if handshake.origin is not None and not self.origins.allows(
            handshake.origin, handshake.host, handshake.secure
        ):
            return Denial(403, f"origin not allowed: {handshake.origin[:200]}")
        subprotocol = next((p for p in _SELECTABLE if p in handshake.subprotocols), None)
        if not self.tokens:
            return Grant("controller", subprotocol)
        presented = _presented_token(handshake)
        if presented is None:
            return _unauthorized("a token is required")
        role = self.tokens.role_of(presented)
        if role is None:
            return Denial(401, "invalid token", dict(_CHALLENGE), guess=True)
        return Grant(role, subprotocol)


_CHALLENGE = {"www-authenticate": 'Bearer realm="spine-ws"'}


def _unauthorized(reason: str) -> Denial:
    return Denial(401, reason, dict(_CHALLENGE))


def _presented_token(handshake: Handshake) -> str | None:
    """The token by the first transport used: header, then subprotocol, then query."""
    if handshake.authorization is not None:
        scheme, _, credentials = handshake.authorization.strip().partition(" ")
        return credentials.strip() if scheme.lower() == "bearer" else ""
    for offered in handshake.subprotocols:
        if offered.startswith(TOKEN_SUBPROTOCOL):
            return offered[len(TOKEN_SUBPROTOCOL) :]
    values = parse_qs(handshake.query).get("token")
    return values[0] if values else None


def is_loopback(host: str) -> bool:
    """Whether `host` (a bind address or a name) stays on this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def trusted_proxies(spec: str) -> list[str]:
    """The proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, from
    `--trusted-proxies`: comma-separated addresses and networks (`10.0.0.0/8`), or `*`
    (any peer: only when nothing but the proxy can reach the server). Empty: none.

    Refuses what is neither (uvicorn would keep a misspelt address as a name that never
    matches, and trust no one without a word).
    """
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if items == ["*"]:
        return items
    for item in items:
        try:
            if "/" in item:
                ipaddress.ip_network(item)
            else:
                ipaddress.ip_address(item)
        except ValueError:
            raise ValueError(
                f"{item[:100]!r} is not an IP address or network (like 127.0.0.1, ::1 or "
                "10.0.0.0/8); '*' (trust any peer) must stand alone"
            ) from None
    return items


def _loopback_host(host: str | None) -> bool:
    if host is None:  # not a browser: browsers always send Host
        return True
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return False
    return name is not None and is_loopback(name)


@dataclass(frozen=True)
class BindCheck:
    """Whether the CLI may listen on `host`, and what to tell the operator."""

    allowed: bool
    message: str | None


def check_bind(host: str, tokens: Tokens, insecure: bool) -> BindCheck:
    """Without tokens, every client is a controller: keep that to loopback unless told."""
    if tokens:
        return BindCheck(True, f"tokens configured: {tokens.describe()}")
    if is_loopback(host):
        return BindCheck(
            True,
            "no tokens configured: every client is a controller, so listening on loopback "
            "only (set SPINE_WS_TOKENS or --tokens-file to serve other hosts)",
        )
    if insecure:
        return BindCheck(
            True,
            f"WARNING: --insecure: listening on {host} without tokens; anyone who can reach "
            "this port can control the simulation",
        )
    return BindCheck(
        False,
        f"refusing to listen on {host} without tokens: anyone who can reach it could "
        "control the simulation. Set SPINE_WS_TOKENS or --tokens-file, or pass --insecure.",
    )


class Guesses:
    """Wrong tokens per client address: answered slower and slower, then refused.

    Within a minute, an address's first `FREE` wrong tokens are answered at once, the
    next ones after a growing delay, and from the `limit`-th on every handshake from it
    is refused (HTTP 429) for the rest of that minute: a few guesses a minute instead of
    thousands a second. `failed` says when an address crosses into refusal, so that it
    is logged once per minute, not per guess.
    """

    FREE = 3
    STEP = 0.25  # seconds of delay per wrong token beyond FREE
    MAX_DELAY = 2.0
    WINDOW = 60.0

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._windows: dict[str, tuple[float, int]] = {}

    def _count(self, address: str, now: float) -> tuple[float, int]:
        start, count = self._windows.get(address, (now, 0))
        return (now, 0) if now - start >= self.WINDOW else (start, count)

    def retry_after(self, address: str, now: float) -> float | None:
        """Seconds until `address` may try again, or None if it may now."""
        start, count = self._count(address, now)
        return start + self.WINDOW - now if count >= self.limit else None

    def failed(self, address: str, now: float) -> tuple[float, bool]:
        """Count a wrong token: the delay before answering it, and whether this one
        made the address refused."""
        start, count = self._count(address, now)
        count += 1
        self._windows[address] = (start, count)
        if len(self._windows) > 10_000:  # forget the stalest: memory stays bounded
            self._windows.pop(next(iter(self._windows)))
        delay = min(self.MAX_DELAY, self.STEP * max(0, count - self.FREE))
        return delay, count == self.limit


class PerAddress:
    """Open connections per client address, capped at `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def acquire(self, address: str) -> bool:
        """Count one more connection from `address`, unless it is at the limit."""
        if self._open[address] >= self.limit:
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


class Redactor(logging.Filter):
    """Scrub tokens from log records: the configured ones, and anything token-shaped.

    Install it on handlers (a logger's filter misses records propagated from children).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def redact(self, text: str) -> str:
        # A query may spell the parameter percent-encoded (`?%74oken=`): judge, and
        # then log, the decoded text.
        decoded = unquote(text) if "%" in text else text
        if decoded != text and _TOKEN_SHAPES.search(decoded):
            text = decoded
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return _TOKEN_SHAPES.sub(_keep_prefix, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
            record.__dict__.pop("color_message", None)  # uvicorn's coloured copy
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _keep_prefix(match: re.Match[str]) -> str:
    prefix = next(group for group in match.groups() if group is not None)
    return prefix + _REDACTED
