"""Logging: every line carries the request id (X-Openstack-Request-Id); JSON lines on request."""

from __future__ import annotations

import json
import logging
import os
from contextvars import ContextVar

# The id of the request being served; set by the API's RequestId middleware, "-" outside requests.
REQUEST_ID: ContextVar[str] = ContextVar("trunkd_request_id", default="-")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class _TrunkdHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks our handler so configuring twice (CLI, then each worker) replaces it."""


def configure() -> None:
    """Root logging from TRUNKD_LOG_FORMAT (text or json) and TRUNKD_LOG_LEVEL (info)."""
    handler = _TrunkdHandler()
    handler.addFilter(RequestIdFilter())
    json_lines = os.environ.get("TRUNKD_LOG_FORMAT", "text").lower() == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _TrunkdHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(os.environ.get("TRUNKD_LOG_LEVEL", "info").upper())
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
