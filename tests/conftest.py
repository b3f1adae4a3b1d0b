import os
import subprocess
from typing import Any

import pytest

TRANSPORTS = ("fast", "asgi")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--transport",
        choices=TRANSPORTS,
        default="fast",
        help="the /ws transport of every server the tests start (SPINE_WS_TRANSPORT)",
    )
    parser.addoption(
        "--no-processes",
        action="store_true",
        help="fail a test that starts a process (`make test-fast`: mark such a test `tooling`)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--transport") == "asgi":
        # Every `spine-ws serve` the tests start inherits it.
        os.environ["SPINE_WS_TRANSPORT"] = "asgi"
    if config.getoption("--no-processes"):
        # The inner loop stays seconds because nothing in it waits on another program.
        subprocess.Popen = _NoProcesses  # type: ignore[misc]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--transport") != "asgi":
        return
    skip = pytest.mark.skip(reason="needs the fast path (a TCP abort, or its memory layout)")
    for item in items:
        if item.get_closest_marker("fast_path"):
            item.add_marker(skip)


class _NoProcesses(subprocess.Popen):  # type: ignore[type-arg]
    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        raise AssertionError(
            f"`make test-fast` starts no process, and this test ran {args!r}: "
            "mark it `tooling` (it then runs in `make test`)"
        )


@pytest.fixture(scope="session")
def transport(pytestconfig: pytest.Config) -> str:
    """The /ws transport the servers under test use."""
    mode: str = pytestconfig.getoption("--transport")
    return mode


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
