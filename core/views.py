"""Project-wide pages: the liveness and readiness checks used by load balancers and CI."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from celery import current_app as celery_app
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Seconds a readiness probe may wait for the broker; load balancers time out after a few.
BROKER_TIMEOUT = 1.5


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers HTTP. Touches nothing else, so probing it costs nothing.

    A dead database must not make the orchestrator restart healthy app processes; /readyz/
    says whether the dependencies answer.
    """
    return JsonResponse({"status": "ok"})


class CheckFailed(Exception):
    """A readiness check failed at a named step; the message is safe to show to anyone."""


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        raise CheckFailed(f"query failed ({type(exc).__name__})") from exc
    return {}


def _check_broker() -> dict:
    if celery_app.conf.task_always_eager:
        return {"mode": "eager"}  # tasks run in-process: there is no broker to ask
    try:
        with celery_app.connection_for_write(
            connect_timeout=BROKER_TIMEOUT,
            transport_options={
                "socket_connect_timeout": BROKER_TIMEOUT,
                "socket_timeout": BROKER_TIMEOUT,
            },
        ) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT
            )
    except Exception as exc:
        raise CheckFailed(f"unreachable ({type(exc).__name__})") from exc
    return {}


def _check_storage() -> dict:
    """Write, read back and delete a tiny file under healthz/ in the default storage."""
    payload = uuid.uuid4().hex.encode()
    step = "write"
    try:
        name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(payload))
        step = "read"
        with default_storage.open(name, "rb") as f:
            content = f.read()
        step = "delete"
        default_storage.delete(name)
    except Exception as exc:
        if step == "read":
            _delete_quietly(name)
        raise CheckFailed(f"{step} failed ({type(exc).__name__})") from exc
    if content != payload:
        raise CheckFailed("read back different content")
    return {}


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # the read already failed; that is what gets reported
        logger.warning("readyz: could not delete %s", name, exc_info=True)


READINESS_CHECKS: dict[str, Callable[[], dict]] = {
    "database": _check_database,
    "broker": _check_broker,
    "storage": _check_storage,
}


def _run(name: str, check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        detail, error = check(), None
    except Exception as exc:  # never a 500: a failing check is an answer, not an error
        # The full reason (host names, driver messages) goes to the log, not to the caller.
        logger.warning("readyz: %s check failed", name, exc_info=True)
        detail = {}
        error = str(exc) if isinstance(exc, CheckFailed) else f"failed ({type(exc).__name__})"
    result = {"ok": error is None, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if error is not None:
        result["error"] = error
    return result | detail


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the broker and the file storage all answer, else 503.

    Public (load balancers call it), so the answer names checks and exception types only.
    """
    checks = {name: _run(name, check) for name, check in READINESS_CHECKS.items()}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Pages without our layout (the admin) still get the icon browsers ask /favicon.ico for."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))
