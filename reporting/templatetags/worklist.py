"""The work waiting on a home page, drawn where the page is rendered.

The home pages belong to `centers`, which may not import `reporting`; they load these tags,
which run inside the page's own access check (request.authority or request.centre is set).
"""

from __future__ import annotations

from django import template

from reporting import worklist

register = template.Library()


@register.inclusion_tag("reporting/partials/authority_queue.html", takes_context=True)
def authority_queue(context) -> dict:
    """The reviewer's queue for the authority of the page (its whole subtree)."""
    request = context["request"]
    lines = worklist.authority_queue(authority=request.authority, subtree=request.authority_subtree)
    return {"lines": lines}


@register.inclusion_tag("reporting/partials/centre_todo.html", takes_context=True)
def centre_todo(context) -> dict:
    """The centre's to-do with due dates."""
    return {"items": worklist.centre_todo(centre=context["request"].centre)}
