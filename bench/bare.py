"""The bare Django page that bench/pages_http.py sets beside each of ours: same server, same size.

The "bare limit" of the performance notes (part A1, view `page`): a minimal Django project in one
module, with Django's default middleware plus django-htmx's, no database, whose one view renders a
realistic page of exactly <size> bytes: a table of Chinese rows (with `date`, `truncatechars` and
`cycle`), a form of nine fields and `{% csrf_token %}`. The number of rows is chosen so that the
rendered body has the size asked (the remainder is padded with spaces inside a comment).

Served by the production gunicorn config, it shows what Django and gunicorn cost on this machine
for a page of that size that does no work of its own, so that ours ÷ bare measures our own work
(queries, permissions, figures) and not the hardware:

    WEB_CONCURRENCY=2 PORT=8002 .venv/bin/gunicorn bench.bare:application \
        -c config/deploy/gunicorn.conf.py
    curl http://127.0.0.1:8002/bare/20000/

With CHC_BARE_DATABASE_URL set it also answers `POST /bare-save/` (value, id): the floor of a
cell save for bench/cell_save.py, one UPDATE of a row of its own tiny table (bench_bare_cell,
which that benchmark creates) in autocommit, behind the same middleware (CSRF checked), on a
persistent connection as production's (CONN_MAX_AGE=60); and `POST /bare-push/`, the floor of an
API push for bench/api_push.py (the JSON parsed, its rows COPY'd into bench_bare_value).
"""

from __future__ import annotations

import datetime as dt
import json
import os

import environ
from django.conf import settings

BARE_DATABASE_URL = os.environ.get("CHC_BARE_DATABASE_URL", "")

PAGE = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><main><h1>{{ title }}</h1>
<form method="post">{% csrf_token %}{{ form.as_div }}<button>保存</button></form>
<table><thead><tr><th>序号</th><th>中心</th><th>日期</th><th>说明</th><th>数值</th></tr></thead>
<tbody>{% for row in rows %}<tr class="{% cycle 'odd' 'even' %}"><td>{{ forloop.counter }}</td>
<td>{{ row.name }}</td><td>{{ row.day|date:"Y年n月j日" }}</td>
<td>{{ row.note|truncatechars:18 }}</td><td>{{ row.value }}</td></tr>
{% endfor %}</tbody></table></main></body></html>
<!--{{ pad }}-->
"""

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-not-secret",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django_htmx",
    ],
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
    ],
    DATABASES=(
        {"default": {**environ.Env.db_url_config(BARE_DATABASE_URL), "CONN_MAX_AGE": 60}}
        if BARE_DATABASE_URL
        else {}
    ),
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.cached.Loader",
                        [("django.template.loaders.locmem.Loader", {"page.html": PAGE})],
                    )
                ],
                "context_processors": ["django.template.context_processors.csrf"],
            },
        }
    ],
    LANGUAGE_CODE="zh-hans",
    USE_TZ=True,
    TIME_ZONE="Asia/Shanghai",
    LOGGING_CONFIG=None,
)

import django  # noqa: E402

django.setup()

from django import forms  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from django.views.decorators.http import require_POST  # noqa: E402


class EntryForm(forms.Form):
    """Nine fields of the kinds our forms have."""

    name = forms.CharField(label="姓名", max_length=50)
    department = forms.ChoiceField(label="科室", choices=[(i, f"第{i}科") for i in range(12)])
    title = forms.CharField(label="职务", max_length=50, required=False)
    hired_on = forms.DateField(label="入职日期")
    left_on = forms.DateField(label="离职日期", required=False)
    value = forms.DecimalField(label="数值", max_digits=12, decimal_places=2)
    share = forms.DecimalField(label="比例", max_digits=5, decimal_places=2, required=False)
    note = forms.CharField(label="说明", widget=forms.Textarea, required=False)
    confirmed = forms.BooleanField(label="已核对", required=False)


def rows(n: int) -> list[dict]:
    return [
        {
            "name": f"第{i}社区卫生服务中心",
            "day": dt.date(2024, 1 + i % 12, 1 + i % 28),
            "note": "辖区居民健康档案建档与家庭医生签约服务情况说明",
            "value": f"{1000 + i * 7}.50",
        }
        for i in range(n)
    ]


def context(request: HttpRequest, n: int, pad: int) -> dict:
    return {"title": "健康中心通", "form": EntryForm(), "rows": rows(n), "pad": " " * pad}


SIZES: dict[int, tuple[int, int]] = {}


def layout(request: HttpRequest, size: int) -> tuple[int, int]:
    """(rows, padding) that render to exactly `size` bytes, found once per size."""
    if size not in SIZES:

        def length(n: int, pad: int = 0) -> int:
            return len(render_to_string("page.html", context(request, n, pad), request).encode())

        per_row = max(1, (length(20) - length(0)) // 20)
        n = max(0, (size - length(0)) // per_row)
        while n and length(n) > size:
            n -= 1
        while length(n + 1) <= size:
            n += 1
        SIZES[size] = (n, max(0, size - length(n)))
    return SIZES[size]


def page(request: HttpRequest, size: int) -> HttpResponse:
    n, pad = layout(request, size)
    return render(request, "page.html", context(request, n, pad))


@require_POST
def save(request: HttpRequest) -> HttpResponse:
    """One UPDATE of one row, as a cell save's write, and a short answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bench_bare_cell SET value = %s, updated_at = now() WHERE id = %s",
            [request.POST["value"], int(request.POST["id"])],
        )
        if cursor.rowcount != 1:
            return HttpResponse("no such row", status=404)
    return HttpResponse("saved")


@csrf_exempt  # as the API's token requests: no session, no CSRF
@require_POST
def push(request: HttpRequest) -> HttpResponse:
    """The floor of an API push (bench/api_push.py): the JSON parsed, every row COPY'd into a
    table of its own (bench_bare_value, which that benchmark creates), nothing checked."""
    rows = json.load(request)["dataValues"]  # read as the API reads it, past the form limit
    with connection.cursor() as cursor:
        copy_sql = "COPY bench_bare_value (centre, indicator, period, value) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row((row["centre"], row["indicator"], row["period"], row["value"]))
    return JsonResponse({"imported": len(rows)})


urlpatterns = [
    path("bare/<int:size>/", page),
    path("bare-save/", save),
    path("bare-push/", push),
]

application = get_wsgi_application()
