"""A megabyte command: the 10 km map of examples/route-sim, exported (~2.2 MB of base64
from the server) and imported back (the same bytes in one `map.import` frame, which its
schema lets be up to 8 MiB while every other frame keeps 64 KiB), N times over one
connection. Times each round trip to its reply and the server's RSS after each upload:
an upload must cost about what the same bytes cost the other way, and memory must not
grow with the number of uploads.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from websockets.sync.client import ClientConnection, connect

from bench.launch import ROOT, start_server

__all__ = ["measure"]


def _ten_km() -> dict[str, Any]:
    path = ROOT / "examples/route-sim/tests/maps.py"
    spec = importlib.util.spec_from_file_location("route_sim_maps", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    maps: dict[str, Any] = module.TEN_KM
    return maps


def _call(ws: ClientConnection, action: str, params: dict[str, Any], rid: str) -> dict[str, Any]:
    ws.send(json.dumps({"action": action, "params": params, "request_id": rid}))
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=120))
        if frame.get("request_id") == rid and frame["signal"] != "progress":
            return frame


def measure(log_dir: Path, uploads: int) -> dict[str, Any]:
    server = start_server("routesim", log_dir, "upload-routesim")
    try:
        with connect(server.url, max_size=None, open_timeout=10) as ws:
            ws.recv(timeout=10)  # the snapshot
            made = _call(ws, "map.create", _ten_km(), "make")
            assert made["signal"] == "map.created", made
            down, up, rss = [], [], []
            content = ""
            rss_before = server.rss()
            for i in range(uploads):
                started = time.perf_counter()
                exported = _call(ws, "map.export", {"filename": "ten"}, f"e{i}")
                down.append(time.perf_counter() - started)
                content = exported["data"]["file_content"]
                started = time.perf_counter()
                params = {"filename": "ten.smap", "file_content": content}
                imported = _call(ws, "map.import", params, f"i{i}")
                up.append(time.perf_counter() - started)
                assert imported["signal"] == "map.imported", imported
                rss.append(server.rss())
        return {
            "bytes": len(content),
            "uploads": uploads,
            "upload_p50_s": float(np.median(up)),
            "upload_max_s": max(up),
            "export_p50_s": float(np.median(down)),
            "rss_before": rss_before,
            "rss_after_first": rss[0],
            "rss_after_last": rss[-1],
        }
    finally:
        server.stop()
