"""The API end to end with a personal token: push a month (dry run, then for real), read it back,
get the figures with 同比; what the UI refuses the API refuses (404, 403, locks, approvals); the
error body, the throttle, ETags, and the token never in the logs.

Today is 20 May 2024: April is open, March locked since 1 May."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, override_settings

from core import tokens
from core.models import AuditEntry
from services.models import MonthReport, TallyValue
from services.tests.data import put

pytestmark = pytest.mark.django_db
D = dt.date
PUSH = "/api/v1/dataValueSets/"
APRIL_ROWS = [
    {"centre": "ciqikou", "indicator": "opd_visits", "period": "2024-04", "value": "5241"},
    {"centre": "ciqikou", "indicator": "total_visits", "period": "2024-04", "value": 6000},
    {"centre": "ciqikou", "indicator": "tcm_visits", "period": "2024-04", "value": "900"},
]


@pytest.fixture(autouse=True)
def _may_2024():
    cache.clear()  # the throttle's counts
    with time_machine.travel(dt.datetime(2024, 5, 20, 10, 0)):
        yield


def token_client(user, **kwargs) -> tuple[Client, str]:
    _token, secret = tokens.api_token_create(user=user, name="HIS", **kwargs)
    return Client(headers={"Authorization": f"Bearer {secret}"}), secret


def push(client, rows, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    body = json.dumps({"dataValues": rows})
    return client.post(f"{PUSH}?{query}", body, content_type="application/json")


def test_a_token_pushes_a_month_reads_it_back_and_gets_the_figures(centre, clerk):
    for code, value in (("opd_visits", 4800), ("total_visits", 5000), ("tcm_visits", 600)):
        put(centre, code, D(2023, 4, 1), value)
    api, _secret = token_client(clerk)

    dry = push(api, APRIL_ROWS, dryRun="true")
    assert dry.status_code == 200, dry.json()
    body = dry.json()
    assert body["status"] == "SUCCESS" and body["dryRun"] is True
    assert body["importCount"] == {"imported": 3, "updated": 0, "deleted": 0, "ignored": 0}
    assert [(c["indicator"], c["old"], c["new"]) for c in body["changes"]] == [
        ("opd_visits", None, "5241"),
        ("total_visits", None, "6000"),
        ("tcm_visits", None, "900"),
    ]
    assert not TallyValue.objects.filter(period=D(2024, 4, 1)).exists()
    assert not AuditEntry.objects.filter(action="services.tally.changed").exists()

    done = push(api, APRIL_ROWS)
    assert done.status_code == 200
    assert done.json()["importCount"] == {"imported": 3, "updated": 0, "deleted": 0, "ignored": 0}
    assert done.json()["description"] == "导入3条，更新0条，删除0条，忽略0条。"
    assert "changes" not in done.json()
    assert AuditEntry.objects.filter(action="services.tally.changed", actor=clerk).count() == 3

    read = api.get("/api/v1/centres/ciqikou/values/", {"period": "2024-04"})
    assert read.status_code == 200 and read.json()["count"] == 3
    pushed_back = [
        {k: row[k] for k in ("centre", "indicator", "period", "value")}
        for row in read.json()["results"]
    ]
    assert sorted(pushed_back, key=lambda r: r["indicator"]) == sorted(
        [{**r, "value": str(r["value"])} for r in APRIL_ROWS], key=lambda r: r["indicator"]
    )
    assert push(api, pushed_back).json()["importCount"]["ignored"] == 3  # idempotent

    figures = api.get(
        "/api/v1/centres/ciqikou/figures/",
        {"period": "2024-04", "indicator": ["opd_visits", "tcm_visit_share"]},
    )
    assert figures.status_code == 200
    found = {f["code"]: f for f in figures.json()["figures"]}
    # 门急诊 5241 against 4800: (5241 − 4800) ÷ 4800 = 9.1875% → 9.19%.
    assert [found["opd_visits"][k] for k in ("value", "previous", "change", "changeUnit")] == [
        "5241",
        "4800",
        "9.19",
        "%",
    ]
    # 中医诊疗人次占比 900 ÷ 6000 = 15% against 600 ÷ 5000 = 12%: 3 百分点.
    share = found["tcm_visit_share"]
    assert [share[k] for k in ("value", "previous", "change", "changeUnit")] == [
        "15",
        "12",
        "3",
        "百分点",
    ]
    assert figures.json()["period"]["code"] == "2024-04"
    assert figures.json()["previousPeriod"]["first"] == "2023-04-01"


def test_a_commission_token_gets_its_subtrees_figures(centre, other_centre, clerk, city_reviewer):
    put(centre, "opd_visits", D(2024, 4, 1), 5241)
    put(other_centre, "opd_visits", D(2024, 4, 1), 759)
    api, _secret = token_client(city_reviewer)
    response = api.get("/api/v1/commissions/city/figures/", {"period": "2024-04"})
    assert response.status_code == 200
    found = {f["code"]: f for f in response.json()["figures"]}
    assert found["opd_visits"]["value"] == "6000" and response.json()["centres"] == 2
    district = api.get("/api/v1/commissions/district/figures/", {"period": "2024-04"}).json()
    assert {f["code"]: f["value"] for f in district["figures"]}["opd_visits"] == "5241"


def test_a_token_of_another_centre_gets_404_and_a_reviewer_may_not_push(
    centre, other_member, reviewer
):
    other, _secret = token_client(other_member)
    response = other.get("/api/v1/centres/ciqikou/values/", {"period": "2024-04"})
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "未找到，或不在您可访问的范围内。",
        "details": None,
    }
    nowhere = other.get("/api/v1/centres/no-such-centre/", {"period": "2024-04"})
    assert nowhere.status_code == 404 and nowhere.json() == response.json()  # no difference
    refused = push(other, APRIL_ROWS)
    assert refused.status_code == 404 and refused.json()["details"] == {"centres": ["ciqikou"]}
    review, _secret = token_client(reviewer)
    assert review.get("/api/v1/centres/ciqikou/values/", {"period": "2024-04"}).status_code == 200
    forbidden = push(review, APRIL_ROWS)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "permission_denied"
    assert not TallyValue.objects.exists()


def test_locked_and_approved_months_are_conflicts_and_atomic_writes_nothing(centre, clerk):
    MonthReport.objects.create(centre=centre, period=D(2024, 2, 1), state="approved")
    api, _secret = token_client(clerk)
    rows = [
        *APRIL_ROWS,
        {"centre": "ciqikou", "indicator": "opd_visits", "period": "2024-03", "value": "1"},
        {"centre": "ciqikou", "indicator": "opd_visits", "period": "2024-02", "value": "1"},
        {"centre": "ciqikou", "indicator": "discharges", "period": "2024-04", "value": "2.5"},
    ]
    refused = push(api, rows)
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "conflicts" and error["message"] == "有3条冲突，未导入任何数据。"
    summary = error["details"]
    assert summary["status"] == "ERROR"
    assert summary["importCount"] == {"imported": 0, "updated": 0, "deleted": 0, "ignored": 6}
    assert [(c["line"], c["code"], c["period"]) for c in summary["conflicts"]] == [
        (4, "locked", "2024-03"),
        (5, "locked", "2024-02"),
        (6, "value_invalid", "2024-04"),
    ]
    assert summary["conflicts"][1]["reason"].startswith("卫健委已审核")
    assert summary["conflicts"][2]["reason"] == "以“人次”计的数值必须是整数。"
    assert not TallyValue.objects.exists()

    partial = push(api, rows, atomic="false")
    assert partial.status_code == 200
    assert partial.json()["status"] == "WARNING"
    assert partial.json()["importCount"] == {
        "imported": 3,
        "updated": 0,
        "deleted": 0,
        "ignored": 3,
    }
    assert TallyValue.objects.filter(period=D(2024, 4, 1)).count() == 3


def test_strategies_and_csv(centre, clerk):
    api, _secret = token_client(clerk)
    put(centre, "discharges", D(2024, 4, 1), 30)
    csv_body = "centre,indicator,period,value\nciqikou,discharges,2024-04,35\nciqikou,opd_visits,202404,10\n"
    create = api.post(f"{PUSH}?importStrategy=CREATE", csv_body, content_type="text/csv")
    assert create.status_code == 200, create.json()
    assert create.json()["importCount"] == {"imported": 1, "updated": 0, "deleted": 0, "ignored": 1}
    delete = api.post(f"{PUSH}?importStrategy=DELETE", csv_body, content_type="text/csv")
    assert delete.json()["importCount"] == {"imported": 0, "updated": 0, "deleted": 2, "ignored": 0}
    assert not TallyValue.objects.exists()
    assert AuditEntry.objects.filter(target_id="discharges@2024-04").get().changes == {
        "value": ["30", None]
    }


def test_bad_requests_answer_the_stable_body(centre, clerk):
    api, _secret = token_client(clerk)
    bad = api.post(PUSH, "{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "parse_error"
    deep = api.post(PUSH, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deep.status_code == 400 and deep.json()["code"] == "parse_error"  # not RecursionError
    year_zero = push(api, [{"centre": "ciqikou", "indicator": "opd_visits", "period": "0000-01",
                            "value": "100"}])  # fmt: skip
    assert year_zero.status_code == 409, year_zero.json()
    assert [c["code"] for c in year_zero.json()["details"]["conflicts"]] == ["period_invalid"]
    rows = api.post(PUSH, json.dumps({"dataValues": [{"centre": "ciqikou"}]}), "application/json")
    assert rows.status_code == 400 and rows.json()["code"] == "invalid"
    assert set(rows.json()["details"]["dataValues"]["1"]) == {"indicator", "period"}
    period = api.get("/api/v1/centres/ciqikou/values/", {"period": "2024-13"})
    assert period.status_code == 400 and "period" in period.json()["details"]
    strategy = push(api, APRIL_ROWS, importStrategy="MERGE")
    assert strategy.status_code == 400 and "importStrategy" in strategy.json()["details"]
    unknown = api.get("/api/v1/no-such-thing/")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert api.delete("/api/v1/centres/").json()["code"] == "method_not_allowed"
    nul = api.get("/api/v1/centres/", {"search": "a\x00b"})
    assert nul.status_code == 400 and nul.json()["code"] == "invalid"


def test_anonymous_revoked_and_expired_tokens_are_refused_at_once(centre, clerk):
    anonymous = Client().get("/api/v1/centres/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == 'Bearer realm="api"'
    assert anonymous.json()["code"] == "not_authenticated"
    token, secret = tokens.api_token_create(user=clerk, name="HIS")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/centres/").status_code == 200
    tokens.api_token_revoke(token=token, actor=clerk)
    revoked = api.get("/api/v1/centres/")
    assert revoked.status_code == 401 and revoked.json()["code"] == "authentication_failed"
    assert revoked.json()["message"] == "令牌无效、已吊销或已过期。"

    expiring, _secret = token_client(clerk, expires_on=D(2024, 5, 20))
    assert expiring.get("/api/v1/centres/").status_code == 200  # its last day
    with time_machine.travel(dt.datetime(2024, 5, 21, 10, 0)):
        assert expiring.get("/api/v1/centres/").status_code == 401
    wrong = Client(headers={"Authorization": "Bearer chc_not-a-token"})
    assert wrong.get("/api/v1/centres/").status_code == 401


def test_the_browser_session_works_with_csrf(centre, clerk):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk)
    assert browser.get("/api/v1/centres/ciqikou/").status_code == 200
    refused = push(browser, APRIL_ROWS)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    browser.get("/accounts/tokens/")  # a page sets the CSRF cookie, as a browser has it
    token = browser.cookies["csrftoken"].value
    body = json.dumps({"dataValues": APRIL_ROWS})
    done = browser.post(PUSH, body, "application/json", headers={"X-CSRFToken": token})
    assert done.status_code == 200 and done.json()["importCount"]["imported"] == 3


@override_settings(CHC_API_RATE="3/min")
def test_the_throttle_answers_429_with_the_stable_body(centre, clerk):
    api, _secret = token_client(clerk)
    other, _other = token_client(clerk)  # counted per token
    for _ in range(3):
        assert api.get("/api/v1/centres/").status_code == 200
    throttled = api.get("/api/v1/centres/")
    assert throttled.status_code == 429
    body = throttled.json()
    assert body["code"] == "throttled" and body["message"].startswith("请求过于频繁")
    assert int(throttled["Retry-After"]) == body["details"]["retryAfter"] > 0
    assert other.get("/api/v1/centres/").status_code == 200


def test_the_token_never_reaches_the_logs(centre, clerk, caplog):
    caplog.set_level(logging.DEBUG)
    token, secret = tokens.api_token_create(user=clerk, name="HIS")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    api.get("/api/v1/centres/ciqikou/values/", {"period": "2024-04"})
    push(api, APRIL_ROWS)
    api.get("/api/v1/centres/no-such/")
    tokens.api_token_revoke(token=token, actor=clerk)
    api.get("/api/v1/centres/")  # refused: logged as a 401
    assert caplog.records, "requests are logged"
    assert any(r.name == "chc.request" and r.user_id == clerk.pk for r in caplog.records)
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.__dict__)
    assert secret not in caplog.text
    stored = AuditEntry.objects.filter(action__startswith="core.api_token")
    assert all(secret not in json.dumps(e.changes) and secret not in e.target_repr for e in stored)


def test_reads_carry_an_etag_and_answer_304_until_the_data_change(centre, clerk):
    api, _secret = token_client(clerk)
    url = "/api/v1/centres/ciqikou/values/?period=2024-04"
    first = api.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    again = api.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    push(api, APRIL_ROWS)
    changed = api.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_centres_months_say_whether_they_are_open_reported_and_approved(centre, clerk):
    with time_machine.travel(dt.datetime(2024, 4, 5, 9, 0)):
        MonthReport.objects.create(centre=centre, period=D(2024, 3, 1), state="approved")
    api, _secret = token_client(clerk)
    body = api.get("/api/v1/centres/ciqikou/periods/", {"year": 2024}).json()
    months = {m["period"]: m for m in body["months"]}
    # January–February locked 30 days after their end; March approved; April and May open.
    assert [m["locked"] for m in body["months"]][:5] == [True, True, True, False, False]
    assert (
        months["2024-01"]["reason"]
        == "已于2024年3月2日锁定（月末后30天）；如需修改，请联系审核员开放。"
    )
    assert months["2024-03"]["reason"].startswith("卫健委已审核")
    assert months["2024-06"]["reason"] == "该月尚未开始。"
    # March marked on 5 April (due 10 April); February and April never marked and past due;
    # May not yet due; June to come.
    assert [(m["status"], m["approval"]) for m in body["months"][:6]] == [
        ("missing", ""),
        ("missing", ""),
        ("reported", "approved"),
        ("missing", ""),
        ("pending", ""),
        ("", ""),
    ]
    assert months["2024-04"]["due"] == "2024-05-10"
    assert (body["yearLocked"], body["yearReason"]) == (False, "")


def test_a_commissions_completeness_counts_owed_and_reported_months(
    centre, other_centre, city_reviewer
):
    with time_machine.travel(dt.datetime(2024, 4, 5, 9, 0)):
        MonthReport.objects.create(centre=centre, period=D(2024, 3, 1))
    api, _secret = token_client(city_reviewer)
    rows = api.get("/api/v1/commissions/city/completeness/", {"year": 2024}).json()
    found = {r["centre"]: r for r in rows["results"]}
    # Owed by 20 May: January to April.
    assert (found["ciqikou"]["reported"], found["ciqikou"]["expected"]) == (1, 4)
    assert (found["yangjiaping"]["reported"], found["yangjiaping"]["expected"]) == (0, 4)
    assert found["ciqikou"]["months"][2] == {
        "period": "2024-03",
        "status": "reported",
        "approval": "submitted",
        "due": "2024-04-10",
    }


def test_the_catalogue_in_force_is_the_centres_own(centre, other_centre, clerk, other_member):
    from services.models import Indicator

    Indicator.objects.create(
        code="hpv_done",
        name="HPV疫苗接种人次",
        category="vaccination",
        unit="人次",
        owner=centre.sponsor,
        active_from=D(2024, 1, 1),
    )
    mine, _s = token_client(clerk)
    body = mine.get("/api/v1/centres/ciqikou/indicators/", {"period": "2024-04"}).json()
    found = {i["code"]: i for i in body["indicators"]}
    assert found["hpv_done"]["owner"] == "district" and found["opd_visits"]["owner"] is None
    assert found["opd_visits"]["categoryName"] == "医疗服务"
    assert found["res_pop"]["frequency"] == "yearly"
    rates = {r["code"]: r for r in body["rates"]}
    assert (rates["tcm_visit_share"]["numerator"], rates["tcm_visit_share"]["unit"]) == (
        "tcm_visits",
        "%",
    )
    theirs, _s = token_client(other_member)
    other = theirs.get("/api/v1/centres/yangjiaping/indicators/", {"period": "2024-04"}).json()
    assert "hpv_done" not in {i["code"] for i in other["indicators"]}
    before = mine.get("/api/v1/centres/ciqikou/indicators/", {"period": "2023-12"}).json()
    assert "hpv_done" not in {i["code"] for i in before["indicators"]}  # not yet in force
    # A push of the district's indicator before it is in force is refused as the grid refuses it.
    row = {"centre": "ciqikou", "indicator": "hpv_done", "period": "2023-12", "value": "3"}
    refused = push(mine, [row], dryRun="true")
    assert refused.json()["details"]["conflicts"][0]["code"] == "indicator_not_in_force"
    other_push = push(
        theirs, [{**row, "centre": "yangjiaping", "period": "2024-04"}], dryRun="true"
    )
    assert other_push.json()["details"]["conflicts"][0]["code"] == "indicator_unknown"
