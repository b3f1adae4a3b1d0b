"""The CLI explains itself: every flag's help has its default and its variable."""

from __future__ import annotations

import argparse
import re

import pytest

from spine_ws import cli
from spine_ws.generated import PROTOCOL_VERSION, SCHEMA_HASH
from spine_ws.settings import Settings


def _serve_parser() -> argparse.ArgumentParser:
    return cli.parsers()[1]


def test_every_flag_says_what_it_does_its_default_and_its_variable() -> None:
    actions = {a.dest: a for a in _serve_parser()._actions if a.dest != "help"}
    # tokens: SPINE_WS_TOKENS only, on purpose; replay: `spine-ws replay FILE...`;
    # config: the file of all the others
    flags = set(Settings.model_fields) - {"tokens", "replay"} | {"config"}
    assert set(actions) == flags
    for name, action in actions.items():
        text = action.help or ""
        assert re.fullmatch(rf".{{8,}} \(default: .+; env SPINE_WS_{name.upper()}\)", text), (
            name,
            text,
        )


def test_a_setting_with_choices_lists_them() -> None:
    actions = {a.dest: a for a in _serve_parser()._actions}
    assert actions["log_level"].choices == ["debug", "info", "warning", "error"]
    assert actions["transport"].choices == ["auto", "fast", "asgi"]


def test_version_names_the_protocol_and_the_schema_hash(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("spine-ws ")
    assert f"protocol {PROTOCOL_VERSION}" in out and SCHEMA_HASH[:12] in out


def test_a_trusted_proxy_that_is_no_address_stops_the_cli(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--trusted-proxies nginx` exits 2 saying what an entry must be (before binding)."""
    # 0.0.0.0 without tokens: were the entry let through, the CLI would still exit (the
    # bind check), not serve and hang the test.
    argv = ["serve", "--host", "0.0.0.0", "--port", "0", "--trusted-proxies", "127.0.0.1,nginx"]
    assert cli.main(argv) == 2
    assert "'nginx' is not an IP address or network" in capsys.readouterr().err
