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

from spine_ws.core.catalog import CORE, Catalog

__all__ = ["asyncapi", "schema_dir", "schema_files", "viewer_dir"]

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]  # server/spine_ws -> the repository


def _data_dir(packaged: str, in_checkout: str) -> Path:
    inside = _PACKAGE / packaged
    return inside if inside.is_dir() else _CHECKOUT / in_checkout


def viewer_dir() -> Path:
    """The built viewer (`npm run build` in clients/ts); may not exist in a checkout."""
    return _data_dir("viewer", "clients/ts/dist/viewer")


def schema_dir() -> Path:
    """The core's schema tree (`schema/`)."""
    return _data_dir("schema", "schema")


@cache
def schema_files(catalog: Catalog = CORE) -> dict[str, dict[str, Any]]:
    """Every schema file of a contract, keyed by its path relative to `schema/` (POSIX
    form): the core's, and an extension's own (copied into its generated package)."""
    roots = [schema_dir()]
    if catalog.extended:
        roots.append(catalog.home / "schema")
    return {
        path.relative_to(root).as_posix(): json.loads(path.read_text(encoding="utf-8"))
        for root in roots
        for path in sorted(root.rglob("*.json"))
    }


@cache
def asyncapi(catalog: Catalog = CORE) -> dict[str, Any]:
    """The generated AsyncAPI 3.0 document of `/ws`."""
    text = (catalog.home / "asyncapi.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document
