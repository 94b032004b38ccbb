"""Row locks of the filing workflow: the filing row alone, plus the centre's row on approval (the
lock every tally writer takes, so no save slips into a year being frozen)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centers.access import Access
from centers.permissions import MANAGER, REVIEWER
from reporting import actions

pytestmark = pytest.mark.django_db
M, R = Access(frozenset({MANAGER})), Access(frozenset({REVIEWER}))


def _locking_queries(act) -> list[str]:
    if not connection.features.has_select_for_update_of:
        pytest.skip("this database has no row locks (SQLite); PostgreSQL runs it")
    with CaptureQueriesContext(connection) as ctx:
        act()
    return [q["sql"] for q in ctx.captured_queries if " FOR " in q["sql"]]


def test_a_transition_locks_the_filing_row_and_not_its_centre_or_authority(ready, manager):
    queries = _locking_queries(
        lambda: actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    )
    assert queries
    assert all(q.endswith('FOR UPDATE OF "reporting_annualfiling"') for q in queries), queries


def test_approval_also_locks_the_centre_row_but_not_the_authority(ready, manager, reviewer):
    filing = actions.filing_submit(filing=ready, actor=manager, access=M, render_pdf=False)
    queries = _locking_queries(
        lambda: actions.filing_approve(filing=filing, comment="", actor=reviewer, access=R)
    )
    centre_lock = [q for q in queries if q.startswith('SELECT "centers_centre"."id"')]
    assert centre_lock and "JOIN" not in centre_lock[0], queries
    assert centre_lock[0].endswith("FOR NO KEY UPDATE")  # inserts pointing at the centre go on
    # Any other lock names its table: a bare FOR UPDATE over a join would lock the authority too.
    assert all("JOIN" not in q or " FOR UPDATE OF " in q for q in queries), queries
