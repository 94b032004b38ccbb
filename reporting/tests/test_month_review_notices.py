"""Who hears of a monthly approval move (services.approval_actions → reporting.notifications)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from centers.selectors import user_places
from reporting.models import Notification
from services.approval_actions import month_move
from services.models import MonthReport

pytestmark = pytest.mark.django_db
APRIL = dt.date(2024, 4, 1)


def _move(move, centre, user, reason=""):
    return month_move(
        move=move,
        centres=[centre],
        month=APRIL,
        actor=user,
        places=user_places(user),
        reason=reason,
    )


@time_machine.travel(dt.datetime(2024, 5, 20, 10, 0))
def test_each_move_reaches_who_acts_next(centre, manager, clerk, reviewer, city_reviewer):
    MonthReport.objects.create(centre=centre, period=APRIL, submitted_by=manager)
    notes = Notification.objects.filter(kind=Notification.Kind.MONTH_REVIEW)
    _move("approve", centre, reviewer)
    # The city confirms next: its reviewer hears, the centre does not.
    assert list(notes.values_list("recipient__username", flat=True)) == ["cityreviewer"]
    assert "磁器口社区卫生服务中心 2024年4月数据：已审核，待确认" in notes.get().title
    _move("unapprove", centre, reviewer, "门诊人次有误")
    _move("return", centre, reviewer, "请补录4月门诊")
    # The centre's people hear of both, with the reason.
    for user in (manager, clerk):
        titles = sorted(notes.filter(recipient=user).values_list("title", flat=True))
        assert titles == [
            "磁器口社区卫生服务中心 2024年4月数据：审核已撤销；原因：门诊人次有误",
            "磁器口社区卫生服务中心 2024年4月数据：已退回；原因：请补录4月门诊",
        ]
    assert not notes.filter(recipient=reviewer).exists()


@time_machine.travel(dt.datetime(2024, 5, 20, 10, 0))
def test_a_move_over_many_centres_is_one_notice_for_the_commission(
    district, centre, reviewer, city_reviewer
):
    from centers.tests.factories import CentreFactory

    second = CentreFactory(name="小龙坎社区卫生服务中心", slug="xiaolongkan", sponsor=district)
    for c in (centre, second):
        MonthReport.objects.create(centre=c, period=APRIL)
    month_move(
        move="approve",
        centres=[centre, second],
        month=APRIL,
        actor=reviewer,
        places=user_places(reviewer),
    )
    note = Notification.objects.get(recipient=city_reviewer, kind=Notification.Kind.MONTH_REVIEW)
    assert note.title == (
        "2个中心2024年4月数据：已审核，待确认（磁器口社区卫生服务中心、小龙坎社区卫生服务中心）"
    )
    assert note.path == "/authorities/district/tallies/2024/4/review/"
