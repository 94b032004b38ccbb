"""Which indicators, rates, rules and activity kinds apply to a centre or a commission for some
months: those of no commission (the system's) and those of every commission on its path up the
tree, each in force for part of those months. The one place this is decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from centers.selectors import authority_ancestor_ids, authority_parent_map
from core import memo

from .models import Definition

CATALOGUE = "catalogue"  # the memo version every write of indicators, rates or rules moves

D = TypeVar("D", bound=Definition)

AUTHORITIES = "authorities"  # the memo version every write of the commission tree moves
# The tree changes rarely: read once per process (services.apps moves it).
_PARENTS = memo.Versioned(AUTHORITIES, authority_parent_map)


def owner_path(authority_id: int | None) -> frozenset[int]:
    """The commission and every commission above it: whose definitions it sees."""
    if authority_id is None:
        return frozenset()
    return frozenset(authority_ancestor_ids(authority_id, _PARENTS.get()))


def commission_tree() -> dict[int, int | None]:
    """Every commission's parent, read once per process: share it, never change it."""
    return _PARENTS.get()


def centre_path(centre) -> frozenset[int]:
    """`owner_path` of the centre's sponsor, kept on the centre object (one request's)."""
    path = getattr(centre, "_owner_path", None)
    if path is None:
        path = centre._owner_path = owner_path(centre.sponsor_id)
    return path


def in_force(definition, first: dt.date, last: dt.date) -> bool:
    """In force for any month from `first` to `last` (month starts)."""
    start, end = definition.active_from, definition.active_to
    return (start is None or start <= last) and (end is None or end >= first)


def owned_on(definition, path: frozenset[int]) -> bool:
    """Owned by no commission or one on `path`: it reaches the centres of that path."""
    return definition.owner_id is None or definition.owner_id in path


def applies(definition, path: frozenset[int], first: dt.date, last: dt.date) -> bool:
    """Owned by no commission or one on `path`, and in force for a month from first to last
    (a model instance, or a figures catalogue tuple: both carry the three fields)."""
    return owned_on(definition, path) and in_force(definition, first, last)


def applying(
    definitions: Iterable[D], path: frozenset[int], first: dt.date, last: dt.date
) -> list[D]:
    return [d for d in definitions if applies(d, path, first, last)]


def year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 1)


def versions_for(definitions: Iterable[D], first: dt.date, last: dt.date) -> dict[str, D]:
    """By code, the version that speaks for the months first..last: the one in force in the last
    month, else the latest one in force in some month of them. A rate whose formula changed keeps
    its old version for the periods before the change (their figures do not move)."""
    chosen: dict[str, D] = {}
    for d in definitions:
        if not in_force(d, first, last):
            continue
        held = chosen.get(d.code)
        if held is None or _later(d, held, last):
            chosen[d.code] = d
    return chosen


def _later(d, held, last: dt.date) -> bool:
    """Whether `d` speaks for a period ending in `last` rather than `held`."""
    d_now, held_now = in_force(d, last, last), in_force(held, last, last)
    if d_now != held_now:
        return d_now
    return (d.active_from or dt.date.min) > (held.active_from or dt.date.min)
