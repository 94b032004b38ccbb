"""A returned report says why at the top of its page, not only in the history below."""

from __future__ import annotations

import pytest
from django.urls import reverse

from centers.access import Access
from centers.permissions import MANAGER, REVIEWER
from reporting import actions

pytestmark = pytest.mark.django_db
M, R = Access(frozenset({MANAGER})), Access(frozenset({REVIEWER}))


def _page(client, user, filing) -> str:
    client.force_login(user)
    url = reverse("reporting:filing", args=[filing.centre.slug, filing.year])
    return client.get(url).content.decode()


def test_the_latest_reason_leads_the_page(client, ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_return(filing=filing, reason="请补充捐赠情况", actor=reviewer, access=R)
    filing = actions.filing_submit(filing=filing, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_return(
        filing=filing, reason="净资产与报表不符", actor=reviewer, access=R
    )
    html = _page(client, manager, filing)
    top = html[html.index('id="return-reason"') : html.index('id="workflow"')]
    assert "由 区审核员 于" in top and "退回，原因：" in top and "reviewer" not in top
    assert "净资产与报表不符" in top and "请补充捐赠情况" not in top
    assert html.index('id="return-reason"') < html.index('id="timeline"')


def test_no_reason_once_resubmitted(client, ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    filing = actions.filing_return(filing=filing, reason="请补充", actor=reviewer, access=R)
    filing = actions.filing_submit(filing=filing, actor=manager, access=M, render_pdf=False)
    html = _page(client, manager, filing)
    assert 'id="return-reason"' not in html
    assert "请补充" in html  # still in the history
