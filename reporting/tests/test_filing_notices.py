"""Each annual-report step also shows in the app for the people its mail goes to: the
commission's reviewers when it is submitted, the managers when it is returned (with why)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from centers.access import Access
from centers.permissions import MANAGER, REVIEWER
from reporting import actions
from reporting.models import Notification

pytestmark = pytest.mark.django_db
M, R = Access(frozenset({MANAGER})), Access(frozenset({REVIEWER}))


def test_submitted_reaches_the_reviewers_and_returned_the_managers(
    client, ready, manager, reviewer
):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    note = Notification.objects.get(recipient=reviewer, kind="filing_step")
    name, year = filing.centre.name, filing.year
    assert note.title == f"{name} {year}年度报告：待审核"
    assert note.path == reverse("reporting:filing", args=[filing.centre.slug, year])
    assert not Notification.objects.filter(recipient=manager).exists()

    actions.filing_return(filing=filing, reason="请补充捐赠情况", actor=reviewer, access=R)
    back = Notification.objects.get(recipient=manager, kind="filing_step")
    assert back.title == f"{name} {year}年度报告：已退回 原因：请补充捐赠情况"
    client.force_login(manager)
    assert back.title in client.get(reverse("reporting:notifications")).content.decode()
