"""In a browser: a clerk types the dates of a new party member and saves; picking a date in the
editor must not set off the page's 统计日期 filter (which would swap the form away), while that
filter still refreshes the page on its own date."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import browser_login
from staff.models import PartyBranch, PartyMember
from staff.tests.factories import PersonFactory, SpellFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(centre):
    PartyBranch.objects.create(
        centre=centre, name="中共测试中心支部", founded_on=dt.date(2021, 5, 1)
    )
    person = PersonFactory(centre=centre, name="王芳")
    SpellFactory(person=person, hired_on=dt.date(2019, 3, 1))
    return person


def test_clerk_adds_a_member_by_typing_dates(page, live_server, clerk, centre, person):
    browser_login(page, "clerk")
    page.goto(f"/centres/{centre.slug}/party/members/add/")  # the editor's own address
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    form = page.locator("#party-form form")
    form.locator("#id_person").select_option(str(person.pk))
    form.locator("#id_origin").select_option("transferred")
    form.locator("#id_joined_on").fill("2015-07-01")
    form.locator("#id_full_on").fill("2016-07-01")
    form.locator("#id_in_on").fill("2022-03-15")
    form.locator("#id_in_from").fill("重庆医科大学附属第一医院党委")
    # Each date picked fires a change event: the form and what was typed must all still be there.
    assert "?on=" not in page.url
    assert form.locator("#id_joined_on").input_value() == "2015-07-01"
    assert form.locator("#id_in_from").input_value() == "重庆医科大学附属第一医院党委"
    form.get_by_role("button", name="保存").click()
    page.locator("#party-members tr[id^=member-]", has_text="王芳").wait_for()
    assert page.evaluate("window.__marker") == 1
    member = PartyMember.objects.get(person=person)
    assert (member.joined_on, member.full_on, member.in_on) == (
        dt.date(2015, 7, 1),
        dt.date(2016, 7, 1),
        dt.date(2022, 3, 15),
    )

    # Editing from the table, in place: a transfer out typed as dates, then saved.
    page.locator(f"#member-{member.pk}").get_by_role("link", name="编辑").click()
    form = page.locator("#party-form form")
    form.locator("#id_out_on").wait_for()
    form.locator("#id_out_on").fill("2026-06-30")
    form.locator("#id_out_to").fill("某区人民医院党支部")
    assert form.locator("#id_out_to").is_visible()
    form.get_by_role("button", name="保存").click()
    page.locator("#party-transfers", has_text="某区人民医院党支部").wait_for()
    member.refresh_from_db()
    assert member.out_on == dt.date(2026, 6, 30)

    # The 统计日期 filter still answers its own date: the day before the transfer out.
    page.locator("#party-day #id_on").fill("2026-06-29")
    page.wait_for_url("**/party/?on=2026-06-29")
    page.locator("#party-counts h2", has_text="2026-06-29").wait_for()
    assert page.locator("#count-at-work").inner_text() == "1"
    assert page.evaluate("window.__marker") == 1
