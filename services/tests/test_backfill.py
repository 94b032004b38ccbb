"""A new centre back-fills the months of its commission's window before it started reporting."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from centers.models import Centre, CentreMembership
from centers.selectors import backfill_months
from centers.tests.factories import CentreFactory, CentreMembershipFactory, UserFactory
from core.models import ImportJob
from core.tests.helpers import post_and_run
from services import actions
from services.locking import LockContext, backfill_window, lock_state
from services.models import FrozenYear, Indicator, TallyValue

pytestmark = pytest.mark.django_db
D = dt.date
CREATED = dt.datetime(2026, 3, 15, 10, 0)  # "yesterday": the centre reports from March 2026
TODAY = D(2026, 3, 16)


@pytest.fixture
def new_centre(district):
    with time_machine.travel(CREATED):
        return Centre.objects.create(name="新建社区卫生服务中心", slug="new", sponsor=district)


def _state(centre, month, today=TODAY):
    return lock_state(month, LockContext.load(centre, today))


def test_a_new_centre_reports_from_the_month_it_was_created(new_centre):
    new_centre.refresh_from_db()
    assert new_centre.reporting_since == D(2026, 3, 1)


def test_a_new_centre_may_enter_the_twelve_months_before_its_start(new_centre):
    # Window of 12 (no commission sets one): March 2025 – February 2026.
    assert not _state(new_centre, D(2025, 3, 1)).locked
    assert not _state(new_centre, D(2025, 6, 1)).locked  # normally locked since 31 July 2025
    outside = _state(new_centre, D(2025, 2, 1))
    assert outside.locked
    assert outside.reason == (
        "本中心自2026年3月起在系统中填报；只可补录此前 12 个月。更早的月份请审核员重新开放。"
    )


def test_an_old_centre_is_unaffected(centre):
    state = _state(centre, D(2025, 6, 1))
    assert state.locked and "已于2025年7月31日锁定" in state.reason  # 30 June + 30 days
    assert backfill_window(centre, TODAY) is None


def test_the_window_stays_open_as_long_after_the_start_as_it_reaches_back(new_centre):
    # March 2026 + 12 months: open through 28 February 2027, closed from 1 March 2027.
    assert not _state(new_centre, D(2025, 6, 1), D(2027, 2, 28)).locked
    assert _state(new_centre, D(2025, 6, 1), D(2027, 3, 1)).locked


def test_the_nearest_commission_sets_the_window(new_centre, city, district):
    city.backfill_months = 3
    city.save()
    assert backfill_months(centre=new_centre) == 3  # the district inherits the city's
    assert not _state(new_centre, D(2025, 12, 1)).locked  # Dec 2025 – Feb 2026
    assert _state(new_centre, D(2025, 11, 1)).locked
    district.backfill_months = 6
    district.save()
    assert backfill_months(centre=new_centre) == 6
    assert not _state(new_centre, D(2025, 9, 1)).locked  # Sep 2025 – Feb 2026
    assert _state(new_centre, D(2025, 8, 1)).locked
    district.backfill_months = 0
    district.save()
    assert backfill_window(new_centre, TODAY) is None


def test_an_approved_year_stays_frozen_inside_the_window(new_centre):
    FrozenYear.objects.create(centre=new_centre, year=2025)
    assert "已审核通过" in _state(new_centre, D(2025, 6, 1)).reason


@time_machine.travel(dt.datetime(2026, 3, 16, 10, 0))
def test_saving_a_cell_follows_the_window(new_centre):
    indicator = Indicator.objects.get(code="opd_visits")
    inside = actions.tally_save(
        centre=new_centre, indicator=indicator, period=D(2025, 6, 1), raw="120", actor=None
    )
    assert inside.error == ""
    outside = actions.tally_save(
        centre=new_centre, indicator=indicator, period=D(2025, 2, 1), raw="120", actor=None
    )
    assert "只可补录此前 12 个月" in outside.error
    assert list(TallyValue.objects.filter(centre=new_centre).values_list("period", flat=True)) == [
        D(2025, 6, 1)
    ]
    old = CentreFactory(sponsor=new_centre.sponsor)
    refused = actions.tally_save(
        centre=old, indicator=indicator, period=D(2025, 6, 1), raw="120", actor=None
    )
    assert "已于2025年7月31日锁定" in refused.error


@time_machine.travel(dt.datetime(2026, 3, 16, 10, 0))
def test_the_grid_tells_a_new_centre_what_it_may_back_fill(client, new_centre):
    user = UserFactory(username="newclerk")
    CentreMembershipFactory(user=user, centre=new_centre, role=CentreMembership.Role.CLERK)
    client.force_login(user)
    page = client.get(f"/centres/{new_centre.slug}/tallies/2025/medical/").content.decode()
    assert "本中心为新建中心，可在2027年2月28日前补录2025年3月至2026年2月的数据。" in page
    # January and February 2025 lie before the window: locked, with the reason in words.
    assert "2025年1月–2月已锁定：本中心自2026年3月起在系统中填报；只可补录此前 12 个月。" in page


@time_machine.travel(dt.datetime(2026, 3, 16, 10, 0))
def test_the_tally_import_follows_the_window(client, new_centre):
    """The import reads the same lock rule as the cell save: no case of its own."""
    user = UserFactory(username="newclerk")
    CentreMembershipFactory(user=user, centre=new_centre, role=CentreMembership.Role.CLERK)
    client.force_login(user)
    exported = client.get(reverse("services:tally-export", args=[new_centre.slug, 2025])).content
    book = load_workbook(io.BytesIO(exported))
    for row in book.active.iter_rows(min_row=2):
        if row[0].value == "opd_visits":
            row[3 + 1].value = 90  # February 2025: before the window
            row[3 + 5].value = 120  # June 2025: inside it
    out = io.BytesIO()
    book.save(out)
    url = reverse("services:tally-import", args=[new_centre.slug])
    upload = {"year": 2025, "file": SimpleUploadedFile("t.xlsx", out.getvalue())}
    body = post_and_run(client, url, upload, follow=True).content.decode()
    assert "只可补录此前 12 个月" in body
    assert not TallyValue.objects.filter(centre=new_centre).exists()  # a dry run with errors
    for row in book.active.iter_rows(min_row=2):
        if row[0].value == "opd_visits":
            row[3 + 1].value = None
    out = io.BytesIO()
    book.save(out)
    upload = {"year": 2025, "file": SimpleUploadedFile("t.xlsx", out.getvalue())}
    assert "只可补录" not in post_and_run(client, url, upload, follow=True).content.decode()
    job = ImportJob.objects.order_by("-pk").first()
    confirm = reverse("services:tally-import-confirm", args=[new_centre.slug, job.pk])
    post_and_run(client, confirm, follow=True)
    assert TallyValue.objects.get(centre=new_centre).period == D(2025, 6, 1)
