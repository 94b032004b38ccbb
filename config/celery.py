"""Celery application: eager (in-process) without a broker, Redis when CELERY_BROKER_URL is set."""

import os

from celery import Celery

# A worker is a production process, like the WSGI server; say config.settings.local to develop.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("chc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# --- Logging ------------------------------------------------------------------------------
# Workers log through Django's LOGGING (JSON lines in production), and every record written
# while a task runs carries the task id where a request's records carry the request id.
from contextvars import Token  # noqa: E402

from celery.signals import setup_logging, task_postrun, task_prerun  # noqa: E402

from core.logs import NO_REQUEST, request_id_var  # noqa: E402

_task_tokens: dict[str, Token] = {}


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    """With a receiver here Celery leaves the root handlers alone (and ignores --loglevel)."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


@task_prerun.connect
def _bind_task_id(task_id: str | None = None, **kwargs) -> None:
    if task_id:
        _task_tokens[task_id] = request_id_var.set(task_id)


@task_postrun.connect
def _unbind_task_id(task_id: str | None = None, **kwargs) -> None:
    # Reset rather than clear: an eager task runs inside a request, whose id must come back.
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is None:
        return
    try:
        request_id_var.reset(token)
    except ValueError:  # set in another context (a thread pool): nothing to restore there
        request_id_var.set(NO_REQUEST)
