"""The home page routes each person to their place, and the switcher lists every place."""

from __future__ import annotations

import pytest
from django.urls import reverse

from centers.models import CentreMembership
from centers.tests.factories import CentreMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_centre_member_goes_to_their_centre(client, clerk, centre):
    client.force_login(clerk)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("centers:centre-detail", args=[centre.slug])


def test_reviewer_goes_to_their_centre_list(client, reviewer, district):
    client.force_login(reviewer)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("centers:authority-centre-list", args=[district.slug])


def test_person_with_two_places_chooses_and_can_switch(client, centre, other_centre):
    user = UserFactory(username="twohats")
    CentreMembershipFactory(user=user, centre=centre, role=CentreMembership.Role.MANAGER)
    CentreMembershipFactory(user=user, centre=other_centre)
    client.force_login(user)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    body = home.content.decode()
    assert centre.name in body and other_centre.name in body
    page = client.get(reverse("centers:centre-detail", args=[centre.slug])).content.decode()
    assert 'class="switcher"' in page
    assert reverse("centers:centre-detail", args=[other_centre.slug]) in page


def test_person_without_a_place_is_told_what_to_do(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "尚未加入任何中心" in response.content.decode()


def test_system_administrator_without_place_is_pointed_to_admin(client, db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    body = client.get(reverse("home")).content.decode()
    assert reverse("admin:index") in body


def test_centre_overview_shows_registered_items_and_team(client, manager, clerk, centre):
    client.force_login(clerk)
    body = client.get(reverse("centers:centre-detail", args=[centre.slug])).content.decode()
    for text in (centre.name, centre.address, centre.legal_representative, centre.sponsor.name):
        assert text in body
    assert "彭娅" in body and "李录入" in body
    assert reverse("centers:member-list", args=[centre.slug]) not in body  # clerk: no link


def test_centre_overview_query_count_is_bounded(
    client, manager, centre, django_assert_max_num_queries
):
    for _ in range(20):
        CentreMembershipFactory(centre=centre)
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        client.get(reverse("centers:centre-detail", args=[centre.slug]))


def test_a_place_page_takes_its_place_from_the_users_memberships(
    client, manager, reviewer, centre, district
):
    """A member's centre page and a reviewer's own authority page look up no centre or authority
    of their own: the memberships loaded for the switcher have them; other places are queried."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def tables(user, url):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return [q["sql"].split(" FROM ", 1)[1].split()[0] for q in queries if " FROM " in q["sql"]]

    detail = reverse("centers:centre-detail", args=[centre.slug])
    assert '"centers_centre"' not in tables(manager, detail)
    assert '"centers_centre"' in tables(reviewer, detail)  # not a member: looked up
    centres = reverse("centers:authority-centre-list", args=[district.slug])
    # The tree (names with it) comes in the memberships' query: no query of its own.
    assert tables(reviewer, centres).count('"centers_authority"') == 0
    assert tables(reviewer, centres).count('"centers_centre"') == 1  # the page, counted in it
