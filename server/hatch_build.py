"""Hatch build hook: the package data a wheel needs and a checkout has elsewhere.

A wheel gets the schemas (`/schemas`) and the built viewer (`/`) inside `spine_ws`;
an editable install (a checkout) reads them where they are (`spine_ws.resources`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

VIEWER = "clients/ts/dist/viewer"


class PackageData(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        if not (root / VIEWER / "index.html").is_file():
            raise FileNotFoundError(
                f"{VIEWER} is not built: run `make` (or `npm run build` in clients/ts) first"
            )
        build_data["force_include"]["schema"] = "spine_ws/schema"
        build_data["force_include"][VIEWER] = "spine_ws/viewer"
