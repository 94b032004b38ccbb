"""Request ids: taken from a sane X-Request-ID or made up, echoed, and on every log line."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from celery.signals import task_postrun, task_prerun
from django.conf import settings

from core.logs import JsonFormatter, RequestIdFilter, request_id_var
from core.tests.test_settings import PRODUCTION_ENV, _run

pytestmark = pytest.mark.django_db

UUID_HEX = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def access_log(caplog):
    """The `chc.request` records, with the request id the console handler would add."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="chc.request")
    return lambda: [r for r in caplog.records if r.name == "chc.request"]


def test_a_request_id_is_made_up_and_echoed(client, access_log):
    response = client.get("/healthz/")
    request_id = response["X-Request-ID"]
    assert UUID_HEX.fullmatch(request_id)
    assert access_log()[-1].request_id == request_id
    assert request_id_var.get() == "-"  # and forgotten after the request


def test_a_sane_incoming_request_id_is_kept(client, access_log):
    response = client.get("/healthz/", headers={"X-Request-ID": "lb-7f3a.Zq_09"})
    assert response["X-Request-ID"] == "lb-7f3a.Zq_09"
    assert access_log()[-1].request_id == "lb-7f3a.Zq_09"


@pytest.mark.parametrize(
    "incoming", ["x" * 65, "has space", "line\nbreak", "semi;colon", "中文", ""]
)
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=incoming)
    assert UUID_HEX.fullmatch(response["X-Request-ID"])


def test_the_access_line_has_no_query_string(client, access_log):
    client.get("/healthz/?token=s3cret")
    record = access_log()[-1]
    assert (record.method, record.path, record.status, record.user_id) == (
        "GET",
        "/healthz/",
        200,
        None,
    )
    assert isinstance(record.duration_ms, float)
    assert "s3cret" not in record.getMessage()
    assert record.getMessage().startswith("GET /healthz/ 200 ")


def test_the_access_line_names_the_signed_in_user(client, outsider, access_log):
    client.force_login(outsider)
    client.get("/")
    assert access_log()[-1].user_id == outsider.pk


def _formatted(formatter: logging.Formatter, request_id: str | None = None, **extra) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("chc.test.formatting")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id_var.set(request_id) if request_id else None
    try:
        logger.warning("tally %s saved", "2024-03", extra=extra)
    finally:
        if token:
            request_id_var.reset(token)
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_json_lines_carry_the_request_id_level_logger_and_message():
    line = _formatted(JsonFormatter(), "abc123", centre="ciqikou", request=object())
    assert line.count("\n") == 1
    record = json.loads(line)
    assert record["request_id"] == "abc123"
    assert record["level"] == "WARNING"
    assert record["logger"] == "chc.test.formatting"
    assert record["message"] == "tally 2024-03 saved"
    assert record["centre"] == "ciqikou"
    assert "time" in record
    assert "request" not in record  # Django's request extra: its repr has the query string


def test_outside_a_request_the_id_is_a_dash():
    assert json.loads(_formatted(JsonFormatter()))["request_id"] == "-"


def test_plain_lines_carry_the_request_id_too():
    plain = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    assert "WARNING chc.test.formatting [abc123] tally 2024-03 saved" in _formatted(plain, "abc123")


def test_a_celery_task_logs_under_its_task_id_and_gives_the_request_id_back():
    token = request_id_var.set("req-1")
    try:
        task_prerun.send(sender=None, task_id="task-9", task=None)
        assert request_id_var.get() == "task-9"
        task_postrun.send(sender=None, task_id="task-9", task=None)
        assert request_id_var.get() == "req-1"
    finally:
        request_id_var.reset(token)


def test_production_logs_json_lines_and_other_settings_plain_ones():
    code = "import django, logging; django.setup(); logging.getLogger('chc.probe').warning('hello')"
    production = _run(["-c", code], PRODUCTION_ENV)
    line = production.stdout.strip().splitlines()[-1]
    assert json.loads(line) | {"time": None} == {
        "level": "WARNING",
        "logger": "chc.probe",
        "message": "hello",
        "request_id": "-",
        "time": None,
    }, production.stderr
    local = _run(["-c", code], {"DJANGO_SETTINGS_MODULE": "config.settings.local"})
    assert local.stdout.strip().endswith("WARNING chc.probe [-] hello"), local.stderr
