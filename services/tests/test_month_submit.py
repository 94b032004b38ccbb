"""Marking a month 已报送 when colleagues work on it too: the confirmation of empty categories
is checked again on confirming, and a month marked meanwhile is neither asked about nor marked
twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from core.models import AuditEntry
from services import actions
from services.models import Indicator, MonthReport, TallyValue

pytestmark = pytest.mark.django_db
APRIL = dt.date(2024, 4, 1)
TODAY = dt.datetime(2024, 5, 20, 10, 0)  # April is open until 30 May


def _put(centre, category: str, value=5):
    indicator = Indicator.objects.filter(category=category, frequency="monthly").first()
    return TallyValue.objects.create(centre=centre, indicator=indicator, period=APRIL, value=value)


@time_machine.travel(TODAY)
def test_a_category_emptied_since_the_confirmation_is_asked_about_again(client, clerk, centre):
    records = _put(centre, "records")
    _put(centre, "medical")
    client.force_login(clerk)
    url = reverse("services:month-submit", args=[centre.slug, 2024, 4])
    asked = client.post(url, {"category": "medical"})
    codes = asked.context["codes"]
    assert "records" not in codes and "education" in codes
    # A colleague clears the only 健康档案 value while the page is open: confirming what it
    # listed does not cover 居民健康档案, which is now empty too.
    records.delete()
    again = client.post(url, {"category": "medical", "empty_confirmed": codes})
    assert again.status_code == 200 and not MonthReport.objects.exists()
    text = again.content.decode()
    assert "records" in again.context["codes"] and 'id="empty-changed"' in text
    assert "居民健康档案管理" in text
    # Another fills 健康教育 meanwhile: confirming the new list marks the month, and the audit
    # names only the categories still empty.
    _put(centre, "education")
    done = client.post(url, {"category": "medical", "empty_confirmed": again.context["codes"]})
    assert done.status_code == 302 and MonthReport.objects.filter(period=APRIL).exists()
    recorded = AuditEntry.objects.get(action="services.month.submitted").changes
    assert "居民健康档案管理" in recorded["empty_categories"]
    assert "健康教育" not in recorded["empty_categories"]


@time_machine.travel(TODAY)
def test_a_month_a_colleague_marked_meanwhile_is_not_asked_about_nor_marked_twice(
    client, clerk, manager, centre
):
    _put(centre, "medical")
    with pytest.raises(actions.EmptyCategories) as asked:
        actions.month_submit(centre=centre, month=APRIL, actor=manager)
    theirs = actions.month_submit(
        centre=centre, month=APRIL, actor=manager, empty_confirmed=asked.value.categories
    )
    # The clerk's page still offered 报送: their click finds the month marked, asks nothing.
    client.force_login(clerk)
    url = reverse("services:month-submit", args=[centre.slug, 2024, 4])
    response = client.post(url, {"category": "medical"})
    assert response.status_code == 302
    assert list(MonthReport.objects.all()) == [theirs] and theirs.submitted_by == manager
    assert AuditEntry.objects.filter(action="services.month.submitted").count() == 1


@time_machine.travel(TODAY)
def test_the_confirmation_works_without_javascript(client, clerk, centre):
    """The grid's 报送 is a plain form and the question a full page with its own form."""
    _put(centre, "medical")
    client.force_login(clerk)
    url = reverse("services:month-submit", args=[centre.slug, 2024, 4])
    asked = client.post(url, {"category": "medical"})
    text = asked.content.decode()
    assert f'<form method="post" action="{url}">' in text and "hx-" not in text.split("<main")[-1]
    assert 'name="category" value="medical"' in text


@pytest.mark.parametrize("today", [dt.date(2024, 4, 1), dt.date(2024, 4, 30), dt.date(2024, 5, 1)])
def test_a_month_is_marked_complete_once_it_has_ended(client, clerk, centre, today):
    """On 30 April April's figures are not all in: no 报送 button, and a POST is refused."""
    _put(centre, "medical")
    client.force_login(clerk)
    with time_machine.travel(dt.datetime.combine(today, dt.time(10))):
        grid = client.get(reverse("services:tally-grid", args=[centre.slug, 2024, "medical"]))
        april = grid.context["grid"].months[3]
        assert april.month == APRIL and april.ended == (today.month == 5)
        url = reverse("services:month-submit", args=[centre.slug, 2024, 4])
        button = f'action="{url}"'
        assert (button in grid.content.decode()) == april.ended
        if not april.ended:
            with translation.override("zh-hans"), pytest.raises(DomainError, match="月份结束后"):
                actions.month_submit(centre=centre, month=APRIL, actor=clerk)
            refused = client.post(url, {"category": "medical"}, follow=True)
            assert "月份结束后才能标记为已报送" in refused.content.decode()
            assert not MonthReport.objects.exists()
