"""Where the package's data is: in the installed package, or in a checkout.

An installed `spine_ws` carries the schemas and the built viewer as package data
(pyproject.toml maps them in); a checkout has them at the top of the tree. The bundle
and the AsyncAPI document are generated into `spine_ws.generated`, so they are always
beside the models.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from spine_ws import generated

__all__ = ["asyncapi", "schema_files", "viewer_dir"]

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]  # server/spine_ws -> the repository
_GENERATED = Path(generated.__file__).resolve().parent


def _data_dir(packaged: str, in_checkout: str) -> Path:
    inside = _PACKAGE / packaged
    return inside if inside.is_dir() else _CHECKOUT / in_checkout


def viewer_dir() -> Path:
    """The built viewer (`npm run build` in clients/ts); may not exist in a checkout."""
    return _data_dir("viewer", "clients/ts/dist/viewer")


@cache
def schema_files() -> dict[str, dict[str, Any]]:
    """Every schema file, keyed by its path relative to `schema/` (POSIX form)."""
    root = _data_dir("schema", "schema")
    return {
        path.relative_to(root).as_posix(): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*.json"))
    }


@cache
def asyncapi() -> dict[str, Any]:
    """The generated AsyncAPI 3.0 document of `/ws`."""
    document: dict[str, Any] = json.loads((_GENERATED / "asyncapi.json").read_text("utf-8"))
    return document
