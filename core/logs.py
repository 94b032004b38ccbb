"""Log records that say which request (or Celery task) they belong to, as text or JSON lines.

The request id lives in a context variable: RequestIdMiddleware sets it for each request,
config/celery.py sets it to the task id while a task runs, and RequestIdFilter copies it onto
every record that reaches the console handler ("-" outside both).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

NO_REQUEST = "-"
request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record; attach it to handlers, so it also sees propagated ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time, level, logger, message, request_id and any `extra` fields.

    Django's own `request` extra is left out: its repr carries the query string, which may hold
    tokens, and the request id already ties the line to the access log.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)
