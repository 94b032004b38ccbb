"""In a browser, Back after an htmx filter brings the whole page back, not the table alone: the
filter pushes its URL into the history while its answer is only the table (Vary: HX-Request)."""

from __future__ import annotations

import pytest

from centers.tests.factories import CentreFactory
from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_back_after_a_filter_shows_the_whole_page(page, reviewer, centre, district):
    CentreFactory(name="双碑社区卫生服务中心", slug="shuangbei", sponsor=district)
    browser_login(page, "reviewer")
    page.goto(f"/authorities/{district.slug}/centres/")
    page.get_by_label("搜索").fill("磁器口")
    page.wait_for_url("**q=*")
    page.get_by_text("共 1 个中心").wait_for()
    page.get_by_role("link", name="磁器口社区卫生服务中心").click()
    page.wait_for_url(f"**/centres/{centre.slug}/")
    page.go_back()
    page.wait_for_url("**q=*")
    # The layout and the filter form, not only the table that the filter's request returned.
    assert page.locator("form[role=search]").count() == 1
    assert page.locator("link[rel=stylesheet]").count() >= 1
    assert page.locator("#centre-table").count() == 1


def test_every_answer_says_it_varies_with_hx_request(client, reviewer, district):
    client.force_login(reviewer)
    url = f"/authorities/{district.slug}/centres/"
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(url, headers=headers)
        assert "HX-Request" in response["Vary"]
