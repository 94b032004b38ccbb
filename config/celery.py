"""Celery application: eager (in-process) without a broker, Redis when CELERY_BROKER_URL is set."""

import os

from celery import Celery

# A worker is a production process, like the WSGI server; say config.settings.local to develop.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("chc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
