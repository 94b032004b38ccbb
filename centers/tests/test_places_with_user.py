"""A signed-in request's places (centers.access.request_places) come with the user's row on
PostgreSQL (core.auth.read_with_user): the same places, read once, no query of their own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centers.apps import PLACES_ATTRIBUTE
from centers.selectors import user_places
from core.auth import UserBackend

from .factories import (
    AuthorityFactory,
    AuthorityMembershipFactory,
    CentreFactory,
    CentreMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _shape(places) -> tuple:
    return (
        sorted((m.centre_id, m.role, m.centre.sponsor.name) for m in places.centre_memberships),
        sorted((m.authority_id, m.role, m.authority.name) for m in places.authority_memberships),
        None if places.authority_tree is None else sorted(places.authority_tree),
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipeline is PostgreSQL's")
def test_the_places_read_with_the_user_are_the_users_places():
    district = AuthorityFactory()
    centre = CentreFactory(sponsor=district)
    user = UserFactory()
    CentreMembershipFactory(user=user, centre=centre)
    AuthorityMembershipFactory(user=user, authority=AuthorityFactory(parent=district))
    read = getattr(UserBackend().get_user(user.pk), PLACES_ATTRIBUTE)
    assert _shape(read) == _shape(user_places(user))
    assert len(read.centre_memberships) == 1 and read.authority_tree


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipeline is PostgreSQL's")
def test_a_user_with_no_places_reads_none():
    read = getattr(UserBackend().get_user(UserFactory().pk), PLACES_ATTRIBUTE)
    assert _shape(read) == ([], [], None)


def test_a_centre_page_reads_the_places_once(client):
    centre = CentreFactory()
    user = UserFactory()
    CentreMembershipFactory(user=user, centre=centre, role="MANAGER")
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/centres/{centre.slug}/")
    assert response.status_code == 200
    places = [q for q in queries.captured_queries if q["sql"].startswith("SELECT 0, m.")]
    assert len(places) == 1
