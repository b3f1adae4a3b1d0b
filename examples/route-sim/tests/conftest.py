"""The example's tests run on asyncio, as the repository's do."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
