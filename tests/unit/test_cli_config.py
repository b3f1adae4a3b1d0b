"""`--config spine-ws.toml` and `spine-ws config`: flag > environment > file > default."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from spine_ws import cli
from spine_ws.settings import Settings


def run_config(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["config", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "spine-ws.toml"
    path.write_text(
        'port = 1111\nlog-level = "warning"\nmax-connections = 5\ntick-rate = 40.0\n'
        'nats = "nats://user:secret-pass@127.0.0.1:4222"\n'
    )
    return path


def test_a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPINE_WS_PORT", "2222")
    monkeypatch.setenv("SPINE_WS_MAX_CONNECTIONS", "6")
    code, out, _ = run_config(["--config", str(config), "--max-connections", "7"], capsys)
    assert code == 0
    lines = {line.split(" = ")[0]: line for line in out.splitlines() if " = " in line}
    assert lines["max-connections"] == "max-connections = 7  # flag"
    assert lines["port"] == "port = 2222  # environment"
    assert lines["log-level"] == 'log-level = "warning"  # file'
    assert lines["tick-rate"] == "tick-rate = 40.0  # file"
    assert lines["max-agents"] == "max-agents = 10000  # default"
    # What it prints is a config file: read back, it gives the same settings.
    printed = tomllib.loads(out)
    reread = Settings(**{key.replace("-", "_"): value for key, value in printed.items()})
    assert reread.max_connections == 7 and reread.port == 2222 and reread.tick_rate == 40.0


def test_the_config_masks_tokens_and_nats_credentials(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPINE_WS_TOKENS", "controller:a-secret-token-0123456789")
    _, out, _ = run_config(["--config", str(config)], capsys)
    assert "a-secret-token" not in out and "secret-pass" not in out
    assert "# tokens = (set, masked)  # environment" in out
    assert 'nats = "nats://127.0.0.1:4222"  # file; credentials masked' in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_connections = 5\n", "'max_connections' is not a setting (spell it as the flag"),
        ("no-such-thing = 1\n", "'no-such-thing' is not a setting"),
        ('tokens = "controller:x"\n', "tokens do not go in the config file"),
        ("port = [\n", "is not valid TOML"),
    ],
)
def test_a_wrong_file_is_one_line_and_exit_2(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, _, err = run_config(["--config", str(path)], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_wrong_value_in_the_file_is_a_validation_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("port = 99999\n")
    code, _, err = run_config(["--config", str(path)], capsys)
    assert code == 2 and "port" in err and "less than or equal to 65535" in err


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_config(["--config", str(tmp_path / "nope.toml")], capsys)
    assert code == 2 and "nope.toml" in err


def test_the_config_file_can_come_from_the_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPINE_WS_CONFIG", str(config))
    _, out, _ = run_config([], capsys)
    assert "port = 1111  # file" in out


def test_the_loaded_settings_know_which_were_set(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defaults stay defaults (the app warns about set world flags a plug-in ignores)."""
    monkeypatch.setenv("SPINE_WS_TICK_RATE", "30")
    settings, _ = Settings.load({"seed_agents": 3}, None)
    assert settings.model_fields_set == {"seed_agents", "tick_rate"}
    assert isinstance(settings, Settings) and type(settings) is Settings
