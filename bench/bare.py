"""The bare Django page that bench/http.py sets beside each of ours: same server, same size.

A minimal Django project in one module (no apps, no middleware, no database, no templates) whose
one view returns an HTML body of exactly <size> bytes. Served by the production gunicorn config,
it shows what Django and gunicorn cost on this machine for a page of that size, so that
ours ÷ bare measures our own work (middleware, queries, templates) and not the hardware.

    WEB_CONCURRENCY=2 PORT=8002 .venv/bin/gunicorn bench.bare:application \
        -c config/deploy/gunicorn.conf.py
    curl http://127.0.0.1:8002/bare/20000/
"""

from __future__ import annotations

from functools import cache

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-not-secret",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    DATABASES={},
    USE_I18N=False,
    LOGGING_CONFIG=None,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

HEAD = b'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>bare</title>'
HEAD += b"</head><body><p>"
TAIL = b"</p></body></html>\n"
FILLER = "健康中心通 社区卫生服务中心 2024 ".encode()


@cache
def body(size: int) -> bytes:
    """Exactly `size` bytes of valid UTF-8 HTML, mostly Chinese text like our pages."""
    room = size - len(HEAD) - len(TAIL)
    if room < 0:
        return b"x" * size
    text = (FILLER * (room // len(FILLER) + 1))[:room].decode("utf-8", "ignore").encode()
    return HEAD + text + b" " * (room - len(text)) + TAIL


def page(request: HttpRequest, size: int) -> HttpResponse:
    return HttpResponse(body(size), content_type="text/html; charset=utf-8")


urlpatterns = [path("bare/<int:size>/", page)]

application = get_wsgi_application()
