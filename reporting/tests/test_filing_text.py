"""Input to the filing pages: NUL (which PostgreSQL cannot store) and overlong text come back as a
message in Chinese, never as a 500, and nothing is saved; nor can a future year's report start."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from centers.access import Access
from centers.permissions import MANAGER, REVIEWER
from core.stale import stamp
from reporting import actions
from reporting.models import AnnualFiling, FilingEvent

pytestmark = pytest.mark.django_db
M, R = Access(frozenset({MANAGER})), Access(frozenset({REVIEWER}))
S = AnnualFiling.Status
NUL_MESSAGE = "不能包含空字符"


def _url(filing, name):
    return reverse(f"reporting:{name}", args=[filing.centre.slug, filing.year])


def test_a_narrative_with_nul_is_refused_and_the_text_kept_to_copy(client, ready, manager):
    client.force_login(manager)
    response = client.post(
        _url(ready, "filing-narrative"), {"narrative": "义诊\x00活动", "based_on": stamp(ready)}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert NUL_MESSAGE in body and "义诊活动" in body
    ready.refresh_from_db()
    assert "\x00" not in ready.narrative and "义诊" not in ready.narrative


def test_an_overlong_narrative_is_refused_not_cut(client, ready, manager):
    client.force_login(manager)
    text = "字" * 50_001
    response = client.post(_url(ready, "filing-narrative"), {"narrative": text, "based_on": "1"})
    assert response.status_code == 200 and "50000" in response.content.decode()
    ready.refresh_from_db()
    assert ready.narrative != text[:50_000]


def test_a_narrative_with_a_bad_stamp_counts_as_stale(client, ready, manager):
    client.force_login(manager)
    response = client.post(_url(ready, "filing-narrative"), {"narrative": "新", "based_on": "x"})
    assert response.status_code == 409
    assert "在您编辑期间，其他人" in response.content.decode()
    ready.refresh_from_db()
    assert ready.narrative != "新"


@pytest.mark.parametrize(
    ("steps", "view", "field"),
    [
        ([], "filing-return", "reason"),
        ([], "filing-approve", "comment"),
        (["approve"], "filing-reopen", "reason"),
    ],
)
def test_review_notes_with_nul_are_refused_with_a_message(
    client, ready, manager, reviewer, steps, view, field
):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    if steps:
        filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    before = filing.status
    client.force_login(reviewer)
    response = client.post(_url(filing, view), {field: "数据\x00有误"}, follow=True)
    assert response.status_code == 200
    assert NUL_MESSAGE in response.content.decode()
    filing.refresh_from_db()
    assert filing.status == before
    assert not FilingEvent.objects.filter(comment__contains="数据").exists()


def test_review_notes_without_nul_still_work(client, ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    client.force_login(reviewer)
    client.post(_url(filing, "filing-return"), {"reason": "  请补充  "})
    filing.refresh_from_db()
    assert filing.status == S.RETURNED
    assert filing.events.last().comment == "请补充"


@time_machine.travel(dt.datetime(2025, 6, 1, 9, 0))
def test_a_report_for_a_year_not_begun_cannot_be_started(client, centre, manager):
    client.force_login(manager)
    page = client.get(reverse("reporting:filing", args=[centre.slug, 2026])).content.decode()
    assert reverse("reporting:filing-open", args=[centre.slug, 2026]) not in page
    assert "2026年度报告须待该年度开始后才能填报" in page
    response = client.post(reverse("reporting:filing-open", args=[centre.slug, 2026]), follow=True)
    assert response.status_code == 200
    assert "2026年度报告须待该年度开始后才能填报" in response.content.decode()
    assert not AnnualFiling.objects.exists()
    client.post(reverse("reporting:filing-open", args=[centre.slug, 2025]))  # the current year
    assert AnnualFiling.objects.get().year == 2025
