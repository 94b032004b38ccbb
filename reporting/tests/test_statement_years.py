"""变更登记 for a past report year: the certificate date counts only if it was issued by the end of
that year, and the statement and the registered items both go by the date registered.

Here rather than in centers' tests because it checks what the filing's prefill makes of them."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from centers import selectors
from centers.demo import load_centres_demo
from centers.models import Centre, RegistrationChange
from reporting.prefill import prefill

pytestmark = pytest.mark.django_db
OLD, NEW = "沙坪坝区磁器口正街48号", "沙坪坝区金磁路4号"


def _move(centre, effective_on, registered_on):
    RegistrationChange.objects.create(
        centre=centre,
        item="address",
        old_value=OLD,
        new_value=NEW,
        effective_on=effective_on,
        registered_on=registered_on,
    )
    centre.address = NEW
    centre.save()


def test_a_certificate_issued_after_the_report_year_does_not_hide_that_years_changes(centre):
    _move(centre, dt.date(2023, 5, 1), dt.date(2023, 5, 10))
    centre.certificate_valid_from = dt.date(2025, 3, 1)  # re-issued two years later
    centre.save()
    expected = f"2023年5月10日办理法人变更登记，住所由{OLD}变更为{NEW}。"
    assert (
        selectors.registration_statement(centre=centre, year=2023, since_certificate=True)
        == expected
    )
    assert prefill(centre, 2023)["registration"] == expected
    assert prefill(centre, 2022)["registration"] == "无"


def test_a_certificate_issued_by_the_year_end_still_bounds_the_statement(centre):
    _move(centre, dt.date(2021, 5, 1), dt.date(2021, 5, 10))
    centre.certificate_valid_from = dt.date(2023, 12, 31)
    centre.save()
    assert prefill(centre, 2023)["registration"] == "无"  # registered before this certificate


def test_a_change_registered_after_the_year_end_belongs_to_the_next_report(centre):
    _move(centre, effective_on=dt.date(2023, 12, 20), registered_on=dt.date(2024, 1, 8))
    before, after = prefill(centre, 2023), prefill(centre, 2024)
    assert (before["address"], before["registration"]) == (OLD, "无")
    assert after["address"] == NEW and "2024年1月8日" in after["registration"]


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 0))  # the 2025 report is being prepared
@pytest.mark.parametrize("scope", ["", "year", "since"])
def test_the_registration_page_claims_only_the_reports_own_wording(client, scope):
    load_centres_demo()  # 磁器口's three changes were registered in 2022–2024, none in 2025
    centre = Centre.objects.get(slug="ciqikou")
    client.force_login(get_user_model().objects.get(username="manager"))
    query = {"year": "2025", "scope": scope} if scope else {}
    response = client.get(reverse("centers:registration", args=[centre.slug]), query)
    body = response.content.decode()
    shown = html.unescape(re.search(r'id="statement-text">(.*?)</p>', body, re.S).group(1))
    report = prefill(centre, 2025)["registration"]
    assert report.count("办理法人变更登记") == 3  # the report cites the earlier years' changes
    claims = "即 2025 年度报告书中的表述。" in body
    assert claims == (scope == "since")  # the report's scope; the page's default is the year's
    if claims:
        assert shown == report
    else:
        assert shown == "无"
        assert "仅含 2025 年度办理的变更。2025 年度报告书列出自证书颁发以来的全部变更" in body
