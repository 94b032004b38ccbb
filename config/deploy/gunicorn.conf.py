"""Gunicorn for production: sync workers, one per core, behind a buffering reverse proxy.

Every value can be set from the environment, so the same file serves `make prod`, the drills and a
real server. The proxy (nginx) buffers request bodies, so a slow upload never holds a worker and
the timeout only has to cover the slowest page (the city summary computed live, about a second).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# Load Django once in the master: a worker forks ready (a recycled one starts in milliseconds, not
# the second an import takes, and answers its first request without compiling the layout), and
# shares the master's memory until it writes to it. Nothing opens a connection at import time.
preload_app = True
# Recycle workers now and then so that a slow leak never grows into an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The proxy on this host sets X-Forwarded-*; trust it and nobody else.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Django writes one JSON access line per request (with its request id): no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "chc-web")


def when_ready(server):
    """After the preload (config/wsgi.py warms the URLs and the layout): move everything loaded so
    far out of the collector's way (workers never free it, and scanning it on every full
    collection cost each of them time), and collect young objects less often (core/heap.py)."""
    from core import heap

    heap.settle()
