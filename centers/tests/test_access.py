"""The access gate: reach through the authority tree at any depth, capabilities by role."""

from __future__ import annotations

import datetime as dt

import pytest

from centers.access import authority_access, centre_access
from centers.permissions import (
    CONFIGURE_COMMISSION,
    EDIT_RECORDS,
    MANAGE_MEMBERS,
    REVIEW_FILINGS,
    SUBMIT_FILINGS,
    VIEW_CENTRE,
)
from centers.selectors import authority_subtree_ids, authority_tree, user_places
from centers.tests.factories import (
    AuthorityFactory,
    AuthorityMembershipFactory,
    CentreFactory,
    CentreMembershipFactory,
)

pytestmark = pytest.mark.django_db


def test_city_reviewer_reaches_a_centre_two_levels_down(city_reviewer, centre):
    access = centre_access(user_places(city_reviewer), centre)
    assert access is not None
    assert access.can(VIEW_CENTRE)
    assert not access.can(EDIT_RECORDS)
    # Reviewing is for the centre's own commission: the city reads but does not act.
    assert not access.can(REVIEW_FILINGS) and access.withheld_reason


def test_the_sponsors_reviewer_may_review(reviewer, centre):
    access = centre_access(user_places(reviewer), centre)
    assert access.can(REVIEW_FILINGS) and not access.withheld_reason


def test_district_reviewer_does_not_reach_another_district(reviewer, other_centre):
    assert centre_access(user_places(reviewer), other_centre) is None


def test_reviewer_does_not_reach_the_authority_above(reviewer, city, district):
    places = user_places(reviewer)
    assert authority_access(places, district) is not None
    assert authority_access(places, city) is None


def test_an_administrator_configures_only_its_own_commission(
    district_admin, reviewer, city_reviewer, city, district, centre
):
    sub = AuthorityFactory(parent=district)
    admin = user_places(district_admin)
    assert authority_access(admin, district).can(CONFIGURE_COMMISSION)
    assert authority_access(admin, district).can(REVIEW_FILINGS)  # still a reviewer
    assert not authority_access(admin, sub).can(CONFIGURE_COMMISSION)  # below: reads only
    assert authority_access(admin, city) is None  # above: out of reach
    assert not authority_access(user_places(reviewer), district).can(CONFIGURE_COMMISSION)
    assert not authority_access(user_places(city_reviewer), district).can(CONFIGURE_COMMISSION)
    assert not centre_access(admin, centre).can(CONFIGURE_COMMISSION)


def test_reach_works_at_any_depth(db):
    levels = [AuthorityFactory()]
    for _ in range(5):
        levels.append(AuthorityFactory(parent=levels[-1]))
    deep_centre = CentreFactory(sponsor=levels[-1])
    top = AuthorityMembershipFactory(authority=levels[0]).user
    middle = AuthorityMembershipFactory(authority=levels[3]).user
    side = AuthorityMembershipFactory(authority=AuthorityFactory(parent=levels[1])).user
    assert centre_access(user_places(top), deep_centre) is not None
    assert centre_access(user_places(middle), deep_centre) is not None
    assert centre_access(user_places(side), deep_centre) is None
    assert authority_subtree_ids([levels[2].pk]) == {a.pk for a in levels[2:]}


def test_roles_map_to_capabilities(manager, clerk, centre):
    manager_access = centre_access(user_places(manager), centre)
    clerk_access = centre_access(user_places(clerk), centre)
    assert manager_access.can(MANAGE_MEMBERS) and manager_access.can(SUBMIT_FILINGS)
    assert clerk_access.can(EDIT_RECORDS)
    assert not clerk_access.can(MANAGE_MEMBERS) and not clerk_access.can(SUBMIT_FILINGS)
    assert not manager_access.can(REVIEW_FILINGS)


def test_member_of_one_centre_does_not_reach_another(manager, other_centre):
    assert centre_access(user_places(manager), other_centre) is None


def test_a_centre_member_who_also_reviews_does_not_review_their_own_centre(centre, district):
    membership = CentreMembershipFactory(centre=centre)
    AuthorityMembershipFactory(user=membership.user, authority=district)
    access = centre_access(user_places(membership.user), centre)
    assert access.can(EDIT_RECORDS) and access.can(VIEW_CENTRE)
    assert not access.can(REVIEW_FILINGS) and access.withheld_reason


def test_centre_page_for_an_unknown_slug_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/centres/no-such-centre/").status_code == 404


def test_404_page_is_chinese_and_does_not_name_the_centre(client, manager, other_centre):
    client.force_login(manager)
    response = client.get(f"/centres/{other_centre.slug}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert other_centre.name not in body


def test_403_page_is_chinese(client, clerk, centre):
    client.force_login(clerk)
    response = client.get(f"/centres/{centre.slug}/members/")
    assert response.status_code == 403
    assert "无权操作" in response.content.decode()


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_user_places_reads_what_the_orm_would_in_one_query(
    district, centre, django_assert_num_queries
):
    """The one UNION query builds the same objects, in the same order, as the ORM would."""
    from decimal import Decimal

    from centers.models import (
        AuthorityMembership,
        CentreMembership,
        FundingSource,
    )

    funding = FundingSource.objects.create(name="财政拨款")
    centre.capital = Decimal("123.45")
    centre.funding_source = funding
    centre.founded_on = dt.date(2001, 2, 3)
    centre.save()
    other = CentreFactory(sponsor=district, name="甲社区卫生服务中心")  # no funding source
    user = CentreMembershipFactory(centre=centre, role=CentreMembership.Role.MANAGER).user
    CentreMembershipFactory(user=user, centre=other)
    AuthorityMembershipFactory(user=user, authority=district)
    AuthorityMembershipFactory(user=user, authority=AuthorityFactory(parent=district))

    with django_assert_num_queries(1):
        places = user_places(user)
        centres = [m.centre for m in places.centre_memberships]
        assert [c.sponsor.name for c in centres] == [district.name, district.name]
        assert [c.funding_source for c in centres].count(None) == 1
        assert [m.authority.slug for m in places.authority_memberships]
        assert places.centre_memberships[0].get_role_display()

    expected = list(
        CentreMembership.objects.filter(user=user).select_related(
            "centre__sponsor", "centre__funding_source"
        )
    )
    assert [_fields(m) for m in places.centre_memberships] == [_fields(m) for m in expected]
    for got, want in zip(places.centre_memberships, expected, strict=True):
        assert _fields(got.centre) == _fields(want.centre)
        assert _fields(got.centre.sponsor) == _fields(want.centre.sponsor)
        if want.centre.funding_source is not None:
            assert _fields(got.centre.funding_source) == _fields(want.centre.funding_source)
        assert not got._state.adding and not got.centre._state.adding
    expected_reviews = list(
        AuthorityMembership.objects.filter(user=user).select_related("authority")
    )
    assert [(_fields(m), _fields(m.authority)) for m in places.authority_memberships] == [
        (_fields(m), _fields(m.authority)) for m in expected_reviews
    ]
    assert places.authority_tree == authority_tree()


def test_user_places_reads_no_tree_for_a_non_reviewer_and_nothing_for_the_anonymous(manager):
    from django.contrib.auth.models import AnonymousUser

    assert user_places(manager).authority_tree is None
    assert user_places(AnonymousUser()).count == 0


def test_a_revoked_membership_is_gone_on_the_next_request(client, manager, reviewer, centre):
    """Nothing about access is kept between requests."""
    client.force_login(manager)
    assert client.get(f"/centres/{centre.slug}/").status_code == 200
    manager.centre_memberships.all().delete()
    assert client.get(f"/centres/{centre.slug}/").status_code == 404
    client.force_login(reviewer)
    assert client.get(f"/centres/{centre.slug}/").status_code == 200
    reviewer.authority_memberships.all().delete()
    assert client.get(f"/centres/{centre.slug}/").status_code == 404
