"""The deployment files in docs/ say what works: the systemd unit (docs/nginx.conf runs
for real in tests/e2e/test_nginx.py)."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spine_ws import cli
from spine_ws.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "docs/spine-ws.service"
INSTALLED = "/opt/spine-ws/bin/spine-ws"


def _service() -> configparser.SectionProxy:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text())
    return unit["Service"]


def test_the_units_command_line_is_a_valid_spine_ws_serve() -> None:
    """ExecStart runs `spine-ws serve` with flags that exist and settings that validate."""
    command = shlex.split(_service()["ExecStart"])
    assert command[:2] == [INSTALLED, "serve"], command
    args = vars(cli.parsers()[0].parse_args(command[1:]))
    flags = {k: v for k, v in args.items() if k not in ("command", "config")}
    settings, _ = Settings.load(flags, args["config"])
    assert settings.trusted_proxies == "127.0.0.1" and settings.host == "127.0.0.1"
    assert int(_service()["LimitNOFILE"]) > 2 * settings.max_connections


@pytest.fixture
def unit(tmp_path: Path) -> Path:
    """The unit file, running this checkout's spine-ws (systemd checks that it exists)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    copy = tmp_path / UNIT.name
    executable = Path(sys.executable).parent / "spine-ws"
    copy.write_text(UNIT.read_text().replace(INSTALLED, str(executable)))
    return copy


@pytest.mark.tooling
def test_the_unit_file_is_valid(unit: Path) -> None:
    """`systemd-analyze verify` finds nothing wrong with it."""
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.tooling
def test_the_unit_is_hardened(unit: Path) -> None:
    """`systemd-analyze security` rates its exposure under 2 of 10 ("OK")."""
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
