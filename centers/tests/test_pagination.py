"""CountingPaginator serves the page Django's Paginator serves, in one query where it has rows."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from centers.models import Centre
from centers.tests.factories import CentreFactory
from core.pagination import CountingPaginator

pytestmark = pytest.mark.django_db

NUMBERS = [None, "", "abc", "1", "2", "3", "4", "0", "-1", "2.0", 2.0, 2.5, 3, "9" * 25, 10**7]


@pytest.mark.parametrize("number", NUMBERS)
def test_the_same_page_as_django(number):
    CentreFactory.create_batch(60)
    centres = Centre.objects.order_by("pk")
    theirs = Paginator(centres, 25).get_page(number)
    ours = CountingPaginator(centres, 25).get_page(number)
    assert ours.number == theirs.number
    assert [c.pk for c in ours] == [c.pk for c in theirs]
    assert (ours.paginator.count, ours.paginator.num_pages) == (60, 3)
    assert (ours.has_next(), ours.has_previous()) == (theirs.has_next(), theirs.has_previous())


@pytest.mark.parametrize("number", [None, "1", "3"])
def test_a_page_with_rows_is_one_query(number, django_assert_num_queries):
    CentreFactory.create_batch(60)
    with django_assert_num_queries(1):
        page = CountingPaginator(Centre.objects.order_by("pk"), 25).get_page(number)
        assert len(page) and page.paginator.count == 60


def test_an_empty_list_is_djangos_empty_first_page():
    page = CountingPaginator(Centre.objects.order_by("pk"), 25).get_page("2")
    assert (page.number, list(page), page.paginator.count) == (1, [], 0)
