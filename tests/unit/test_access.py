"""Access control without sockets: tokens, origins, transports, bind checks, redaction."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from spine_ws.access import (
    DEFAULT_ORIGINS,
    Denial,
    Grant,
    Guesses,
    Handshake,
    Origins,
    PerAddress,
    Policy,
    Redactor,
    Tokens,
    check_bind,
    is_loopback,
    load_tokens,
    parse_tokens,
    trusted_proxies,
)
from spine_ws.generated import SUBPROTOCOL

VIEWER = "viewer-token-0123456789"
CONTROLLER = "controller-token-abcdefghij"
TOKENS = Tokens([("viewer", VIEWER), ("controller", CONTROLLER)])
LOCAL = "127.0.0.1:8000"


def policy(
    tokens: Tokens = TOKENS, origins: str = DEFAULT_ORIGINS, loopback: bool = True
) -> Policy:
    return Policy(tokens, Origins(origins), loopback_names_only=loopback)


def test_parse_tokens_reads_roles_commas_newlines_and_comments() -> None:
    """Entries split on commas and lines; blank lines and # comments are skipped."""
    text = f"# ops\nviewer:{VIEWER}, controller:{CONTROLLER}\n\n"
    assert parse_tokens(text, "x") == [("viewer", VIEWER), ("controller", CONTROLLER)]


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        (f"admin:{CONTROLLER}", "role must be one of viewer, controller"),
        (CONTROLLER, "expected role:token"),
        ("viewer:short-token", "shorter than 16"),
        ("viewer:has space in-the-token-value", "may only hold"),
        ('viewer:quote"in-the-token-value', "may only hold"),
    ],
)
def test_parse_tokens_errors_name_the_entry_not_the_token(entry: str, complaint: str) -> None:
    """A bad entry is refused with its source and number; the token is never echoed."""
    with pytest.raises(ValueError, match=complaint) as info:
        parse_tokens(f"viewer:{VIEWER},{entry}", "SPINE_WS_TOKENS")
    message = str(info.value)
    assert message.startswith("SPINE_WS_TOKENS, entry 2:")
    secret = entry.partition(":")[2] or entry
    assert secret not in message and VIEWER not in message


def test_load_tokens_joins_environment_and_file(tmp_path: Path) -> None:
    """SPINE_WS_TOKENS and --tokens-file add up; a token given twice is refused."""
    file = tmp_path / "tokens"
    file.write_text(f"controller:{CONTROLLER}\n")
    file.chmod(0o600)
    tokens = load_tokens(f"viewer:{VIEWER}", file)
    assert tokens.role_of(VIEWER) == "viewer" and tokens.role_of(CONTROLLER) == "controller"
    with pytest.raises(ValueError, match="configured twice"):
        load_tokens(f"viewer:{CONTROLLER}", file)
    with pytest.raises(ValueError, match="--tokens-file"):
        load_tokens(None, tmp_path / "missing")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_tokens_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    """Like ssh with a private key: the message says how to fix it, and no token."""
    file = tmp_path / "tokens"
    file.write_text(f"controller:{CONTROLLER}\n")
    file.chmod(mode)
    with pytest.raises(
        ValueError, match=f"may be read by others \\(mode {mode:o}\\): chmod 600"
    ) as info:
        load_tokens(None, file)
    assert CONTROLLER not in str(info.value)
    file.chmod(0o600)
    assert load_tokens(None, file).role_of(CONTROLLER) == "controller"


def test_tokens_never_show_their_values() -> None:
    """repr and describe count tokens by role and show none of them."""
    assert repr(TOKENS) == "<Tokens: 1 viewer, 1 controller>"
    assert VIEWER not in repr(TOKENS) and CONTROLLER not in TOKENS.describe()


def test_role_of_matches_exactly() -> None:
    """Only the whole token matches: prefixes, extensions and case changes do not."""
    for near in (CONTROLLER[:-1], CONTROLLER + "x", CONTROLLER.upper(), "", "é" * 20):
        assert TOKENS.role_of(near) is None


@pytest.mark.parametrize(
    "handshake",
    [
        Handshake(host=LOCAL, authorization=f"Bearer {CONTROLLER}"),
        Handshake(host=LOCAL, authorization=f"bearer  {CONTROLLER} "),
        Handshake(host=LOCAL, subprotocols=(SUBPROTOCOL, f"token.{CONTROLLER}")),
        Handshake(host=LOCAL, query=f"x=1&token={CONTROLLER}"),
    ],
)
def test_each_transport_presents_a_token(handshake: Handshake) -> None:
    """Authorization: Bearer, the token.<t> subprotocol and ?token= all carry the role."""
    grant = policy().admit(handshake)
    assert isinstance(grant, Grant) and grant.role == "controller"


def test_the_spine_subprotocol_is_selected_when_offered() -> None:
    """spine.v1 is selected when offered (else browsers fail the handshake), never token.*."""
    offered = (f"token.{VIEWER}", SUBPROTOCOL)
    assert policy().admit(Handshake(host=LOCAL, subprotocols=offered)) == Grant(
        "viewer", SUBPROTOCOL
    )
    assert policy().admit(Handshake(host=LOCAL, query=f"token={VIEWER}")) == Grant("viewer", None)
    no_tokens = policy(Tokens())
    assert no_tokens.admit(Handshake(host=LOCAL, subprotocols=offered)) == Grant(
        "controller", SUBPROTOCOL
    )


@pytest.mark.parametrize(
    "handshake",
    [
        Handshake(host=LOCAL),
        Handshake(host=LOCAL, authorization="Bearer wrong-token-0123456789"),
        Handshake(host=LOCAL, authorization=f"Basic {CONTROLLER}"),
        # The header is the first transport: a wrong one is not rescued by the query.
        Handshake(host=LOCAL, authorization="Bearer nope", query=f"token={CONTROLLER}"),
        Handshake(host=LOCAL, subprotocols=(SUBPROTOCOL,)),
        Handshake(host=LOCAL, query="token="),
    ],
)
def test_missing_or_wrong_token_is_401(handshake: Handshake) -> None:
    """With tokens configured, no valid token means HTTP 401 with WWW-Authenticate."""
    denial = policy().admit(handshake)
    assert isinstance(denial, Denial) and denial.status == 401
    assert denial.headers["www-authenticate"].startswith("Bearer")
    assert CONTROLLER not in denial.reason


def test_without_tokens_everyone_is_a_controller() -> None:
    """No tokens configured: any handshake that passes the origin check may command."""
    assert policy(Tokens()).admit(Handshake(host=LOCAL)) == Grant("controller")


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://localhost:5173", LOCAL, True),
        ("http://LOCALHOST:5173", LOCAL, True),
        ("http://127.0.0.1", LOCAL, True),
        ("http://[::1]:3000", LOCAL, True),
        ("https://localhost:5173", LOCAL, False),
        ("http://evil.example", LOCAL, False),
        ("http://localhost.evil.example:80", LOCAL, False),
        ("http://127.0.0.1.nip.io:8000", LOCAL, False),
        ("null", LOCAL, False),
        ("file://", LOCAL, False),
        ("http://localhost:5173/path", LOCAL, False),
        ("http://user@localhost:5173", LOCAL, False),
        # self: the origin of the page the server itself serves.
        ("http://sim.example:8000", "sim.example:8000", True),
        ("http://sim.example", "sim.example:80", True),
        ("https://sim.example:8000", "sim.example:8000", False),
        ("http://sim.example:8001", "sim.example:8000", False),
    ],
)
def test_default_origins(origin: str, host: str, allowed: bool) -> None:
    """Defaults: self, and http://localhost:* / http://127.0.0.1:* / http://[::1]:*."""
    assert Origins(DEFAULT_ORIGINS).allows(origin, host, secure=False) is allowed


def test_configured_origins_replace_the_defaults() -> None:
    """An explicit list allows exactly its entries; * allows any origin."""
    origins = Origins("https://app.example, http://lab.example:*")
    assert origins.allows("https://app.example:443", None, secure=True)
    assert origins.allows("http://lab.example:9", None, secure=False)
    assert not origins.allows("https://app.example:8443", None, secure=True)
    assert not origins.allows("http://localhost:5173", None, secure=False)
    assert Origins("*").allows("http://anything.example", None, secure=False)
    with pytest.raises(ValueError, match="not an origin pattern"):
        Origins("localhost:*")


def test_cross_origin_is_403_before_the_token_is_looked_at() -> None:
    """A foreign Origin is refused with 403 even when it carries a valid token."""
    handshake = Handshake(
        origin="http://evil.example", host=LOCAL, authorization=f"Bearer {CONTROLLER}"
    )
    denial = policy().admit(handshake)
    assert isinstance(denial, Denial) and denial.status == 403
    assert "origin not allowed" in denial.reason


def test_a_tokenless_loopback_server_answers_only_to_loopback_names() -> None:
    """DNS rebinding: a foreign Host is refused (403) unless tokens are configured."""
    rebound = Handshake(origin="http://evil.example:8000", host="evil.example:8000")
    denial = policy(Tokens()).admit(rebound)
    assert isinstance(denial, Denial) and denial.status == 403
    for host in ("localhost:8000", "127.0.0.2:8000", "[::1]:8000", None):
        assert isinstance(policy(Tokens()).admit(Handshake(host=host)), Grant)
    with_token = Handshake(
        origin="http://sim.example:8000", host="sim.example:8000", query=f"token={VIEWER}"
    )
    assert isinstance(policy().admit(with_token), Grant)
    assert isinstance(policy(Tokens(), loopback=False).admit(rebound), Grant)


def test_handshake_from_scope_reads_the_asgi_headers() -> None:
    """Origin, Host, Authorization, subprotocols, query and wss come from the scope."""
    scope = {
        "scheme": "wss",
        "query_string": b"token=abc",
        "subprotocols": ["spine.v1", "token.xyz"],
        "headers": [
            (b"host", b"h:1"),
            (b"origin", b"https://h:1"),
            (b"authorization", b"Bearer t"),
            (b"origin", b"https://second"),
        ],
    }
    assert Handshake.from_scope(scope) == Handshake(
        origin="https://h:1",
        host="h:1",
        authorization="Bearer t",
        subprotocols=("spine.v1", "token.xyz"),
        query="token=abc",
        secure=True,
    )


@pytest.mark.parametrize(
    ("host", "tokens", "insecure", "allowed", "words"),
    [
        ("127.0.0.1", Tokens(), False, True, "loopback only"),
        ("localhost", Tokens(), False, True, "loopback only"),
        ("::1", Tokens(), False, True, "loopback only"),
        ("0.0.0.0", Tokens(), False, False, "--insecure"),
        ("192.0.2.7", Tokens(), False, False, "refusing"),
        ("0.0.0.0", Tokens(), True, True, "WARNING"),
        ("0.0.0.0", TOKENS, False, True, "1 viewer, 1 controller"),
    ],
)
def test_check_bind(host: str, tokens: Tokens, insecure: bool, allowed: bool, words: str) -> None:
    """Without tokens: loopback, or a non-loopback address with --insecure and a warning."""
    verdict = check_bind(host, tokens, insecure)
    assert verdict.allowed is allowed and verdict.message is not None
    assert words in verdict.message


def test_trusted_proxies_are_addresses_and_networks() -> None:
    """--trusted-proxies: addresses and networks of either family, `*`, or none at all."""
    assert trusted_proxies("") == [] and trusted_proxies(" , ") == []
    assert trusted_proxies("127.0.0.1, ::1,10.0.0.0/8, fd00::/8") == [
        "127.0.0.1",
        "::1",
        "10.0.0.0/8",
        "fd00::/8",
    ]
    assert trusted_proxies(" * ") == ["*"]


@pytest.mark.parametrize("spec", ["proxy.local", "127.0.0.1,nginx", "10.0.0.1/8", "*,10.0.0.1"])
def test_a_trusted_proxy_that_is_no_address_is_refused(spec: str) -> None:
    """A name, a network with host bits, or `*` among others is an error, not a no-op."""
    with pytest.raises(ValueError, match="is not an IP address or network"):
        trusted_proxies(spec)


def test_is_loopback() -> None:
    """127/8, ::1 and localhost are loopback; wildcard and other names are not."""
    assert all(map(is_loopback, ["127.0.0.1", "127.9.9.9", "::1", "[::1]", "LocalHost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "", "example.com", "10.0.0.1"]))


def test_per_address_caps_each_address_separately() -> None:
    """acquire fails at the limit for that address only; release frees a slot."""
    limit = PerAddress(2)
    assert limit.acquire("a") and limit.acquire("a") and not limit.acquire("a")
    assert limit.acquire("b")
    limit.release("a")
    assert limit.acquire("a") and not limit.acquire("a")


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, message, args, None)


def test_redactor_scrubs_configured_and_token_shaped_values() -> None:
    """Known tokens anywhere, and ?token= / Bearer / token.* values, become [redacted]."""
    redactor = Redactor([CONTROLLER])
    cases = {
        f"GET /ws?token={CONTROLLER}&x=1": "GET /ws?token=[redacted]&x=1",
        "authorization: Bearer guessed-wrong-value": "authorization: Bearer [redacted]",
        "sec-websocket-protocol: spine.v1, token.abc, x": (
            "sec-websocket-protocol: spine.v1, token.[redacted], x"
        ),
        f"said {CONTROLLER}!": "said [redacted]!",
        "GET /ws?%74oken=guessed-wrong-value": "GET /ws?token=[redacted]",
        "GET /ws?%54OKEN=guessed-wrong-value&x=%41": "GET /ws?TOKEN=[redacted]&x=A",
    }
    for raw, clean in cases.items():
        entry = record("%s", raw)
        entry.color_message = "%s"
        assert redactor.filter(entry)
        assert entry.getMessage() == clean and "color_message" not in entry.__dict__


def test_redactor_scrubs_tracebacks() -> None:
    """A token inside an exception's text is scrubbed from the formatted traceback."""
    try:
        raise RuntimeError(f"bad header {CONTROLLER}")
    except RuntimeError:
        entry = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    Redactor([CONTROLLER]).filter(entry)
    text = logging.Formatter().format(entry)
    assert "bad header [redacted]" in text and CONTROLLER not in text


def test_guesses_slow_down_then_refuse_an_address_for_the_rest_of_the_minute() -> None:
    """FREE wrong tokens at once, then growing delays, then refusal until the window ends;
    other addresses are unaffected; the crossing is reported once."""
    guesses = Guesses(limit=5)
    results = [guesses.failed("a", now=float(n)) for n in range(5)]
    assert [delay for delay, _ in results] == [0.0, 0.0, 0.0, 0.25, 0.5]
    assert [crossed for _, crossed in results] == [False, False, False, False, True]
    assert guesses.retry_after("a", now=10.0) == pytest.approx(50.0)
    assert guesses.retry_after("b", now=10.0) is None
    assert guesses.retry_after("a", now=61.0) is None  # a new minute
