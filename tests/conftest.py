import os

import pytest

TRANSPORTS = ("fast", "asgi")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--transport",
        choices=TRANSPORTS,
        default="fast",
        help="the /ws transport of every server the tests start (SPINE_WS_TRANSPORT)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--transport") == "asgi":
        # Every `spine-ws serve` the tests start inherits it.
        os.environ["SPINE_WS_TRANSPORT"] = "asgi"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--transport") != "asgi":
        return
    skip = pytest.mark.skip(reason="needs the fast path (a TCP abort, or its memory layout)")
    for item in items:
        if item.get_closest_marker("fast_path"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def transport(pytestconfig: pytest.Config) -> str:
    """The /ws transport the servers under test use."""
    mode: str = pytestconfig.getoption("--transport")
    return mode


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
