"""One log, ours and uvicorn's, in one format; and readable under a flood.

`configure` gives the root logger the one handler (stderr), as text lines with a
timestamp or as JSON lines (`--log-format json`) with a stable set of keys; uvicorn is
told to configure nothing (`transport.server`), so its records come through it too.

A tick that fails on every tick, or a client that sends one bad frame after another,
must not write a traceback per event. `Repeats` lets the first record of a kind through
per window (kind: logger, level and message template, not its arguments) and counts
the rest; the next one let through says how many were left out.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Literal

import orjson

__all__ = ["COLLAPSE", "FIELDS", "LOGGERS", "JsonLines", "Repeats", "configure", "install"]

TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# What a record may carry beyond its message (`extra=`), as JSON keys, in this order.
FIELDS = ("connection_id", "role", "address", "close_code", "command_type", "error_code")


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, then the
    `FIELDS` the record has, then `exception` (a traceback) if it has one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry, default=str).decode()


def configure(level: str, form: Literal["text", "json"]) -> logging.Handler:
    """The one handler of the process's log (the CLI adds the token redactor to it)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if form == "json" else logging.Formatter(TEXT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


# The loggers spine-ws writes to (uvicorn's are filtered in `transport.server`).
LOGGERS = ("spine_ws", "spine_ws.connection", "spine_ws.hub", "spine_ws.simulation")
# `extra=COLLAPSE` marks an INFO record as one of a kind that can come in floods; an
# extra `kind` keeps apart records of one template that say different things.
COLLAPSE = {"collapse": True}


class Repeats(logging.Filter):
    """Collapse repeats of WARNING and worse (and INFO marked COLLAPSE) per `window` s."""

    def __init__(self, window: float = 10.0) -> None:
        super().__init__()
        self._window = window
        self._runs: dict[tuple[str, int, object, object], list[float | int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and not getattr(record, "collapse", False):
            return True
        key = (record.name, record.levelno, record.msg, getattr(record, "kind", None))
        run = self._runs.get(key)
        if run is not None and record.created - run[0] < self._window:
            run[1] += 1
            return False
        if run is not None and run[1]:
            record.msg = f"{record.msg} (repeated {run[1]} more times in {self._window:g} s before)"
        self._runs[key] = [record.created, 0]
        if len(self._runs) > 1000:  # templates are few; stay bounded anyway
            self._runs.pop(next(iter(self._runs)))
        return True


def install(window: float = 10.0) -> None:
    """Put one `Repeats` on each of spine-ws's loggers (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, Repeats) for f in logger.filters):
            logger.addFilter(Repeats(window))
