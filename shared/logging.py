"""Structured logs: JSON lines by default (console rendering for a terminal), level by DTI_LOG_LEVEL.

Nothing secret is ever logged: the request middleware logs method, path, status and timing only, never
headers or bodies; `redact` scrubs any key-like value that an exception message might carry.
Records of the standard library's loggers (uvicorn, aiokafka, faust) go through the same processors, so
in JSON mode every line on stderr is a JSON object: log shippers need no second parser.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_KEYLIKE = re.compile(r"(dti_[A-Za-z0-9]+_[A-Za-z0-9_\-]{8,}|Bearer\s+\S+)")


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for k, v in event.items():
        if isinstance(v, str) and ("dti_" in v or "Bearer" in v):
            event[k] = _KEYLIKE.sub("[redacted]", v)
    return event


def setup(level: str = "INFO", fmt: str = "json") -> None:
    lvl = logging.getLevelName(level.upper())
    if not isinstance(lvl, int):
        lvl = logging.INFO
    renderer: Any = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            timestamper,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # the standard library's records (uvicorn's startup lines, tracebacks, client libraries): same shape
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                timestamper,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact,
                renderer,
            ],
        )
    )
    handler.set_name("dti")
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "dti"] + [handler]
    root.setLevel(lvl)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
