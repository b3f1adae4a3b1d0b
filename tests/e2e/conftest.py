"""Fixtures the end-to-end suites share."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ROOT


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv, outside the checkout, with the project's wheel installed as a
    user installs it (with the `gen` extra, for `spine-ws gen`)."""
    base = tmp_path_factory.mktemp("wheel")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv is needed to build the wheel (make installs it into .venv)"
    dist = base / "dist"
    subprocess.run(
        [uv, "build", "--wheel", "--quiet", "--out-dir", str(dist), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = dist.glob("spine_ws-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin/python"), f"{wheel}[gen]"],
        check=True,
        timeout=300,
    )
    return venv
