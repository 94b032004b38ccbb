"""Target imports filed under a commission's first centre (before core 0006) move to the
commission; a centre's own imports stay its own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0005_outbox_countdown"), ("centers", "0007_commission_administrator_role")]
AFTER = [("core", "0006_import_jobs_of_a_commission")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_target_jobs_move_to_their_commission():
    old = _migrate(BEFORE)
    authority = old.get_model("centers", "Authority").objects.create(name="区卫健委", slug="d")
    centre = old.get_model("centers", "Centre").objects.create(
        name="磁器口社区卫生服务中心", slug="c", sponsor=authority
    )
    jobs = old.get_model("core", "ImportJob")
    targets = jobs.objects.create(
        kind="targets", centre=centre, params={"year": 2024, "authority": authority.pk}
    )
    roster = jobs.objects.create(kind="roster", centre=centre, params={})

    new = _migrate(AFTER).get_model("core", "ImportJob")
    moved, kept = new.objects.get(pk=targets.pk), new.objects.get(pk=roster.pk)
    assert (moved.authority_id, moved.centre_id) == (authority.pk, None)
    assert (kept.authority_id, kept.centre_id) == (None, centre.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
