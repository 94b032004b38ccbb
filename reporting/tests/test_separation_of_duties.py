"""Separation of duties: only reviewers of a centre's own commission who hold no role at the centre
approve, return, reopen or publish its filings and reopen its months; the page hides what they
cannot do, the action refuses it, and a forged POST is a 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from centers.access import Access, centre_access
from centers.models import CentreMembership
from centers.permissions import MANAGER, REVIEW_FILINGS, REVIEWER
from centers.selectors import user_places
from centers.tests.factories import AuthorityMembershipFactory, CentreMembershipFactory
from core.errors import DomainError
from reporting import actions
from reporting.actions import TransitionNotAllowed
from reporting.models import AnnualFiling
from services import actions as service_actions
from services.models import LockException

pytestmark = pytest.mark.django_db
S = AnnualFiling.Status
M, R = Access(frozenset({MANAGER})), Access(frozenset({REVIEWER}))
NEXT_MONTH = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture
def manager_reviewer(manager, district):
    """The centre's manager, who is also a reviewer of the centre's own commission."""
    AuthorityMembershipFactory(user=manager, authority=district)
    return manager


def _submitted(ready, manager) -> AnnualFiling:
    return actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)


def test_a_manager_who_also_reviews_cannot_approve_what_they_submitted(ready, manager_reviewer):
    filing = _submitted(ready, manager_reviewer)
    access = centre_access(user_places(manager_reviewer), filing.centre)
    assert not access.can(REVIEW_FILINGS)
    with pytest.raises(TransitionNotAllowed, match="在本中心担任角色"):
        actions.filing_approve(filing=filing, comment="", actor=manager_reviewer, access=access)
    # Even with a reviewer's access built by hand, the actor's memberships decide.
    with pytest.raises(TransitionNotAllowed):
        actions.filing_approve(filing=filing, comment="", actor=manager_reviewer, access=R)
    with pytest.raises(TransitionNotAllowed):
        actions.filing_return(filing=filing, reason="x", actor=manager_reviewer, access=R)
    filing.refresh_from_db()
    assert filing.status == S.SUBMITTED
    assert not filing.events.filter(to_status=S.APPROVED).exists()


def test_a_clerk_who_also_reviews_cannot_reopen_or_publish(ready, manager, reviewer, district):
    clerk_reviewer = CentreMembershipFactory(
        centre=ready.centre, role=CentreMembership.Role.CLERK
    ).user
    AuthorityMembershipFactory(user=clerk_reviewer, authority=district)
    filing = _submitted(ready, manager)
    filing = actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    with pytest.raises(TransitionNotAllowed):
        actions.filing_reopen(filing=filing, reason="再看看", actor=clerk_reviewer, access=R)
    with pytest.raises(TransitionNotAllowed):
        actions.filing_publish(filing=filing, actor=clerk_reviewer, access=R)
    filing.refresh_from_db()
    assert filing.status == S.APPROVED


def test_a_city_reviewer_reads_a_district_centres_filing_but_cannot_approve_it(
    ready, manager, city_reviewer
):
    filing = _submitted(ready, manager)
    access = centre_access(user_places(city_reviewer), filing.centre)
    assert access is not None and access.can("view_centre")
    assert not access.can(REVIEW_FILINGS)
    with pytest.raises(TransitionNotAllowed, match="本中心所属卫健委"):
        actions.filing_approve(filing=filing, comment="", actor=city_reviewer, access=R)
    filing.refresh_from_db()
    assert filing.status == S.SUBMITTED


def test_the_sponsoring_commissions_reviewer_still_approves(ready, manager, reviewer):
    filing = actions.filing_approve(
        filing=_submitted(ready, manager), comment="", actor=reviewer, access=R
    )
    assert filing.status == S.APPROVED


def test_the_page_hides_review_buttons_and_says_why(client, ready, manager, city_reviewer):
    _submitted(ready, manager)
    url = reverse("reporting:filing", args=[ready.centre.slug, 2024])
    client.force_login(city_reviewer)
    body = client.get(url).content.decode()
    assert reverse("reporting:filing-approve", args=[ready.centre.slug, 2024]) not in body
    assert reverse("reporting:filing-return", args=[ready.centre.slug, 2024]) not in body
    assert 'id="review-withheld"' in body and "本中心所属卫健委" in body


def test_the_page_shows_review_buttons_to_the_sponsors_reviewer(client, ready, manager, reviewer):
    _submitted(ready, manager)
    client.force_login(reviewer)
    body = client.get(reverse("reporting:filing", args=[ready.centre.slug, 2024])).content.decode()
    assert reverse("reporting:filing-approve", args=[ready.centre.slug, 2024]) in body
    assert 'id="review-withheld"' not in body


@pytest.mark.parametrize("step", ["approve", "return", "publish", "reopen"])
def test_a_forged_review_post_is_403_and_changes_nothing(
    client, ready, manager_reviewer, city_reviewer, step
):
    filing = _submitted(ready, manager_reviewer)
    url = reverse(f"reporting:filing-{step}", args=[ready.centre.slug, 2024])
    for user in (manager_reviewer, city_reviewer):
        client.force_login(user)
        assert client.post(url, {"reason": "x", "comment": "x"}).status_code == 403
    filing.refresh_from_db()
    assert filing.status == S.SUBMITTED


def test_a_lock_exception_is_refused_to_a_city_reviewer_and_a_member(
    centre, manager_reviewer, city_reviewer
):
    for actor in (city_reviewer, manager_reviewer):
        with pytest.raises(DomainError):
            service_actions.lock_exception_grant(
                centre=centre,
                first_month=dt.date(2024, 1, 1),
                last_month=dt.date(2024, 2, 1),
                open_until=NEXT_MONTH,
                reason="补录",
                actor=actor,
            )
    assert not LockException.objects.exists()


def test_a_lock_exception_form_is_hidden_and_a_forged_post_is_403(
    client, centre, manager_reviewer, city_reviewer, reviewer
):
    data = {
        "first_month": "2024-01",
        "last_month": "2024-02",
        "open_until": NEXT_MONTH.isoformat(),
        "reason": "补录",
    }
    page = reverse("services:lock-exceptions", args=[centre.slug])
    grant = reverse("services:lock-exception-grant", args=[centre.slug])
    for user in (manager_reviewer, city_reviewer):
        client.force_login(user)
        body = client.get(page).content.decode()
        assert grant not in body and 'id="review-withheld"' in body
        assert client.post(grant, data).status_code == 403
    assert not LockException.objects.exists()
    client.force_login(reviewer)
    assert grant in client.get(page).content.decode()
    assert client.post(grant, data).status_code == 302
    assert LockException.objects.get().granted_by == reviewer
