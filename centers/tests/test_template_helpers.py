"""The template helpers that replace per-row work print exactly what the tags they replace print."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from centers.models import CentreMembership
from core.templatetags.chc import CENTRE_NAV, centre_nav_urls, display, id_url, with_id

pytestmark = pytest.mark.django_db


def test_display_is_get_foo_display_in_every_language_and_for_unknown_values(manager, centre):
    membership = CentreMembership.objects.get(user=manager, centre=centre)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert display(membership, "role") == membership.get_role_display()
    membership.role = "NOT-A-ROLE"
    assert display(membership, "role") == membership.get_role_display() == "NOT-A-ROLE"


def test_id_url_fills_in_the_id_as_url_would():
    edit = id_url("staff:staff-edit", "ciqikou")
    for pk in (1, 42, 987654):
        assert with_id(edit, pk) == reverse("staff:staff-edit", args=["ciqikou", pk])
    rehire = id_url("staff:staff-rehire", "ciqikou")
    assert with_id(rehire, 7) == reverse("staff:staff-rehire", args=["ciqikou", 7])


def test_id_url_refuses_a_view_without_an_id_last():
    with pytest.raises(NoReverseMatch):
        id_url("staff:roster", "ciqikou")


def test_the_centre_navigation_links_are_what_url_gives():
    urls = centre_nav_urls("ciqikou", 2024)
    assert urls["filing"] == reverse("reporting:filing", args=["ciqikou", 2024])
    for name, view in CENTRE_NAV.items():
        assert urls[name] == reverse(view, args=["ciqikou"])


def test_with_id_escapes_like_url_in_a_template():
    template = engines["django"].from_string(
        "{% id_url 'staff:staff-edit' slug as edit %}{{ edit|with_id:pk }}|"
        "{% url 'staff:staff-edit' slug pk %}"
    )
    ours, theirs = template.render({"slug": "ciqikou", "pk": 5}).split("|")
    assert ours == theirs
