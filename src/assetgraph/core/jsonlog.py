"""Structured logs: one JSON object per line (``ASSETGRAPH_LOG_JSON=1``), for collectors."""

from __future__ import annotations

import datetime as dt
import json
import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON: time, level, logger, message, exception, and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                document[key] = value if isinstance(value, str | int | float | bool) else str(value)
        return json.dumps(document, ensure_ascii=False)
