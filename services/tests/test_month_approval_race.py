"""Two reviewers approving the same month at the same moment, on PostgreSQL's row locks."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections
from django_scopes import scopes_disabled

from centers.selectors import user_places
from centers.tests.factories import AuthorityMembershipFactory, UserFactory
from core.models import AuditEntry
from services import approval_actions
from services.approval_actions import month_move
from services.models import MonthReport

APRIL = dt.date(2024, 4, 1)
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks to race on"
)


def test_two_reviewers_approving_at_once_approve_once(
    transactional_db, monkeypatch, district, centre, reviewer, manager
):
    MonthReport.objects.create(centre=centre, period=APRIL, submitted_by=manager)
    colleague = UserFactory(username="colleague", first_name="同事")
    AuthorityMembershipFactory(user=colleague, authority=district)
    first_holds_the_lock = threading.Event()
    real = approval_actions._own_work

    def slow_for_the_first(spec, report, actor):
        # The first reviewer holds the centre's row lock while the second one arrives.
        if actor == reviewer:
            first_holds_the_lock.set()
            time.sleep(0.5)
        return real(spec, report, actor)

    monkeypatch.setattr(approval_actions, "_own_work", slow_for_the_first)
    outcomes = {}

    def approve(user):
        try:
            with scopes_disabled():  # the scope of the test's own thread does not reach here
                outcomes[user.username] = month_move(
                    move="approve",
                    centres=[centre],
                    month=APRIL,
                    actor=user,
                    places=user_places(user),
                )
        finally:
            connections.close_all()

    first = threading.Thread(target=approve, args=(reviewer,))
    first.start()
    assert first_holds_the_lock.wait(5)
    second = threading.Thread(target=approve, args=(colleague,))
    second.start()
    first.join(10)
    second.join(10)
    assert outcomes["reviewer"].done == [centre]
    # The second waited on the row lock, then read the month as it was after the first: refused.
    assert outcomes["colleague"].refused == [(centre, "该月当前为“已审核”状态。")]
    report = MonthReport.objects.get(centre=centre, period=APRIL)
    assert (report.state, report.approved_by) == (MonthReport.State.APPROVED, reviewer)
    assert AuditEntry.objects.filter(action="services.month.approved").count() == 1
