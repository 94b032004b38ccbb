"""Paging a list in one query: the page's rows carry the count of the whole list."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

# Beyond this page number Django's way is taken: its COUNT clamps a page such as 10**20 to the
# last page, where an OFFSET that large would be an error in the database.
MAX_SHORT_PAGE = 100_000


class CountingPaginator(Paginator):
    """A Paginator whose page query also counts the whole list (`COUNT(*) OVER ()`), so that
    `get_page` costs one query rather than a COUNT and then the page.

    Only the usual case takes the short way: a queryset and a page with rows (no number, or one
    that is not a number, is page 1 as in Django). Anything else (page 0, past the end, an empty
    list, orphans) is Django's own `get_page`, so the page served is always Paginator's.
    """

    def get_page(self, number) -> Page:
        wanted = _page_number(number)
        if (
            1 <= wanted <= MAX_SHORT_PAGE
            and isinstance(self.object_list, QuerySet)
            and not self.orphans
            and "count" not in self.__dict__
        ):
            bottom = (wanted - 1) * self.per_page
            counted = self.object_list.annotate(_whole_list_count=Window(Count("pk")))
            rows = list(counted[bottom : bottom + self.per_page])
            if rows:
                self.count = rows[0]._whole_list_count  # fills Paginator's cached property
                return self._get_page(rows, wanted, self)
        return super().get_page(number)


def _page_number(number) -> int:
    """The page number as Paginator.validate_number parses it; 1 for what it refuses as not a
    number, which is the page `get_page` then serves."""
    try:
        if isinstance(number, float) and not number.is_integer():
            return 1
        return int(number)
    except (TypeError, ValueError):
        return 1
